import { Duration, Names, Size, Token } from 'aws-cdk-lib';
import * as cdk8s from 'cdk8s';
import { Construct } from 'constructs';
import { claimUnique } from '../common/uniqueness';
import {
  checkProps, isArrayOf, isConstruct, isEnumMember, isInstanceOf, isNumber, isShape, isString, required,
  validateDns1123Label, validateInteger, validateNonEmpty,
} from '../common/validate';
import { reportsConstructPath, ValidationError } from '../common/validation-error';
import { NodePoolSpecDisruptionConsolidationPolicy } from '../imports/karpenter.sh';
import { IKarpenter } from './karpenter-reference';
import {
  CapacityType,
  ConsolidationPolicy,
  DisruptionBudget,
  KarpenterDuration,
  KarpenterPoolOptions,
  NodeTaint,
} from './node-pool-types';
import { isWindowsVersion, renderTaints } from './private/node-pool-validation';
import { POOL_OPTION_TYPES, resolvePoolSettings } from './private/pool-settings';
import { WindowsAmi } from './windows-ami';
import { WindowsNodePoolChart } from './windows-node-pool-chart';
import { WINDOWS_NODE_TAINT, WindowsVersion } from './windows-version';

/**
 * Settings of a Windows node pool, everything but the Karpenter installation (for a future
 * `karpenter.addWindowsNodePool(id, options)`).
 */
export interface WindowsNodePoolOptions extends KarpenterPoolOptions {
  /** Windows Server version of the nodes. */
  readonly windowsVersion: WindowsVersion;

  /**
   * Name of the NodePool and of its EC2NodeClass (DNS-1123 label: lowercase letters, digits
   * and '-', at most 63 characters).
   * @default - `windowsVersion.nodePoolName`, e.g. `windows-2022`
   */
  readonly name?: string;

  /**
   * AMI of the nodes: the EKS optimized alias, or the newest AMI of an own pipeline
   * (`WindowsAmi.fromFastLaunchAmi(ami)`, pre-pulled images and EC2 Fast Launch).
   * @default WindowsAmi.alias() - the latest EKS optimized AMI of `windowsVersion`
   */
  readonly ami?: WindowsAmi;

  /**
   * Purchase options Karpenter may choose from (it prefers Spot when both are allowed and the
   * pool's pods tolerate interruption).
   * @default [CapacityType.ON_DEMAND, CapacityType.SPOT]
   * @see https://karpenter.sh/docs/concepts/nodepools/#capacity-type
   */
  readonly capacityTypes?: CapacityType[];

  /**
   * EC2 instance categories allowed (`c` compute, `m` general purpose, `r` memory, ...).
   * @default ['c', 'm', 'r']
   * @see https://karpenter.sh/docs/reference/instance-types/
   */
  readonly instanceCategories?: string[];

  /**
   * Oldest EC2 instance generation allowed (e.g. 6 allows `m6i`, `c7i`, not `m5`).
   * @default 6
   */
  readonly minInstanceGeneration?: number;

  /**
   * Most vCPUs all nodes of the pool may have together; Karpenter launches no node beyond it.
   * @default 200
   */
  readonly cpuLimit?: number;

  /**
   * Most memory all nodes of the pool may have together.
   * @default Size.gibibytes(800)
   */
  readonly memoryLimit?: Size;

  /**
   * Age at which Karpenter replaces a node. Replacing nodes picks up the newest Windows AMI
   * (monthly patches) even when `Drifted` disruption is blocked by a budget.
   * @default KarpenterDuration.of(Duration.hours(720)) - 30 days
   * @see https://karpenter.sh/docs/concepts/disruption/#expiration
   */
  readonly expireAfter?: KarpenterDuration;

  /**
   * Which nodes consolidation may remove.
   * @default ConsolidationPolicy.WHEN_EMPTY_OR_UNDERUTILIZED
   */
  readonly consolidationPolicy?: ConsolidationPolicy;

  /**
   * How long a node must have been empty or underutilized before consolidation removes it.
   * Windows nodes take several minutes to boot and to pull their large images, so a short
   * delay would churn nodes that are soon needed again.
   * @default KarpenterDuration.of(Duration.minutes(10))
   */
  readonly consolidateAfter?: KarpenterDuration;

  /**
   * Limits on how many nodes Karpenter may disrupt at once.
   * @default [{ nodes: '10%' }]
   */
  readonly disruptionBudgets?: DisruptionBudget[];

