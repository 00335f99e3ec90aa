import { KubernetesObject } from '../support/kubernetes-schemas';

/**
 * A small model of where pods can go, to prove isolation from the rendered objects alone:
 * - `launch(pool, pod)`: Karpenter's choice of a NodePool for a pending pod (the pod tolerates
 *   every pool taint; every nodeSelector key is a pool label or requirement that allows the
 *   value — a key the pool does not define is denied, kubernetes-sigs/karpenter v1.14.1:
 *   pkg/scheduling/requirements.go) and the labels of the node it launches (an `Exists`
 *   requirement takes the pod's value, or a random number when the pod has none: requirement.go `Any()`).
 * - `fits(pod, node, running)`: the kube-scheduler's node selector, taint and anti-affinity checks.
 */
export interface Taint { key: string; value?: string; effect: string }
export interface Toleration { key?: string; operator?: string; value?: string; effect?: string }
export interface Requirement { key: string; operator: string; values?: string[] }
export interface SimNode { labels: Record<string, string>; taints: Taint[] }
export interface PoolSpec { template: { metadata?: { labels?: Record<string, string> }; spec: { requirements: Requirement[]; taints: Taint[] } }; limits: { nodes: number } }
export interface PodSpec {
  nodeSelector: Record<string, string>;
  tolerations: Toleration[];
  affinity?: { podAntiAffinity?: { requiredDuringSchedulingIgnoredDuringExecution: Array<{ labelSelector: { matchLabels: Record<string, string> }; topologyKey: string }> } };
}
export type Pod = KubernetesObject & { metadata: { labels: Record<string, string> }; spec: PodSpec };
export type Pool = KubernetesObject & { spec: PoolSpec };

export function tolerates(tolerations: Toleration[], taint: Taint): boolean {
  return tolerations.some((t) => (t.operator === 'Exists' ? (t.key === undefined || t.key === taint.key) : t.key === taint.key && t.value === taint.value)
    && (t.effect === undefined || t.effect === taint.effect));
}

export function launch(pool: Pool, pod: Pod): SimNode | undefined {
  const spec = pool.spec.template;
  if (!spec.spec.taints.every((taint) => tolerates(pod.spec.tolerations, taint))) return undefined;
  const labels: Record<string, string> = { ...(spec.metadata?.labels ?? {}), 'karpenter.sh/nodepool': pool.metadata!.name! };
  for (const r of spec.spec.requirements) {
    const wanted = pod.spec.nodeSelector[r.key];
    if (r.operator === 'In') {
      if (wanted !== undefined && !r.values!.includes(wanted)) return undefined;
      labels[r.key] = wanted ?? r.values![0];
    } else if (r.operator === 'Exists') {
      labels[r.key] = wanted ?? '5577006791947779410';
    }
  }
  for (const [key, value] of Object.entries(pod.spec.nodeSelector)) {
    if (labels[key] !== value) return undefined;
  }
  return { labels, taints: spec.spec.taints.map((t) => ({ ...t })) };
}

export function fits(pod: Pod, node: SimNode, running: Pod[] = []): boolean {
  if (!Object.entries(pod.spec.nodeSelector).every(([k, v]) => node.labels[k] === v)) return false;
  if (!node.taints.filter((t) => t.effect === 'NoSchedule').every((t) => tolerates(pod.spec.tolerations, t))) return false;
  const anti = pod.spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
  return !anti.some((term) => running.some((other) => Object.entries(term.labelSelector.matchLabels).every(([k, v]) => other.metadata.labels[k] === v)));
}
