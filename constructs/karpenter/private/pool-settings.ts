import { Duration, Size, Token } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import {
  checkProps, isArrayOf, isEnumMember, isInstanceOf, isNumber, isShape, isString, isStringMap, PropCheck, required,
  validateInteger, validateNonEmpty, wholeGibibytes,
} from '../../common/validate';
import { ValidationError } from '../../common/validation-error';
import { compareVersions } from '../../common/version-compare';
import { Ec2NodeClassSpecSecurityGroupSelectorTerms, Ec2NodeClassSpecSubnetSelectorTerms } from '../../imports/karpenter.k8s.aws';
import { NodePoolSpecDisruptionBudgets } from '../../imports/karpenter.sh';
import { IKarpenter } from '../karpenter-reference';
import { CapacityType, DisruptionBudget, DisruptionReason, KarpenterDuration, KarpenterPoolOptions } from '../node-pool-types';
import {
  renderDisruptionBudgets,
  renderKarpenterDuration,
  renderSecurityGroupSelectorTerms,
  renderSubnetSelectorTerms,
  validateNodeClassTags,
  validateNodeLabels,
} from './node-pool-validation';

/** EBS gp3 root volumes: at least what an EKS-optimized AMI needs, at most what gp3 allows. */
const MIN_ROOT_VOLUME_GIB = 50;
const MAX_ROOT_VOLUME_GIB = 16384;

/** The pool options every Karpenter pool of the library resolves the same way. */
export interface PoolSettingsOptions extends KarpenterPoolOptions {
  readonly capacityTypes?: CapacityType[];
  readonly cpuLimit?: number;
  readonly memoryLimit?: Size;
  readonly expireAfter?: KarpenterDuration;
  readonly consolidateAfter?: KarpenterDuration;
  readonly disruptionBudgets?: DisruptionBudget[];
  readonly rootVolumeSize?: Size;
}

/** What differs between pools: their defaults and how their messages explain them. */
export interface PoolSettingsDefaults {
  readonly capacityTypes: CapacityType[];
  readonly cpuLimit: number;
  readonly memoryLimit: Size;
  readonly expireAfter: KarpenterDuration;
  readonly rootVolumeSize: Size;
  /** Hint when `capacityTypes` is empty. */
  readonly capacityTypesHint: string;
  /** What the pool is called in the Karpenter version message ("node pool", "pool"). */
  readonly poolNoun: string;
  /** Who needs the root-volume range and why, e.g. `Windows nodes` / `the AMI ... take several GiB`. */
  readonly rootVolumeWho: string;
  readonly rootVolumeWhy: string;
}

/** Validated pool settings, rendered for the chart. */
export interface PoolSettings {
  readonly capacityTypes: CapacityType[];
  readonly cpuLimit: number;
  readonly memoryLimit: string;
  readonly rootVolumeSize: string;
  readonly rootVolumeKmsKeyId?: string;
  readonly expireAfter: string;
  readonly consolidateAfter: string;
  readonly budgets: NodePoolSpecDisruptionBudgets[];
  readonly subnetSelectorTerms: Ec2NodeClassSpecSubnetSelectorTerms[];
  readonly securityGroupSelectorTerms: Ec2NodeClassSpecSecurityGroupSelectorTerms[];
  readonly labels: Record<string, string>;
  readonly tags?: Record<string, string>;
  readonly weight?: number;
}

/** A `KarpenterDuration`; a string from JSON is pointed at `KarpenterDuration.parse`. */
function isKarpenterDuration(): PropCheck {
  return (prop, value) => {
    if (value instanceof KarpenterDuration) return;
    if (typeof value === 'string') {
      throw new ValidationError(prop, `is the string ${JSON.stringify(value)}; wrap it: KarpenterDuration.parse(${JSON.stringify(value)}) (Go syntax: "720h", "30s", "Never"), or use KarpenterDuration.of(Duration.hours(720)).`);
    }
    isInstanceOf(KarpenterDuration, 'KarpenterDuration.of(Duration.hours(720)), KarpenterDuration.parse(\'720h\') or KarpenterDuration.NEVER')(prop, value);
  };
}

