import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { Ec2NodeClass } from '../imports/karpenter.k8s.aws';
import {
  NodePool,
  NodePoolSpecDisruptionBudgets,
  NodePoolSpecDisruptionConsolidationPolicy,
  NodePoolSpecLimits,
  NodePoolSpecTemplateSpecRequirements,
  NodePoolSpecTemplateSpecRequirementsOperator,
  NodePoolSpecTemplateSpecTaints,
} from '../imports/karpenter.sh';
import { windowsNodeClassSpec, WindowsNodeClassSettings } from './private/node-class-defaults';
import { LABEL_ARCH, LABEL_OS, LABEL_WINDOWS_BUILD } from './windows-version';
import { WINDOWS_ROOT_DEVICE } from '../common/well-known';

/** Root device of the EKS Windows AMIs (Linux AMIs use `/dev/xvda`). */
export { WINDOWS_ROOT_DEVICE };

/**
 * Resolved settings of one Windows node pool. Every value is final: `WindowsNodePool` applies
 * the defaults and validates; this chart only renders, so it can also be synthesized to YAML
 * for a GitOps engine.
 */
export interface WindowsNodePoolChartProps extends WindowsNodeClassSettings {
  /** Name of the NodePool. */
  readonly nodePoolName: string;
  /** Name of the EC2NodeClass. */
  readonly nodeClassName: string;
  /** Windows build the nodes run, value of `node.kubernetes.io/windows-build`. */
  readonly windowsBuild: string;
  /** Values of `karpenter.sh/capacity-type` (`on-demand`, `spot`). */
  readonly capacityTypes: string[];
  /** Values of `karpenter.k8s.aws/instance-category` (`c`, `m`, `r`, ...). */
  readonly instanceCategories: string[];
  /** Oldest instance generation allowed (rendered as `instance-generation Gt n-1`). */
  readonly minInstanceGeneration: number;
  /**
   * Extra labels of the nodes.
   * @default - none
   */
  readonly nodeLabels?: Record<string, string>;
  /** Taints of the nodes. */
  readonly taints: NodePoolSpecTemplateSpecTaints[];
  /** `expireAfter`, e.g. `720h` or `Never`. */
  readonly expireAfter: string;
  /** Consolidation policy. */
  readonly consolidationPolicy: NodePoolSpecDisruptionConsolidationPolicy;
  /** `consolidateAfter`, e.g. `10m` or `Never`. */
  readonly consolidateAfter: string;
  /** Disruption budgets. */
  readonly budgets: NodePoolSpecDisruptionBudgets[];
  /** Most vCPUs the pool may run in total. */
  readonly cpuLimit: number;
  /** Most memory the pool may run in total, as a Kubernetes quantity, e.g. `800Gi`. */
  readonly memoryLimit: string;
  /**
   * Priority among node pools that fit a pod (higher first).
   * @default - none (treated as 0)
   */
  readonly weight?: number;
}

/**
 * One Karpenter v1 `EC2NodeClass` and one `NodePool` for Windows nodes of one build.
 *
 * @see https://karpenter.sh/docs/concepts/nodepools/
 * @see https://karpenter.sh/docs/concepts/nodeclasses/
 */
export class WindowsNodePoolChart extends Chart {
  /** The EC2NodeClass (AWS side: AMI, subnets, security groups, disk, IMDS). */
  public readonly nodeClass: Ec2NodeClass;
  /** The NodePool (Kubernetes side: requirements, taints, disruption, limits). */
  public readonly nodePool: NodePool;

  constructor(scope: Construct, id: string, props: WindowsNodePoolChartProps) {
    super(scope, id);

    this.nodeClass = new Ec2NodeClass(this, 'NodeClass', { metadata: { name: props.nodeClassName }, spec: windowsNodeClassSpec(props) });

    const requirement = (key: string, values: string[], operator = NodePoolSpecTemplateSpecRequirementsOperator.IN): NodePoolSpecTemplateSpecRequirements =>
      ({ key, operator, values });

    this.nodePool = new NodePool(this, 'NodePool', {
      metadata: { name: props.nodePoolName },
      spec: {
        template: {
          metadata: props.nodeLabels && Object.keys(props.nodeLabels).length > 0 ? { labels: props.nodeLabels } : undefined,
          spec: {
            nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: props.nodeClassName },
            requirements: [
              requirement(LABEL_OS, ['windows']),
              // EKS publishes Windows AMIs for x86-64 only.
              requirement(LABEL_ARCH, ['amd64']),
              // A Windows container runs only on a node of its own build.
              requirement(LABEL_WINDOWS_BUILD, [props.windowsBuild]),
              requirement('karpenter.sh/capacity-type', props.capacityTypes),
              requirement('karpenter.k8s.aws/instance-category', props.instanceCategories),
              requirement('karpenter.k8s.aws/instance-generation', [String(props.minInstanceGeneration - 1)], NodePoolSpecTemplateSpecRequirementsOperator.GT),
            ],
            taints: props.taints,
            expireAfter: props.expireAfter,
          },
        },
        disruption: {
          consolidationPolicy: props.consolidationPolicy,
          consolidateAfter: props.consolidateAfter,
          budgets: props.budgets,
        },
        limits: {
          cpu: NodePoolSpecLimits.fromNumber(props.cpuLimit),
          memory: NodePoolSpecLimits.fromString(props.memoryLimit),
        },
        weight: props.weight,
      },
    });
  }
}
