import { KubectlV35Layer } from '@aws-cdk/lambda-layer-kubectl-v35';
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { WindowsClusterSupport } from '../../constructs/cluster/windows-cluster-support';

function clusterStack(): { stack: Stack; cluster: eks.Cluster } {
  const stack = new Stack(new App(), 'Test', { env: { account: '123456789012', region: 'us-east-1' } });
  const vpc = new ec2.Vpc(stack, 'Vpc', { availabilityZones: ['us-east-1a', 'us-east-1b', 'us-east-1c'], natGateways: 1 });
  const cluster = new eks.Cluster(stack, 'Cluster', {
    clusterName: 'existing',
    vpc,
    version: eks.KubernetesVersion.V1_35,
    defaultCapacity: 0,
    defaultCapacityType: eks.DefaultCapacityType.NODEGROUP,
    kubectlProviderOptions: { kubectlLayer: new KubectlV35Layer(stack, 'Kubectl') },
  });
  return { stack, cluster };
}

describe('WindowsClusterSupport', () => {
  test('turns Windows IPAM on, attaches the VPC resource controller policy and tags the private subnets', () => {
    // GIVEN an existing aws-eks-v2 cluster
    const { stack, cluster } = clusterStack();
    // WHEN
    new WindowsClusterSupport(stack, 'Windows', { cluster, clusterRole: cluster.role, karpenterDiscoveryName: 'existing' });
    // THEN
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::EKS::Addon', {
      AddonName: 'vpc-cni',
      ConfigurationValues: '{"enableWindowsIpam":"true"}',
      ResolveConflicts: 'OVERWRITE',
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      ManagedPolicyArns: Match.arrayWith([Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([':iam::aws:policy/AmazonEKSVPCResourceController']) ] })]),
    });
    const tagged = template.findResources('AWS::EC2::Subnet', {
      Properties: { Tags: Match.arrayWith([{ Key: 'karpenter.sh/discovery', Value: 'existing' }]) },
    });
    expect(Object.values(tagged).map((s) => s.Properties.MapPublicIpOnLaunch)).toEqual([false, false, false]);
  });

  test('leaves the VPC CNI alone when the cluster already manages it, and warns without a cluster role', () => {
    const { stack, cluster } = clusterStack();
    const support = new WindowsClusterSupport(stack, 'Windows', { cluster, karpenterDiscoveryName: 'existing', manageVpcCni: false });
    expect(support.vpcCni).toBeUndefined();
    Template.fromStack(stack).resourcePropertiesCountIs('AWS::EKS::Addon', { AddonName: 'vpc-cni' }, 0);
    Annotations.fromStack(stack).hasWarning('/Test/Windows', Match.stringLikeRegexp('AmazonEKSVPCResourceController'));
  });

  test('rejects an empty discovery name and an empty subnet list', () => {
    const { stack, cluster } = clusterStack();
    expect(() => new WindowsClusterSupport(stack, 'A', { cluster, karpenterDiscoveryName: ' ' })).toThrow(/karpenterDiscoveryName: is empty/);
    expect(() => new WindowsClusterSupport(stack, 'B', { cluster, karpenterDiscoveryName: 'existing', subnets: [] })).toThrow(/subnets: is empty/);
  });
});
