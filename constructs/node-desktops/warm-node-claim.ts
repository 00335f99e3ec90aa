import { kubernetesNameForUser } from '../common/kubernetes-name';
import { USER_LABEL, WARM_NODE_KEY } from '../common/well-known';

/** The parts of a Kubernetes Node that a claim reads. */
export interface WarmNodeState {
  /** `metadata.labels`. */
  readonly labels: Record<string, string>;
  /** `spec.taints`. */
  readonly taints: ReadonlyArray<{ readonly key: string; readonly value?: string; readonly effect: string }>;
}

/** A JSON merge patch of a Node (`application/merge-patch+json`). */
export interface NodeMergePatch {
  readonly metadata: { readonly labels: Record<string, string | null> };
  readonly spec: { readonly taints: Array<{ key: string; value?: string; effect: string }> };
}

/**
 * The patch that turns a warm desktop node into `userId`'s node: sets the user label, removes
 * the warm label and the warm taint, keeps every other taint (the Windows and desktop taints
 * still keep other pods off). Send it as a merge patch with the Node's `resourceVersion` checked
 * (or as the first step of a server-side apply by one field manager) so that two sessions
 * never claim the same node; then delete the warm placeholder pod on the node (its Deployment
 * puts the next one on a new warm node) and create the user's `NodeDesktopSession`.
 *
 * Claim only warm nodes younger than `NodeDesktopsProps.warmNodeMaxWait` (their
 * `creationTimestamp`): warm nodes expire after the session limit plus that wait.
 *
 * Pure: the session controller calls it at run time.
 *
 * @throws when the node is not warm (already claimed or not a warm desktop node)
 */
export function claimWarmNode(node: WarmNodeState, userId: string): NodeMergePatch {
  if (node.labels[WARM_NODE_KEY] !== 'true') {
    throw new Error(`the node is not a warm desktop node (label ${WARM_NODE_KEY} is ${JSON.stringify(node.labels[WARM_NODE_KEY] ?? null)}); pick a node labelled ${WARM_NODE_KEY}=true.`);
  }
  return {
    metadata: { labels: { [USER_LABEL]: kubernetesNameForUser('userId', userId), [WARM_NODE_KEY]: null } },
    spec: { taints: node.taints.filter((t) => t.key !== WARM_NODE_KEY).map((t) => ({ ...t })) },
  };
}
