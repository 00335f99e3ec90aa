import type { ClusterAddOn, ClusterInfo } from '@aws-quickstart/eks-blueprints';
import { Portainer, PortainerProps } from '../portainer/portainer';

/** Props of `PortainerAddOn`: those of `Portainer` without the cluster. */
export interface PortainerAddOnProps extends Omit<PortainerProps, 'cluster'> {
  /**
   * Construct id of the `Portainer` in the blueprint's stack.
   * @default 'Portainer'
   */
  readonly constructId?: string;
}

/**
 * eks-blueprints add-on for `Portainer`, the optional management UI (Fargate, EFS, internal
 * HTTPS ALB, admin password from Secrets Manager).
 *
 * It needs the AWS Load Balancer Controller (eks-blueprints' `AwsLoadBalancerControllerAddOn`)
 * and a Fargate profile for its namespace (the blueprint's `FargateClusterProvider` or a
 * `fargateProfiles` entry). Builds everything synchronously at `deploy`; nothing is fetched
 * at synth time.
 */
export class PortainerAddOn implements ClusterAddOn {
  public readonly id: string;

  constructor(private readonly props: PortainerAddOnProps) {
    this.id = props.constructId ?? 'Portainer';
  }

  public deploy(clusterInfo: ClusterInfo): void {
    const { constructId: _, ...props } = this.props;
    new Portainer(clusterInfo.cluster.stack, this.id, { ...props, cluster: clusterInfo.cluster });
  }
}
