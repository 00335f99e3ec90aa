import { VmGuestLicensing } from '../../constructs/kubevirt/vm-guest-licensing';
import { KubectlV35Layer } from '@aws-cdk/lambda-layer-kubectl-v35';
import { App, Stack } from 'aws-cdk-lib';
import * as eksv1 from 'aws-cdk-lib/aws-eks';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { Chart, Testing } from 'cdk8s';
import { KubernetesObject } from '../support/kubernetes-schemas';

export { FakeKarpenter, stackWithV1Cluster, stackWithV2Cluster } from '../support/eks-fixtures';


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

/** The licensing basis of test pools that are not about licensing (keeps the nested default). */
export const TEST_LICENSING = VmGuestLicensing.sharedTenancy('Linux guests only (test fixture)');
