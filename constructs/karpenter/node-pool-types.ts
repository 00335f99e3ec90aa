import * as kms from 'aws-cdk-lib/aws-kms';
import { Duration } from 'aws-cdk-lib';
import { parseKarpenterDuration } from '../common/duration';
import { describeValue } from '../common/validate';
import { ValidationError } from '../common/validation-error';

/**
 * Value types shared by Karpenter node pools (Windows now, Linux VM hosts later): typed
 * stand-ins for the strings of the Karpenter v1 NodePool and EC2NodeClass APIs.
 */

/**
 * Purchase option of the nodes a pool may launch (well-known label `karpenter.sh/capacity-type`).
 *
 * @see https://karpenter.sh/docs/concepts/nodepools/#capacity-type
 */
export enum CapacityType {
  /** On-Demand Instances. */
  ON_DEMAND = 'on-demand',
  /** Spot Instances: cheaper, reclaimed with a two-minute notice (Karpenter drains on the interruption event). */
  SPOT = 'spot',
}

/**
 * Which nodes Karpenter may remove or replace to save cost.
 *
 * @see https://karpenter.sh/docs/concepts/disruption/#consolidation
 */
export enum ConsolidationPolicy {
  /** Only nodes without workload pods. */
  WHEN_EMPTY = 'WhenEmpty',
  /** Empty nodes, and nodes whose pods fit elsewhere or on a cheaper node. */
  WHEN_EMPTY_OR_UNDERUTILIZED = 'WhenEmptyOrUnderutilized',
}

/**
 * Effect of a node taint on pods that do not tolerate it.
 */
export enum TaintEffect {
  /** New pods are not scheduled on the node. */
  NO_SCHEDULE = 'NoSchedule',
  /** The scheduler avoids the node when it can. */
  PREFER_NO_SCHEDULE = 'PreferNoSchedule',
  /** New pods are not scheduled and running pods are evicted. */
  NO_EXECUTE = 'NoExecute',
}

/**
 * A taint Karpenter puts on every node of a pool.
 */
export interface NodeTaint {
  /** Taint key, e.g. `os` or `example.com/dedicated`. */
  readonly key: string;
  /**
   * Taint value.
   * @default - no value
   */
  readonly value?: string;
  /** Effect on pods that do not tolerate the taint. */
  readonly effect: TaintEffect;
}

/**
 * Disruption methods a budget can be limited to.
 */
export enum DisruptionReason {
  /** Consolidation of underutilized nodes. */
  UNDERUTILIZED = 'Underutilized',
  /** Removal of empty nodes. */
  EMPTY = 'Empty',
  /** Replacement of nodes that no longer match their NodePool or EC2NodeClass (new AMI, changed spec). */
  DRIFTED = 'Drifted',
}

/**
 * Caps how many of a pool's nodes Karpenter may disrupt at once, optionally only in a
 * recurring window.
 *
 * @see https://karpenter.sh/docs/concepts/disruption/#nodepool-disruption-budgets
 */
export interface DisruptionBudget {
  /**
   * Nodes that may be disrupted at once: a count (`'2'`, `'0'` blocks disruption) or a
   * percentage of the pool (`'10%'`).
   */
  readonly nodes: string;
  /**
   * When the budget starts to apply, as a cron expression in UTC (`'0 9 * * mon-fri'`) or a
   * macro (`'@daily'`). Needs `duration`.
   * @default - always active
   */
  readonly schedule?: string;
  /**
   * How long the budget applies after each `schedule` hit; whole minutes. Needs `schedule`.
   * @default - always active
   */
  readonly duration?: Duration;
  /**
   * Disruption methods the budget applies to.
   * @default - all methods
   */
  readonly reasons?: DisruptionReason[];
}

/**
 * A Karpenter duration: a length of time, or `Never`.
 *
 * Karpenter writes durations in Go syntax (`720h`, `10m`); this class takes an aws-cdk-lib
 * `Duration` instead so units cannot be mistyped.
 */
export class KarpenterDuration {
  /** Never: nodes never expire (`expireAfter`), or are never consolidated (`consolidateAfter`). */
  public static readonly NEVER = new KarpenterDuration(undefined);

