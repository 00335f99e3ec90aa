import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import {
  Ec2NodeClass,
  Ec2NodeClassSpecCpuOptionsNestedVirtualization,
  Ec2NodeClassSpecSecurityGroupSelectorTerms,
  Ec2NodeClassSpecSubnetSelectorTerms,
} from '../imports/karpenter.k8s.aws';
import {
  NodeOverlay,
  NodeOverlayProps,
  NodeOverlaySpecCapacity,
  NodeOverlaySpecRequirementsOperator,
  NodePool,
  NodePoolProps,
  NodePoolSpecDisruptionBudgets,
  NodePoolSpecDisruptionConsolidationPolicy,
  NodePoolSpecLimits,
  NodePoolSpecTemplateSpecRequirements,
  NodePoolSpecTemplateSpecRequirementsOperator,
  NodePoolSpecTemplateSpecTaints,
} from '../imports/karpenter.sh';
import { encryptedGp3Root, imdsV2Only } from '../karpenter/private/node-class-defaults';

/** Root device of the EKS AL2023 AMIs. */
export const AL2023_ROOT_DEVICE = '/dev/xvda';
/** Karpenter alias of the latest EKS optimized Amazon Linux 2023 AMI. */
export const AL2023_AMI_ALIAS = 'al2023@latest';

/**
 * Resolved settings of one VM host pool. Every value is final: `VmHostPool` applies the
 * defaults and validates; this chart only renders, so it can also be synthesized to YAML for a
 * GitOps engine.
 */
export interface VmHostPoolChartProps {
  /** Name of the NodePool. */
  readonly nodePoolName: string;
  /** Name of the EC2NodeClass. */
  readonly nodeClassName: string;
  /** Name (not ARN) of the IAM role of the nodes (the Linux node role); Karpenter creates the instance profile. */
  readonly nodeRoleName: string;
  /** Turn on EC2 nested virtualization (`spec.cpuOptions.nestedVirtualization: enabled`). */
  readonly nestedVirtualization: boolean;
  /** Values of `karpenter.k8s.aws/instance-family`. */
  readonly instanceFamilies: string[];
  /**
   * Values of `karpenter.k8s.aws/instance-size` (the bare-metal sizes in metal mode).
   * @default - any size
   */
  readonly instanceSizes?: string[];
  /** Values of `karpenter.sh/capacity-type`. */
  readonly capacityTypes: string[];
  /**
   * EC2 tenancy of the hosts (`karpenter.k8s.aws/instance-tenancy`: `default` or `dedicated`,
   * Karpenter ≥ 1.9).
   * @default - no tenancy requirement (shared tenancy)
   */
  readonly tenancy?: string;
  /**
   * Extended resources the hosts offer once their device plugins run (KubeVirt's `/dev/kvm`,
   * tun, vhost-net), which Karpenter learns from a `NodeOverlay` on this pool.
   * @default - no NodeOverlay
   */
  readonly deviceCapacity?: Record<string, string>;
  /** Subnet selector terms of the EC2NodeClass. */
  readonly subnetSelectorTerms: Ec2NodeClassSpecSubnetSelectorTerms[];
  /** Security group selector terms of the EC2NodeClass. */
  readonly securityGroupSelectorTerms: Ec2NodeClassSpecSecurityGroupSelectorTerms[];
  /** Root volume size as a Kubernetes quantity, e.g. `200Gi`. */
  readonly rootVolumeSize: string;
  /**
   * KMS key (id, alias or ARN) that encrypts the root volume.
   * @default - the account's default EBS key
   */
  readonly rootVolumeKmsKeyId?: string;
  /**
   * Tags of the instances, volumes and launch templates Karpenter creates.
   * @default - Karpenter's own tags only
   */
  readonly tags?: Record<string, string>;
  /** Labels of the nodes (always includes the VM host label). */
  readonly nodeLabels: Record<string, string>;
  /** Taints of the nodes (always includes the VM host taint). */
  readonly taints: NodePoolSpecTemplateSpecTaints[];
  /** `expireAfter`, e.g. `720h` or `Never`. */
  readonly expireAfter: string;
  /** `consolidateAfter`, e.g. `10m`. */
  readonly consolidateAfter: string;
  /** Disruption budgets. */
  readonly budgets: NodePoolSpecDisruptionBudgets[];
  /** Most vCPUs the pool may run in total. */
  readonly cpuLimit: number;
  /** Most memory the pool may run in total, as a Kubernetes quantity, e.g. `1600Gi`. */
  readonly memoryLimit: string;
  /**
   * Priority among node pools that fit a pod (higher first).
   * @default - none (treated as 0)
   */
  readonly weight?: number;
  /**
   * A node label key the pool declares with operator `Exists`: each pod's nodeSelector value
   * of that key is put on the node Karpenter launches for it (one host per user).
   * @default - none
   */
  readonly perPodLabelKey?: string;
}

/**
 * The NodePool of a VM host pool, as typed props: `VmHostPoolChart` renders it, and per-user
 * pools derive theirs from the same settings (same EC2NodeClass, their own label and taint).
 */
