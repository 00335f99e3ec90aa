import { KubernetesObject } from './kubernetes-schemas';

/**
 * The CEL rules of the Karpenter v1.14.1 CRDs (`x-kubernetes-validations` in
 * karpenter.sh_nodepools.yaml, karpenter.sh_nodeoverlays.yaml and
 * karpenter.k8s.aws_ec2nodeclasses.yaml) that apply to the
 * fields node desktops write, restated in TypeScript: no CEL evaluator is installable here, and
 * the JSON schema check does not run them. Update-only rules (`oldSelf`) are left out.
 * Returns the messages of the rules an object breaks (empty when it keeps them all).
 */
export function karpenterCelViolations(obj: KubernetesObject): string[] {
  if (obj.kind === 'NodePool') return nodePoolViolations(obj);
  if (obj.kind === 'EC2NodeClass') return nodeClassViolations(obj);
  if (obj.kind === 'NodeOverlay') return nodeOverlayViolations(obj);
  return [];
}

/** The rules of karpenter.sh_nodeoverlays.yaml (v1.14.1). */
function nodeOverlayViolations(obj: KubernetesObject): string[] {
  const spec = obj.spec as { requirements: Requirement[]; capacity?: Record<string, unknown>; price?: string; priceAdjustment?: string };
  const out: string[] = [];
  if (Object.keys(spec.capacity ?? {}).some((k) => ['cpu', 'memory', 'ephemeral-storage', 'pods'].includes(k))) out.push('invalid resource restricted');
  for (const r of spec.requirements) {
    out.push(...labelKeyViolations(r.key));
    if ((r.operator === 'In' || r.operator === 'NotIn') && (r.values ?? []).length === 0) out.push(`requirements with operator '${r.operator}' must have a value defined (${r.key})`);
    if (['Gt', 'Lt', 'Gte', 'Lte'].includes(r.operator) && !((r.values ?? []).length === 1 && /^\d+$/.test(r.values![0]))) {
      out.push(`requirements operator '${r.operator}' must have a single positive integer value (${r.key})`);
    }
  }
  if (spec.price !== undefined && spec.priceAdjustment !== undefined) out.push("cannot set both 'price' and 'priceAdjustment'");
  return out;
}

const KARPENTER_SH_ALLOWED = ['karpenter.sh/capacity-type', 'karpenter.sh/nodepool'];
const KARPENTER_AWS_ALLOWED = ['karpenter.k8s.aws/instance-tenancy', 'karpenter.k8s.aws/instance-category', 'karpenter.k8s.aws/instance-family',
  'karpenter.k8s.aws/instance-generation', 'karpenter.k8s.aws/instance-size', 'karpenter.k8s.aws/instance-cpu', 'karpenter.k8s.aws/instance-memory',
  'karpenter.k8s.aws/instance-hypervisor', 'karpenter.k8s.aws/instance-cpu-manufacturer', 'karpenter.k8s.aws/ec2nodeclass'];
const domainOf = (key: string): string => /^([^/]+)/.exec(key)![1];

function labelKeyViolations(key: string): string[] {
  const out: string[] = [];
  if (!KARPENTER_SH_ALLOWED.includes(key) && domainOf(key).endsWith('karpenter.sh')) out.push(`label domain "karpenter.sh" is restricted (${key})`);
  if (key === 'kubernetes.io/hostname') out.push('label "kubernetes.io/hostname" is restricted');
  if (!KARPENTER_AWS_ALLOWED.includes(key) && domainOf(key).endsWith('karpenter.k8s.aws')) out.push(`label domain "karpenter.k8s.aws" is restricted (${key})`);
  return out;
}

interface Requirement { key: string; operator: string; values?: string[]; minValues?: number }

function nodePoolViolations(obj: KubernetesObject): string[] {
  const spec = obj.spec as {
    template: { metadata?: { labels?: Record<string, string> }; spec: { requirements: Requirement[]; nodeClassRef: Record<string, string> } };
    disruption?: { budgets?: Array<{ schedule?: string; duration?: string }> };
    replicas?: number; limits?: Record<string, unknown>; weight?: number;
  };
  const out: string[] = [];
  for (const key of Object.keys(spec.template.metadata?.labels ?? {})) {
    out.push(...labelKeyViolations(key));
    if (key === 'karpenter.sh/nodepool') out.push('label "karpenter.sh/nodepool" is restricted');
  }
  for (const r of spec.template.spec.requirements) {
    out.push(...labelKeyViolations(r.key));
    if (r.key === 'karpenter.sh/nodepool') out.push('label "karpenter.sh/nodepool" is restricted');
    if (r.operator === 'In' && (r.values ?? []).length === 0) out.push(`requirements with operator 'In' must have a value defined (${r.key})`);
    if (['Gt', 'Lt', 'Gte', 'Lte'].includes(r.operator) && !((r.values ?? []).length === 1 && /^\d+$/.test(r.values![0]))) {
      out.push(`requirements operator '${r.operator}' must have a single positive integer value (${r.key})`);
    }
    if (r.operator === 'In' && r.minValues !== undefined && (r.values ?? []).length < r.minValues) out.push('minValues');
  }
  for (const [k, v] of Object.entries(spec.template.spec.nodeClassRef)) if (v === '') out.push(`${k} may not be empty`);
  if ((spec.disruption?.budgets ?? []).some((b) => (b.schedule === undefined) !== (b.duration === undefined))) out.push("'schedule' must be set with 'duration'");
  if (spec.replicas !== undefined) {
    const limits = Object.keys(spec.limits ?? {});
    if (!(limits.length === 0 || (limits.length === 1 && limits[0] === 'nodes'))) out.push("only 'limits.nodes' is supported on static NodePools");
    if (spec.weight !== undefined) out.push("'weight' is not supported on static NodePools");
  }
  return out;
}

