import { LauncherPod, LauncherRequirement, parseQuantity } from './kubevirt-launcher';

/**
 * Whether Karpenter would launch a node of a NodePool for a pending pod, by the rules of its
 * scheduler (kubernetes-sigs/karpenter v1.14.1: pkg/scheduling/requirements.go `Compatible`,
 * pkg/controllers/provisioning/scheduling; karpenter-provider-aws v1.14.1 NodeOverlay):
 * - the pool's requirements plus its template labels (each an `In [value]`) must intersect
 *   every node selector and node-affinity term of the pod; a custom label key the pool does
 *   not define is denied unless the pod asks `NotIn`/`DoesNotExist`; well-known keys the pool
 *   leaves open are allowed;
 * - every `NoSchedule`/`NoExecute` taint of the pool must be tolerated;
 * - every extended resource the pod requests must be in the capacity that a NodeOverlay
 *   selecting this pool adds (no EC2 instance type lists KubeVirt's devices), and Karpenter
 *   reads overlays only with `settings.featureGates.nodeOverlay`;
 * - the pool's cpu and memory limits must leave room for the pod.
 * Instance-type capacity for cpu and memory is not modelled (the pools' families have sizes far
 * above a desktop's).
 */

interface Requirement { readonly key: string; readonly operator: string; readonly values?: readonly string[] }
interface Taint { readonly key: string; readonly value?: string; readonly effect: string }

export interface NodePoolObject {
  readonly metadata?: { readonly name?: string };
  readonly spec: {
    readonly template: {
      readonly metadata?: { readonly labels?: Record<string, string> };
      readonly spec: { readonly requirements: readonly Requirement[]; readonly taints?: readonly Taint[] };
    };
    readonly limits?: { readonly cpu?: number | string; readonly memory?: string };
  };
}

export interface NodeOverlayObject {
  readonly metadata?: { readonly name?: string };
  readonly spec: { readonly requirements: readonly Requirement[]; readonly capacity?: Record<string, string | number> };
}

/** Label keys Karpenter knows without a pool defining them (karpenter.sh and karpenter.k8s.aws v1.14.1 well-known labels, abridged). */
const WELL_KNOWN = new Set([
  'kubernetes.io/arch', 'kubernetes.io/os', 'node.kubernetes.io/instance-type', 'topology.kubernetes.io/zone',
  'topology.kubernetes.io/region', 'node.kubernetes.io/windows-build', 'karpenter.sh/capacity-type', 'karpenter.sh/nodepool',
  'karpenter.k8s.aws/instance-family', 'karpenter.k8s.aws/instance-size', 'karpenter.k8s.aws/instance-category',
  'karpenter.k8s.aws/instance-generation', 'karpenter.k8s.aws/instance-cpu', 'karpenter.k8s.aws/instance-memory',
  'karpenter.k8s.aws/instance-tenancy', 'karpenter.k8s.aws/instance-hypervisor',
]);
const STANDARD_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage', 'pods']);

/** Allowed values of a key in the pool, or undefined when the pool does not define it. */
function poolValues(pool: NodePoolObject, key: string): { readonly values: Set<string> | 'any'; readonly excluded: Set<string> } | undefined {
  const label = pool.spec.template.metadata?.labels?.[key];
  const reqs = pool.spec.template.spec.requirements.filter((r) => r.key === key);
  if (label === undefined && reqs.length === 0) return undefined;
  let values: Set<string> | 'any' = label !== undefined ? new Set([label]) : 'any';
  const excluded = new Set<string>();
  for (const r of reqs) {
    if (r.operator === 'In') {
      const allowed = new Set(r.values ?? []);
      values = values === 'any' ? allowed : new Set([...values].filter((v) => allowed.has(v)));
    } else if (r.operator === 'NotIn') {
      for (const v of r.values ?? []) excluded.add(v);
    } else if (r.operator === 'DoesNotExist') {
      values = new Set();
    }
  }
  return { values, excluded };
}

