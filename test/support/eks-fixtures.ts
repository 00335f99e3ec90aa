import { KubectlV35Layer } from '@aws-cdk/lambda-layer-kubectl-v35';
import { App, Stack } from 'aws-cdk-lib';
import * as eksv1 from 'aws-cdk-lib/aws-eks';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, IDependable } from 'constructs';
import { IEksCluster } from '../../constructs/common/eks-cluster';
import { KARPENTER_CHART_REPOSITORY, KARPENTER_VERSION } from '../../constructs/common/versions';
import { IKarpenter } from '../../constructs/karpenter/karpenter-reference';

// Clusters and a Karpenter stand-in shared by the node-pool, warm-capacity and KubeVirt tests.

/** A stand-in for `Karpenter`: two node roles and a Helm release as the controller. */
export class FakeKarpenter extends Construct implements IKarpenter {
  public readonly cluster: IEksCluster;
  public readonly version: string;
  public readonly kubernetesVersion?: string;
  public readonly windowsNodeRole: iam.IRole;
  public readonly linuxNodeRole: iam.IRole;
  public readonly controller: IDependable;

  constructor(scope: Construct, id: string, props: { cluster: IEksCluster; version?: string; kubernetesVersion?: string | null }) {
    super(scope, id);
    this.cluster = props.cluster;
    this.version = props.version ?? '1.14.1';
    // `null` stands for an imported cluster whose version is unknown.
    this.kubernetesVersion = props.kubernetesVersion === null ? undefined : (props.kubernetesVersion ?? '1.35');
    this.windowsNodeRole = new iam.Role(this, 'WindowsNodeRole', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
    this.linuxNodeRole = new iam.Role(this, 'LinuxNodeRole', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
    // A real CloudFormation resource, so that dependencies on it show up as DependsOn.
    this.controller = props.cluster.addHelmChart(`${id}Controller`, {
      chart: 'karpenter',
      repository: KARPENTER_CHART_REPOSITORY,
      version: KARPENTER_VERSION,
      namespace: 'kube-system',
    });
  }
}

/** A stack with an aws-eks-v2 cluster (node groups, no default capacity, kubectl handler). */
export function stackWithV2Cluster(): { stack: Stack; cluster: eks.Cluster } {
  const stack = new Stack(new App(), 'Test');
  const cluster = new eks.Cluster(stack, 'Cluster', {
    version: eks.KubernetesVersion.V1_35,
    defaultCapacity: 0,
    defaultCapacityType: eks.DefaultCapacityType.NODEGROUP,
    kubectlProviderOptions: { kubectlLayer: new KubectlV35Layer(stack, 'Kubectl') },
  });
  return { stack, cluster };
}

/** A stack with an aws-eks (v1) cluster. */
export function stackWithV1Cluster(): { stack: Stack; cluster: eksv1.Cluster } {
  const stack = new Stack(new App({ context: { '@aws-cdk/aws-eks:useNativeOidcProvider': true } }), 'Test');
  const cluster = new eksv1.Cluster(stack, 'Cluster', {
    version: eksv1.KubernetesVersion.V1_35,
    defaultCapacity: 0,
    kubectlLayer: new KubectlV35Layer(stack, 'Kubectl'),
  });
  return { stack, cluster };
}
