import { KubectlV35Layer } from '@aws-cdk/lambda-layer-kubectl-v35';
import { App, Stack } from 'aws-cdk-lib';
import * as eksv1 from 'aws-cdk-lib/aws-eks';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Chart, Testing } from 'cdk8s';
import { Construct, IDependable } from 'constructs';
import { IEksCluster } from '../../constructs/common/eks-cluster';
import { IKarpenter } from '../../constructs/karpenter/karpenter-reference';
import { KubernetesObject } from '../support/kubernetes-schemas';

/** A stand-in for `Karpenter`: node roles and a Helm release as the controller. */
export class FakeKarpenter extends Construct implements IKarpenter {
  public readonly cluster: IEksCluster;
  public readonly version: string;
  public readonly kubernetesVersion?: string;
  public readonly windowsNodeRole: iam.IRole;
  public readonly linuxNodeRole: iam.IRole;
  public readonly controller: IDependable;

  constructor(scope: Construct, id: string, props: { cluster: IEksCluster; version?: string }) {
    super(scope, id);
    this.cluster = props.cluster;
    this.version = props.version ?? '1.14.1';
    this.kubernetesVersion = '1.35';
    this.windowsNodeRole = new iam.Role(this, 'WindowsNodeRole', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
    this.linuxNodeRole = new iam.Role(this, 'LinuxNodeRole', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
    this.controller = props.cluster.addHelmChart(`${id}Controller`, {
      chart: 'karpenter',
      repository: 'oci://public.ecr.aws/karpenter/karpenter',
      version: this.version,
      namespace: 'karpenter',
    });
  }
}

/** An env-agnostic stack with an aws-eks-v2 cluster (node groups, no default capacity). */
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

/** An env-agnostic stack with an aws-eks (v1) cluster. */
export function stackWithV1Cluster(): { stack: Stack; cluster: eksv1.Cluster } {
  const stack = new Stack(new App({ context: { '@aws-cdk/aws-eks:useNativeOidcProvider': true } }), 'Test');
  const cluster = new eksv1.Cluster(stack, 'Cluster', {
    version: eksv1.KubernetesVersion.V1_35,
    defaultCapacity: 0,
    kubectlLayer: new KubectlV35Layer(stack, 'Kubectl'),
  });
  return { stack, cluster };
}

/** A stack with an existing cluster imported into aws-eks (v1). */
export function stackWithImportedV1Cluster(): { stack: Stack; cluster: eksv1.ICluster } {
  const stack = new Stack(new App(), 'Test');
  const cluster = eksv1.Cluster.fromClusterAttributes(stack, 'Cluster', {
    clusterName: 'imported',
    kubectlRoleArn: 'arn:aws:iam::123456789012:role/kubectl',
    kubectlLayer: new KubectlV35Layer(stack, 'Kubectl'),
    clusterSecurityGroupId: 'sg-0123456789abcdef0',
  });
  return { stack, cluster };
}

/** A stack with an existing cluster imported into aws-eks-v2. */
export function stackWithImportedV2Cluster(): { stack: Stack; cluster: eks.ICluster } {
  const stack = new Stack(new App(), 'Test');
  const cluster = eks.Cluster.fromClusterAttributes(stack, 'Cluster', {
    clusterName: 'imported',
    clusterSecurityGroupId: 'sg-0123456789abcdef0',
    kubectlProvider: eks.KubectlProvider.fromKubectlProviderAttributes(stack, 'KubectlProvider', {
      serviceToken: 'arn:aws:lambda:us-east-1:123456789012:function:kubectl',
    }),
  });
  return { stack, cluster };
}

/** Objects of one kind. */
export function ofKind(objects: readonly KubernetesObject[], kind: string): KubernetesObject[] {
  return objects.filter((o) => o.kind === kind);
}

/** The one object of a kind, typed as `T` for the fields a test reads. */
export function single<T>(objects: readonly KubernetesObject[], kind: string): KubernetesObject & T {
  const found = ofKind(objects, kind);
  expect(found).toHaveLength(1);
  return found[0] as KubernetesObject & T;
}

/** Synthesizes a cdk8s chart into plain objects. */
export function synthChart(chart: Chart): KubernetesObject[] {
  return Testing.synth(chart) as KubernetesObject[];
}
