import { SESSIONS_API_GROUP } from '../common/well-known';
import { DesktopSize } from '../kubevirt/desktop-size';
import { DESKTOP_CLASS_PLURAL, DESKTOP_SESSION_PLURAL, SESSIONS_API_VERSION, SessionSize } from './api';
import type { ResourceRef } from './runtime/kubernetes-client';

/** Where the session API and the objects the controller manages live on the API server. */
export const SESSION_RESOURCE = (namespace?: string): ResourceRef => ({ group: SESSIONS_API_GROUP, version: SESSIONS_API_VERSION, plural: DESKTOP_SESSION_PLURAL, namespace });
export const CLASS_RESOURCE: ResourceRef = { group: SESSIONS_API_GROUP, version: SESSIONS_API_VERSION, plural: DESKTOP_CLASS_PLURAL };
export const NAMESPACE_RESOURCE: ResourceRef = { group: '', version: 'v1', plural: 'namespaces' };
export const SERVICE_RESOURCE = (namespace: string): ResourceRef => ({ group: '', version: 'v1', plural: 'services', namespace });
export const PVC_RESOURCE = (namespace: string): ResourceRef => ({ group: '', version: 'v1', plural: 'persistentvolumeclaims', namespace });
export const VM_RESOURCE = (namespace?: string): ResourceRef => ({ group: 'kubevirt.io', version: 'v1', plural: 'virtualmachines', namespace });
export const VMI_RESOURCE = (namespace?: string): ResourceRef => ({ group: 'kubevirt.io', version: 'v1', plural: 'virtualmachineinstances', namespace });
/** KubeVirt's aggregated API (virt-api): `start` / `stop` of VMs, the guest agent's `userlist` of VMIs. */
export const VM_SUBRESOURCES = (namespace: string): ResourceRef => ({ group: 'subresources.kubevirt.io', version: 'v1', plural: 'virtualmachines', namespace });
export const VMI_SUBRESOURCES = (namespace: string): ResourceRef => ({ group: 'subresources.kubevirt.io', version: 'v1', plural: 'virtualmachineinstances', namespace });
export const NODE_RESOURCE: ResourceRef = { group: '', version: 'v1', plural: 'nodes' };
export const LEASE_RESOURCE = (namespace: string): ResourceRef => ({ group: 'coordination.k8s.io', version: 'v1', plural: 'leases', namespace });

/** Namespace of DesktopSessions (and of the controller and broker) unless configured otherwise. */
export const DEFAULT_SESSIONS_NAMESPACE = 'desktop-sessions';

/** Namespace of the controller's warm placeholder pods unless configured (not a Fargate-profile namespace: they hold EC2 hosts). */
export const DEFAULT_WARM_NAMESPACE = 'desktop-warm';
/** PriorityClass of the controller's warm placeholders. */
export const WARM_PRIORITY_CLASS = 'desktop-session-warm-slot';

/** The `DesktopSize` of each size name a class may allow. */
export const SESSION_SIZE_PRESETS: Record<SessionSize, DesktopSize> = {
  small: DesktopSize.SMALL,
  medium: DesktopSize.MEDIUM,
  large: DesktopSize.LARGE,
  xlarge: DesktopSize.XLARGE,
};

/** The ref of a kind the runtime knows by `apiVersion` and `kind`. */
export function refFor(apiVersion: string, kind: string, namespace?: string): ResourceRef {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const plurals: Record<string, string> = {
    Namespace: 'namespaces', Service: 'services', PersistentVolumeClaim: 'persistentvolumeclaims',
    VirtualMachine: 'virtualmachines', Pod: 'pods', ResourceQuota: 'resourcequotas', LimitRange: 'limitranges',
    NetworkPolicy: 'networkpolicies', NodePool: 'nodepools', ServiceAccount: 'serviceaccounts',
    RoleBinding: 'rolebindings', NodeOverlay: 'nodeoverlays', Secret: 'secrets', Certificate: 'certificates', ConfigMap: 'configmaps',
  };
  const plural = plurals[kind];
  if (plural === undefined) throw new Error(`the session runtime does not know the resource of kind ${kind}; add it to refFor()`);
  return { group, version, plural, namespace: kind === 'Namespace' || kind === 'NodePool' || kind === 'NodeOverlay' ? undefined : namespace };
}
