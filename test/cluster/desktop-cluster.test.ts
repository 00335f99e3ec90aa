import * as fs from 'fs';
import * as path from 'path';
import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { DesktopCluster, DesktopClusterProps } from '../../constructs/cluster/desktop-cluster';
import { ValidationError } from '../../constructs/common/validation-error';
import { EKS_ADDON_VERSIONS } from '../../constructs/common/versions';
import { KubernetesObject, kubernetesObjectsOf, validateKubernetesObjects } from '../support/kubernetes-schemas';
import { requireReferenceFile } from '../support/reference';

/** A resource as found in a synthesized template; property values are checked, not trusted. */
type Resource = { Type: string; Properties: Record<string, unknown>; DependsOn?: string[] };

interface PolicyStatementJson {
  readonly Action: string | string[];
  readonly Principal: { readonly Federated?: unknown };
  readonly Condition: { readonly StringEquals: unknown };
}

/** Feature flags of the project's cdk.json (native OIDC provider, ...), so tests see what deploys. */
const FEATURE_FLAGS = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8')).context as Record<string, unknown>;

/** An env-agnostic stack: the default VPC takes its zones from Fn::GetAZs, no lookup. */
function newStack(): Stack {
  return new Stack(new App({ context: FEATURE_FLAGS }), 'Test');
}

function resourcesOf(template: Template, type: string): Record<string, Resource> {
  return template.findResources(type) as Record<string, Resource>;
}

/** The one resource of `type` whose properties match `props`, with its logical id. */
function single(template: Template, type: string, props: Record<string, unknown>): [string, Resource] {
  const found = Object.entries(template.findResources(type, { Properties: props }) as Record<string, Resource>);
  expect(found).toHaveLength(1);
  return found[0];
}

function addon(template: Template, name: string): [string, Resource] {
  return single(template, 'AWS::EKS::Addon', { AddonName: name });
}