function nodeClassViolations(obj: KubernetesObject): string[] {
  const spec = obj.spec as {
    role?: string; instanceProfile?: string; amiFamily?: string;
    amiSelectorTerms: Array<Record<string, unknown>>;
    subnetSelectorTerms: Array<Record<string, unknown>>;
    securityGroupSelectorTerms: Array<Record<string, unknown>>;
    blockDeviceMappings?: Array<{ rootVolume?: boolean; ebs?: { snapshotID?: string; volumeSize?: string } }>;
    tags?: Record<string, string>;
  };
  const out: string[] = [];
  const has = (term: Record<string, unknown>, key: string) => term[key] !== undefined;
  const ami = spec.amiSelectorTerms;
  if (!ami.every((t) => ['tags', 'id', 'name', 'alias', 'ssmParameter'].some((k) => has(t, k)))) out.push('amiSelectorTerms: expected at least one of tags, id, name, alias, ssmParameter');
  if (ami.some((t) => has(t, 'id') && ['alias', 'tags', 'name', 'owner'].some((k) => has(t, k)))) out.push("'id' is mutually exclusive");
  if (ami.some((t) => has(t, 'alias') && ['id', 'tags', 'name', 'owner'].some((k) => has(t, k)))) out.push("'alias' is mutually exclusive");
  if (ami.some((t) => has(t, 'alias')) && ami.length !== 1) out.push("'alias' is mutually exclusive, cannot be set with a combination of other amiSelectorTerms");
  if (!ami.some((t) => has(t, 'alias')) && spec.amiFamily === undefined) out.push('amiFamily is required when amiSelectorTerms carry no alias');
  const aliasFamily = ami.map((t) => t.alias as string | undefined).find((a) => a !== undefined)?.split('@')[0];
  if (aliasFamily && spec.amiFamily !== undefined && spec.amiFamily !== 'Custom' && spec.amiFamily.toLowerCase() !== aliasFamily) out.push('amiFamily must match the alias');
  for (const term of spec.subnetSelectorTerms) {
    if (!has(term, 'tags') && !has(term, 'id')) out.push('subnetSelectorTerms: expected tags or id');
    if (has(term, 'tags') && has(term, 'id')) out.push("subnetSelectorTerms: 'id' is mutually exclusive");
    for (const [k, v] of Object.entries((term.tags ?? {}) as Record<string, string>)) if (k === '' || v === '') out.push('empty tag keys or values aren\'t supported');
  }
  if (spec.subnetSelectorTerms.length === 0) out.push('subnetSelectorTerms: expected at least one');
  for (const term of spec.securityGroupSelectorTerms) {
    if (!['tags', 'id', 'name'].some((k) => has(term, k))) out.push('securityGroupSelectorTerms: expected tags, id or name');
    if (has(term, 'id') && (has(term, 'tags') || has(term, 'name'))) out.push("securityGroupSelectorTerms: 'id' is mutually exclusive");
  }
  if (spec.securityGroupSelectorTerms.length === 0) out.push('securityGroupSelectorTerms: expected at least one');
  if ((spec.role !== undefined) === (spec.instanceProfile !== undefined)) out.push('must specify exactly one of [role, instanceProfile]');
  for (const m of spec.blockDeviceMappings ?? []) if (m.ebs && m.ebs.snapshotID === undefined && m.ebs.volumeSize === undefined) out.push('snapshotID or volumeSize must be defined');
  if ((spec.blockDeviceMappings ?? []).filter((m) => m.rootVolume === true).length > 1) out.push('must have only one blockDeviceMappings with rootVolume');
  for (const key of Object.keys(spec.tags ?? {})) {
    if (key === '' || key === 'eks:eks-cluster-name' || key.startsWith('kubernetes.io/cluster') || ['karpenter.sh/nodepool', 'karpenter.sh/nodeclaim', 'karpenter.k8s.aws/ec2nodeclass'].includes(key)) {
      out.push(`tag key ${key} is restricted`);
    }
  }
  return out;
}
