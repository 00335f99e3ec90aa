import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { EksHelmChartOptions, IEksCluster } from '../../constructs/common/eks-cluster';
import { Karpenter, NodeAccess } from '../../constructs/karpenter/karpenter';
import { helmReleasesOf, kubernetesObjectsOf, validateKubernetesObjects } from '../support/kubernetes-schemas';
import { IMPORTED_CLUSTER_NAME, importedV1Cluster, newStack, Resolver, v1Cluster } from './karpenter-fixtures';

interface RoleMapping {
  readonly rolearn: string;
  readonly username: string;
  readonly groups: string[];
}

/** The role mappings of the aws-auth ConfigMap that a template applies. */
function awsAuthRoleMappings(template: Template, names: Record<string, string>): RoleMapping[] {
  const r = new Resolver(template, names);
  const manifest = JSON.parse(r.text(r.properties(r.idOf('Custom::AWSCDK-EKS-KubernetesResource', 'ClusterAwsAuthmanifest')).Manifest)) as Array<{ data: { mapRoles: string } }>;
  return JSON.parse(manifest[0].data.mapRoles) as RoleMapping[];
}

function nodeRoleNames(template: Template): Record<string, string> {
  const r = new Resolver(template);
  return {
    [r.idOf('AWS::IAM::Role', 'KarpenterWindowsNodeRole')]: 'WindowsNodeRole',
    [r.idOf('AWS::IAM::Role', 'KarpenterLinuxNodeRole')]: 'LinuxNodeRole',
  };
}

/**
 * A cluster known only through `IEksCluster` that reports CONFIG_MAP, as a wrapper around an
 * imported cluster would: the library cannot reach its aws-auth ConfigMap.
 */
class ConfigMapOnlyCluster extends Construct implements IEksCluster {
  public readonly authenticationMode = 'CONFIG_MAP';
  constructor(scope: Construct, id: string, private readonly inner: eks.ICluster) {
    super(scope, id);
  }
  public get clusterName(): string { return this.inner.clusterName; }
  public get clusterArn(): string { return this.inner.clusterArn; }
  public get clusterEndpoint(): string { return this.inner.clusterEndpoint; }
  public get clusterSecurityGroupId(): string { return this.inner.clusterSecurityGroupId; }
  public get vpc(): ec2.IVpc { return this.inner.vpc; }
  public get openIdConnectProvider(): iam.IOpenIdConnectProvider { return this.inner.openIdConnectProvider; }
  public addManifest(id: string, ...manifest: Record<string, unknown>[]): Construct { return this.inner.addManifest(id, ...manifest); }
  public addHelmChart(id: string, options: EksHelmChartOptions): Construct { return this.inner.addHelmChart(id, options); }
  public addCdk8sChart(id: string, chart: Construct): Construct { return this.inner.addCdk8sChart(id, chart); }
}