  /**
   * Size of the root volume (gp3, encrypted), whole GiB from 50 GiB to 16 TiB. Windows base
   * images take several GiB each and every build needs its own.
   * @default Size.gibibytes(100)
   */
  readonly rootVolumeSize?: Size;

  /**
   * Taints added to the Windows taint `os=windows:NoSchedule`, which every Windows node
   * always carries (Linux pods must not land there).
   * @default - none
   */
  readonly additionalTaints?: NodeTaint[];
}

/**
 * Props of `WindowsNodePool`.
 */
export interface WindowsNodePoolProps extends WindowsNodePoolOptions {
  /** The Karpenter installation that launches the nodes. */
  readonly karpenter: IKarpenter;
}

/**
 * A Karpenter v1 node pool of Windows Server nodes of one build: an `EC2NodeClass` (AMI,
 * subnets, security groups, encrypted gp3 root volume, IMDSv2) and a `NodePool` (Windows,
 * amd64, build, capacity types, `os=windows:NoSchedule` taint, expiry, consolidation, limits),
 * applied after the Karpenter controller.
 *
 * A Windows workload selects the nodes with the RuntimeClass of its version
 * (`WindowsRuntimeClasses`), or with `nodeSelector` and a toleration of `taint`.
 */
/** How to fix two pools of one name (shared with VmHostPool). */
export const NODE_POOL_NAME_FIX = 'The second NodePool and EC2NodeClass would replace the first at deploy time: give each pool its own `name` (pools of one Windows version get the same default name).';

@reportsConstructPath
export class WindowsNodePool extends Construct {
  /** The Karpenter installation that launches the nodes (and whose cluster holds the pool). */
  public readonly karpenter: IKarpenter;
  /** Name of the NodePool. */
  public readonly nodePoolName: string;
  /** Name of the EC2NodeClass. */
  public readonly nodeClassName: string;
  /** Windows Server version of the nodes. */
  public readonly windowsVersion: WindowsVersion;
  /** The Windows taint every node carries (`os=windows:NoSchedule`); workloads tolerate it. */
  public readonly taint: NodeTaint;
  /** Every taint of the nodes: `taint` first, then `additionalTaints`. */
  public readonly taints: NodeTaint[];
  /** The cdk8s chart with the EC2NodeClass and the NodePool (also usable for GitOps). */
  public readonly chart: WindowsNodePoolChart;
  /** The Kubernetes manifest that applies `chart` to the cluster. */
  public readonly manifest: Construct;