export function vmHostNodePoolProps(props: VmHostPoolChartProps): NodePoolProps {
  const requirement = (key: string, values: string[]): NodePoolSpecTemplateSpecRequirements =>
    ({ key, operator: NodePoolSpecTemplateSpecRequirementsOperator.IN, values });
  const requirements = [
    requirement('kubernetes.io/os', ['linux']),
    // The desktops are x86-64 Windows guests (q35 machine type).
    requirement('kubernetes.io/arch', ['amd64']),
    requirement('karpenter.sh/capacity-type', props.capacityTypes),
    requirement('karpenter.k8s.aws/instance-family', props.instanceFamilies),
  ];
  if (props.tenancy !== undefined) {
    // Explicit: shared or dedicated hardware is the guests' licensing basis.
    requirements.splice(3, 0, requirement('karpenter.k8s.aws/instance-tenancy', [props.tenancy]));
  }
  if (props.instanceSizes !== undefined) {
    requirements.push(requirement('karpenter.k8s.aws/instance-size', props.instanceSizes));
  }
  if (props.perPodLabelKey !== undefined) {
    requirements.push({ key: props.perPodLabelKey, operator: NodePoolSpecTemplateSpecRequirementsOperator.EXISTS });
  }
  return {
    metadata: { name: props.nodePoolName },
    spec: {
      template: {
        metadata: { labels: props.nodeLabels },
        spec: {
          nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: props.nodeClassName },
          requirements,
          taints: props.taints,
          expireAfter: props.expireAfter,
        },
      },
      disruption: {
        consolidationPolicy: NodePoolSpecDisruptionConsolidationPolicy.WHEN_EMPTY,
        consolidateAfter: props.consolidateAfter,
        budgets: props.budgets,
      },
      limits: {
        cpu: NodePoolSpecLimits.fromNumber(props.cpuLimit),
        memory: NodePoolSpecLimits.fromString(props.memoryLimit),
      },
      weight: props.weight,
    },
  };
}

/**
 * The NodeOverlay that tells Karpenter the pool's hosts offer `deviceCapacity` (KubeVirt's
 * devices): every NodePool of VM hosts needs one, per-user pools included.
 */
export function vmHostDeviceOverlayProps(nodePoolName: string, deviceCapacity: Record<string, string>): NodeOverlayProps {
  return {
    metadata: { name: `${nodePoolName}-kubevirt-devices` },
    spec: {
      requirements: [{ key: 'karpenter.sh/nodepool', operator: NodeOverlaySpecRequirementsOperator.IN, values: [nodePoolName] }],
      capacity: Object.fromEntries(Object.entries(deviceCapacity).map(([k, v]) => [k, NodeOverlaySpecCapacity.fromString(v)])),
    },
  };
}

/**
 * One Karpenter v1 `EC2NodeClass` and one `NodePool` of Linux (AL2023) hosts whose nodes
 * expose `/dev/kvm` to KubeVirt: nested-virtualization instances or bare-metal instances.
 *
 * Consolidation is `WhenEmpty`: a host that runs desktops is never consolidated away to pack
 * its VMs elsewhere (their EBS disks and RDP sessions would be cut).
 *
 * @see https://karpenter.sh/docs/concepts/nodeclasses/
 * @see https://kubevirt.io/user-guide/cluster_admin/installation/
 */
export class VmHostPoolChart extends Chart {
  /** The EC2NodeClass (AWS side: AMI, CPU options, subnets, security groups, disk, IMDS). */
  public readonly nodeClass: Ec2NodeClass;
  /** The NodePool (Kubernetes side: requirements, label, taint, disruption, limits). */
  public readonly nodePool: NodePool;
  /** The NodeOverlay adding the hosts' device resources to Karpenter's scheduling simulation, when `deviceCapacity` is given. */
  public readonly deviceOverlay?: NodeOverlay;

  constructor(scope: Construct, id: string, props: VmHostPoolChartProps) {
    super(scope, id);

    this.nodeClass = new Ec2NodeClass(this, 'NodeClass', {
      metadata: { name: props.nodeClassName },
      spec: {
        role: props.nodeRoleName,
        amiSelectorTerms: [{ alias: AL2023_AMI_ALIAS }],
        subnetSelectorTerms: props.subnetSelectorTerms,
        securityGroupSelectorTerms: props.securityGroupSelectorTerms,
        // Nested virtualization is a launch option; Karpenter then only picks instance types
        // that report it, which excludes `.metal` (metal pools have a node class without it).
        cpuOptions: props.nestedVirtualization
          ? { nestedVirtualization: Ec2NodeClassSpecCpuOptionsNestedVirtualization.ENABLED }
          : undefined,
        // IMDSv2 only, one hop: pods (virt-launcher included) cannot reach the node role's
        // credentials; nothing on AL2023 pods needs IMDS.
        metadataOptions: imdsV2Only(),
        // The root volume holds container images, including golden images that CDI pulls
        // through the node (`pullMethod: node`), which are several GiB each.
        blockDeviceMappings: [encryptedGp3Root(AL2023_ROOT_DEVICE, props.rootVolumeSize, props.rootVolumeKmsKeyId)],
        tags: props.tags,
      },
    });

    this.nodePool = new NodePool(this, 'NodePool', vmHostNodePoolProps(props));

    if (props.deviceCapacity !== undefined) {
      // Karpenter only launches a node for a pending pod whose requests fit the instance
      // type's capacity; device plugin resources appear on the node after virt-handler
      // starts, so the pool declares them here (alpha: Karpenter's nodeOverlay feature gate).
      this.deviceOverlay = new NodeOverlay(this, 'DeviceOverlay', vmHostDeviceOverlayProps(props.nodePoolName, props.deviceCapacity));
    }
  }
}