const SIZE = (example: string): PropCheck => isInstanceOf(Size, `an aws-cdk-lib Size, e.g. ${example}`);
const SELECTOR_TAGS = isStringMap("{ 'karpenter.sh/discovery': 'my-cluster' }");

/** Runtime types of the options every pool shares (values from JSON arrive as anything). */
export const POOL_OPTION_TYPES: Record<string, PropCheck> = {
  weight: isNumber('10'),
  rootVolumeEncryptionKey: isInstanceOfKey(),
  subnetSelectorTerms: isArrayOf(isShape({ id: isString("'subnet-0123456789abcdef0'"), tags: SELECTOR_TAGS }, "{ tags: { 'karpenter.sh/discovery': 'my-cluster' } }"), "[{ id: 'subnet-0123456789abcdef0' }]"),
  securityGroupSelectorTerms: isArrayOf(isShape({ id: isString("'sg-0123456789abcdef0'"), name: isString("'nodes'"), tags: SELECTOR_TAGS }, "{ id: 'sg-0123456789abcdef0' }"), "[{ id: 'sg-0123456789abcdef0' }]"),
  labels: isStringMap("{ 'example.com/team': 'desktops' }"),
  tags: isStringMap("{ team: 'desktops' }"),
  capacityTypes: isArrayOf(isEnumMember(CapacityType, 'CapacityType'), '[CapacityType.ON_DEMAND]'),
  cpuLimit: isNumber('200'),
  memoryLimit: SIZE('Size.gibibytes(800)'),
  expireAfter: isKarpenterDuration(),
  consolidateAfter: isKarpenterDuration(),
  disruptionBudgets: isArrayOf(isShape({
    nodes: required(isString("'10%'")),
    schedule: isString("'0 9 * * mon-fri'"),
    duration: isInstanceOf(Duration, 'an aws-cdk-lib Duration, e.g. Duration.hours(8)'),
    reasons: isArrayOf(isEnumMember(DisruptionReason, 'DisruptionReason'), '[DisruptionReason.DRIFTED]'),
  }, "{ nodes: '10%' }"), "[{ nodes: '10%' }]"),
  rootVolumeSize: SIZE('Size.gibibytes(100)'),
};

/** A KMS key construct (anything with a `keyArn`). */
function isInstanceOfKey(): PropCheck {
  return (prop, value) => {
    const keyArn = typeof value === 'object' && value !== null ? (value as Partial<kms.IKey>).keyArn : undefined;
    if (typeof keyArn !== 'string') {
      throw new ValidationError(prop, `is ${typeof value === 'string' ? JSON.stringify(value) : 'not a KMS key'}; give an IKey, e.g. kms.Key.fromKeyArn(this, 'Key', '<key ARN>').`);
    }
  };
}

/**
 * Resolves defaults, validates and renders the settings Windows pools and VM host pools share:
 * Karpenter v1, capacity types, limits, root volume, durations, budgets, selectors, labels, tags.
 *
 * @param p  prop prefix of the pool's messages, e.g. `WindowsNodePool`
 */
