import { Duration, Names, Size, Token } from 'aws-cdk-lib';
import * as cdk8s from 'cdk8s';
import { Construct } from 'constructs';
import { validateDns1123Label, validateInteger, validateNonEmpty, wholeGibibytes } from '../common/validate';
import { ValidationError } from '../common/validation-error';
import { compareVersions } from '../common/version-compare';
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
import {
  renderDisruptionBudgets,
  renderKarpenterDuration,
  renderSecurityGroupSelectorTerms,
  renderSubnetSelectorTerms,
  renderTaints,
  validateNodeClassTags,
  validateNodeLabels,
} from './private/node-pool-validation';
import { WindowsAmi } from './windows-ami';
import { WindowsNodePoolChart } from './windows-node-pool-chart';
import { WINDOWS_NODE_TAINT, WindowsVersion } from './windows-version';

/** Smallest root volume accepted: the EKS Windows AMI alone fills most of Karpenter's 50 GiB default. */
const MIN_ROOT_VOLUME_GIB = 50;
/** gp3 volumes stop at 16 TiB. */
const MAX_ROOT_VOLUME_GIB = 16384;

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
    const karpenter = props.karpenter;
    const cluster = karpenter.cluster;

    // Defaults.
    const windowsVersion = props.windowsVersion;
    const name = props.name ?? windowsVersion.nodePoolName;
    const ami = props.ami ?? WindowsAmi.alias();
    const capacityTypes = props.capacityTypes ?? [CapacityType.ON_DEMAND, CapacityType.SPOT];
    const instanceCategories = props.instanceCategories ?? ['c', 'm', 'r'];
    const minInstanceGeneration = props.minInstanceGeneration ?? 6;
    const cpuLimit = props.cpuLimit ?? 200;
    const memoryLimit = props.memoryLimit ?? Size.gibibytes(800);
    const expireAfter = props.expireAfter ?? KarpenterDuration.of(Duration.hours(720));
    const consolidationPolicy = props.consolidationPolicy ?? ConsolidationPolicy.WHEN_EMPTY_OR_UNDERUTILIZED;
    const consolidateAfter = props.consolidateAfter ?? KarpenterDuration.of(Duration.minutes(10));
    const budgets = props.disruptionBudgets ?? [{ nodes: '10%' }];
    const rootVolumeSize = props.rootVolumeSize ?? Size.gibibytes(100);
    const subnetTerms = props.subnetSelectorTerms ?? [{ tags: { 'karpenter.sh/discovery': cluster.clusterName } }];
    const securityGroupTerms = props.securityGroupSelectorTerms ?? [{ id: cluster.clusterSecurityGroupId }];
    const labels = props.labels ?? {};
    const additionalTaints = props.additionalTaints ?? [];
    const tags = props.tags;

    // Validation.
    if (!Token.isUnresolved(karpenter.version) && compareVersions(karpenter.version, '1.0.0') < 0) {
      throw new ValidationError(`${p}.karpenter.version`, `is '${karpenter.version}'; this node pool uses the Karpenter v1 API (karpenter.sh/v1), available from Karpenter 1.0. Upgrade Karpenter.`);
    }
    windowsVersion.checkSupportedBy(`${p}.karpenter`, karpenter);
    validateDns1123Label(`${p}.name`, name);
    validateNonEmpty(`${p}.capacityTypes`, capacityTypes, 'allow CapacityType.ON_DEMAND, CapacityType.SPOT or both.');
    if (new Set(capacityTypes).size !== capacityTypes.length) {
      throw new ValidationError(`${p}.capacityTypes`, `lists a capacity type twice (${capacityTypes.join(', ')}); list each once.`);
    }
    validateNonEmpty(`${p}.instanceCategories`, instanceCategories, "allow at least one EC2 instance category, e.g. ['c', 'm', 'r'].");
    instanceCategories.forEach((c, i) => {
      if (!Token.isUnresolved(c) && !/^[a-z]+$/.test(c)) {
        throw new ValidationError(`${p}.instanceCategories[${i}]`, `"${c}" is not an instance category; use lowercase letters such as 'c', 'm', 'r', 't'.`);
      }
    });
    validateInteger(`${p}.minInstanceGeneration`, minInstanceGeneration, 1);
    if (!Token.isUnresolved(cpuLimit) && (!Number.isInteger(cpuLimit) || cpuLimit <= 0)) {
      throw new ValidationError(`${p}.cpuLimit`, `is ${cpuLimit}; give a whole number of vCPUs greater than 0 (e.g. 200).`);
    }
    const memoryLimitGib = wholeGibibytes(`${p}.memoryLimit`, memoryLimit);
    if (memoryLimitGib <= 0) {
      throw new ValidationError(`${p}.memoryLimit`, `is ${memoryLimitGib} GiB; give more than 0 (e.g. Size.gibibytes(800)).`);
    }
    const rootVolumeGib = wholeGibibytes(`${p}.rootVolumeSize`, rootVolumeSize);
    if (rootVolumeGib < MIN_ROOT_VOLUME_GIB || rootVolumeGib > MAX_ROOT_VOLUME_GIB) {
      throw new ValidationError(`${p}.rootVolumeSize`, `is ${rootVolumeGib} GiB; Windows nodes need ${MIN_ROOT_VOLUME_GIB} GiB to ${MAX_ROOT_VOLUME_GIB} GiB (the AMI and each Windows base image take several GiB), e.g. Size.gibibytes(100).`);
    }
    if (props.weight !== undefined) validateInteger(`${p}.weight`, props.weight, 1, 100);
    validateNodeLabels(`${p}.labels`, labels);
    if (tags) validateNodeClassTags(`${p}.tags`, tags);
    const expireAfterValue = renderKarpenterDuration(`${p}.expireAfter`, expireAfter, false);
    const consolidateAfterValue = renderKarpenterDuration(`${p}.consolidateAfter`, consolidateAfter, true);
    const budgetValues = renderDisruptionBudgets(`${p}.disruptionBudgets`, budgets);
    const subnetValues = renderSubnetSelectorTerms(`${p}.subnetSelectorTerms`, subnetTerms);
    const securityGroupValues = renderSecurityGroupSelectorTerms(`${p}.securityGroupSelectorTerms`, securityGroupTerms);
    const taintValues = renderTaints(`${p}.additionalTaints`, [WINDOWS_NODE_TAINT], additionalTaints);
    const amiSelection = ami.bind(windowsVersion, { prop: `${p}.ami`, kubernetesVersion: karpenter.kubernetesVersion });

    // Children: the chart lives in its own cdk8s app; the cluster's kubectl handler applies it.
    this.chart = new WindowsNodePoolChart(new cdk8s.App(), 'WindowsNodePool', {
      nodePoolName: name,
      nodeClassName: name,
      windowsBuild: windowsVersion.build,
      nodeRoleName: karpenter.windowsNodeRole.roleName,
      amiSelectorTerms: amiSelection.amiSelectorTerms,
      amiFamily: amiSelection.amiFamily,
      subnetSelectorTerms: subnetValues,
      securityGroupSelectorTerms: securityGroupValues,
      rootVolumeSize: `${rootVolumeGib}Gi`,
      rootVolumeKmsKeyId: props.rootVolumeEncryptionKey?.keyArn,
      tags: tags ? { ...tags } : undefined,
      capacityTypes: [...capacityTypes],
      instanceCategories: [...instanceCategories],
      minInstanceGeneration,
      nodeLabels: { ...labels },
      taints: taintValues,
      expireAfter: expireAfterValue,
      consolidationPolicy: consolidationPolicy as string as NodePoolSpecDisruptionConsolidationPolicy,
      consolidateAfter: consolidateAfterValue,
      budgets: budgetValues,
      cpuLimit,
      memoryLimit: `${memoryLimitGib}Gi`,
      weight: props.weight,
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

