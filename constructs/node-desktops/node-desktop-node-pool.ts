import { App, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { kubernetesNameForUser } from '../common/kubernetes-name';
import { DEDICATED_USER_TAINT_KEY, NODE_DESKTOP_TAINT_KEY, USER_LABEL, WARM_NODE_KEY } from '../common/well-known';
import {
  NodePool,
  NodePoolSpecDisruptionConsolidationPolicy,
  NodePoolSpecLimits,
  NodePoolSpecTemplateSpecRequirements,
  NodePoolSpecTemplateSpecRequirementsOperator,
  NodePoolSpecTemplateSpecTaintsEffect,
} from '../imports/karpenter.sh';
import { LABEL_ARCH, LABEL_OS, LABEL_WINDOWS_BUILD, WINDOWS_NODE_TAINT } from '../karpenter/windows-version';
import { NodeDesktopSessionTemplate } from './node-desktop-session-template';
import { perUserName } from './private/names';
import { reportsConstructPath } from '../common/validation-error';

/** A node taint as the NodePool and the Pod tolerations write it. */
export interface DesktopNodeTaint {
  /** Taint key. */
  readonly key: string;
  /** Taint value. */
  readonly value: string;
  /** Always `NoSchedule`: desktop taints keep pods off, they evict none. */
  readonly effect: string;
}

/** Resolved settings of one desktop NodePool. */
export interface NodeDesktopNodePoolProps {
  /** Name of the NodePool (at most 63 characters: it is a node label value). */
  readonly name: string;
  /** Name of the EC2NodeClass. */
  readonly nodeClassName: string;
  /** Windows build of the nodes. */
  readonly windowsBuild: string;
  /** Values of `karpenter.sh/capacity-type`. */
  readonly capacityTypes: string[];
  /** Values of `node.kubernetes.io/instance-type`. */
  readonly instanceTypes: string[];
  /** Labels of every node. */
  readonly labels: Record<string, string>;
  /** Taints of every node. */
  readonly taints: DesktopNodeTaint[];
  /**
   * Declare the user label with operator `Exists`, so that each session pod's own value of it
   * is put on the node Karpenter launches for it.
   */
  readonly userLabelExists: boolean;
  /** Most nodes at once (`limits.nodes`). */
  readonly maxNodes: number;
  /** `expireAfter`. */
  readonly expireAfter: string;
  /** `consolidateAfter` (the policy is always `WhenEmpty`: a desktop is never moved). */
  readonly consolidateAfter: string;
}

/** The taints of the pool's desktop nodes: Windows, the pool's desktop taint, and the user's in per-user mode. */
export function desktopNodeTaints(template: NodeDesktopSessionTemplate, userName?: string): DesktopNodeTaint[] {
  const taints: DesktopNodeTaint[] = [
    { key: WINDOWS_NODE_TAINT.key, value: WINDOWS_NODE_TAINT.value!, effect: 'NoSchedule' },
    { key: NODE_DESKTOP_TAINT_KEY, value: template.poolName, effect: 'NoSchedule' },
  ];
  if (userName !== undefined) taints.push({ key: DEDICATED_USER_TAINT_KEY, value: userName, effect: 'NoSchedule' });
  return taints;
}

/** Name of a user's own NodePool in per-user mode. */
export function userNodePoolName(template: NodeDesktopSessionTemplate, userId: string): string {
  return perUserName(template.poolName, kubernetesNameForUser('userId', userId));
}

/** Settings of a user's own NodePool (per-user mode): labelled and tainted for the user, one node. */
export function userNodePoolProps(template: NodeDesktopSessionTemplate, userId: string, instanceTypes?: string[]): NodeDesktopNodePoolProps {
  const userName = kubernetesNameForUser('userId', userId);
  return {
    ...commonPoolProps(template),
    instanceTypes: instanceTypes ?? template.instanceTypes,
    name: userNodePoolName(template, userId),
    labels: { [USER_LABEL]: userName },
    taints: desktopNodeTaints(template, userName),
    userLabelExists: false,
    maxNodes: 1,
  };
}

/** Settings of the shared NodePool: each user's own label value, one node per session. */
export function sharedNodePoolProps(template: NodeDesktopSessionTemplate, maxDesktops: number): NodeDesktopNodePoolProps {
  return {
    ...commonPoolProps(template),
    name: template.poolName,
    labels: {},
    taints: desktopNodeTaints(template),
    userLabelExists: true,
    maxNodes: maxDesktops,
  };
}

/**
 * Settings of the warm pool (shared mode): nodes labelled and tainted `desktop.io/warm=true`
 * that only the warm placeholders tolerate, until a session claims one (`claimWarmNode`).
 */
export function warmNodePoolProps(template: NodeDesktopSessionTemplate, warmDesktops: number): NodeDesktopNodePoolProps {
  return {
    ...commonPoolProps(template),
    name: `${template.poolName}-warm`,
    expireAfter: template.warmNodeExpireAfter ?? template.expireAfter,
    labels: { [WARM_NODE_KEY]: 'true' },
    taints: [...desktopNodeTaints(template), { key: WARM_NODE_KEY, value: 'true', effect: 'NoSchedule' }],
    // The claim sets the user label on the Node; Karpenter need not know the key.
    userLabelExists: false,
    // Room for replacing a claimed node while its session still runs there.
    maxNodes: warmDesktops * 2,
  };
}

function commonPoolProps(template: NodeDesktopSessionTemplate) {
  return {
    nodeClassName: template.nodeClassName,
    windowsBuild: template.windowsBuild,
    capacityTypes: template.capacityTypes,
    instanceTypes: template.instanceTypes,
    expireAfter: template.expireAfter,
    consolidateAfter: template.consolidateAfter,
  };
}

/**
 * One Karpenter v1 NodePool of desktop nodes. A cdk8s construct that needs nothing but a cdk8s
 * scope and plain props, so the session controller renders a user's pool exactly as the
 * synth-time construct does:
 *
 * ```ts
 * const chart = new cdk8s.Chart(new cdk8s.App(), 'user');
 * new NodeDesktopNodePool(chart, 'Pool', userNodePoolProps(template, 'alice@example.com'));
 * ```
 */
@reportsConstructPath
export class NodeDesktopNodePool extends Construct {
  /** The NodePool. */
  public readonly nodePool: NodePool;

  constructor(scope: Construct, id: string, props: NodeDesktopNodePoolProps) {
    super(scope, id);
    const requirement = (key: string, values: string[], operator = NodePoolSpecTemplateSpecRequirementsOperator.IN): NodePoolSpecTemplateSpecRequirements =>
      ({ key, operator, values });
    const requirements = [
      requirement(LABEL_OS, ['windows']),
      requirement(LABEL_ARCH, ['amd64']),
      requirement(LABEL_WINDOWS_BUILD, [props.windowsBuild]),
      requirement('karpenter.sh/capacity-type', [...props.capacityTypes]),
      requirement('node.kubernetes.io/instance-type', [...props.instanceTypes]),
    ];
    if (props.userLabelExists) {
      requirements.push({ key: USER_LABEL, operator: NodePoolSpecTemplateSpecRequirementsOperator.EXISTS });
    }
    this.nodePool = new NodePool(this, 'Resource', {
      metadata: { name: props.name },
      spec: {
        template: {
          metadata: Object.keys(props.labels).length > 0 ? { labels: { ...props.labels } } : undefined,
          spec: {
            nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: props.nodeClassName },
            requirements,
            taints: props.taints.map((t) => ({ key: t.key, value: t.value, effect: t.effect as NodePoolSpecTemplateSpecTaintsEffect })),
            // Forceful in Karpenter v1: the hard limit of a session, do-not-disrupt or not.
            expireAfter: props.expireAfter,
          },
        },
        disruption: {
          // A desktop is never consolidated onto another node; only empty nodes go.
          consolidationPolicy: NodePoolSpecDisruptionConsolidationPolicy.WHEN_EMPTY,
          consolidateAfter: props.consolidateAfter,
          budgets: [{ nodes: '100%' }],
        },
        // Karpenter counts nodes against `limits.nodes` before it launches one
        // (kubernetes-sigs/karpenter v1.14.1: pkg/controllers/provisioning/scheduling/scheduler.go).
        limits: { nodes: NodePoolSpecLimits.fromNumber(props.maxNodes) },
      },
    });
  }
}

/** A user's own NodePool as plain JSON (what `renderUserNodePool` returns). */
export interface UserNodePoolJson {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly [key: string]: unknown };
  readonly spec: Record<string, unknown>;
}

/**
 * A user's own NodePool (per-user mode) as plain JSON: `NodeDesktopNodePool` with
 * `userNodePoolProps`, the construct and props `NodeDesktopUserPoolsChart` renders for users
 * listed at synth time, rendered in a bare cdk8s chart. The session controller applies it for
 * users of `DedicatedPool` Node classes who appear at run time, so both are the same object.
 */
export function renderUserNodePool(template: NodeDesktopSessionTemplate, userId: string, instanceTypes?: string[]): UserNodePoolJson {
  const chart = new Chart(new App(), 'UserPool');
  new NodeDesktopNodePool(chart, 'Pool', userNodePoolProps(template, userId, instanceTypes));
  const [pool] = chart.toJson() as UserNodePoolJson[];
  return pool;
}
