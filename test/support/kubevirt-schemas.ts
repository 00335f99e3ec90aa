import * as fs from 'fs';
import { registerSchemas } from './kubernetes-schemas';
import * as path from 'path';
import { REFERENCE_DIR, referencePath } from './reference';

type JsonSchema = Record<string, unknown>;

/** Objects of the KubeVirt 1.9 and CDI 1.66 APIs this library writes, by swagger definition. */
const SOURCES: Array<{ path: string[]; kinds: Array<{ gvk: string; definition: string }> }> = [
  {
    path: ['kubevirt', 'v1.9.0', 'api', 'openapi-spec', 'swagger.json'],
    kinds: [
      { gvk: 'kubevirt.io/v1/VirtualMachine', definition: 'v1.VirtualMachine' },
      { gvk: 'kubevirt.io/v1/KubeVirt', definition: 'v1.KubeVirt' },
    ],
  },
  {
    path: ['containerized-data-importer', 'v1.66.0', 'api', 'openapi-spec', 'swagger.json'],
    kinds: [
      { gvk: 'cdi.kubevirt.io/v1beta1/DataVolume', definition: 'v1beta1.DataVolume' },
      { gvk: 'cdi.kubevirt.io/v1beta1/DataSource', definition: 'v1beta1.DataSource' },
      { gvk: 'cdi.kubevirt.io/v1beta1/CDI', definition: 'v1beta1.CDI' },
    ],
  },
];

let registered = false;

/**
 * Registers the KubeVirt and CDI schemas (from their upstream OpenAPI documents in
 * `../shared/reference`) with `validateKubernetesObjects`. When a document is missing, the
 * validation of its kinds throws `ReferenceMissingError` (the test is reported as skipped).
 */
export function registerKubeVirtSchemas(): void {
  if (registered) return;
  const schemas = new Map<string, JsonSchema>();
  const missing: Array<{ group: string; file: string }> = [];
  for (const source of SOURCES) {
    const file = referencePath(...source.path);
    if (!file) {
      for (const group of new Set(source.kinds.map((k) => k.gvk.split('/')[0]))) missing.push({ group, file: path.join(REFERENCE_DIR, ...source.path) });
      continue;
    }
    const definitions = (JSON.parse(fs.readFileSync(file, 'utf8')) as { definitions: Record<string, JsonSchema> }).definitions;
    for (const kind of source.kinds) {
      if (!(kind.definition in definitions)) throw new Error(`${file} has no definition ${kind.definition}`);
      schemas.set(kind.gvk, { $ref: `#/definitions/${kind.definition}`, definitions });
    }
  }
  registerSchemas(schemas, missing);
  registered = true;
}
