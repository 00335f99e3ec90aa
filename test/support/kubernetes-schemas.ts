import * as fs from 'fs';
import Ajv, { ValidateFunction } from 'ajv';
import { Template } from 'aws-cdk-lib/assertions';
import { parseAllDocuments } from 'yaml';
import { referencePath } from './reference';

/** A Kubernetes object as synthesized: plain JSON with apiVersion and kind. */
export interface KubernetesObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata?: { readonly name?: string; readonly namespace?: string; readonly [key: string]: unknown };
  readonly [key: string]: unknown;
}

type JsonSchema = Record<string, unknown>;

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
const validators = new Map<string, ValidateFunction>();

/**
 * Makes every object schema that lists its properties reject unknown ones, as the API server's
 * strict field validation does: a misspelled or misplaced field must fail the test.
 */
function strict(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(strict);
  if (schema === null || typeof schema !== 'object') return schema;
  const copy: JsonSchema = {};
  for (const [key, value] of Object.entries(schema as JsonSchema)) {
    copy[key] = key === 'properties' || key === 'definitions'
      ? Object.fromEntries(Object.entries(value as JsonSchema).map(([k, v]) => [k, strict(v)]))
      : strict(value);
  }
  if (copy.properties !== undefined && copy.additionalProperties === undefined && copy['x-kubernetes-preserve-unknown-fields'] !== true) {
    copy.additionalProperties = false;
  }
  return copy;
}

/** Schemas keyed by "group/version/Kind" (core group: "/v1/Kind"). */
const schemaSources: Array<() => Map<string, JsonSchema>> = [
  // Kubernetes core types (v1.34) from cdk8s' published schemas.
  () => {
    const file = referencePath('cdk8s', 'kubernetes-schemas', 'v1.34.0', '_definitions.json');
    const result = new Map<string, JsonSchema>();
    if (!file) return result;
    const definitions = strict(JSON.parse(fs.readFileSync(file, 'utf8')).definitions) as Record<string, JsonSchema>;
    for (const [name, def] of Object.entries(definitions)) {
      const gvks = def['x-kubernetes-group-version-kind'] as Array<{ group: string; version: string; kind: string }> | undefined;
      for (const gvk of gvks ?? []) {
        result.set(`${gvk.group}/${gvk.version}/${gvk.kind}`, { $ref: `#/definitions/${name}`, definitions });
      }
    }
    return result;
  },
  // Custom resources from their CRDs' openAPIV3Schema.
  () => {
    const crds = [
      ['karpenter-provider-aws', 'v1.14.1', 'pkg', 'apis', 'crds', 'karpenter.sh_nodepools.yaml'],
      ['karpenter-provider-aws', 'v1.14.1', 'pkg', 'apis', 'crds', 'karpenter.sh_nodeclaims.yaml'],
      ['karpenter-provider-aws', 'v1.14.1', 'pkg', 'apis', 'crds', 'karpenter.sh_nodeoverlays.yaml'],
      ['karpenter-provider-aws', 'v1.14.1', 'pkg', 'apis', 'crds', 'karpenter.k8s.aws_ec2nodeclasses.yaml'],
    ];
    const result = new Map<string, JsonSchema>();
    for (const parts of crds) {
      const file = referencePath(...parts);
      if (!file) continue;
      for (const doc of parseAllDocuments(fs.readFileSync(file, 'utf8'))) {
        const crd = doc.toJSON() as { spec: { group: string; names: { kind: string }; versions: Array<{ name: string; schema: { openAPIV3Schema: JsonSchema } }> } };
        for (const version of crd.spec.versions) {
          result.set(`${crd.spec.group}/${version.name}/${crd.spec.names.kind}`, strict(version.schema.openAPIV3Schema) as JsonSchema);
        }
      }
    }
    return result;
  },
];

let schemas: Map<string, JsonSchema> | undefined;

/**
 * cert-manager kinds, checked with the validators that @kubernetes-models/cert-manager compiled
 * from cert-manager's CRDs: types, required fields, enums and patterns. They do not reject
 * unknown fields; the objects are built with the typed bindings generated from the v1.20.3 CRDs
 * (`constructs/imports/cert-manager.io.ts`), where an unknown field does not compile.
 */
const modelValidators: Record<string, () => (obj: KubernetesObject) => void> = {
  'cert-manager.io/v1/Certificate': () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Certificate } = require('@kubernetes-models/cert-manager/cert-manager.io/v1/Certificate');
    return (obj) => new Certificate(obj).validate();
  },
  'cert-manager.io/v1/ClusterIssuer': () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { ClusterIssuer } = require('@kubernetes-models/cert-manager/cert-manager.io/v1/ClusterIssuer');
    return (obj) => new ClusterIssuer(obj).validate();
  },
};

/** Registers more schemas (e.g. KubeVirt, CDI) keyed by "group/version/Kind". */
export function registerSchemas(extra: Map<string, JsonSchema>): void {
  loadSchemas();
  for (const [key, value] of extra) schemas!.set(key, strict(value) as JsonSchema);
}

function loadSchemas(): Map<string, JsonSchema> {
  if (!schemas) {
    schemas = new Map();
    for (const source of schemaSources) for (const [k, v] of source()) schemas.set(k, v);
  }
  return schemas;
}