function admitsRequirement(pool: NodePoolObject, req: LauncherRequirement): string | undefined {
  const defined = poolValues(pool, req.key);
  if (defined === undefined) {
    if (req.operator === 'NotIn' || req.operator === 'DoesNotExist' || WELL_KNOWN.has(req.key)) return undefined;
    return `label "${req.key}" does not have known values in the pool (neither a requirement nor a template label)`;
  }
  const possible = (v: string) => (defined.values === 'any' || defined.values.has(v)) && !defined.excluded.has(v);
  switch (req.operator) {
    case 'In':
      return (req.values ?? []).some(possible) ? undefined : `"${req.key}" In [${(req.values ?? []).join(', ')}] does not intersect the pool's values`;
    case 'Exists':
      return defined.values !== 'any' && defined.values.size === 0 ? `"${req.key}" must exist but the pool forbids it` : undefined;
    case 'DoesNotExist':
      return defined.values === 'any' || defined.values.size > 0 ? `"${req.key}" must not exist but the pool always sets it` : undefined;
    case 'NotIn':
      return defined.values !== 'any' && [...defined.values].every((v) => (req.values ?? []).includes(v)) ? `"${req.key}" NotIn excludes every value of the pool` : undefined;
  }
}

function tolerates(pod: LauncherPod, taint: Taint): boolean {
  return pod.tolerations.some((t) => (t.effect === undefined || t.effect === taint.effect)
    && (t.operator === 'Exists' ? (t.key === undefined || t.key === taint.key) : t.key === taint.key && (t.value ?? '') === (taint.value ?? '')));
}

function overlayApplies(overlay: NodeOverlayObject, pool: NodePoolObject): boolean {
  return overlay.spec.requirements.every((r) => {
    if (r.key === 'karpenter.sh/nodepool') {
      const name = pool.metadata?.name ?? '';
      return r.operator === 'In' ? (r.values ?? []).includes(name) : r.operator === 'NotIn' ? !(r.values ?? []).includes(name) : r.operator === 'Exists';
    }
    return admitsRequirement(pool, { key: r.key, operator: r.operator as LauncherRequirement['operator'], values: r.values }) === undefined;
  });
}

/** Problems that keep Karpenter from launching a node of `pool` for `pod`; empty when admitted. */
export function karpenterAdmissionProblems(pod: LauncherPod, pool: NodePoolObject, overlays: readonly NodeOverlayObject[], nodeOverlayGate: boolean): string[] {
  const problems: string[] = [];
  const requirements: LauncherRequirement[] = [
    ...Object.entries(pod.nodeSelector).map(([key, value]) => ({ key, operator: 'In' as const, values: [value] })),
    ...pod.affinity,
  ];
  for (const req of requirements) {
    const problem = admitsRequirement(pool, req);
    if (problem) problems.push(problem);
  }
  for (const taint of pool.spec.template.spec.taints ?? []) {
    if ((taint.effect === 'NoSchedule' || taint.effect === 'NoExecute') && !tolerates(pod, taint)) {
      problems.push(`taint ${taint.key}=${taint.value ?? ''}:${taint.effect} is not tolerated`);
    }
  }
  const applicable = nodeOverlayGate ? overlays.filter((o) => overlayApplies(o, pool)) : [];
  for (const [resource, amount] of Object.entries(pod.requests)) {
    if (STANDARD_RESOURCES.has(resource)) continue;
    const offered = applicable.reduce((sum, o) => sum + parseQuantity(String(o.spec.capacity?.[resource] ?? '0')), 0);
    if (offered < amount) {
      problems.push(`extended resource ${resource} (${amount}) is offered by no instance type of the pool${nodeOverlayGate ? ' (no NodeOverlay adds it)' : ' (NodeOverlays are ignored: settings.featureGates.nodeOverlay is off)'}`);
    }
  }
  const limits = pool.spec.limits ?? {};
  if (limits.cpu !== undefined && parseQuantity(String(limits.cpu)) < (pod.requests.cpu ?? 0)) problems.push(`cpu request ${pod.requests.cpu} exceeds the pool limit ${limits.cpu}`);
  if (limits.memory !== undefined && parseQuantity(limits.memory) < (pod.requests.memory ?? 0)) problems.push(`memory request exceeds the pool limit ${limits.memory}`);
  return problems;
}
