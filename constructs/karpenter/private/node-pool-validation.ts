import { Duration, Token } from 'aws-cdk-lib';
import { validateEc2Id } from '../../common/aws-ids';
import { CronDialect, validateStandardCron } from '../../common/cron';
import { checkProps, describeValue, isEnumMember, isString, PropCheck, required } from '../../common/validate';
import { ValidationError } from '../../common/validation-error';
import {
  Ec2NodeClassSpecSecurityGroupSelectorTerms,
  Ec2NodeClassSpecSubnetSelectorTerms,
} from '../../imports/karpenter.k8s.aws';
import {
  NodePoolSpecDisruptionBudgets,
  NodePoolSpecDisruptionBudgetsReasons,
  NodePoolSpecTemplateSpecTaints,
  NodePoolSpecTemplateSpecTaintsEffect,
} from '../../imports/karpenter.sh';
import { DisruptionBudget, KarpenterDuration, NodeTaint, SecurityGroupSelectorTerm, SubnetSelectorTerm, TaintEffect } from '../node-pool-types';
import { WindowsVersion } from '../windows-version';

/**
 * Synth-time checks and renderings for Karpenter NodePool / EC2NodeClass fields. They mirror
 * the CRDs' OpenAPI patterns and CEL rules (Karpenter v1.14.1) so that a bad value fails at
 * `cdk synth`, naming the prop, instead of at deploy time inside a kubectl custom resource.
 */

const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** Label domains the kubelet or Karpenter reserve; node pools set the well-known ones themselves. */
const RESERVED_LABEL_DOMAINS = ['kubernetes.io', 'k8s.io', 'karpenter.sh', 'karpenter.k8s.aws'];
/** EC2NodeClass tags Karpenter sets itself (CEL rules of `spec.tags`); `aws:` is EC2's own prefix. */
const RESERVED_TAG_KEYS = ['eks:eks-cluster-name', 'karpenter.sh/nodepool', 'karpenter.sh/nodeclaim', 'karpenter.k8s.aws/ec2nodeclass'];
const RESERVED_TAG_PREFIXES = ['kubernetes.io/cluster', 'aws:'];
const MAX_SELECTOR_TERMS = 30;
const MAX_SELECTOR_TAGS = 20;

/** Fails unless `key` is a Kubernetes qualified name (`[prefix/]name`). */
export function validateQualifiedName(prop: string, key: string): void {
  if (Token.isUnresolved(key)) return;
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  const prefixOk = prefix === undefined || (prefix.length <= 253 && DNS1123_SUBDOMAIN.test(prefix));
  if (!prefixOk || name.length > 63 || !LABEL_NAME.test(name)) {
    throw new ValidationError(prop, `"${key}" is not a valid key: use an optional DNS subdomain prefix and '/', then at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit (e.g. 'example.com/team').`);
  }
}

/** Fails unless `value` is a valid label value (empty allowed). */
export function validateLabelValue(prop: string, value: string): void {
  if (Token.isUnresolved(value)) return;
  if (value.length > 63 || (value !== '' && !LABEL_NAME.test(value))) {
    throw new ValidationError(prop, `"${value}" is not a valid label value: use at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit.`);
  }
}

/** Fails unless every node label is well formed and outside the reserved domains. */
export function validateNodeLabels(prop: string, labels: Record<string, string>): void {
  const keys = Object.keys(labels);
  if (keys.length > 100) {
    throw new ValidationError(prop, `has ${keys.length} labels; a NodePool takes at most 100.`);
  }
  for (const [key, value] of Object.entries(labels)) {
    validateQualifiedName(`${prop}`, key);
    validateLabelValue(`${prop}["${key}"]`, value);
    if (Token.isUnresolved(key)) continue;
    const domain = key.includes('/') ? key.slice(0, key.indexOf('/')) : '';
    if (RESERVED_LABEL_DOMAINS.some((d) => domain.endsWith(d))) {
      throw new ValidationError(prop, `label "${key}" uses a domain reserved by Kubernetes or Karpenter (${RESERVED_LABEL_DOMAINS.join(', ')}); the node pool sets the well-known labels itself. Use a domain of your own, e.g. 'example.com/team'.`);
    }
  }
}

/**
 * Fails unless the taints are well formed and no two share a key and effect (`reserved` are
 * the taints the pool always sets); returns them in the NodePool's typed shape.
 */
