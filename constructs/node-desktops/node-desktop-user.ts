/** A user who may have a node desktop. */
export interface NodeDesktopUser {
  /** The user's id from the identity provider, e.g. `alice@example.com`. */
  readonly userId: string;
  /**
   * EC2 instance types of this user's desktop (per-user isolation only).
   * @default - the pool's `instanceTypes`
   */
  readonly instanceTypes?: string[];
}
