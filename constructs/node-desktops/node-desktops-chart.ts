import { Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-29';
import { Construct } from 'constructs';
import { APP_NAME_LABEL, APP_PART_OF_LABEL, DESKTOP_COMPONENT_LABEL, WARM_NODE_KEY } from '../common/well-known';
import { Ec2NodeClass } from '../imports/karpenter.k8s.aws';
import { windowsNodeClassSpec, WindowsNodeClassSettings } from '../karpenter/private/node-class-defaults';
import { LABEL_ARCH, LABEL_OS, LABEL_WINDOWS_BUILD } from '../karpenter/windows-version';
import { NodeDesktopIsolationMode } from './node-desktop-isolation';
import {
  NodeDesktopNodePool,
  sharedNodePoolProps,
  warmNodePoolProps,
} from './node-desktop-node-pool';
import { NodeDesktopSessionTemplate } from './node-desktop-session-template';

/** Key of the session template (JSON of `NodeDesktopSessionTemplate`) in its ConfigMap. */
export const SESSION_TEMPLATE_KEY = 'template.json';

/**
 * Name of the ConfigMap (in the pool's namespace) that holds the pool's session template as
 * JSON, deploy-time values resolved: what the session controller reads to render sessions.
 */
export function sessionTemplateConfigMapName(poolName: string): string {
  return `${poolName}-session-template`;
}

/** Value of `desktop.io/component` on warm placeholder pods. */
export const WARM_PLACEHOLDER_COMPONENT = 'node-desktop-warm';

/** Resolved settings of the node-desktop chart. `NodeDesktops` validates; the chart only renders. */
export interface NodeDesktopsChartProps extends WindowsNodeClassSettings {
  /** What every session shares. */
  readonly template: NodeDesktopSessionTemplate;
  /** Node limit of the shared pool (shared mode). */
  readonly maxDesktops: number;
  /** Warm desktop nodes (shared mode; 0 for none). */
  readonly warmDesktops: number;
  /** Pause image of the warm placeholders. */
  readonly placeholderImage: string;
  /** Whether the chart creates the sessions namespace. */
  readonly createNamespace: boolean;
}

/**
 * The Kubernetes side of node desktops: the sessions namespace (Pod Security `privileged`, as
 * HostProcess pods need), the EC2NodeClass of the desktop nodes, and, with the shared pool, the
 * shared NodePool plus a warm pool with its placeholders (per-user NodePools are in
 * `NodeDesktopUserPoolsChart`s).
 */
export class NodeDesktopsChart extends Chart {
  /** The EC2NodeClass. */
  public readonly nodeClass: Ec2NodeClass;
  /** Every NodePool, by name. */
  public readonly nodePools: Record<string, NodeDesktopNodePool> = {};

  constructor(scope: Construct, id: string, props: NodeDesktopsChartProps) {
    super(scope, id);
    const t = props.template;

    if (props.createNamespace) {
      new k8s.KubeNamespace(this, 'Namespace', {
        metadata: {
          name: t.namespace,
          // Session pods are HostProcess pods; nothing else runs in this namespace.
          labels: { 'pod-security.kubernetes.io/enforce': 'privileged', [APP_PART_OF_LABEL]: t.poolName },
        },
      });
    }

    // The session template for the session controller, with deploy-time values resolved.
    new k8s.KubeConfigMap(this, 'SessionTemplate', {
      metadata: { name: sessionTemplateConfigMapName(t.poolName), namespace: t.namespace, labels: { [APP_PART_OF_LABEL]: t.poolName } },
      data: { [SESSION_TEMPLATE_KEY]: JSON.stringify(t) },
    });

    // IMDSv2 with one hop keeps pods from the node role; the session script blocks the desktop user too.
    this.nodeClass = new Ec2NodeClass(this, 'NodeClass', { metadata: { name: t.nodeClassName }, spec: windowsNodeClassSpec(props) });

    // Per-user NodePools live in their own charts (NodeDesktopUserPoolsChart), in chunks.
    if (t.isolationMode === NodeDesktopIsolationMode.NODE_POOL_PER_USER) return;

    const shared = new NodeDesktopNodePool(this, 'Shared', sharedNodePoolProps(t, props.maxDesktops));
    this.nodePools[shared.nodePool.name] = shared;
    if (props.warmDesktops > 0) this.addWarmDesktops(props);
  }

  /** Warm pool, negative PriorityClass and a Deployment of placeholders, one per warm node. */
  private addWarmDesktops(props: NodeDesktopsChartProps): void {
    const t = props.template;
    const warmProps = warmNodePoolProps(t, props.warmDesktops);
    const warm = new NodeDesktopNodePool(this, 'Warm', warmProps);
    this.nodePools[warm.nodePool.name] = warm;

    const name = `${t.poolName}-warm`;
    new k8s.KubePriorityClass(this, 'WarmPriority', {
      metadata: { name },
      value: -10,
      preemptionPolicy: 'Never',
      globalDefault: false,
      description: 'Placeholders that keep warm desktop nodes booted; any pod preempts them.',
    });
    const labels = { [APP_NAME_LABEL]: 'node-desktop', [APP_PART_OF_LABEL]: t.poolName, [DESKTOP_COMPONENT_LABEL]: WARM_PLACEHOLDER_COMPONENT };
    new k8s.KubeDeployment(this, 'WarmPlaceholders', {
      metadata: { name, namespace: t.namespace, labels },
      spec: {
        replicas: props.warmDesktops,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            priorityClassName: name,
            nodeSelector: {
              [LABEL_OS]: 'windows',
              [LABEL_ARCH]: 'amd64',
              [LABEL_WINDOWS_BUILD]: t.windowsBuild,
              'karpenter.sh/nodepool': warmProps.name,
              [WARM_NODE_KEY]: 'true',
            },
            tolerations: warmProps.taints.map((taint) => ({ key: taint.key, operator: 'Equal', value: taint.value, effect: taint.effect })),
            // One placeholder per node: each one keeps one whole desktop node warm.
            affinity: {
              podAntiAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: labels }, topologyKey: 'kubernetes.io/hostname' }],
              },
            },
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            terminationGracePeriodSeconds: 0,
            containers: [{
              name: 'pause',
              image: props.placeholderImage,
              resources: {
                requests: { cpu: k8s.Quantity.fromString('10m'), memory: k8s.Quantity.fromString('16Mi') },
                limits: { cpu: k8s.Quantity.fromString('10m'), memory: k8s.Quantity.fromString('16Mi') },
              },
            }],
          },
        },
      },
    });
  }
}