export function renderTaints(prop: string, reserved: readonly NodeTaint[], extra: readonly NodeTaint[]): NodePoolSpecTemplateSpecTaints[] {
  const seen = new Set(reserved.map((t) => `${t.key}:${t.effect}`));
  extra.forEach((taint, i) => {
    checkProps(`${prop}[${i}]`, taint, {
      key: required(isString("'example.com/dedicated'")),
      value: isString("'desktops'"),
      effect: required(isEnumMember(TaintEffect, 'TaintEffect')),
    });
    validateQualifiedName(`${prop}[${i}].key`, taint.key);
    if (taint.value !== undefined) {
      if (taint.value === '') {
        throw new ValidationError(`${prop}[${i}].value`, 'is empty; leave it undefined for a taint without a value.');
      }
      validateLabelValue(`${prop}[${i}].value`, taint.value);
    }
    const id = `${taint.key}:${taint.effect}`;
    if (seen.has(id)) {
      throw new ValidationError(`${prop}[${i}]`, `taint "${id}" is already set on the pool's nodes; a node takes one taint per key and effect. Remove it or use another key.`);
    }
    seen.add(id);
  });
  return [...reserved, ...extra].map((t) => ({
    key: t.key,
    value: t.value,
    effect: t.effect as string as NodePoolSpecTemplateSpecTaintsEffect,
  }));
}

/** Fails unless the EC2NodeClass tags are valid EC2 tags that Karpenter does not reserve. */
export function validateNodeClassTags(prop: string, tags: Record<string, string>): void {
  for (const [key, value] of Object.entries(tags)) {
    if (Token.isUnresolved(key)) continue;
    if (key === '' || key.length > 128) {
      throw new ValidationError(prop, `tag key "${key}" must be 1 to 128 characters long.`);
    }
    if (RESERVED_TAG_KEYS.includes(key) || RESERVED_TAG_PREFIXES.some((p) => key.startsWith(p))) {
      throw new ValidationError(prop, `tag key "${key}" is set by Karpenter or EKS (reserved: ${[...RESERVED_TAG_KEYS, ...RESERVED_TAG_PREFIXES.map((p) => `${p}*`)].join(', ')}); remove it.`);
    }
    if (!Token.isUnresolved(value) && value.length > 256) {
      throw new ValidationError(`${prop}["${key}"]`, `tag value is ${value.length} characters long; EC2 allows at most 256.`);
    }
  }
}

function validateSelectorTags(prop: string, tags: Record<string, string>): void {
  const entries = Object.entries(tags);
  if (entries.length === 0 || entries.length > MAX_SELECTOR_TAGS) {
    throw new ValidationError(prop, `has ${entries.length} tags; give 1 to ${MAX_SELECTOR_TAGS}.`);
  }
  for (const [key, value] of entries) {
    if (key === '' || value === '') {
      throw new ValidationError(prop, `tag "${key}"="${value}" has an empty key or value; use '*' to match any value.`);
    }
  }
}

function validateTermCount(prop: string, count: number, what: string): void {
  if (count === 0 || count > MAX_SELECTOR_TERMS) {
    throw new ValidationError(prop, `has ${count} terms; give 1 to ${MAX_SELECTOR_TERMS} ${what} selector terms.`);
  }
}

/** Validates subnet selector terms (exactly one of `id` / `tags` per term) and renders them. */
export function renderSubnetSelectorTerms(prop: string, terms: readonly SubnetSelectorTerm[]): Ec2NodeClassSpecSubnetSelectorTerms[] {
  validateTermCount(prop, terms.length, 'subnet');
  return terms.map((term, i) => {
    const set = [term.id, term.tags].filter((v) => v !== undefined).length;
    if (set !== 1) {
      throw new ValidationError(`${prop}[${i}]`, `sets ${set} of 'id' and 'tags'; set exactly one (Karpenter rejects combining them).`);
    }
    if (term.id !== undefined) validateEc2Id(`${prop}[${i}].id`, term.id, 'subnet');
    if (term.tags !== undefined) validateSelectorTags(`${prop}[${i}].tags`, term.tags);
    return { id: term.id, tags: term.tags ? { ...term.tags } : undefined };
  });
}

/** Validates security group selector terms (exactly one of `id` / `name` / `tags`) and renders them. */
export function renderSecurityGroupSelectorTerms(prop: string, terms: readonly SecurityGroupSelectorTerm[]): Ec2NodeClassSpecSecurityGroupSelectorTerms[] {
  validateTermCount(prop, terms.length, 'security group');
  return terms.map((term, i) => {
    const set = [term.id, term.name, term.tags].filter((v) => v !== undefined).length;
    if (set !== 1) {
      throw new ValidationError(`${prop}[${i}]`, `sets ${set} of 'id', 'name' and 'tags'; set exactly one (Karpenter rejects combining them).`);
    }
    if (term.id !== undefined) validateEc2Id(`${prop}[${i}].id`, term.id, 'sg');
    if (term.name !== undefined && !Token.isUnresolved(term.name) && term.name === '') {
      throw new ValidationError(`${prop}[${i}].name`, 'is empty; give the security group name.');
    }
    if (term.tags !== undefined) validateSelectorTags(`${prop}[${i}].tags`, term.tags);
    return { id: term.id, name: term.name, tags: term.tags ? { ...term.tags } : undefined };
  });
}

