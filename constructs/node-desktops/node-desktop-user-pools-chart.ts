import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { NodeDesktopNodePool, userNodePoolProps } from './node-desktop-node-pool';
import { NodeDesktopSessionTemplate } from './node-desktop-session-template';
import { NodeDesktopUser } from './node-desktop-user';

/** Props of {@link NodeDesktopUserPoolsChart}. */
export interface NodeDesktopUserPoolsChartProps {
  /** What every session of the pool shares. */
  readonly template: NodeDesktopSessionTemplate;
  /** The users of this chunk, each with a NodePool of their own. */
  readonly users: NodeDesktopUser[];
}

/**
 * The per-user NodePools of a chunk of users (per-user isolation). `NodeDesktops` splits its
 * users into chunks so that no kubectl custom resource request nears CloudFormation's
 * 262,144-byte Lambda event limit (an update carries old and new manifests).
 */
export class NodeDesktopUserPoolsChart extends Chart {
  /** The NodePools, in the order of `users`. */
  public readonly nodePools: NodeDesktopNodePool[];

  constructor(scope: Construct, id: string, props: NodeDesktopUserPoolsChartProps) {
    super(scope, id);
    this.nodePools = props.users.map((user, i) =>
      new NodeDesktopNodePool(this, `User${i}`, userNodePoolProps(props.template, user.userId, user.instanceTypes)));
  }
}
