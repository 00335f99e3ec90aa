/**
 * Names shared by more than one capability: label keys, taint keys, annotations, ports and
 * device names. One module owns them so that two constructs never disagree (a desktop selects
 * the label its pool declares; the network policy opens the port the Service uses).
 */

/** Label domain of this library's own labels and taints. */
export const LABEL_DOMAIN = 'desktop.io';

/** Tag on the EC2 resources a construct launches for its own purposes (e.g. Fast Launch pre-provisioning). */
export const PURPOSE_TAG = `${LABEL_DOMAIN}/purpose`;

/** Label with the owner of a desktop: the value of `kubernetesNameForUser(userId)`. */
export const USER_LABEL = `${LABEL_DOMAIN}/user-id`;

/**
 * Taint key of a node or pool dedicated to one user (`dedicated-user=<name>:NoSchedule`), the
 * seeds' per-user NodePool design. The value is `kubernetesNameForUser(userId)`.
 */
export const DEDICATED_USER_TAINT_KEY = 'dedicated-user';

/** Karpenter leaves a node alone while a pod with this annotation (value `"true"`) runs on it. */
export const DO_NOT_DISRUPT_ANNOTATION = 'karpenter.sh/do-not-disrupt';

/** RDP port of every desktop, VM or node. */
export const RDP_PORT = 3389;

/** guacd's port (Guacamole protocol). */
export const GUACD_PORT = 4822;

/** Root volume device name of Windows AMIs (EC2, Karpenter, Image Builder, managed node groups). */
export const WINDOWS_ROOT_DEVICE = '/dev/sda1';

/** Kubernetes' recommended label keys used on our own objects. */
export const APP_NAME_LABEL = 'app.kubernetes.io/name';
export const APP_INSTANCE_LABEL = 'app.kubernetes.io/instance';
export const APP_PART_OF_LABEL = 'app.kubernetes.io/part-of';

/** API group of the session API (`DesktopSession`, `DesktopClass`). */
export const SESSIONS_API_GROUP = `sessions.${LABEL_DOMAIN}`;

/** Label with the name of the `DesktopSession` an object was created for. */
export const SESSION_LABEL = `${LABEL_DOMAIN}/session`;

/** Label with the namespace of the `DesktopSession` an object was created for. */
export const SESSION_NAMESPACE_LABEL = `${LABEL_DOMAIN}/session-namespace`;

/** Label keys and label values of the objects the session runtime itself runs (controller, broker). */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';

/** Label the API server puts on every namespace, with the namespace's name (network policies select it). */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/** Pod Security admission label keys (`enforce`, `audit`, `warn`) of a namespace. */
export const POD_SECURITY_ENFORCE_LABEL = 'pod-security.kubernetes.io/enforce';
export const POD_SECURITY_AUDIT_LABEL = 'pod-security.kubernetes.io/audit';
export const POD_SECURITY_WARN_LABEL = 'pod-security.kubernetes.io/warn';

/** Label with the kind of a user's desktop (`vm` or `node`), on per-user namespaces. */
export const DESKTOP_KIND_LABEL = `${LABEL_DOMAIN}/desktop-kind`;

/** Labels of the gateway's guacd pods: the only pods a desktop accepts RDP from. */
export const GUACD_POD_LABELS: Readonly<Record<string, string>> = Object.freeze({ [APP_NAME_LABEL]: 'guacd' });

/**
 * Taint key of the nodes of a node-desktop pool (`desktop.io/node-desktop=<pool name>:NoSchedule`):
 * only session pods of that pool tolerate it, so nothing else lands on a desktop node.
 */
export const NODE_DESKTOP_TAINT_KEY = `${LABEL_DOMAIN}/node-desktop`;

/**
 * Label and taint key of a pre-booted, unassigned node-desktop node (`desktop.io/warm=true`).
 * A session claims such a node by setting `USER_LABEL` on it and removing this label and taint.
 */
export const WARM_NODE_KEY = `${LABEL_DOMAIN}/warm`;

/** Label of the session controller's warm placeholder pods: the DesktopClass they keep a host warm for. */
export const WARM_SLOT_CLASS_LABEL = `${LABEL_DOMAIN}/warm-class`;

/** Label the session controller sets on a placeholder pod it claims: the claiming session's uid. */
export const WARM_CLAIMED_BY_LABEL = `${LABEL_DOMAIN}/warm-claimed-by`;

/**
 * Prefix of the `USER_LABEL` value a warm placeholder selects on a per-user host pool
 * (`warm.<slot>`): Karpenter labels the host it launches with it; a claim relabels the host
 * for the user. The dot keeps it apart from every user's value (`kubernetesNameForUser` is a
 * DNS label, without dots).
 */
export const WARM_USER_VALUE_PREFIX = 'warm.';

/** Label with the role of a pod or object in a desktop (`session`, `warm-placeholder`, ...). */
export const DESKTOP_COMPONENT_LABEL = `${LABEL_DOMAIN}/component`;

/** Address of the EC2 instance metadata service (IPv4), which desktop users must never reach. */
export const INSTANCE_METADATA_ADDRESS = '169.254.169.254';

/** Prefix of the AWS Load Balancer Controller's Ingress annotations (one place for every chart that routes through an ALB). */
export const ALB_ANNOTATION_PREFIX = 'alb.ingress.kubernetes.io/';