function wholeSeconds(prop: string, duration: Duration): number {
  const seconds = duration.toSeconds({ integral: false });
  if (!Number.isInteger(seconds)) {
    throw new ValidationError(prop, `is ${duration.toHumanString()}; Karpenter durations are whole seconds.`);
  }
  return seconds;
}

/** Go duration syntax in the largest whole unit: `720h`, `90m`, `45s`. */
function goDuration(seconds: number): string {
  if (seconds === 0) return '0s';
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

/**
 * Renders a Karpenter duration (`720h`, `Never`).
 *
 * @param allowZero  whether `0s` makes sense for the field (`consolidateAfter`: yes;
 *   `expireAfter`: no, nodes would be replaced as soon as they start)
 */
export function renderKarpenterDuration(prop: string, value: KarpenterDuration, allowZero: boolean): string {
  if (value.duration === undefined) return 'Never';
  if (value.duration.isUnresolved()) {
    throw new ValidationError(prop, 'is a deploy-time value; Karpenter durations must be known at synth time.');
  }
  const seconds = wholeSeconds(prop, value.duration);
  if (seconds === 0 && !allowZero) {
    throw new ValidationError(prop, 'is 0; give a positive duration (e.g. Duration.days(30)) or KarpenterDuration.NEVER.');
  }
  return goDuration(seconds);
}

const BUDGET_NODES = /^((100|[0-9]{1,2})%|[0-9]+)$/;

/** Validates disruption budgets against the NodePool CRD and renders them. */
export function renderDisruptionBudgets(prop: string, budgets: readonly DisruptionBudget[]): NodePoolSpecDisruptionBudgets[] {
  if (budgets.length === 0 || budgets.length > 50) {
    throw new ValidationError(prop, `has ${budgets.length} budgets; give 1 to 50 (e.g. [{ nodes: '10%' }]; { nodes: '0' } blocks voluntary disruption).`);
  }
  return budgets.map((budget, i) => {
    const at = `${prop}[${i}]`;
    if (!Token.isUnresolved(budget.nodes) && !BUDGET_NODES.test(budget.nodes)) {
      throw new ValidationError(`${at}.nodes`, `"${budget.nodes}" is not a node count or percentage; use e.g. '2' or '10%' (at most '100%').`);
    }
    if ((budget.schedule === undefined) !== (budget.duration === undefined)) {
      throw new ValidationError(at, "sets only one of 'schedule' and 'duration'; set both for a recurring window, or neither for an always-active budget.");
    }
    let duration: string | undefined;
    let schedule: string | undefined;
    if (budget.schedule !== undefined && budget.duration !== undefined) {
      schedule = validateStandardCron(`${at}.schedule`, budget.schedule, CronDialect.KARPENTER_BUDGET, '0 9 * * mon-fri');
      const seconds = wholeSeconds(`${at}.duration`, budget.duration);
      if (seconds === 0 || seconds % 60 !== 0) {
        throw new ValidationError(`${at}.duration`, `is ${budget.duration.toHumanString()}; budget windows are whole minutes or hours, greater than 0.`);
      }
      duration = goDuration(seconds);
    }
    const reasons = budget.reasons ?? [];
    if (new Set(reasons).size !== reasons.length) {
      throw new ValidationError(`${at}.reasons`, `lists a reason twice (${reasons.join(', ')}); list each once.`);
    }
    return {
      nodes: budget.nodes,
      schedule,
      duration,
      reasons: reasons.length > 0 ? reasons.map((r) => r as string as NodePoolSpecDisruptionBudgetsReasons) : undefined,
    };
  });
}

/** A `WindowsVersion`; a year from JSON is pointed at `WindowsVersion.of`. */
export function isWindowsVersion(): PropCheck {
  return (prop, value) => {
    if (value instanceof WindowsVersion) return;
    const year = typeof value === 'number' || typeof value === 'string' ? String(value).trim() : undefined;
    const how = year !== undefined && WindowsVersion.ALL.some((v) => v.year === year)
      ? `WindowsVersion.of('${year}') or WindowsVersion.WINDOWS_${year}`
      : `WindowsVersion.WINDOWS_2022 (or WindowsVersion.of('2022') for a year read from configuration; ${WindowsVersion.ALL.map((v) => `'${v.year}'`).join(', ')})`;
    throw new ValidationError(prop, `is ${describeValue(value)}, not a WindowsVersion; give ${how}.`);
  };
}