export function resolvePoolSettings(p: string, karpenter: IKarpenter, options: PoolSettingsOptions, defaults: PoolSettingsDefaults): PoolSettings {
  // The pool checks misspelled props against all its props; this table is only a part of them.
  checkProps(p, options, POOL_OPTION_TYPES, { refuseMisspelled: false });
  const cluster = karpenter.cluster;
  const capacityTypes = options.capacityTypes ?? defaults.capacityTypes;
  const cpuLimit = options.cpuLimit ?? defaults.cpuLimit;
  const memoryLimit = options.memoryLimit ?? defaults.memoryLimit;
  const rootVolumeSize = options.rootVolumeSize ?? defaults.rootVolumeSize;
  const labels = options.labels ?? {};
  const defaultMemoryGib = defaults.memoryLimit.toGibibytes();
  const defaultRootGib = defaults.rootVolumeSize.toGibibytes();

  if (!Token.isUnresolved(karpenter.version) && compareVersions(karpenter.version, '1.0.0') < 0) {
    throw new ValidationError(`${p}.karpenter.version`, `is '${karpenter.version}'; this ${defaults.poolNoun} uses the Karpenter v1 API (karpenter.sh/v1), available from Karpenter 1.0. Upgrade Karpenter.`);
  }
  validateNonEmpty(`${p}.capacityTypes`, capacityTypes, defaults.capacityTypesHint);
  if (new Set(capacityTypes).size !== capacityTypes.length) {
    throw new ValidationError(`${p}.capacityTypes`, `lists a capacity type twice (${capacityTypes.join(', ')}); list each once.`);
  }
  if (!Token.isUnresolved(cpuLimit) && (!Number.isInteger(cpuLimit) || cpuLimit <= 0)) {
    throw new ValidationError(`${p}.cpuLimit`, `is ${cpuLimit}; give a whole number of vCPUs greater than 0 (e.g. ${defaults.cpuLimit}).`);
  }
  const memoryLimitGib = wholeGibibytes(`${p}.memoryLimit`, memoryLimit);
  if (memoryLimitGib <= 0) {
    throw new ValidationError(`${p}.memoryLimit`, `is ${memoryLimitGib} GiB; give more than 0 (e.g. Size.gibibytes(${defaultMemoryGib})).`);
  }
  const rootVolumeGib = wholeGibibytes(`${p}.rootVolumeSize`, rootVolumeSize);
  if (rootVolumeGib < MIN_ROOT_VOLUME_GIB || rootVolumeGib > MAX_ROOT_VOLUME_GIB) {
    throw new ValidationError(`${p}.rootVolumeSize`, `is ${rootVolumeGib} GiB; ${defaults.rootVolumeWho} need ${MIN_ROOT_VOLUME_GIB} GiB to ${MAX_ROOT_VOLUME_GIB} GiB (${defaults.rootVolumeWhy}), e.g. Size.gibibytes(${defaultRootGib}).`);
  }
  if (options.weight !== undefined) validateInteger(`${p}.weight`, options.weight, 1, 100);
  validateNodeLabels(`${p}.labels`, labels);
  if (options.tags) validateNodeClassTags(`${p}.tags`, options.tags);

  return {
    capacityTypes: [...capacityTypes],
    cpuLimit,
    memoryLimit: `${memoryLimitGib}Gi`,
    rootVolumeSize: `${rootVolumeGib}Gi`,
    rootVolumeKmsKeyId: options.rootVolumeEncryptionKey?.keyArn,
    expireAfter: renderKarpenterDuration(`${p}.expireAfter`, options.expireAfter ?? defaults.expireAfter, false),
    consolidateAfter: renderKarpenterDuration(`${p}.consolidateAfter`, options.consolidateAfter ?? KarpenterDuration.of(Duration.minutes(10)), true),
    budgets: renderDisruptionBudgets(`${p}.disruptionBudgets`, options.disruptionBudgets ?? [{ nodes: '10%' }]),
    // Subnets tagged for discovery by DesktopCluster / WindowsClusterSupport; the cluster's own security group.
    subnetSelectorTerms: renderSubnetSelectorTerms(`${p}.subnetSelectorTerms`,
      options.subnetSelectorTerms ?? [{ tags: { 'karpenter.sh/discovery': cluster.clusterName } }]),
    securityGroupSelectorTerms: renderSecurityGroupSelectorTerms(`${p}.securityGroupSelectorTerms`,
      options.securityGroupSelectorTerms ?? [{ id: cluster.clusterSecurityGroupId }]),
    labels: { ...labels },
    tags: options.tags ? { ...options.tags } : undefined,
    weight: options.weight,
  };
}
