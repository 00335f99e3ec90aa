/** How desktop nodes are kept apart per user. */
export enum NodeDesktopIsolationMode {
  /** One Karpenter NodePool per user (the seeds' design; for small or regulated groups). */
  NODE_POOL_PER_USER = 'NodePoolPerUser',
  /** One shared NodePool; each session's pod asks for a node labelled for its user. */
  SHARED_POOL = 'SharedPool',
}

/** Options of {@link NodeDesktopIsolation.sharedPool}. */
export interface SharedPoolIsolationOptions {
  /**
   * Most desktop nodes the shared pool runs at once (Karpenter's `limits.nodes`), warm nodes not
   * counted.
   * @default 100
   */
  readonly maxDesktops?: number;
}

/**
 * Per-user isolation of desktop nodes. Either way a node serves one user and one session only;
 * the modes differ in how many Karpenter objects exist.
 *
 * - `nodePoolPerUser()`: every user has a NodePool of their own, tainted
 *   `dedicated-user=<name>:NoSchedule`, labelled with the user, limited to one node, removed
 *   `WhenEmpty` shortly after the session. Karpenter is not tested with thousands of NodePools
 *   (aws/karpenter-provider-aws#5228): use it for tens to a few hundred users.
 * - `sharedPool()`: one NodePool declares the user label with operator `Exists`; each session
 *   pod selects its own user's value, so Karpenter launches a node labelled for that user, and
 *   pod anti-affinity keeps one session per node. For large user counts, and the only mode with
 *   warm desktops.
 *
 * @see https://github.com/aws/karpenter-provider-aws/issues/5228
 */
export class NodeDesktopIsolation {
  /** A NodePool per user. */
  public static nodePoolPerUser(): NodeDesktopIsolation {
    return new NodeDesktopIsolation(NodeDesktopIsolationMode.NODE_POOL_PER_USER, undefined);
  }

  /** One shared NodePool, a node per session labelled for its user. */
  public static sharedPool(options: SharedPoolIsolationOptions = {}): NodeDesktopIsolation {
    // Checked by the construct that uses it, so the error names its path.
    return new NodeDesktopIsolation(NodeDesktopIsolationMode.SHARED_POOL, options.maxDesktops ?? 100);
  }

  /** The mode. */
  public readonly mode: NodeDesktopIsolationMode;
  /**
   * Node limit of the shared pool.
   * @default - one node per user pool (per-user mode)
   */
  public readonly maxDesktops?: number;

  private constructor(mode: NodeDesktopIsolationMode, maxDesktops: number | undefined) {
    this.mode = mode;
    this.maxDesktops = maxDesktops;
  }
}
