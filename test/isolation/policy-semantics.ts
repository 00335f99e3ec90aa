import { KubernetesObjectJson } from '../../constructs/isolation/desktop-user-isolation';

// Small, independent models of how Kubernetes evaluates NetworkPolicies and how a pod fits a
// node Karpenter launches, so tests check behaviour (who may connect, where a pod lands)
// instead of echoing the rendered fields.

type Labels = Record<string, string>;
interface Selector { matchLabels?: Labels; matchExpressions?: Array<{ key: string; operator: string; values?: string[] }> }
interface Peer { podSelector?: Selector; namespaceSelector?: Selector; ipBlock?: { cidr: string; except?: string[] } }
interface Port { protocol?: string; port?: number | string }
interface Rule { from?: Peer[]; to?: Peer[]; ports?: Port[] }
interface PolicySpec { podSelector: Selector; policyTypes?: string[]; ingress?: Rule[]; egress?: Rule[] }

/** A pod (or an IP outside the cluster when `ip` is given). */
export interface Endpoint {
  readonly namespace?: string;
  readonly namespaceLabels?: Labels;
  readonly podLabels?: Labels;
  readonly ip?: string;
}

function matches(selector: Selector | undefined, labels: Labels): boolean {
  if (selector === undefined) return true;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = e.key in labels;
    if (e.operator === 'In' && !(has && e.values!.includes(labels[e.key]))) return false;
    if (e.operator === 'NotIn' && has && e.values!.includes(labels[e.key])) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

function ipToInt(ip: string): number {
  return ip.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

function inCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  return Math.floor(ipToInt(ip) / size) === Math.floor(ipToInt(base) / size);
}

function peerMatches(peer: Peer, policyNamespace: string, other: Endpoint): boolean {
  if (peer.ipBlock !== undefined) {
    // ipBlock selects addresses outside the cluster's pods in practice (pod IPs are ephemeral).
    return other.ip !== undefined && inCidr(other.ip, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((c) => inCidr(other.ip!, c));
  }
  if (other.ip !== undefined) return false;
  const nsOk = peer.namespaceSelector !== undefined
    ? matches(peer.namespaceSelector, other.namespaceLabels ?? {})
    : other.namespace === policyNamespace;
  return nsOk && matches(peer.podSelector, other.podLabels ?? {});
}

function portMatches(ports: Port[] | undefined, port: number, protocol: string): boolean {
  if (ports === undefined || ports.length === 0) return true;
  return ports.some((p) => (p.protocol ?? 'TCP') === protocol && (p.port === undefined || p.port === port));
}

function policiesFor(objects: readonly KubernetesObjectJson[], pod: Endpoint, type: 'Ingress' | 'Egress'): PolicySpec[] {
  return objects
    .filter((o) => o.kind === 'NetworkPolicy' && o.metadata.namespace === pod.namespace)
    .map((o) => o.spec as PolicySpec)
    .filter((spec) => matches(spec.podSelector, pod.podLabels ?? {}))
    .filter((spec) => (spec.policyTypes ?? ['Ingress']).includes(type));
}

/** Whether `from` may open `port`/`protocol` on `to`, as far as `to`'s namespace's policies decide (ingress). */
export function ingressAllowed(objects: readonly KubernetesObjectJson[], from: Endpoint, to: Endpoint, port: number, protocol = 'TCP'): boolean {
  const policies = policiesFor(objects, to, 'Ingress');
  if (policies.length === 0) return true;
  return policies.some((spec) => (spec.ingress ?? []).some((rule) =>
    (rule.from === undefined || rule.from.length === 0 || rule.from.some((peer) => peerMatches(peer, to.namespace!, from)))
    && portMatches(rule.ports, port, protocol)));
}

/** Whether `from` may send to `to` on `port`/`protocol`, as far as `from`'s namespace's policies decide (egress). */
export function egressAllowed(objects: readonly KubernetesObjectJson[], from: Endpoint, to: Endpoint, port: number, protocol = 'TCP'): boolean {
  const policies = policiesFor(objects, from, 'Egress');
  if (policies.length === 0) return true;
  return policies.some((spec) => (spec.egress ?? []).some((rule) =>
    (rule.to === undefined || rule.to.length === 0 || rule.to.some((peer) => peerMatches(peer, from.namespace!, to)))
    && portMatches(rule.ports, port, protocol)));
}

interface Toleration { key?: string; operator?: string; value?: string; effect?: string }
interface Taint { key: string; value?: string; effect: string }
interface NodePoolSpec {
  template: { metadata?: { labels?: Labels }; spec: { requirements: Array<{ key: string; operator: string; values?: string[] }>; taints?: Taint[] } };
}

/** The pod template of a VirtualMachine: its node selector and tolerations. */
export interface PodPlacement { nodeSelector?: Labels; tolerations?: Toleration[] }

function tolerates(tolerations: readonly Toleration[], taint: Taint): boolean {
  return tolerations.some((t) => {
    if (t.effect !== undefined && t.effect !== taint.effect) return false;
    if (t.operator === 'Exists') return t.key === undefined || t.key === taint.key;
    return t.key === taint.key && (t.value ?? '') === (taint.value ?? '');
  });
}

/**
 * Whether Karpenter can launch a node from `nodePool` for a pod with `placement`, and the pod
 * then runs there: every node selector key must be a label of the pool's template or a key its
 * requirements allow (an `Exists` requirement takes the pod's value; Karpenter refuses keys the
 * pool does not define), and the pod must tolerate every taint of the pool.
 */
export function canLaunchFor(nodePool: KubernetesObjectJson, placement: PodPlacement): boolean {
  const spec = nodePool.spec as NodePoolSpec;
  const labels = spec.template.metadata?.labels ?? {};
  for (const [key, value] of Object.entries(placement.nodeSelector ?? {})) {
    if (key in labels) {
      if (labels[key] !== value) return false;
      continue;
    }
    const requirement = spec.template.spec.requirements.find((r) => r.key === key);
    if (requirement === undefined) return false;
    if (requirement.operator === 'In' && !requirement.values!.includes(value)) return false;
    if (requirement.operator === 'DoesNotExist' || requirement.operator === 'NotIn' && requirement.values!.includes(value)) return false;
  }
  return (spec.template.spec.taints ?? []).every((taint) => tolerates(placement.tolerations ?? [], taint));
}

/** Whether a DaemonSet-like agent with these tolerations (and node selector) runs on nodes of the pool. */
export function agentRunsOn(nodePool: KubernetesObjectJson, nodeSelector: Labels, tolerations: readonly Toleration[]): boolean {
  const spec = nodePool.spec as NodePoolSpec;
  const labels = spec.template.metadata?.labels ?? {};
  return Object.entries(nodeSelector).every(([k, v]) => labels[k] === v)
    && (spec.template.spec.taints ?? []).every((taint) => tolerates(tolerations, taint));
}
