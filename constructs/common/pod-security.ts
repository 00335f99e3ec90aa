import { k8s } from 'cdk8s-plus-29';

/**
 * The Pod Security Standards "restricted" profile for this library's own Linux pods (installer
 * Jobs, CronJobs, the gateway): one definition, so that no chart drifts from it.
 */

/** Pod level: non-root with a fixed UID and GID, the runtime's default seccomp profile. */
export function restrictedPodSecurityContext(uid: number): k8s.PodSecurityContext {
  return { runAsNonRoot: true, runAsUser: uid, runAsGroup: uid, seccompProfile: { type: 'RuntimeDefault' } };
}

/** Container level: no privilege escalation, a read-only root file system, no capabilities. */
export function restrictedContainerSecurityContext(): k8s.SecurityContext {
  return { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } };
}
