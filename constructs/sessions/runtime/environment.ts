/**
 * Names of the environment variables the install chart (`DesktopSessionServiceChart`) writes and
 * the runtime's entry point (`main.ts`) reads, for settings both sides must agree on.
 */
export const NODE_DESKTOPS_ENV = {
  /** Namespace of the node-desktop pool (its session pods, Services, password Secrets and template). */
  namespace: 'NODE_DESKTOPS_NAMESPACE',
  /** Name of the pool (its template is the ConfigMap `<pool>-session-template`); controller only. */
  pool: 'NODE_DESKTOPS_POOL',
  /** `true` when the pool's desktops use local accounts, whose passwords the broker hands to Guacamole; broker only. */
  localAccounts: 'NODE_DESKTOPS_LOCAL_ACCOUNTS',
  /**
   * How guacd checks the desktops' RDP certificates: `verified` (the pool's CA issued them) or
   * `trust-on-first-use` (a pool without a CA); broker only.
   */
  certificates: 'NODE_DESKTOPS_CERTIFICATES',
} as const;

/** The broker's identity-token claim with the user's sAMAccountName (`SignInBrokerOptions.windowsAccountClaim`); unset: none. */
export const WINDOWS_ACCOUNT_CLAIM_ENV = 'WINDOWS_ACCOUNT_CLAIM';

/** Values of `NODE_DESKTOPS_CERTIFICATES`. */
export enum NodeDesktopCertificateCheck {
  VERIFIED = 'verified',
  TRUST_ON_FIRST_USE = 'trust-on-first-use',
}
