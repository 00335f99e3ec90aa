import * as fs from 'fs';
import { registerSchemas } from './kubernetes-schemas';
import { referencePath } from './reference';

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

let registered: boolean | undefined;

/**
 * Registers the KubeVirt and CDI schemas (from their upstream OpenAPI documents in
 * `../shared/reference`) with `validateKubernetesObjects`. Returns false when the reference
 * folder is absent (outside CI), in which case validation of these kinds is skipped.
 */
export function registerKubeVirtSchemas(): boolean {
  if (registered !== undefined) return registered;
  const schemas = new Map<string, JsonSchema>();
  for (const source of SOURCES) {
    const file = referencePath(...source.path);
    if (!file) continue;
    const definitions = (JSON.parse(fs.readFileSync(file, 'utf8')) as { definitions: Record<string, JsonSchema> }).definitions;
    for (const kind of source.kinds) {
      if (!(kind.definition in definitions)) throw new Error(`${file} has no definition ${kind.definition}`);
      schemas.set(kind.gvk, { $ref: `#/definitions/${kind.definition}`, definitions });
    }
  }
  registerSchemas(schemas);
  registered = schemas.size > 0;
  return registered;
}
