import * as fs from 'fs';
import { KubectlV35Layer } from '@aws-cdk/lambda-layer-kubectl-v35';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks';
import * as eksv2 from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { parse } from 'yaml';
import { requireReferenceFile } from '../support/reference';

/**
 * Clusters of every supported kind, and a resolver that turns a synthesized CloudFormation
 * value into plain JSON with readable placeholders, so tests can compare whole policy
 * statements and Helm values instead of poking at intrinsic functions.
 */

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
export const IMPORTED_CLUSTER_NAME = 'imported-cluster';
export const OIDC_PROVIDER_ARN = `arn:aws:iam::${ACCOUNT}:oidc-provider/oidc.eks.${REGION}.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE`;

export function newStack(): Stack {
  // The native OIDC provider is what new apps get; it also silences a deprecation warning.
  const app = new App({ context: { '@aws-cdk/aws-eks:useNativeOidcProvider': true } });
  return new Stack(app, 'Test', { env: { account: ACCOUNT, region: REGION } });
}

/** A VPC with explicit zones, so that a concrete-env stack does no AZ lookup. */
function vpc(stack: Stack): ec2.Vpc {
  return new ec2.Vpc(stack, 'Vpc', { availabilityZones: [`${REGION}a`, `${REGION}b`, `${REGION}c`], natGateways: 1 });
}

/** An `aws-eks-v2` cluster as the cluster L3 creates it: no Auto Mode, no default capacity. */
export function v2Cluster(stack: Stack): eksv2.Cluster {
  return new eksv2.Cluster(stack, 'Cluster', {
    version: eksv2.KubernetesVersion.V1_35,
    vpc: vpc(stack),
    kubectlProviderOptions: { kubectlLayer: new KubectlV35Layer(stack, 'Kubectl') },
    defaultCapacity: 0,
    defaultCapacityType: eksv2.DefaultCapacityType.NODEGROUP,
  });
}

/** An `aws-eks` (v1) cluster; `authenticationMode` undefined means the module's CONFIG_MAP default. */
export function v1Cluster(stack: Stack, authenticationMode?: eks.AuthenticationMode): eks.Cluster {
  return new eks.Cluster(stack, 'Cluster', {
    version: eks.KubernetesVersion.V1_35,
    vpc: vpc(stack),
    kubectlLayer: new KubectlV35Layer(stack, 'Kubectl'),
    defaultCapacity: 0,
    authenticationMode,
  });
}

/** An existing cluster imported into `aws-eks` (v1), with or without its OIDC provider. */
export function importedV1Cluster(stack: Stack, withOidc = true, clusterName = IMPORTED_CLUSTER_NAME): eks.ICluster {
  return eks.Cluster.fromClusterAttributes(stack, 'Cluster', {
    clusterName,
    kubectlRoleArn: `arn:aws:iam::${ACCOUNT}:role/kubectl`,
    kubectlLayer: new KubectlV35Layer(stack, 'Kubectl'),
    openIdConnectProvider: withOidc ? iam.OpenIdConnectProvider.fromOpenIdConnectProviderArn(stack, 'Oidc', OIDC_PROVIDER_ARN) : undefined,
  });
}

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * Resolves a synthesized value against its template:
 * - `Fn::Join` becomes the joined string;
 * - `Fn::GetAtt [X, Value]` of a `Custom::AWSCDKCfnJson` becomes the JSON it resolves to;
 * - `Ref X` / `Fn::GetAtt [X, A]` become `names[X]` (or `${names[X]}.${A}`) when X is named,
 *   `AWS::Partition` becomes `aws`;
 * - any other intrinsic becomes a readable placeholder such as `select(1,split(...))`.
 */
export class Resolver {
  private readonly resources: Record<string, { Type: string; Properties?: Record<string, Json> }>;

  constructor(template: Template, private readonly names: Record<string, string> = {}) {
    this.resources = template.toJSON().Resources;
  }

  /** Logical id of the only resource of `type` whose id starts with `prefix`. */
  public idOf(type: string, prefix: string): string {
    const ids = Object.keys(this.resources).filter((id) => this.resources[id].Type === type && id.startsWith(prefix));
    if (ids.length !== 1) throw new Error(`expected one ${type} starting with ${prefix}, found ${ids.join(', ') || 'none'}`);
    return ids[0];
  }

  public resolve(value: Json): Json {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v));
    if (value === null || typeof value !== 'object') return value;
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === 'Ref') {
      const id = value.Ref as string;
      if (id === 'AWS::Partition') return 'aws';
      return this.names[id] ?? `ref(${id})`;
    }
    if (keys.length === 1 && keys[0] === 'Fn::GetAtt') {
      const [id, attr] = value['Fn::GetAtt'] as [string, string];
      const resource = this.resources[id];
      if (resource?.Type === 'Custom::AWSCDKCfnJson' && attr === 'Value') {
        return JSON.parse(this.text(resource.Properties!.Value)) as Json;
      }
      return `${this.names[id] ?? id}.${attr}`;
    }
    if (keys.length === 1 && keys[0] === 'Fn::Join') return this.text(value);
    if (keys.length === 1 && keys[0].startsWith('Fn::')) {
      const args = value[keys[0]];
      const rendered = (Array.isArray(args) ? args : [args]).map((a) => this.text(a)).join(',');
      return `${keys[0].slice(4).toLowerCase()}(${rendered})`;
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.resolve(v)]));
  }

  /** Resolves a value that must end up as a string. */
  public text(value: Json): string {
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && 'Fn::Join' in value) {
      const [sep, parts] = value['Fn::Join'] as [string, Json[]];
      return parts.map((p) => this.text(p)).join(sep);
    }
    const resolved = this.resolve(value);
    return typeof resolved === 'string' ? resolved : JSON.stringify(resolved);
  }

  /** Resolved properties of a resource. */
  public properties(id: string): Record<string, Json> {
    return this.resolve(this.resources[id].Properties ?? {}) as Record<string, Json>;
  }

  /** Resolved statements of a managed policy, keyed by Sid. */
  public managedPolicyStatements(prefix: string): Record<string, Json> {
    const props = this.properties(this.idOf('AWS::IAM::ManagedPolicy', prefix));
    const document = props.PolicyDocument as { Statement: Array<{ Sid: string } & Record<string, Json>> };
    return Object.fromEntries(document.Statement.map((s) => [s.Sid, s]));
  }
}

/** Upstream chart values (v1.14.1); a missing reference file skips the test (see reference.ts). */
export function upstreamChartValues(): Record<string, unknown> {
  const file = requireReferenceFile('the Helm values check', 'karpenter-provider-aws', 'v1.14.1', 'charts', 'karpenter', 'values.yaml');
  return parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
}

/**
 * Every key path of `values` that upstream's values.yaml does not define. Free-form maps and
 * lists upstream (`annotations: {}`, `resources: {}`, `env: []`) accept anything below them.
 */
export function unknownValuePaths(values: Record<string, unknown>, upstream: Record<string, unknown>, prefix = ''): string[] {
  const problems: string[] = [];
  for (const [key, value] of Object.entries(values)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (!(key in upstream)) {
      problems.push(path);
      continue;
    }
    const known = upstream[key];
    const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
    if (isMap(value) && isMap(known) && Object.keys(known).length > 0) {
      problems.push(...unknownValuePaths(value, known, path));
    }
  }
  return problems;
}
