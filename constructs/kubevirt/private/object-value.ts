import { Duration } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks';
import * as eksv2 from 'aws-cdk-lib/aws-eks-v2';
import { Construct } from 'constructs';
import { IEksCluster } from '../../common/eks-cluster';

/** What to read with `kubectl get <type> <name> -n <namespace> -o jsonpath={<jsonPath>}`. */
export interface ObjectValueOptions {
  readonly objectType: string;
  readonly objectName: string;
  readonly objectNamespace: string;
  readonly jsonPath: string;
  readonly timeout: Duration;
}

/**
 * True for clusters of `aws-cdk-lib/aws-eks` (created, imported, or from eks-blueprints).
 *
 * `KubernetesObjectValue` exists in both EKS modules but each takes only its own module's
 * cluster, so the library must tell them apart. A created cluster is recognized by class;
 * an imported one by the `kubectlRole` member, which only `aws-eks` clusters have (its kubectl
 * handler assumes that role; the `aws-eks-v2` handler has a provider instead).
 */
export function isAwsEksV1Cluster(cluster: IEksCluster): cluster is IEksCluster & eks.ICluster {
  return cluster instanceof eks.Cluster || 'kubectlRole' in cluster;
}

/** True for clusters of `aws-cdk-lib/aws-eks-v2` (created or imported). */
export function isAwsEksV2Cluster(cluster: IEksCluster): cluster is IEksCluster & eksv2.ICluster {
  return cluster instanceof eksv2.Cluster || !isAwsEksV1Cluster(cluster);
}

/**
 * A custom resource that polls a Kubernetes object through the cluster's kubectl handler until
 * the JSONPath yields a non-empty value (or `timeout` passes, failing the deployment). Returns
 * the construct, which others can depend on, and the value.
 */
export function kubernetesObjectValue(scope: Construct, id: string, cluster: IEksCluster, options: ObjectValueOptions): { readonly resource: Construct; readonly value: string } {
  if (isAwsEksV1Cluster(cluster)) {
    const resource = new eks.KubernetesObjectValue(scope, id, { cluster, ...options });
    return { resource, value: resource.value };
  }
  if (isAwsEksV2Cluster(cluster)) {
    const resource = new eksv2.KubernetesObjectValue(scope, id, { cluster, ...options });
    return { resource, value: resource.value };
  }
  // Unreachable: every cluster is one or the other.
  throw new Error('unknown EKS cluster type');
}