  constructor(scope: Construct, id: string, props: WindowsNodePoolProps) {
    super(scope, id);
    const p = 'WindowsNodePool';
    checkProps(p, props, {
      karpenter: required(isConstruct('a Karpenter installation (new Karpenter(...) or desktopCluster.addKarpenter(...))')),
      windowsVersion: required(isWindowsVersion()),
      name: isString("'windows-2022'"),
      ami: isInstanceOf(WindowsAmi, 'WindowsAmi.alias() or WindowsAmi.fromFastLaunchAmi(ami)'),
      instanceCategories: isArrayOf(isString("'m'"), "['c', 'm', 'r']"),
      minInstanceGeneration: isNumber('6'),
      consolidationPolicy: isEnumMember(ConsolidationPolicy, 'ConsolidationPolicy'),
      additionalTaints: isArrayOf(isShape({}, "{ key: 'example.com/dedicated', effect: TaintEffect.NO_SCHEDULE }"), "[{ key: 'example.com/dedicated', effect: TaintEffect.NO_SCHEDULE }]"),
    }, { otherProps: Object.keys(POOL_OPTION_TYPES) });
    const karpenter = props.karpenter;
    const cluster = karpenter.cluster;

    // Defaults and validation (the settings every pool shares first, then Windows' own).
    const windowsVersion = props.windowsVersion;
    const name = props.name ?? windowsVersion.nodePoolName;
    const ami = props.ami ?? WindowsAmi.alias();
    const instanceCategories = props.instanceCategories ?? ['c', 'm', 'r'];
    const minInstanceGeneration = props.minInstanceGeneration ?? 6;
    const consolidationPolicy = props.consolidationPolicy ?? ConsolidationPolicy.WHEN_EMPTY_OR_UNDERUTILIZED;
    const additionalTaints = props.additionalTaints ?? [];
    const settings = resolvePoolSettings(p, karpenter, props, {
      capacityTypes: [CapacityType.ON_DEMAND, CapacityType.SPOT],
      cpuLimit: 200,
      memoryLimit: Size.gibibytes(800),
      expireAfter: KarpenterDuration.of(Duration.hours(720)),
      rootVolumeSize: Size.gibibytes(100),
      capacityTypesHint: 'allow CapacityType.ON_DEMAND, CapacityType.SPOT or both.',
      poolNoun: 'node pool',
      rootVolumeWho: 'Windows nodes',
      rootVolumeWhy: 'the AMI and each Windows base image take several GiB',
    });
    windowsVersion.checkSupportedBy(`${p}.karpenter`, karpenter);
    validateDns1123Label(`${p}.name`, name);
    validateNonEmpty(`${p}.instanceCategories`, instanceCategories, "allow at least one EC2 instance category, e.g. ['c', 'm', 'r'].");
    instanceCategories.forEach((c, i) => {
      if (!Token.isUnresolved(c) && !/^[a-z]+$/.test(c)) {
        throw new ValidationError(`${p}.instanceCategories[${i}]`, `"${c}" is not an instance category; use lowercase letters such as 'c', 'm', 'r', 't'.`);
      }
    });
    validateInteger(`${p}.minInstanceGeneration`, minInstanceGeneration, 1);
    const taintValues = renderTaints(`${p}.additionalTaints`, [WINDOWS_NODE_TAINT], additionalTaints);
    const amiSelection = ami.bind(windowsVersion, { prop: `${p}.ami`, kubernetesVersion: karpenter.kubernetesVersion });
    // A NodePool and an EC2NodeClass of one name per cluster (VmHostPool shares the names).
    // Two pools of one Windows version get one default name: the check catches them too.
    claimUnique(cluster, 'NodePool', name, this, `${p}.name`, NODE_POOL_NAME_FIX);

    // Children: the chart lives in its own cdk8s app; the cluster's kubectl handler applies it.
    this.chart = new WindowsNodePoolChart(new cdk8s.App(), 'WindowsNodePool', {
      nodePoolName: name,
      nodeClassName: name,
      windowsBuild: windowsVersion.build,
      nodeRoleName: karpenter.windowsNodeRole.roleName,
      amiSelectorTerms: amiSelection.amiSelectorTerms,
      amiFamily: amiSelection.amiFamily,
      subnetSelectorTerms: settings.subnetSelectorTerms,
      securityGroupSelectorTerms: settings.securityGroupSelectorTerms,
      rootVolumeSize: settings.rootVolumeSize,
      rootVolumeKmsKeyId: settings.rootVolumeKmsKeyId,
      tags: settings.tags,
      capacityTypes: settings.capacityTypes,
      instanceCategories: [...instanceCategories],
      minInstanceGeneration,
      nodeLabels: settings.labels,
      taints: taintValues,
      expireAfter: settings.expireAfter,
      consolidationPolicy: consolidationPolicy as string as NodePoolSpecDisruptionConsolidationPolicy,
      consolidateAfter: settings.consolidateAfter,
      budgets: settings.budgets,
      cpuLimit: settings.cpuLimit,
      memoryLimit: settings.memoryLimit,
      weight: settings.weight,
    });
    // The manifest lives under the cluster (where kubectl runs): a path-derived id keeps it unique.
    this.manifest = cluster.addCdk8sChart(`WindowsNodePool${Names.uniqueId(this)}`, this.chart);

    // Attributes.
    this.karpenter = karpenter;
    this.nodePoolName = name;
    this.nodeClassName = name;
    this.windowsVersion = windowsVersion;
    this.taint = WINDOWS_NODE_TAINT;
    this.taints = [WINDOWS_NODE_TAINT, ...additionalTaints];

    // Dependencies: the NodePool and EC2NodeClass CRDs come with the controller's chart.
    this.manifest.node.addDependency(karpenter.controller);
  }

  /**
   * Node labels that select this pool's nodes: OS, architecture, Windows build and
   * `karpenter.sh/nodepool`. A fresh object, safe to extend.
   */
  public get nodeSelector(): Record<string, string> {
    return { ...this.windowsVersion.nodeSelector, 'karpenter.sh/nodepool': this.nodePoolName };
  }
}

