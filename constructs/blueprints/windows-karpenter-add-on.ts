import type { ClusterAddOn, ClusterInfo } from '@aws-quickstart/eks-blueprints';
import { Karpenter, KarpenterOptions } from '../karpenter/karpenter';
import { WindowsNodePoolOptions } from '../karpenter/windows-node-pool';

/** A Windows node pool of `WindowsKarpenterAddOn`: the pool's options and its construct id. */
export interface WindowsKarpenterAddOnPool extends WindowsNodePoolOptions {
  /** Construct id of the pool under the Karpenter construct, e.g. `Windows2022`. */
  readonly id: string;
}

/** Props of `WindowsKarpenterAddOn`. */
export interface WindowsKarpenterAddOnProps extends KarpenterOptions {
  /**
   * Windows node pools to add, in order.
   * @default - none: add pools later on the construct, found with
   * `stack.node.findChild(constructId) as Karpenter`
   */
  readonly windowsNodePools?: WindowsKarpenterAddOnPool[];

  /**
   * Construct id of the `Karpenter` construct in the blueprint's stack.
   * @default 'Karpenter'
   */
  readonly constructId?: string;
}

/**
 * eks-blueprints add-on that installs this library's Karpenter (v1 API, IRSA, interruption
 * queue, separate Windows and Linux node roles) with Windows node pools.
 *
 * Conflicts, and why: eks-blueprints' `KarpenterAddOn` and `KarpenterV1AddOn` install a second
 * Karpenter controller (same CRDs, same Helm release name, competing for the same pending
 * pods), and the former fetches CRDs and Helm indexes over the network at synth time; its
 * `WindowsBuilder` writes Karpenter v1beta1 objects, which Karpenter v1 no longer serves. Use
 * this add-on instead of all three.
 *
 * Builds everything synchronously at `deploy`; nothing is fetched at synth time. The blueprint
 * deploys a copy of each add-on, so reach the construct through the stack
 * (`stack.node.findChild('Karpenter')`), not through the add-on object.
 */
export class WindowsKarpenterAddOn implements ClusterAddOn {
  public readonly id: string;

  constructor(private readonly props: WindowsKarpenterAddOnProps = {}) {
    this.id = props.constructId ?? 'Karpenter';
  }

  public deploy(clusterInfo: ClusterInfo): void {
    const { windowsNodePools, constructId: _, ...options } = this.props;
    const cluster = clusterInfo.cluster;
    const karpenter = new Karpenter(cluster.stack, this.id, {
      ...options,
      cluster,
      kubernetesVersion: clusterInfo.version.version,
    });
    for (const { id, ...pool } of windowsNodePools ?? []) karpenter.addWindowsNodePool(id, pool);
  }
}