/** True when the upstream schemas are on this machine. */
export function schemasAvailable(): boolean {
  return loadSchemas().size > 0;
}

function gvkKey(obj: KubernetesObject): string {
  const [group, version] = obj.apiVersion.includes('/') ? obj.apiVersion.split('/') : ['', obj.apiVersion];
  return `${group}/${version}/${obj.kind}`;
}

/**
 * Validates one object against its upstream schema. Returns the list of problems (empty when
 * valid). An object whose kind has no known schema is itself a problem: every synthesized kind
 * must be checked.
 */
export function validateKubernetesObject(obj: KubernetesObject): string[] {
  const key = gvkKey(obj);
  if (modelValidators[key] !== undefined) {
    try {
      modelValidators[key]()(obj);
      return [];
    } catch (e) {
      return [`${obj.kind}/${obj.metadata?.name ?? '?'} ${(e as Error).message}`];
    }
  }
  const all = loadSchemas();
  if (all.size === 0) return [];
  const schema = all.get(key);
  if (!schema) return [`no upstream schema known for ${key}`];
  let validate = validators.get(key);
  if (!validate) {
    validate = ajv.compile(schema);
    validators.set(key, validate);
  }
  const valid = validate(obj as unknown);
  if (valid) return [];
  const where = `${obj.kind}/${obj.metadata?.name ?? '?'}`;
  return (validate.errors ?? []).map((e) => `${where} ${e.instancePath || '/'} ${e.message}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`);
}

/** Validates many objects; returns all problems. */
export function validateKubernetesObjects(objects: readonly KubernetesObject[]): string[] {
  return objects.flatMap(validateKubernetesObject);
}

/**
 * A plausible sample for a deploy-time value, so that patterns in the schemas (`sg-...`,
 * `subnet-...`) can still be checked: security-group attributes become a sample group id,
 * subnet references a sample subnet id, anything else `TOKEN`.
 */
function sampleFor(intrinsic: unknown, resourceTypes: Record<string, string>): string {
  const record = intrinsic as Record<string, unknown>;
  const getAtt = record['Fn::GetAtt'] as [string, string] | undefined;
  if (getAtt && /(SecurityGroupId|GroupId)$/.test(getAtt[1])) return 'sg-0123456789abcdef0';
  const ref = record.Ref as string | undefined;
  if (ref && resourceTypes[ref] === 'AWS::EC2::Subnet') return 'subnet-0123456789abcdef0';
  if (ref && resourceTypes[ref] === 'AWS::EC2::SecurityGroup') return 'sg-0123456789abcdef0';
  return 'TOKEN';
}

/**
 * Turns a CloudFormation value that may hold intrinsic functions into a string, replacing
 * each deploy-time value with a sample so the JSON around it still parses.
 */
function flatten(value: unknown, resourceTypes: Record<string, string> = {}): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && 'Fn::Join' in value) {
    const [sep, parts] = (value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
    return parts.map((p) => (typeof p === 'string' ? p : sampleFor(p, resourceTypes))).join(sep);
  }
  return sampleFor(value, resourceTypes);
}

/** Every Kubernetes object that a synthesized template applies with the kubectl handler. */
export function kubernetesObjectsOf(template: Template): KubernetesObject[] {
  const json = template.toJSON() as { Resources?: Record<string, { Type: string }> };
  const resourceTypes = Object.fromEntries(Object.entries(json.Resources ?? {}).map(([id, r]) => [id, r.Type]));
  const resources = template.findResources('Custom::AWSCDK-EKS-KubernetesResource');
  return Object.values(resources).flatMap((r) => JSON.parse(flatten(r.Properties.Manifest, resourceTypes)) as KubernetesObject[]);
}

/** Helm releases a synthesized template installs, with their parsed values. */
export interface HelmRelease {
  readonly chart: string;
  readonly repository?: string;
  readonly version?: string;
  readonly namespace?: string;
  readonly values: Record<string, unknown>;
  readonly skipCrds?: boolean;
}

export function helmReleasesOf(template: Template): HelmRelease[] {
  const resources = template.findResources('Custom::AWSCDK-EKS-HelmChart');
  return Object.values(resources).map((r) => ({
    chart: r.Properties.Chart,
    repository: r.Properties.Repository,
    version: r.Properties.Version,
    namespace: r.Properties.Namespace,
    skipCrds: r.Properties.SkipCrds,
    values: r.Properties.Values ? JSON.parse(flatten(r.Properties.Values)) : {},
  }));
}

/** The Kubernetes objects each kubectl-applied resource of a template holds, by logical id. */
export function kubernetesObjectsByResource(template: Template): Record<string, KubernetesObject[]> {
  const json = template.toJSON() as { Resources?: Record<string, { Type: string }> };
  const resourceTypes = Object.fromEntries(Object.entries(json.Resources ?? {}).map(([id, r]) => [id, r.Type]));
  const resources = template.findResources('Custom::AWSCDK-EKS-KubernetesResource');
  return Object.fromEntries(Object.entries(resources).map(([id, r]) => [id, JSON.parse(flatten(r.Properties.Manifest, resourceTypes)) as KubernetesObject[]]));
}
