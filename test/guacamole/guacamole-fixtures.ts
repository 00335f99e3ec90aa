import * as fs from 'fs';
import { KubectlV35Layer } from '@aws-cdk/lambda-layer-kubectl-v35';
import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as eks from 'aws-cdk-lib/aws-eks';
import * as eksv2 from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { KubernetesObject } from '../support/kubernetes-schemas';
import { referencePath } from '../support/reference';

/**
 * Stacks, clusters and upstream lists shared by the Guacamole tests.
 */

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
export const HOSTNAME = 'desktops.example.com';
export const CERTIFICATE_ARN = `arn:aws:acm:${REGION}:${ACCOUNT}:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789`;

export function newStack(): Stack {
  const app = new App({ context: { '@aws-cdk/aws-eks:useNativeOidcProvider': true } });
  return new Stack(app, 'Test', { env: { account: ACCOUNT, region: REGION } });
}

/** A VPC with explicit zones (no lookup) and an `aws-eks-v2` cluster as the cluster L3 creates it. */
export function v2Cluster(stack: Stack): { cluster: eksv2.Cluster; vpc: ec2.Vpc } {
  const vpc = new ec2.Vpc(stack, 'Vpc', { availabilityZones: [`${REGION}a`, `${REGION}b`, `${REGION}c`], natGateways: 1 });
  const cluster = new eksv2.Cluster(stack, 'Cluster', {
    version: eksv2.KubernetesVersion.V1_35,
    vpc,
    kubectlProviderOptions: { kubectlLayer: new KubectlV35Layer(stack, 'Kubectl') },
    defaultCapacity: 0,
    defaultCapacityType: eksv2.DefaultCapacityType.NODEGROUP,
    // The gateway needs the load balancer controller and Fargate profiles for its namespaces.
    albController: { version: eksv2.AlbControllerVersion.V3_2_2 },
  });
  for (const namespace of ['guacamole', 'external-secrets']) {
    cluster.addFargateProfile(namespace, { selectors: [{ namespace }] });
  }
  return { cluster, vpc };
}

/** An encrypted EFS file system in the VPC, as the cluster L3 creates it. */
export function fileSystem(stack: Stack, vpc: ec2.IVpc): efs.FileSystem {
  return new efs.FileSystem(stack, 'FileSystem', { vpc, encrypted: true, allowAnonymousAccess: true });
}

/** A cheap imported cluster, for tests that fail before synthesis. */
export function importedCluster(stack: Stack): eks.ICluster {
  const vpc = new ec2.Vpc(stack, 'Vpc', { availabilityZones: [`${REGION}a`, `${REGION}b`], natGateways: 1 });
  return eks.Cluster.fromClusterAttributes(stack, 'Cluster', {
    clusterName: 'imported',
    vpc,
    clusterSecurityGroupId: 'sg-0123456789abcdef0',
    kubectlRoleArn: `arn:aws:iam::${ACCOUNT}:role/kubectl`,
    kubectlLayer: new KubectlV35Layer(stack, 'Kubectl'),
    openIdConnectProvider: iam.OpenIdConnectProvider.fromOpenIdConnectProviderArn(stack, 'Oidc',
      `arn:aws:iam::${ACCOUNT}:oidc-provider/oidc.eks.${REGION}.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE`),
  });
}

/**
 * Environment variable names the guacamole/guacamole 1.6.0 image reads: the names of the
 * DERIVED list, the `<PREFIX>ENABLED` switch of every extension prefix its header lists, and
 * REMOTE_IP_VALVE_ENABLED. Undefined when the reference folder is absent.
 */
export function guacamoleEnvironmentNames(): Set<string> | undefined {
  const file = referencePath('guacamole-manual', '1.6.0', 'DERIVED-docker-env-vars.tsv');
  if (!file) return undefined;
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const names = new Set<string>();
  for (const line of lines) {
    if (line.startsWith('#')) {
      const prefixes = /\(([A-Z_, ]+)\)/.exec(line);
      if (prefixes && line.includes('ENABLED')) {
        for (const prefix of prefixes[1].split(',').map((p) => p.trim()).filter((p) => p.endsWith('_'))) names.add(`${prefix}ENABLED`);
      }
      if (line.includes('REMOTE_IP_VALVE_ENABLED')) names.add('REMOTE_IP_VALVE_ENABLED');
      continue;
    }
    const name = line.split('\t')[0];
    if (/^[A-Z][A-Z0-9_]*$/.test(name)) names.add(name);
  }
  return names;
}

/** Ingress annotation names the AWS Load Balancer Controller v3.5.0 documents (names ending in '.' are prefixes). */
export function albAnnotationNames(): string[] | undefined {
  const file = referencePath('aws-load-balancer-controller', 'v3.5.0', 'DERIVED-ingress-annotations.txt');
  if (!file) return undefined;
  return fs.readFileSync(file, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
}

/** Annotation names (of the ALB controller's domain) that the upstream list does not document. */
export function undocumentedAlbAnnotations(annotations: Record<string, string>, documented: string[]): string[] {
  return Object.keys(annotations)
    .filter((name) => name.startsWith('alb.ingress.kubernetes.io/'))
    .filter((name) => !documented.some((d) => (d.endsWith('.') ? name.startsWith(d) && name.length > d.length : name === d)));
}

/** Kinds without an upstream schema in ../shared/reference (external CRDs): checked field by field instead. */
export const KINDS_WITHOUT_SCHEMA = ['external-secrets.io/v1/SecretStore', 'external-secrets.io/v1/ExternalSecret', 'vpcresources.k8s.aws/v1beta1/SecurityGroupPolicy'];

export function gvk(obj: KubernetesObject): string {
  return `${obj.apiVersion}/${obj.kind}`;
}

/** Typed view of the parts of a pod template the tests read. */
export interface PodTemplateView {
  readonly metadata: { readonly labels: Record<string, string> };
  readonly spec: {
    readonly securityContext: Record<string, unknown>;
    readonly automountServiceAccountToken?: boolean;
    readonly containers: ContainerView[];
    readonly initContainers?: ContainerView[];
    readonly volumes?: Array<{ name: string; emptyDir?: unknown; persistentVolumeClaim?: { claimName: string } }>;
  };
}

export interface ContainerView {
  readonly name: string;
  readonly image: string;
  readonly command?: string[];
  readonly env?: Array<{ name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }>;
  readonly securityContext: Record<string, unknown>;
  readonly resources: { requests: Record<string, string>; limits: Record<string, string> };
  readonly readinessProbe?: unknown;
  readonly livenessProbe?: unknown;
  readonly startupProbe?: unknown;
  readonly volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
}

/** The pod template of a Deployment, Job or CronJob. */
export function podTemplateOf(obj: KubernetesObject): PodTemplateView {
  const spec = obj.spec as { template?: PodTemplateView; jobTemplate?: { spec: { template: PodTemplateView } } };
  return spec.jobTemplate ? spec.jobTemplate.spec.template : spec.template!;
}

export function find(objects: KubernetesObject[], kind: string, name: string): KubernetesObject {
  const found = objects.find((o) => o.kind === kind && o.metadata?.name === name);
  if (!found) throw new Error(`no ${kind}/${name} among ${objects.map((o) => `${o.kind}/${o.metadata?.name}`).join(', ')}`);
  return found;
}
