import { DesktopCertificateIssuer } from '../certificates/desktop-certificates';
import { NodeDesktopIsolationMode } from './node-desktop-isolation';
import { SessionScriptOptions } from './session-script';

/**
 * Everything a node-desktop pool decides for all of its sessions, resolved and validated: the
 * plain, typed input of the session renderers (`NodeDesktopSession`, `NodeDesktopNodePool`
 * with `userNodePoolProps`, `renderUserNodePool`). `NodeDesktops.sessionTemplate` holds it; the
 * session controller is given the same values (the `<pool>-session-template` ConfigMap), so the
 * objects it creates at run time are the ones the synth-time constructs render, a
 * `DedicatedPool` class's per-user NodePools included (from `nodeClassName` to `consolidateAfter`).
 *
 * Values may be CDK tokens when read from a synthesized stack (e.g. subnet CIDRs): a runtime
 * caller passes the resolved values.
 */
export interface NodeDesktopSessionTemplate {
  /** Name of the pool: value of the desktop taint, prefix of per-user NodePool names. */
  readonly poolName: string;
  /** Name of the EC2NodeClass every desktop NodePool uses. */
  readonly nodeClassName: string;
  /** Isolation mode. */
  readonly isolationMode: NodeDesktopIsolationMode;
  /** Windows build of the nodes (`node.kubernetes.io/windows-build`). */
  readonly windowsBuild: string;
  /** Values of `karpenter.sh/capacity-type`. */
  readonly capacityTypes: string[];
  /** Values of `node.kubernetes.io/instance-type`. */
  readonly instanceTypes: string[];
  /** Hard session limit: `expireAfter` of the nodes, e.g. `12h`. */
  readonly expireAfter: string;
  /**
   * `expireAfter` of warm nodes: the session limit plus the longest a warm node waits unclaimed,
   * so a session on a node claimed late still gets its full time (the session controller ends
   * sessions at the limit itself and claims only warm nodes younger than the wait).
   * @default - no warm nodes
   */
  readonly warmNodeExpireAfter?: string;
  /** How soon an empty desktop node is removed, e.g. `1m`. */
  readonly consolidateAfter: string;
  /** Namespace of the session pods and Services. */
  readonly namespace: string;
  /** Image of the HostProcess session container. */
  readonly hostProcessImage: string;
  /** What the session script does. */
  readonly script: SessionScriptOptions;
  /** Comma-separated CIDRs that may reach RDP on the node (Windows Firewall). */
  readonly rdpSources: string;
  /**
   * Environment of every session container (directory and profile settings), besides the
   * per-session ones.
   */
  readonly environment: Record<string, string>;
  /**
   * Secret with the domain join account (`username`, `password`).
   * @default - no directory
   */
  readonly joinSecretName?: string;
  /**
   * Issuer of the desktops' RDP certificates: each session gets a certificate for its Service's
   * DNS names, which the session script makes the RDP listener's certificate (`script.rdpCertificate`
   * must be set with it).
   * @default - the node keeps Windows' self-signed certificate
   */
  readonly rdpCertificate?: DesktopCertificateIssuer;
  /** CPU request of the session pod (a Kubernetes quantity). */
  readonly sessionCpu: string;
  /** Memory request of the session pod. */
  readonly sessionMemory: string;
}
