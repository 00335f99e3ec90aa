import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct, IDependable } from 'constructs';
import { IEksCluster } from '../common/eks-cluster';

/**
 * What node pools need from a Karpenter installation. `Karpenter` implements it; node pools
 * depend only on this, so they can also target a Karpenter installed some other way.
 */
export interface IKarpenter extends IConstruct {
  /** The cluster Karpenter runs in. */
  readonly cluster: IEksCluster;
  /** Karpenter version installed, e.g. `1.14.1`. */
  readonly version: string;
  /**
   * Kubernetes version of the cluster, e.g. `1.35`.
   * @default - unknown (imported cluster): version-dependent features then need it set
   */
  readonly kubernetesVersion?: string;
  /** Node role of Windows nodes (in an `EC2_WINDOWS` access entry, or aws-auth with the Windows groups). */
  readonly windowsNodeRole: iam.IRole;
  /** Node role of Linux nodes (in an `EC2_LINUX` access entry, or aws-auth). */
  readonly linuxNodeRole: iam.IRole;
  /** The controller's Helm release: NodePools and EC2NodeClasses are applied after it (its CRDs). */
  readonly controller: IDependable;
}