describe('aws-eks (v1) cluster in CONFIG_MAP mode (the module default)', () => {
  let karpenter: Karpenter;
  let template: Template;
  let r: Resolver;

  beforeAll(() => {
    // GIVEN
    const stack = newStack();
    const cluster = v1Cluster(stack);
    // WHEN
    karpenter = new Karpenter(stack, 'Karpenter', { cluster });
    template = Template.fromStack(stack);
    r = new Resolver(template);
  });

  test('maps the node roles in aws-auth instead of creating access entries', () => {
    expect(karpenter.nodeAccess).toBe(NodeAccess.AWS_AUTH);
    const ours = Object.keys(template.findResources('AWS::EKS::AccessEntry')).filter((id) => id.startsWith('Karpenter'));
    expect(ours).toEqual([]);
  });

  test('the Windows role gets eks:kube-proxy-windows, the Linux role the node groups only', () => {
    const mappings = awsAuthRoleMappings(template, nodeRoleNames(template));
    expect(mappings).toEqual(expect.arrayContaining([
      { rolearn: 'WindowsNodeRole.Arn', username: 'system:node:{{EC2PrivateDNSName}}', groups: ['system:bootstrappers', 'system:nodes', 'eks:kube-proxy-windows'] },
      { rolearn: 'LinuxNodeRole.Arn', username: 'system:node:{{EC2PrivateDNSName}}', groups: ['system:bootstrappers', 'system:nodes'] },
    ]));
  });

  test('the aws-auth ConfigMap is a valid Kubernetes object', () => {
    const objects = kubernetesObjectsOf(template);
    expect(objects.map((o) => `${o.kind}/${o.metadata?.name}`)).toContain('ConfigMap/aws-auth');
    expect(validateKubernetesObjects(objects)).toEqual([]);
  });

  test('the controller is installed after the aws-auth mapping and the CRDs', () => {
    const controllerId = r.idOf('Custom::AWSCDK-EKS-HelmChart', 'ClusterchartKarpentercontroller');
    expect(template.toJSON().Resources[controllerId].DependsOn).toEqual(expect.arrayContaining([
      r.idOf('Custom::AWSCDK-EKS-KubernetesResource', 'ClusterAwsAuthmanifest'),
      r.idOf('Custom::AWSCDK-EKS-HelmChart', 'ClusterchartKarpentercrd'),
    ]));
    expect(helmReleasesOf(template).map((h) => [h.chart, h.repository, h.version, h.skipCrds])).toEqual(expect.arrayContaining([
      ['karpenter-crd', 'oci://public.ecr.aws/karpenter/karpenter-crd', '1.14.1', undefined],
      ['karpenter', 'oci://public.ecr.aws/karpenter/karpenter', '1.14.1', true],
    ]));
  });

  test('forcing ACCESS_ENTRY is rejected with the fix', () => {
    const stack = newStack();
    const cluster = v1Cluster(stack);
    expect(() => new Karpenter(stack, 'Karpenter', { cluster, nodeAccess: NodeAccess.ACCESS_ENTRY }))
      .toThrow(/Karpenter\.nodeAccess: ACCESS_ENTRY needs a cluster that accepts access entries, but this cluster's authenticationMode is CONFIG_MAP.*API_AND_CONFIG_MAP.*NodeAccess\.AWS_AUTH/);
  });

  test('an explicit CONFIG_MAP mode is detected the same way', () => {
    const stack = newStack();
    const cluster = v1Cluster(stack, eks.AuthenticationMode.CONFIG_MAP);
    expect(new Karpenter(stack, 'Karpenter', { cluster }).nodeAccess).toBe(NodeAccess.AWS_AUTH);
  });
});

describe('aws-eks (v1) cluster in API_AND_CONFIG_MAP mode', () => {
  let stack: Stack;
  let karpenter: Karpenter;
  let template: Template;

  beforeAll(() => {
    // GIVEN
    stack = newStack();
    const cluster = v1Cluster(stack, eks.AuthenticationMode.API_AND_CONFIG_MAP);
    // WHEN
    karpenter = new Karpenter(stack, 'Karpenter', { cluster });
    template = Template.fromStack(stack);
  });

  test('uses access entries of the right type for each role, and no aws-auth mapping', () => {
    expect(karpenter.nodeAccess).toBe(NodeAccess.ACCESS_ENTRY);
    const names = { ...nodeRoleNames(template), [new Resolver(template).idOf('Custom::AWSCDK-EKS-Cluster', 'Cluster')]: 'CLUSTER' };
    const r = new Resolver(template, names);
    expect(r.properties(r.idOf('AWS::EKS::AccessEntry', 'KarpenterWindowsNodeAccessEntry'))).toEqual({ ClusterName: 'CLUSTER', PrincipalArn: 'WindowsNodeRole.Arn', Type: 'EC2_WINDOWS' });
    expect(r.properties(r.idOf('AWS::EKS::AccessEntry', 'KarpenterLinuxNodeAccessEntry'))).toEqual({ ClusterName: 'CLUSTER', PrincipalArn: 'LinuxNodeRole.Arn', Type: 'EC2_LINUX' });
    expect(JSON.stringify(template.findResources('Custom::AWSCDK-EKS-KubernetesResource'))).not.toContain('eks:kube-proxy-windows');
  });

  test('forcing AWS_AUTH is allowed while the ConfigMap is still read', () => {
    const other = newStack();
    const cluster = v1Cluster(other, eks.AuthenticationMode.API_AND_CONFIG_MAP);
    const forced = new Karpenter(other, 'Karpenter', { cluster, nodeAccess: NodeAccess.AWS_AUTH });
    expect(forced.nodeAccess).toBe(NodeAccess.AWS_AUTH);
    expect(awsAuthRoleMappings(Template.fromStack(other), nodeRoleNames(Template.fromStack(other))).map((m) => m.rolearn))
      .toEqual(expect.arrayContaining(['WindowsNodeRole.Arn', 'LinuxNodeRole.Arn']));
  });
});

describe('aws-eks (v1) cluster in API mode', () => {
  test('AWS_AUTH is rejected: the ConfigMap is ignored', () => {
    const stack = newStack();
    const cluster = v1Cluster(stack, eks.AuthenticationMode.API);
    expect(() => new Karpenter(stack, 'Karpenter', { cluster, nodeAccess: NodeAccess.AWS_AUTH }))
      .toThrow(/Karpenter\.nodeAccess: AWS_AUTH maps the node roles in the aws-auth ConfigMap, which a cluster in authenticationMode API ignores/);
    const ok = newStack();
    expect(new Karpenter(ok, 'Karpenter', { cluster: v1Cluster(ok, eks.AuthenticationMode.API) }).nodeAccess).toBe(NodeAccess.ACCESS_ENTRY);
  });
});

describe('aws-eks (v1) imported cluster', () => {
  let template: Template;
  let karpenter: Karpenter;

  beforeAll(() => {
    // GIVEN
    const stack = newStack();
    const cluster = importedV1Cluster(stack);
    // WHEN
    karpenter = new Karpenter(stack, 'Karpenter', { cluster });
    template = Template.fromStack(stack);
  });

  test('defaults to access entries on the named cluster', () => {
    expect(karpenter.nodeAccess).toBe(NodeAccess.ACCESS_ENTRY);
    template.hasResourceProperties('AWS::EKS::AccessEntry', { ClusterName: IMPORTED_CLUSTER_NAME, Type: 'EC2_WINDOWS' });
    template.hasResourceProperties('AWS::EKS::AccessEntry', { ClusterName: IMPORTED_CLUSTER_NAME, Type: 'EC2_LINUX' });
  });

  test('with a known cluster name, condition keys are written inline (CfnJson only for the IRSA trust)', () => {
    template.resourceCountIs('Custom::AWSCDKCfnJson', 1);
    const r = new Resolver(template, nodeRoleNames(template));
    const statements = r.managedPolicyStatements('KarpenterNodeLifecyclePolicy') as Record<string, { Condition: Record<string, unknown> }>;
    expect(statements.AllowScopedDeletion.Condition.StringEquals).toEqual({ [`aws:ResourceTag/kubernetes.io/cluster/${IMPORTED_CLUSTER_NAME}`]: 'owned' });
    expect(statements.AllowScopedEC2InstanceActionsWithTags.Condition.StringEquals).toEqual({
      [`aws:RequestTag/kubernetes.io/cluster/${IMPORTED_CLUSTER_NAME}`]: 'owned',
      'aws:RequestTag/eks:eks-cluster-name': IMPORTED_CLUSTER_NAME,
    });
    const iamStatements = r.managedPolicyStatements('KarpenterIAMIntegrationPolicy') as Record<string, { Resource: unknown }>;
    expect(iamStatements.AllowPassingInstanceRole.Resource).toEqual(['WindowsNodeRole.Arn', 'LinuxNodeRole.Arn']);
  });

  test('the queue takes the cluster name, and the IRSA role trusts the given provider', () => {
    template.hasResourceProperties('AWS::SQS::Queue', { QueueName: IMPORTED_CLUSTER_NAME });
    const r = new Resolver(template);
    const trust = r.properties(r.idOf('Custom::AWSCDKCfnJson', 'KarpenterControllerRoleTrustConditions')).Value as string;
    expect(JSON.parse(trust)).toEqual({
      'oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE:aud': 'sts.amazonaws.com',
      'oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE:sub': 'system:serviceaccount:karpenter:karpenter',
    });
  });

  test('both Helm releases go through the imported cluster\'s kubectl provider', () => {
    const releases = helmReleasesOf(template);
    expect(releases.map((h) => h.chart).sort()).toEqual(['karpenter', 'karpenter-crd']);
    expect(releases.find((h) => h.chart === 'karpenter')!.values).toMatchObject({ settings: { clusterName: IMPORTED_CLUSTER_NAME } });
  });

  test('without an OIDC provider: IRSA is impossible, the error says which attribute to pass', () => {
    const stack = newStack();
    const cluster = importedV1Cluster(stack, false);
    expect(() => new Karpenter(stack, 'Karpenter', { cluster })).toThrow(/Karpenter\.cluster: the cluster has no OpenID Connect provider.*Pass `openIdConnectProvider`/);
  });

  test('forcing AWS_AUTH is rejected: an imported cluster\'s aws-auth cannot be extended', () => {
    const stack = newStack();
    const cluster = importedV1Cluster(stack);
    expect(() => new Karpenter(stack, 'Karpenter', { cluster, nodeAccess: NodeAccess.AWS_AUTH }))
      .toThrow(/Karpenter\.nodeAccess: .*not an aws-eks Cluster defined in this app.*Switch the cluster's authenticationMode to API_AND_CONFIG_MAP/);
  });

  test('a CONFIG_MAP cluster without aws-auth access is rejected by default', () => {
    const stack = newStack();
    const cluster = new ConfigMapOnlyCluster(stack, 'Wrapped', importedV1Cluster(stack));
    expect(() => new Karpenter(stack, 'Karpenter', { cluster }))
      .toThrow(/Karpenter\.nodeAccess: the nodes must be mapped in aws-auth.*Switch the cluster's authenticationMode to API_AND_CONFIG_MAP/);
  });
});
