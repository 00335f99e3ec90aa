/**
 * Generates the typed cdk8s bindings of the KubeVirt and CDI objects this library writes, from
 * the upstream OpenAPI (swagger 2.0) documents of the pinned releases:
 *
 *   npx ts-node --transpile-only scripts/import-kubevirt.ts
 *
 * Reads (never copies) `../shared/reference/kubevirt/v1.9.0/api/openapi-spec/swagger.json` and
 * `../shared/reference/containerized-data-importer/v1.66.0/api/openapi-spec/swagger.json`
 * (or `$REFERENCE_DIR/...`) and writes `constructs/imports/kubevirt.io.ts` and
 * `constructs/imports/cdi.kubevirt.io.ts`. Works offline.
 *
 * `cdk8s import` cannot do this itself: it imports CRD manifests (KubeVirt publishes its CRDs
 * only inside the operator YAML) or the core Kubernetes API by version, and the swagger
 * definitions carry no `x-kubernetes-group-version-kind`. So the script drives the same
 * generator (`json2jsii` + cdk8s-cli's `generateConstruct`) with the group, version and kind of
 * each root object given explicitly. Bump the versions here and in
 * `constructs/common/versions.ts` together.
 */
import * as fs from 'fs';
import * as path from 'path';
import { TypeGenerator } from 'json2jsii';

interface Root {
  /** Definition name in the swagger document, e.g. `v1.VirtualMachine`. */
  readonly definition: string;
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

export interface Module {
  readonly swagger: string[];
  readonly output: string;
  readonly roots: Root[];
}

type Schema = Record<string, unknown>;

const ROOT = path.resolve(__dirname, '..');

/**
 * cdk8s-cli's construct emitter (what `cdk8s import` uses). The package exports no subpaths, so
 * it is loaded by file path; json2jsii (its generator) comes with it.
 */
interface CodegenModule {
  generateConstruct(types: TypeGenerator, def: {
    fqn: string; group: string; version: string; kind: string; schema: Schema; custom: boolean;
  }): void;
}
const { generateConstruct } = require(path.join(ROOT, 'node_modules', 'cdk8s-cli', 'lib', 'import', 'codegen.js')) as CodegenModule;
const REFERENCE_DIR = process.env.REFERENCE_DIR ?? path.resolve(ROOT, '..', 'shared', 'reference');

export const MODULES: Module[] = [
  {
    swagger: ['kubevirt', 'v1.9.0', 'api', 'openapi-spec', 'swagger.json'],
    output: 'kubevirt.io.ts',
    roots: [
      { definition: 'v1.VirtualMachine', group: 'kubevirt.io', version: 'v1', kind: 'VirtualMachine' },
      { definition: 'v1.KubeVirt', group: 'kubevirt.io', version: 'v1', kind: 'KubeVirt' },
    ],
  },
  {
    swagger: ['containerized-data-importer', 'v1.66.0', 'api', 'openapi-spec', 'swagger.json'],
    output: 'cdi.kubevirt.io.ts',
    roots: [
      { definition: 'v1beta1.DataVolume', group: 'cdi.kubevirt.io', version: 'v1beta1', kind: 'DataVolume' },
      { definition: 'v1beta1.DataSource', group: 'cdi.kubevirt.io', version: 'v1beta1', kind: 'DataSource' },
      { definition: 'v1beta1.CDI', group: 'cdi.kubevirt.io', version: 'v1beta1', kind: 'CDI' },
    ],
  },
];

function pascal(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/**
 * Type names for every definition: the last segment (`v1.VirtualMachineSpec` →
 * `VirtualMachineSpec`). Where two definitions share it, the module's own API version keeps
 * the short name, Kubernetes' types (`k8s.io...`) get a `K8s` prefix and other API versions a
 * version suffix (`v1beta1.Condition` → `ConditionV1Beta1`).
 */
function typeNames(definitions: Record<string, Schema>, primaryVersion: string): Map<string, string> {
  const parse = (d: string) => {
    const parts = d.split('.');
    return { kind: parts[parts.length - 1], version: parts[parts.length - 2] ?? '' };
  };
  const counts = new Map<string, number>();
  for (const d of Object.keys(definitions)) counts.set(parse(d).kind, (counts.get(parse(d).kind) ?? 0) + 1);
  const names = new Map<string, string>();
  for (const d of Object.keys(definitions)) {
    const { kind, version } = parse(d);
    if (counts.get(kind) === 1 || d === `${primaryVersion}.${kind}`) {
      names.set(d, kind);
    } else if (d.startsWith('k8s.io.')) {
      names.set(d, `K8s${kind}`);
    } else {
      names.set(d, `${kind}${pascal(version.replace(/beta/, 'Beta').replace(/alpha/, 'Alpha'))}`);
    }
  }
  return names;
}

/**
 * Two fixes so that fewer fields come out as `any`:
 * - `Quantity` has no `type` in these documents; the API server reads and writes quantities as
 *   strings (`4Gi`, `500m`), so it becomes `string`;
 * - marker objects without fields (`masquerade: {}`, `utc: {}`) become empty interfaces.
 */
function normalize(definitions: Record<string, Schema>): Record<string, Schema> {
  const result: Record<string, Schema> = {};
  for (const [name, def] of Object.entries(definitions)) {
    if (name.endsWith('resource.Quantity')) {
      result[name] = { description: 'Kubernetes quantity, e.g. `4Gi` or `500m`.', type: 'string' };
    } else if (def.type === 'object' && def.properties === undefined && def.additionalProperties === undefined) {
      result[name] = { ...def, properties: {} };
    } else {
      result[name] = def;
    }
  }
  return result;
}

/** Renders the TypeScript bindings of one module (pure: reads the swagger, writes nothing). */
export function render(module: Module): string {
  const file = path.join(REFERENCE_DIR, ...module.swagger);
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: put the upstream reference folder beside the repository or set REFERENCE_DIR.`);
  const swagger = JSON.parse(fs.readFileSync(file, 'utf8')) as { definitions: Record<string, Schema> };
  const definitions = normalize(swagger.definitions);
  const names = typeNames(definitions, module.roots[0].version);

  const types = new TypeGenerator({
    definitions,
    renderTypeName: (def: string) => names.get(def) ?? TypeGenerator.normalizeTypeName(def.split('.').pop() ?? def),
  });
  for (const root of module.roots) {
    // The construct takes the kind's name (`VirtualMachine`); its props struct is
    // `VirtualMachineProps`. References to the root definition resolve to the props.
    types.addDefinition(root.definition, { $ref: `#/definitions/${root.kind}Props` });
  }
  for (const root of module.roots) {
    generateConstruct(types, {
      fqn: root.definition,
      group: root.group,
      version: root.version,
      kind: root.kind,
      schema: definitions[root.definition],
      custom: true,
    });
  }
  return [
    `// generated by scripts/import-kubevirt.ts from ${module.swagger.join('/')}; do not edit`,
    "import { ApiObject, ApiObjectMetadata, GroupVersionKind } from 'cdk8s';",
    "import { Construct } from 'constructs';",
    '',
    types.render(),
  ].join('\n');
}

/** Path of a module's generated file. */
export function outputPath(module: Module): string {
  return path.join(ROOT, 'constructs', 'imports', module.output);
}

if (require.main === module) {
  for (const m of MODULES) {
    const source = render(m);
    fs.writeFileSync(outputPath(m), source);
    console.log(`wrote ${path.relative(ROOT, outputPath(m))} (${source.split('\n').length} lines)`);
  }
}
