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