  /** A length of time; rendered in whole hours, minutes or seconds. */
  public static of(duration: Duration): KarpenterDuration {
    if (!(duration instanceof Duration)) {
      const hint = typeof duration === 'string' ? ` For a string such as "720h" use KarpenterDuration.parse(${JSON.stringify(duration)}).` : '';
      throw new ValidationError('KarpenterDuration.of(duration)', `is ${describeValue(duration)}; give an aws-cdk-lib Duration, e.g. Duration.hours(720).${hint}`);
    }
    return new KarpenterDuration(duration);
  }

  /**
   * A duration written as Karpenter writes it, e.g. from `cdk.json`: whole hours, minutes and
   * seconds (`'720h'`, `'1h30m'`, `'30s'`) or `'Never'`. Anything else (`'30d'`, `'1.5h'`,
   * `'never'`) fails, naming the value.
   */
  public static parse(text: string): KarpenterDuration {
    if (typeof text !== 'string') {
      throw new ValidationError('KarpenterDuration.parse(text)', `is ${describeValue(text)}; give a string such as "720h" or "Never".`);
    }
    const duration = parseKarpenterDuration('KarpenterDuration.parse(text)', text);
    return duration === undefined ? KarpenterDuration.NEVER : KarpenterDuration.of(duration);
  }

  /** The length of time, or `undefined` for `NEVER`. */
  public readonly duration?: Duration;

  private constructor(duration: Duration | undefined) {
    this.duration = duration;
  }

  /** True for `KarpenterDuration.NEVER`. */
  public get isNever(): boolean {
    return this.duration === undefined;
  }
}

/**
 * Picks the subnets nodes are launched in. Set exactly one of `id` or `tags`.
 *
 * @see https://karpenter.sh/docs/concepts/nodeclasses/#specsubnetselectorterms
 */
export interface SubnetSelectorTerm {
  /**
   * Subnet id (`subnet-...`).
   * @default - select by tags
   */
  readonly id?: string;
  /**
   * Tags a subnet must have; `'*'` as a value matches any value.
   * @default - select by id
   */
  readonly tags?: Record<string, string>;
}

/**
 * Picks the security groups of the nodes. Set exactly one of `id`, `name` or `tags`.
 *
 * @see https://karpenter.sh/docs/concepts/nodeclasses/#specsecuritygroupselectorterms
 */
export interface SecurityGroupSelectorTerm {
  /**
   * Security group id (`sg-...`).
   * @default - select by name or tags
   */
  readonly id?: string;
  /**
   * Security group name (the group's name, not its `Name` tag).
   * @default - select by id or tags
   */
  readonly name?: string;
  /**
   * Tags a security group must have; `'*'` as a value matches any value.
   * @default - select by id or name
   */
  readonly tags?: Record<string, string>;
}

/**
 * Options every Karpenter pool of this library shares (Windows pools, VM host pools).
 */
export interface KarpenterPoolOptions {
  /**
   * Priority of this pool when several pools fit a pod (1 to 100, higher first).
   * @default - no weight (treated as 0)
   */
  readonly weight?: number;

  /**
   * Customer managed KMS key for the root volume. Its key policy must let the Karpenter
   * controller and EC2 use it to launch instances.
   * @default - the account's default EBS encryption key
   */
  readonly rootVolumeEncryptionKey?: kms.IKey;

  /**
   * Subnets of the nodes.
   * @default - subnets tagged `karpenter.sh/discovery: <cluster name>`
   */
  readonly subnetSelectorTerms?: SubnetSelectorTerm[];

  /**
   * Security groups of the nodes.
   * @default - the cluster security group EKS created (`cluster.clusterSecurityGroupId`)
   */
  readonly securityGroupSelectorTerms?: SecurityGroupSelectorTerm[];

  /**
   * Extra labels of the nodes. Domains reserved by Kubernetes and Karpenter
   * (`kubernetes.io`, `k8s.io`, `karpenter.sh`, `karpenter.k8s.aws`) are rejected.
   * @default - none
   */
  readonly labels?: Record<string, string>;

  /**
   * Tags of the EC2 instances, volumes and launch templates. Keys Karpenter or EKS set
   * (`kubernetes.io/cluster/*`, `karpenter.sh/nodepool`, ...) and `aws:*` are rejected.
   * @default - none beyond Karpenter's own
   */
  readonly tags?: Record<string, string>;
}
