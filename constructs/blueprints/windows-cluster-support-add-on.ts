import type { ClusterAddOn, ClusterInfo } from '@aws-quickstart/eks-blueprints';
import * as eks from 'aws-cdk-lib/aws-eks';
import { WindowsClusterSupport, WindowsClusterSupportProps } from '../cluster/windows-cluster-support';

/**
 * Props of `WindowsClusterSupportAddOn`: those of `WindowsClusterSupport` without the cluster,
 * which the blueprint supplies.
 */
export interface WindowsClusterSupportAddOnProps extends Omit<WindowsClusterSupportProps, 'cluster' | 'clusterRole'> {
  /**
   * Construct id of the `WindowsClusterSupport` in the blueprint's stack.
   * @default 'WindowsSupport'
   */
  readonly constructId?: string;
}

/**
 * eks-blueprints add-on that prepares the blueprint's cluster for Windows nodes with
 * `WindowsClusterSupport`: the `vpc-cni` managed add-on with Windows IPAM, the VPC resource
 * controller policy on the cluster role, and Karpenter discovery tags on the private subnets.
 *
 * Conflicts: eks-blueprints' `VpcCniAddOn` installs the same `vpc-cni` managed add-on (a
 * cluster holds an add-on once): with it, pass `manageVpcCni: false` and set
 * `enableWindowsIpam` in its configuration instead.
 *
 * Builds everything synchronously at `deploy`; nothing is fetched at synth time.
 */
export class WindowsClusterSupportAddOn implements ClusterAddOn {
  public readonly id: string;

  constructor(private readonly props: WindowsClusterSupportAddOnProps) {
    this.id = props.constructId ?? 'WindowsSupport';
  }

  public deploy(clusterInfo: ClusterInfo): void {
    const cluster = clusterInfo.cluster;
    new WindowsClusterSupport(cluster.stack, this.id, {
      ...this.props,
      cluster,
      // A cluster the blueprint created exposes its role; an imported one does not (attach the
      // policy yourself then, as WindowsClusterSupport documents).
      clusterRole: cluster instanceof eks.Cluster ? cluster.role : undefined,
    });
  }
}
