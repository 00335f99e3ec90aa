/**
 * The two kinds of Windows desktop: one enum for the session API (`DesktopClass.spec.kind`),
 * per-user isolation (`DesktopUser.desktopKind`) and the controller's renderers.
 */
export enum DesktopKind {
  /** A KubeVirt Windows VM on a Linux KVM host (`WindowsDesktopVm`). */
  VM = 'VM',
  /**
   * A dedicated Windows Server node with Desktop Experience, held by a HostProcess session pod
   * (node desktops). A user's namespace then admits `privileged` pods: a HostProcess pod is
   * only allowed at that Pod Security level. A HostProcess pod uses the node's network, which
   * NetworkPolicies do not cover: RDP to the node is limited to the gateway by the node's
   * security group (`NodeDesktops`).
   */
  NODE = 'Node',
}

/** The label value of a desktop kind (`desktop.io/desktop-kind`): lowercase, as label values are by convention. */
export function desktopKindLabelValue(kind: DesktopKind): string {
  return kind.toLowerCase();
}
