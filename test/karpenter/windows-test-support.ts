import { KubectlV35Layer } from '@aws-cdk/lambda-layer-kubectl-v35';
import { App, Stack } from 'aws-cdk-lib';
import * as eksv1 from 'aws-cdk-lib/aws-eks';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, IDependable } from 'constructs';
import { IEksCluster } from '../../constructs/common/eks-cluster';
import { KARPENTER_CHART_REPOSITORY, KARPENTER_VERSION } from '../../constructs/common/versions';
import { IKarpenter } from '../../constructs/karpenter/karpenter-reference';
import { KubernetesObject } from '../support/kubernetes-schemas';

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
  const stack = new Stack(new App(), 'Test');
  const cluster = new eksv1.Cluster(stack, 'Cluster', {
    version: eksv1.KubernetesVersion.V1_35,
    defaultCapacity: 0,
    kubectlLayer: new KubectlV35Layer(stack, 'Kubectl'),
  });
  return { stack, cluster };
}

/** Objects of one kind. */
export function ofKind(objects: readonly KubernetesObject[], kind: string): KubernetesObject[] {
  return objects.filter((o) => o.kind === kind);
}

/** A sample id that matches the EC2NodeClass pattern `sg-[0-9a-z]+`. */
export const SAMPLE_SECURITY_GROUP_ID = 'sg-0123456789abcdef0';

/**
 * Replaces the deploy-time id of the security group selector term (a token at synth time,
 * `TOKEN` once extracted from a template) with a sample id, so that the rest of the
 * EC2NodeClass can be checked against its schema. Callers first assert that the value was
 * the expected deploy-time reference.
 */
export function withSampleSecurityGroupId(objects: readonly KubernetesObject[], deployTimeId: string): KubernetesObject[] {
  return objects.map((o) => {
    if (o.kind !== 'EC2NodeClass') return o;
    const spec = o.spec as { securityGroupSelectorTerms: Array<{ id?: string }> };
    return {
      ...o,
      spec: {
        ...spec,
        securityGroupSelectorTerms: spec.securityGroupSelectorTerms.map((t) => (t.id === deployTimeId ? { ...t, id: SAMPLE_SECURITY_GROUP_ID } : t)),
      },
    };
  });
}