/** Logical id of the role an IRSA `Fn::GetAtt` points at. */
function roleIdOf(arn: unknown): string {
  return (arn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
}

/** Text of the trust conditions (a CfnJson) of an IRSA role. */
function trustConditionsOf(template: Template, roleId: string): string {
  const role = resourcesOf(template, 'AWS::IAM::Role')[roleId];
  const statement = (role.Properties.AssumeRolePolicyDocument as { Statement: PolicyStatementJson[] }).Statement[0];
  expect(statement.Action).toBe('sts:AssumeRoleWithWebIdentity');
  expect(statement.Principal.Federated).toBeDefined();
  const cfnJsonId = roleIdOf(statement.Condition.StringEquals);
  return JSON.stringify(resourcesOf(template, 'Custom::AWSCDKCfnJson')[cfnJsonId].Properties.Value);
}

function managedPolicyText(template: Template, roleId: string): string {
  return JSON.stringify(resourcesOf(template, 'AWS::IAM::Role')[roleId].Properties.ManagedPolicyArns);
}

function inlinePolicyText(template: Template, roleId: string): string {
  const policies = Object.values(resourcesOf(template, 'AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(roleId));
  return JSON.stringify(policies.map((p) => p.Properties.PolicyDocument));
}

function expectValidationError(fn: () => unknown, message: RegExp): void {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ValidationError);
  expect((error as ValidationError).message).toMatch(message);
}

function storageClass(objects: KubernetesObject[], name: string): KubernetesObject {
  const found = objects.find((o) => o.kind === 'StorageClass' && o.metadata?.name === name);
  expect(found).toBeDefined();
  return found!;
}

describe('DesktopCluster with defaults', () => {
  let stack: Stack;
  let cluster: DesktopCluster;
  let template: Template;
  let waiter: CfnResource;

  beforeAll(() => {
    // GIVEN
    stack = newStack();
    // WHEN
    cluster = new DesktopCluster(stack, 'Cluster');
    waiter = new CfnResource(stack, 'InstallsKarpenter', { type: 'AWS::CloudFormation::WaitConditionHandle' });
    waiter.node.addDependency(cluster.systemReady);
    template = Template.fromStack(stack);
  });

  test('the API endpoint is private only', () => {
    template.hasResourceProperties('AWS::EKS::Cluster', {
      ResourcesVpcConfig: Match.objectLike({
        EndpointPrivateAccess: true,
        EndpointPublicAccess: false,
        PublicAccessCidrs: Match.absent(),
      }),
    });
  });

  test('the control plane sits in the three private subnets', () => {
    const [, eksCluster] = single(template, 'AWS::EKS::Cluster', {});
    const subnetIds = ((eksCluster.Properties.ResourcesVpcConfig as { SubnetIds: Array<{ Ref: string }> }).SubnetIds).map((s) => s.Ref);
    expect(subnetIds).toHaveLength(3);
    for (const id of subnetIds) expect(id).toMatch(/PrivateSubnet/);
  });

  test('all five control plane log types are on', () => {
    template.hasResourceProperties('AWS::EKS::Cluster', {
      Logging: { ClusterLogging: { EnabledTypes: [{ Type: 'api' }, { Type: 'audit' }, { Type: 'authenticator' }, { Type: 'controllerManager' }, { Type: 'scheduler' }] } },
    });
  });

  test('secrets are envelope-encrypted with a rotated key', () => {
    const [keyId, key] = single(template, 'AWS::KMS::Key', { EnableKeyRotation: true, Description: Match.stringLikeRegexp('Kubernetes secrets') });
    // AWS Control Tower CT.KMS.PR.3: grants only for AWS resources or by AWS services.
    expect((key.Properties.KeyPolicy as { Statement: unknown[] }).Statement).toEqual(expect.arrayContaining([{
      Sid: 'DenyGrantsExceptForAwsServices', Effect: 'Deny', Principal: { AWS: '*' }, Action: 'kms:CreateGrant', Resource: '*',
      Condition: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
    }]));
    template.hasResourceProperties('AWS::EKS::Cluster', {
      EncryptionConfig: [{ Provider: { KeyArn: { 'Fn::GetAtt': [keyId, 'Arn'] } }, Resources: ['secrets'] }],
    });
  });

  test('Auto Mode is off, no node group, only the managed add-ons (no self-managed copies)', () => {
    template.hasResourceProperties('AWS::EKS::Cluster', {
      ComputeConfig: { Enabled: false },
      BootstrapSelfManagedAddons: false,
      Version: '1.35',
      AccessConfig: { AuthenticationMode: 'API' },
    });
    template.resourceCountIs('AWS::EKS::Nodegroup', 0);
    template.resourceCountIs('AWS::AutoScaling::AutoScalingGroup', 0);
  });

  test('the cluster role has AmazonEKSVPCResourceController (Windows IPAM)', () => {
    const [, eksCluster] = single(template, 'AWS::EKS::Cluster', {});
    const policies = managedPolicyText(template, roleIdOf(eksCluster.Properties.RoleArn));
    expect(policies).toMatch(/:iam::aws:policy\/AmazonEKSClusterPolicy"/);
    expect(policies).toMatch(/:iam::aws:policy\/AmazonEKSVPCResourceController"/);
  });

  test('karpenter and kube-system run on Fargate in the private subnets', () => {
    const profiles = Object.values(resourcesOf(template, 'AWS::EKS::FargateProfile'));
    expect(profiles.map((p) => p.Properties.Selectors)).toEqual([
      [{ Namespace: 'karpenter', Labels: [] }],
      [{ Namespace: 'kube-system', Labels: [] }],
    ]);
    for (const p of profiles) {
      expect(p.Properties.Subnets).toHaveLength(3);
      for (const s of p.Properties.Subnets as Array<{ Ref: string }>) expect(s.Ref).toMatch(/PrivateSubnet/);
    }
    expect(cluster.fargateProfiles).toHaveLength(2);
    expect(cluster.karpenterNamespace).toBe('karpenter');
  });

  test('vpc-cni is pinned with Windows IPAM and network policy enforcement on, as strings', () => {
    const [, vpcCni] = addon(template, 'vpc-cni');
    expect(vpcCni.Properties.AddonVersion).toBe(EKS_ADDON_VERSIONS.vpcCni);
    expect(JSON.parse(vpcCni.Properties.ConfigurationValues as string)).toEqual({ enableWindowsIpam: 'true', enableNetworkPolicy: 'true' });
    expect(vpcCni.Properties.ResolveConflicts).toBe('OVERWRITE');
  });

  test('kube-proxy and the pod identity agent are pinned, once each', () => {
    expect(addon(template, 'kube-proxy')[1].Properties.AddonVersion).toBe(EKS_ADDON_VERSIONS.kubeProxy);
    expect(addon(template, 'eks-pod-identity-agent')[1].Properties.AddonVersion).toBe(EKS_ADDON_VERSIONS.podIdentityAgent);
  });

  test('CoreDNS runs on Fargate through the add-on configuration, after the kube-system profile', () => {
    const [, coreDns] = addon(template, 'coredns');
    expect(coreDns.Properties.AddonVersion).toBe(EKS_ADDON_VERSIONS.coreDns);
    expect(JSON.parse(coreDns.Properties.ConfigurationValues as string)).toEqual({ computeType: 'Fargate' });
    const [kubeSystemProfile] = single(template, 'AWS::EKS::FargateProfile', { FargateProfileName: 'kube-system' });
    expect(coreDns.DependsOn).toEqual(expect.arrayContaining([kubeSystemProfile]));
  });

  test('no kubectl patch of CoreDNS fights the add-on', () => {
    template.resourceCountIs('Custom::AWSCDK-EKS-KubernetesPatch', 0);
  });

  test('the EBS CSI driver has the Windows node DaemonSet and an IRSA role for its controller', () => {
    const [, ebs] = addon(template, 'aws-ebs-csi-driver');
    expect(ebs.Properties.AddonVersion).toBe(EKS_ADDON_VERSIONS.ebsCsi);
    expect(JSON.parse(ebs.Properties.ConfigurationValues as string)).toEqual({ node: { enableWindows: true } });
    const roleId = roleIdOf(ebs.Properties.ServiceAccountRoleArn);
    expect(managedPolicyText(template, roleId)).toMatch(/:iam::aws:policy\/service-role\/AmazonEBSCSIDriverPolicy"/);
    const conditions = trustConditionsOf(template, roleId);
    expect(conditions).toContain(':sub\\":\\"system:serviceaccount:kube-system:ebs-csi-controller-sa\\"');
    expect(conditions).toContain(':aud\\":\\"sts.amazonaws.com\\"');
    const [kubeSystemProfile] = single(template, 'AWS::EKS::FargateProfile', { FargateProfileName: 'kube-system' });
    expect(ebs.DependsOn).toEqual(expect.arrayContaining([kubeSystemProfile]));
  });

  test('VPC flow logs go to a log group encrypted with a rotated key that CloudWatch Logs may use', () => {
    const [keyId, key] = single(template, 'AWS::KMS::Key', { Description: 'Encryption of the desktop VPC flow logs' });
    expect(key.Properties.EnableKeyRotation).toBe(true);
    const [logGroupId] = single(template, 'AWS::Logs::LogGroup', { KmsKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    template.hasResourceProperties('AWS::EC2::FlowLog', { LogGroupName: { Ref: logGroupId }, TrafficType: 'ALL' });
    expect(JSON.stringify(key.Properties.KeyPolicy)).toContain('kms:EncryptionContext:aws:logs:arn');
  });

  test('EFS and Mountpoint S3 are off by default', () => {
    template.resourceCountIs('AWS::EFS::FileSystem', 0);
    expect(template.findResources('AWS::EKS::Addon', { Properties: { AddonName: Match.stringLikeRegexp('efs|mountpoint') } })).toEqual({});
    expect(cluster.efsFileSystem).toBeUndefined();
  });

  test('the VPC spans three zones; private subnets carry the Karpenter discovery tag', () => {
    const subnets = Object.values(resourcesOf(template, 'AWS::EC2::Subnet'));
    const tagsOf = (s: Resource) => Object.fromEntries((s.Properties.Tags as Array<{ Key: string; Value: string }>).map((t) => [t.Key, t.Value]));
    const isPublic = (s: Resource) => tagsOf(s)['aws-cdk:subnet-type'] === 'Public';
    const privateSubnets = subnets.filter((s) => !isPublic(s));
    const publicSubnets = subnets.filter(isPublic);
    // No subnet hands out public addresses (AWS Control Tower CT.EC2.PR.11): NAT gateways have Elastic IPs.
    expect(subnets.every((s) => s.Properties.MapPublicIpOnLaunch === false)).toBe(true);
    expect(privateSubnets).toHaveLength(3);
    expect(publicSubnets).toHaveLength(3);
    expect(new Set(privateSubnets.map((s) => JSON.stringify(s.Properties.AvailabilityZone))).size).toBe(3);
    for (const s of privateSubnets) {
      expect(tagsOf(s)).toMatchObject({ 'karpenter.sh/discovery': cluster.clusterName, 'kubernetes.io/role/internal-elb': '1' });
    }
    for (const s of publicSubnets) {
      expect(tagsOf(s)).toMatchObject({ 'kubernetes.io/role/elb': '1' });
      expect(tagsOf(s)['karpenter.sh/discovery']).toBeUndefined();
    }
    template.resourceCountIs('AWS::EC2::NatGateway', 3);
  });

  test('VPC flow logs are on (AwsSolutions-VPC7)', () => {
    const [vpcId] = Object.keys(resourcesOf(template, 'AWS::EC2::VPC'));
    template.hasResourceProperties('AWS::EC2::FlowLog', { ResourceId: { Ref: vpcId }, ResourceType: 'VPC', TrafficType: 'ALL' });
  });

  test('the cluster name is generated at synth time and valid for EKS', () => {
    template.hasResourceProperties('AWS::EKS::Cluster', { Name: cluster.clusterName });
    expect(cluster.clusterName).toMatch(/^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/);
    expect(cluster.kubernetesVersion).toBe('1.35');
  });

  test('the kubectl handler uses the bundled 1.35 layer', () => {
    const [layerId] = single(template, 'AWS::Lambda::LayerVersion', { Description: Match.stringLikeRegexp('kubectl 1\\.35') });
    template.hasResourceProperties('AWS::Lambda::Function', { Layers: Match.arrayWith([{ Ref: layerId }]) });
  });

  test('the default StorageClass is encrypted gp3, applied after the EBS CSI add-on', () => {
    const objects = kubernetesObjectsOf(template);
    expect(objects.length).toBeGreaterThan(0);
    expect(validateKubernetesObjects(objects)).toEqual([]);
    const gp3 = storageClass(objects, 'gp3');
    expect(gp3.metadata?.annotations).toEqual({ 'storageclass.kubernetes.io/is-default-class': 'true' });
    expect(gp3).toMatchObject({
      provisioner: 'ebs.csi.aws.com',
      parameters: { type: 'gp3', encrypted: 'true' },
      volumeBindingMode: 'WaitForFirstConsumer',
      allowVolumeExpansion: true,
      reclaimPolicy: 'Delete',
    });
    expect(cluster.storageClassName).toBe('gp3');
    const [ebsId] = addon(template, 'aws-ebs-csi-driver');
    const manifests = Object.values(resourcesOf(template, 'Custom::AWSCDK-EKS-KubernetesResource'))
      .filter((r) => JSON.stringify(r.Properties.Manifest).includes('StorageClass'));
    expect(manifests).toHaveLength(1);
    expect(manifests[0].DependsOn).toEqual(expect.arrayContaining([ebsId]));
  });

  test('the load balancer controller gets region and VPC id (no IMDS on Fargate) and waits for CoreDNS', () => {
    const charts = Object.values(resourcesOf(template, 'Custom::AWSCDK-EKS-HelmChart'))
      .filter((r) => r.Properties.Chart === 'aws-load-balancer-controller');
    expect(charts).toHaveLength(1);
    expect(charts[0].Properties.Namespace).toBe('kube-system');
    const values = JSON.stringify(charts[0].Properties.Values);
    expect(values).toContain('\\"region\\":\\"');
    expect(values).toContain('{"Ref":"AWS::Region"}');
    const [vpcId] = Object.keys(resourcesOf(template, 'AWS::EC2::VPC'));
    expect(values).toContain('\\"vpcId\\":\\"');
    expect(values).toContain(`{"Ref":"${vpcId}"}`);
    const [coreDnsId] = addon(template, 'coredns');
    expect(charts[0].DependsOn).toEqual(expect.arrayContaining([coreDnsId]));
  });

  test('systemReady covers CoreDNS and the Karpenter Fargate profile', () => {
    const [coreDnsId] = addon(template, 'coredns');
    const [karpenterProfileId] = single(template, 'AWS::EKS::FargateProfile', { FargateProfileName: 'karpenter' });
    const waiterResource = template.findResources('AWS::CloudFormation::WaitConditionHandle')[stack.getLogicalId(waiter)];
    expect(waiterResource.DependsOn).toEqual(expect.arrayContaining([coreDnsId, karpenterProfileId]));
  });

  test('no warning about unpinned add-ons on the default version', () => {
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('pinned for Kubernetes'));
  });

  test('no access entry beyond the kubectl handler', () => {
    template.resourceCountIs('AWS::EKS::AccessEntry', 1);
  });

  test('every AWS::EKS::Addon property used exists in the registry schema', () => {
    const file = requireReferenceFile('the EKS add-on property check', 'terraform-provider-awscc', 'v1.97.0-f995d4f4', 'internal', 'service', 'cloudformation', 'schemas', 'AWS_EKS_Addon.json');
    const schema = JSON.parse(fs.readFileSync(file, 'utf8')) as { properties: Record<string, { enum?: string[] }> };
    const addons = Object.values(resourcesOf(template, 'AWS::EKS::Addon'));
    expect(addons).toHaveLength(5);
    for (const a of addons) {
      for (const key of Object.keys(a.Properties)) expect(Object.keys(schema.properties)).toContain(key);
      expect(schema.properties.ResolveConflicts.enum).toContain(a.Properties.ResolveConflicts);
    }
  });
});

describe('DesktopCluster with a public endpoint and admin roles', () => {
  let stack: Stack;
  let template: Template;

  beforeAll(() => {
    // GIVEN
    stack = newStack();
    const admin = new iam.Role(stack, 'Admin', { assumedBy: new iam.AccountRootPrincipal() });
    // WHEN
    new DesktopCluster(stack, 'Cluster', {
      clusterName: 'desktops',
      publicEndpointCidrs: ['203.0.113.0/24', '198.51.100.7/32'],
      adminRoles: [admin],
    });
    template = Template.fromStack(stack);
  });

  test('the public endpoint is limited to the given CIDR blocks; the private one stays', () => {
    template.hasResourceProperties('AWS::EKS::Cluster', {
      Name: 'desktops',
      ResourcesVpcConfig: Match.objectLike({
        EndpointPrivateAccess: true,
        EndpointPublicAccess: true,
        PublicAccessCidrs: ['203.0.113.0/24', '198.51.100.7/32'],
      }),
    });
  });

  test('admin roles get AmazonEKSClusterAdminPolicy on the whole cluster', () => {
    const [adminId] = Object.keys(template.findResources('AWS::IAM::Role', { Properties: { AssumeRolePolicyDocument: Match.objectLike({ Statement: [Match.objectLike({ Principal: { AWS: Match.anyValue() } })] }) } }));
    template.hasResourceProperties('AWS::EKS::AccessEntry', {
      PrincipalArn: { 'Fn::GetAtt': [adminId, 'Arn'] },
      AccessPolicies: [{
        AccessScope: { Type: 'cluster' },
        PolicyArn: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy']] },
      }],
    });
  });

  test('no warning for a restricted endpoint', () => {
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('0\\.0\\.0\\.0/0'));
  });

  test('an empty CIDR list keeps the endpoint private (never open to all)', () => {
    const closed = newStack();
    new DesktopCluster(closed, 'Cluster', { publicEndpointCidrs: [] });
    Template.fromStack(closed).hasResourceProperties('AWS::EKS::Cluster', {
      ResourcesVpcConfig: Match.objectLike({ EndpointPrivateAccess: true, EndpointPublicAccess: false, PublicAccessCidrs: Match.absent() }),
    });
  });

  test('an endpoint open to 0.0.0.0/0 is allowed but warned about', () => {
    const open = newStack();
    new DesktopCluster(open, 'Cluster', { publicEndpointCidrs: ['0.0.0.0/0'] });
    Annotations.fromStack(open).hasWarning('/Test/Cluster', Match.stringLikeRegexp('publicEndpointCidrs contains 0\\.0\\.0\\.0/0'));
  });
});

describe('DesktopCluster with every option', () => {
  let stack: Stack;
  let cluster: DesktopCluster;
  let template: Template;
  let bucketId: string;
  let volumeKeyId: string;

  beforeAll(() => {
    // GIVEN
    stack = newStack();
    const bucket = new s3.Bucket(stack, 'Recordings');
    const volumeKey = new kms.Key(stack, 'VolumeKey', { enableKeyRotation: true });
    bucketId = stack.getLogicalId(bucket.node.defaultChild as s3.CfnBucket);
    volumeKeyId = stack.getLogicalId(volumeKey.node.defaultChild as kms.CfnKey);
    // WHEN
    cluster = new DesktopCluster(stack, 'Cluster', {
      natGateways: 1,
      availabilityZones: ['us-east-1a', 'us-east-1b'],
      systemNamespaces: ['guacamole', 'external-secrets'],
      efsCsi: true,
      mountpointS3Csi: { buckets: [bucket] },
      volumeEncryptionKey: volumeKey,
      addonVersions: { coreDns: 'v1.13.2-eksbuild.9' },
      albController: false,
      windowsManagedNodeGroup: { windowsVersion: '2025', maxSize: 5 },
    });
    template = Template.fromStack(stack);
  });

  test('one NAT gateway over the two given zones', () => {
    template.resourceCountIs('AWS::EC2::NatGateway', 1);
    const zones = Object.values(resourcesOf(template, 'AWS::EC2::Subnet')).map((s) => s.Properties.AvailabilityZone);
    expect(new Set(zones)).toEqual(new Set(['us-east-1a', 'us-east-1b']));
  });

  test('each system namespace gets its own Fargate profile', () => {
    const names = Object.values(resourcesOf(template, 'AWS::EKS::FargateProfile')).map((p) => (p.Properties.Selectors as Array<{ Namespace: string }>)[0].Namespace);
    expect(names).toEqual(['karpenter', 'kube-system', 'guacamole', 'external-secrets']);
    expect(cluster.fargateProfiles).toHaveLength(4);
  });

  test('an add-on version override wins over the pin', () => {
    expect(addon(template, 'coredns')[1].Properties.AddonVersion).toBe('v1.13.2-eksbuild.9');
  });

  test('no load balancer controller when switched off', () => {
    expect(Object.values(resourcesOf(template, 'Custom::AWSCDK-EKS-HelmChart')).filter((r) => r.Properties.Chart === 'aws-load-balancer-controller')).toEqual([]);
  });

  test('EFS is encrypted, in the private subnets, reachable on NFS from the cluster security group only', () => {
    const [fsId] = single(template, 'AWS::EFS::FileSystem', { Encrypted: true });
    const mountTargets = Object.values(resourcesOf(template, 'AWS::EFS::MountTarget'));
    expect(mountTargets).toHaveLength(2);
    const [sgRef] = mountTargets[0].Properties.SecurityGroups as Array<{ 'Fn::GetAtt': [string, string] }>;
    const sg = resourcesOf(template, 'AWS::EC2::SecurityGroup')[sgRef['Fn::GetAtt'][0]];
    const [clusterId] = Object.keys(resourcesOf(template, 'AWS::EKS::Cluster'));
    expect(sg.Properties.SecurityGroupIngress).toEqual([{
      Description: 'NFS from the EKS cluster security group',
      FromPort: 2049,
      ToPort: 2049,
      IpProtocol: 'tcp',
      SourceSecurityGroupId: { 'Fn::GetAtt': [clusterId, 'ClusterSecurityGroupId'] },
    }]);
    for (const mt of mountTargets) {
      expect(mt.Properties.FileSystemId).toEqual({ Ref: fsId });
      expect((mt.Properties.SubnetId as { Ref: string }).Ref).toMatch(/PrivateSubnet/);
    }
    expect(cluster.efsFileSystem).toBeDefined();
  });

  test('the EFS CSI driver runs unprivileged (Fargate) with an IRSA role for its controller', () => {
    const [, efsAddon] = addon(template, 'aws-efs-csi-driver');
    expect(efsAddon.Properties.AddonVersion).toBe(EKS_ADDON_VERSIONS.efsCsi);
    expect(JSON.parse(efsAddon.Properties.ConfigurationValues as string)).toEqual({ controller: { containerSecurityContext: { privileged: false } } });
    const roleId = roleIdOf(efsAddon.Properties.ServiceAccountRoleArn);
    expect(managedPolicyText(template, roleId)).toMatch(/service-role\/AmazonEFSCSIDriverPolicy"/);
    expect(trustConditionsOf(template, roleId)).toContain('system:serviceaccount:kube-system:efs-csi-controller-sa');
  });

  test('Mountpoint S3 may read and write the given bucket only', () => {
    const [, s3Addon] = addon(template, 'aws-mountpoint-s3-csi-driver');
    expect(s3Addon.Properties.AddonVersion).toBe(EKS_ADDON_VERSIONS.mountpointS3Csi);
    const roleId = roleIdOf(s3Addon.Properties.ServiceAccountRoleArn);
    expect(trustConditionsOf(template, roleId)).toContain('system:serviceaccount:kube-system:s3-csi-driver-sa');
    const statements = JSON.parse(inlinePolicyText(template, roleId))[0].Statement as Array<{ Action: string | string[]; Resource: unknown }>;
    expect(statements).toEqual([
      { Action: 's3:ListBucket', Effect: 'Allow', Resource: { 'Fn::GetAtt': [bucketId, 'Arn'] } },
      {
        Action: ['s3:AbortMultipartUpload', 's3:DeleteObject', 's3:GetObject', 's3:PutObject'],
        Effect: 'Allow',
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/*']] },
      },
    ]);
  });

  test('the EBS CSI controller may use the volume key through grants for AWS resources only', () => {
    const [, ebs] = addon(template, 'aws-ebs-csi-driver');
    const policy = inlinePolicyText(template, roleIdOf(ebs.Properties.ServiceAccountRoleArn));
    expect(policy).toContain('"Action":["kms:CreateGrant","kms:ListGrants","kms:RevokeGrant"],"Condition":{"Bool":{"kms:GrantIsForAWSResource":"true"}}');
    expect(policy).toContain(`"Resource":{"Fn::GetAtt":["${volumeKeyId}","Arn"]}`);
  });

  test('storage classes: gp3 with the volume key, efs on the file system', () => {
    const objects = kubernetesObjectsOf(template);
    expect(objects.length).toBeGreaterThan(1);
    expect(validateKubernetesObjects(objects)).toEqual([]);
    expect(storageClass(objects, 'gp3').parameters).toEqual({ type: 'gp3', encrypted: 'true', kmsKeyId: 'TOKEN' });
    expect(storageClass(objects, 'efs')).toMatchObject({
      provisioner: 'efs.csi.aws.com',
      parameters: { provisioningMode: 'efs-ap', fileSystemId: 'TOKEN', directoryPerms: '700' },
    });
    const [fsId] = Object.keys(resourcesOf(template, 'AWS::EFS::FileSystem'));
    const manifest = Object.values(resourcesOf(template, 'Custom::AWSCDK-EKS-KubernetesResource')).find((r) => JSON.stringify(r.Properties.Manifest).includes('efs.csi.aws.com'));
    expect(JSON.stringify(manifest?.Properties.Manifest)).toContain(`{"Ref":"${fsId}"}`);
    expect(JSON.stringify(manifest?.Properties.Manifest)).toContain(`{"Fn::GetAtt":["${volumeKeyId}","Arn"]}`);
    expect(cluster.efsStorageClassName).toBe('efs');
  });

  test('a Windows Server 2025 managed node group, created after vpc-cni', () => {
    const [vpcCniId] = addon(template, 'vpc-cni');
    const [, nodegroup] = single(template, 'AWS::EKS::Nodegroup', { AmiType: 'WINDOWS_CORE_2025_x86_64' });
    expect(nodegroup.Properties.ScalingConfig).toEqual({ MinSize: 1, DesiredSize: 1, MaxSize: 5 });
    expect(nodegroup.DependsOn).toEqual(expect.arrayContaining([vpcCniId]));
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({ MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1 } }),
    });
    expect(cluster.windowsNodeGroup?.amiType).toBe('WINDOWS_CORE_2025_x86_64');
  });
});

describe('DesktopCluster on an existing VPC', () => {
  test('tags the private subnets of a VPC defined in the app', () => {
    // GIVEN
    const stack = newStack();
    const vpc = new ec2.Vpc(stack, 'Existing', { maxAzs: 2, natGateways: 1 });
    // WHEN
    const cluster = new DesktopCluster(stack, 'Cluster', { vpc, clusterName: 'existing' });
    // THEN
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::EC2::VPC', 1);
    const tagged = Object.values(resourcesOf(template, 'AWS::EC2::Subnet'))
      .filter((s) => (s.Properties.Tags as Array<{ Key: string; Value: string }>).some((t) => t.Key === 'karpenter.sh/discovery' && t.Value === 'existing'));
    expect(tagged).toHaveLength(2);
    expect(cluster.vpc).toBe(vpc);
  });

  test('warns that imported subnets must be tagged by hand', () => {
    // GIVEN
    const stack = newStack();
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Imported', {
      vpcId: 'vpc-0123456789abcdef0',
      availabilityZones: ['us-east-1a', 'us-east-1b'],
      privateSubnetIds: ['subnet-0aaaaaaaaaaaaaaaa', 'subnet-0bbbbbbbbbbbbbbbb'],
    });
    // WHEN
    new DesktopCluster(stack, 'Cluster', { vpc });
    // THEN
    Annotations.fromStack(stack).hasWarning('/Test/Cluster', Match.stringLikeRegexp('Cannot tag imported private subnets subnet-0aaaaaaaaaaaaaaaa, subnet-0bbbbbbbbbbbbbbbb: add the tags karpenter\\.sh/discovery='));
  });
});

describe('DesktopCluster on Kubernetes 1.34', () => {
  test('uses the 1.34 kubectl layer, leaves add-ons to EKS defaults and warns', () => {
    // GIVEN
    const stack = newStack();
    // WHEN
    new DesktopCluster(stack, 'Cluster', { kubernetesVersion: eks.KubernetesVersion.V1_34, addonVersions: { vpcCni: 'v1.21.1-eksbuild.1' } });
    // THEN
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::EKS::Cluster', { Version: '1.34' });
    single(template, 'AWS::Lambda::LayerVersion', { Description: Match.stringLikeRegexp('kubectl 1\\.34') });
    expect(addon(template, 'kube-proxy')[1].Properties.AddonVersion).toBeUndefined();
    expect(addon(template, 'vpc-cni')[1].Properties.AddonVersion).toBe('v1.21.1-eksbuild.1');
    Annotations.fromStack(stack).hasWarning('/Test/Cluster', Match.stringLikeRegexp('pinned for Kubernetes 1\\.35 only; on 1\\.34, kubeProxy, podIdentityAgent, coreDns, ebsCsi get EKS'));
  });
});

describe('DesktopCluster rejects bad input', () => {
  let n = 0;
  const make = (props: DesktopClusterProps) => () => new DesktopCluster(newStack(), `Cluster${n++}`, props);

  test('a bad cluster name', () => {
    expectValidationError(make({ clusterName: '-desktops' }), /DesktopCluster\.clusterName: "-desktops" is not a valid EKS cluster name/);
    expectValidationError(make({ clusterName: 'my cluster' }), /clusterName: "my cluster"/);
    expectValidationError(make({ clusterName: 'a'.repeat(101) }), /clusterName: "a{101}"/);
    expectValidationError(make({ clusterName: '' }), /clusterName: ""/);
  });

  test('a bad, reserved, duplicate or excess system namespace', () => {
    expectValidationError(make({ systemNamespaces: ['Guacamole'] }), /systemNamespaces\[0\]: "Guacamole" is not a valid Kubernetes name/);
    expectValidationError(make({ systemNamespaces: ['karpenter'] }), /systemNamespaces\[0\]: "karpenter" always has a Fargate profile/);
    expectValidationError(make({ systemNamespaces: ['tools', 'kube-system'] }), /systemNamespaces\[1\]: "kube-system" always has a Fargate profile/);
    expectValidationError(make({ systemNamespaces: ['tools', 'tools'] }), /systemNamespaces\[1\]: "tools" is listed twice/);
    expectValidationError(make({ systemNamespaces: Array.from({ length: 9 }, (_, i) => `ns${i}`) }), /systemNamespaces: 9 namespaces need 11 Fargate profiles, over the EKS quota of 10/);
  });

  test('a bad public endpoint CIDR', () => {
    expectValidationError(make({ publicEndpointCidrs: ['10.0.0.0/33'] }), /publicEndpointCidrs\[0\]: "10\.0\.0\.0\/33" is not an IPv4 CIDR block/);
    expectValidationError(make({ publicEndpointCidrs: ['203.0.113.0/24', 'office'] }), /publicEndpointCidrs\[1\]: "office" is not an IPv4 CIDR block/);
    expectValidationError(make({ publicEndpointCidrs: ['256.0.0.0/8'] }), /"256\.0\.0\.0\/8" is not an IPv4 CIDR block/);
    expectValidationError(make({ publicEndpointCidrs: ['203.0.113.7/24'] }), /"203\.0\.113\.7\/24" has host bits set; use the network address "203\.0\.113\.0\/24"/);
  });

  test('a Kubernetes version without a bundled kubectl layer', () => {
    expectValidationError(make({ kubernetesVersion: eks.KubernetesVersion.V1_33 }), /DesktopCluster\.kubectlLayer: no kubectl layer is bundled for Kubernetes 1\.33 .* pass `kubectlLayer`, e\.g\. a KubectlV33Layer/);
  });

  test('Windows Server 2025 nodes on Kubernetes 1.34', () => {
    expectValidationError(make({ kubernetesVersion: eks.KubernetesVersion.V1_34, windowsManagedNodeGroup: { windowsVersion: '2025' } }),
      /WindowsManagedNodeGroup\.windowsVersion: Windows Server 2025 nodes need Kubernetes 1\.35 or later, but the cluster runs 1\.34/);
  });

  test('bad Windows node group sizes or version', () => {
    expectValidationError(make({ windowsManagedNodeGroup: { minSize: 3, maxSize: 2 } }), /WindowsManagedNodeGroup\.minSize: minSize 3 is greater than maxSize 2/);
    expectValidationError(make({ windowsManagedNodeGroup: { windowsVersion: '2016' } }), /WindowsManagedNodeGroup\.windowsVersion: "2016" is not a supported Windows Server version/);
  });

  test('NAT gateway and zone settings that cannot work', () => {
    expectValidationError(make({ natGateways: 0 }), /DesktopCluster\.natGateways: got 0; use a whole number from 1 to 3/);
    expectValidationError(make({ natGateways: 4 }), /natGateways: got 4; use a whole number from 1 to 3/);
    expectValidationError(make({ availabilityZones: ['us-east-1a'] }), /DesktopCluster\.availabilityZones: got 1 zone\(s\); EKS needs subnets in at least two zones/);
    const existing = (props: DesktopClusterProps) => () => {
      const stack = newStack();
      return new DesktopCluster(stack, 'Cluster', { vpc: new ec2.Vpc(stack, 'Vpc'), ...props });
    };
    expectValidationError(existing({ natGateways: 1 }), /natGateways: only applies to the VPC this construct creates/);
    expectValidationError(existing({ availabilityZones: ['us-east-1a', 'us-east-1b'] }), /availabilityZones: only applies to the VPC this construct creates/);
  });

  test('a malformed add-on version and an empty bucket list', () => {
    expectValidationError(make({ addonVersions: { coreDns: 'latest' } }), /addonVersions\.coreDns: "latest" is not an EKS add-on version/);
    expectValidationError(make({ mountpointS3Csi: { buckets: [] } }), /mountpointS3Csi\.buckets: is empty/);
  });
});
