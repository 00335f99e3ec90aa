import { kubernetesNameForUser } from '../common/kubernetes-name';
import { perUserName } from './private/names';

/**
 * Names of a node-desktop session's objects, by user id: shared by the synth-time construct
 * (`NodeDesktopSession`), the session controller and the sign-in broker (which loads this module
 * alone, without cdk8s).
 */

/** Windows account name of a local-account desktop user (one account per node). */
export const DEFAULT_LOCAL_USER_NAME = 'desktop';

/** Name of a user's session pod and Service (`nd-<user name>`, a DNS-1035 label). */
export function sessionName(userId: string): string {
  return perUserName('nd', kubernetesNameForUser('userId', userId));
}

/**
 * Name of the Secret whose key `password` is the local account's password of `userId`'s session
 * (the session controller creates it, with a random password per session).
 */
export function sessionPasswordSecretName(userId: string): string {
  return `${sessionName(userId)}-password`;
}

/**
 * Name of the Secret with the RDP certificate of `userId`'s session (issued by cert-manager for
 * the session Service's DNS names; only with a certificate issuer in the template).
 */
export function sessionCertificateSecretName(userId: string): string {
  return `${sessionName(userId)}-rdp-tls`;
}
