import { kubernetesNameForUser } from '../common/kubernetes-name';
import { describeValue } from '../common/validate';
import { ValidationError } from '../common/validation-error';
import { DesktopSize } from '../kubevirt/desktop-size';
import { DesktopKind } from '../common/desktop-kind';

export { DesktopKind };

/**
 * Where a user's desktop runs.
 */
export enum UserIsolationMode {
  /**
   * A Karpenter NodePool of the user's own (label `desktop.io/user-id=<name>`, taint
   * `dedicated-user=<name>:NoSchedule`), sharing the EC2NodeClass of a template pool. For small
   * or regulated groups: Karpenter is not tested with thousands of NodePools.
   */
  DEDICATED_POOL = 'dedicated-pool',
  /**
   * A host of the user's own from one shared pool that declares the user label with operator
   * `Exists` (`VmHostPool` with `perUserHosts`): the desktop selects its own label value, so
   * Karpenter launches a host labelled for that user. Scales to thousands of users.
   */
  SHARED_POOL = 'shared-pool',
  /**
   * No host of the user's own: VM desktops share hosts (namespace, quota and network policy
   * still isolate them). Not for node desktops, whose desktop is a node.
   */
  SHARED_HOSTS = 'shared-hosts',
}

/**
 * One user of the platform.
 */
export interface DesktopUser {
  /**
   * The user's id at the identity provider (e-mail address or subject), matched exactly. Its
   * `kubernetesNameForUser` mapping names the user's namespace and labels their objects.
   */
  readonly id: string;

  /**
   * Name shown for the user (annotation of the namespace).
   * @default - none
   */
  readonly displayName?: string;

  /**
   * Kubernetes group of the user (as the cluster authenticates them, e.g. through an EKS access
   * entry or an OIDC identity provider). Bound to `groupRole` in the user's namespace.
   * @default - no RoleBinding
   */
  readonly group?: string;

  /**
   * The kind of desktop.
   * @default DesktopKind.VM
   */
  readonly desktopKind?: DesktopKind;

  /**
   * vCPUs and memory of the desktop; the namespace's quota is sized from it.
   * @default DesktopSize.MEDIUM
   */
  readonly size?: DesktopSize;

  /**
   * Where the desktop runs.
   * @default UserIsolationMode.SHARED_POOL
   */
  readonly isolation?: UserIsolationMode;
}

/** A user with every default applied and the Kubernetes name resolved. */
export interface ResolvedDesktopUser {
  readonly id: string;
  /** `kubernetesNameForUser(id)`: the namespace, label value and per-user pool name. */
  readonly name: string;
  /**
   * The name people see (`DesktopUser.displayName`).
   * @default - none
   */
  readonly displayName?: string;
  /**
   * Kubernetes group of the user, bound to `groupRole` in the user's namespace (`DesktopUser.group`).
   * @default - no RoleBinding for a group
   */
  readonly group?: string;
  readonly desktopKind: DesktopKind;
  readonly size: DesktopSize;
  readonly isolation: UserIsolationMode;
}

const KINDS = Object.values(DesktopKind) as string[];
const MODES = Object.values(UserIsolationMode) as string[];
/** Kubernetes group names: no control characters, at most 253 characters (RBAC accepts any string). */
// eslint-disable-next-line no-control-regex
const GROUP = /^[^\u0000-\u001f\u007f]{1,253}$/;

/**
 * Checks one user (including values of the wrong runtime type, as from JSON) and applies the
 * defaults. Pure: the session controller checks users it is handed the same way.
 *
 * @param prop  where the user was given, e.g. `DesktopUsers.users[3]`
 */
export function resolveDesktopUser(prop: string, user: DesktopUser): ResolvedDesktopUser {
  if (user === null || typeof user !== 'object' || Array.isArray(user)) {
    throw new ValidationError(prop, `is ${describeValue(user)}; give an object such as { id: 'alice@example.com' }.`);
  }
  const name = kubernetesNameForUser(`${prop}.id`, user.id);
  const desktopKind = user.desktopKind ?? DesktopKind.VM;
  if (!KINDS.includes(desktopKind)) {
    throw new ValidationError(`${prop}.desktopKind`, `is ${describeValue(desktopKind)}; use one of ${KINDS.map((k) => `'${k}'`).join(', ')} (DesktopKind).`);
  }
  const isolation = user.isolation ?? UserIsolationMode.SHARED_POOL;
  if (!MODES.includes(isolation)) {
    throw new ValidationError(`${prop}.isolation`, `is ${describeValue(isolation)}; use one of ${MODES.map((m) => `'${m}'`).join(', ')} (UserIsolationMode).`);
  }
  if (desktopKind === DesktopKind.NODE && isolation === UserIsolationMode.SHARED_HOSTS) {
    throw new ValidationError(`${prop}.isolation`, `is '${isolation}', which node desktops do not support: a node desktop is a whole Windows node of its own. Use UserIsolationMode.SHARED_POOL (one node per user from a shared pool) or DEDICATED_POOL.`);
  }
  const size = user.size ?? DesktopSize.MEDIUM;
  if (!(size instanceof DesktopSize)) {
    throw new ValidationError(`${prop}.size`, `is ${describeValue(size)}; give a DesktopSize, e.g. DesktopSize.MEDIUM or DesktopSize.custom(4, 8).`);
  }
  if (user.displayName !== undefined && typeof user.displayName !== 'string') {
    throw new ValidationError(`${prop}.displayName`, `is ${describeValue(user.displayName)}; give a string or leave it out.`);
  }
  if (user.group !== undefined && (typeof user.group !== 'string' || !GROUP.test(user.group))) {
    throw new ValidationError(`${prop}.group`, `is ${describeValue(user.group)}; give the Kubernetes group name (1 to 253 characters, no control characters), e.g. 'desktop-users', or leave it out.`);
  }
  return { id: user.id, name, displayName: user.displayName, group: user.group, desktopKind, size, isolation };
}

/**
 * Resolves a list of users and refuses duplicates: the same id twice, or two ids that map to
 * the same Kubernetes name (a hash collision).
 */
export function resolveDesktopUsers(prop: string, users: readonly DesktopUser[]): ResolvedDesktopUser[] {
  if (!Array.isArray(users)) {
    throw new ValidationError(prop, `is ${describeValue(users)}; give an array of users, e.g. [{ id: 'alice@example.com' }].`);
  }
  const byName = new Map<string, number>();
  return users.map((user, i) => {
    const resolved = resolveDesktopUser(`${prop}[${i}]`, user);
    const first = byName.get(resolved.name);
    if (first !== undefined) {
      const same = users[first].id === resolved.id;
      throw new ValidationError(`${prop}[${i}].id`, same
        ? `"${resolved.id}" is listed twice (at ${first} and ${i}); list each user once.`
        : `"${resolved.id}" maps to the Kubernetes name "${resolved.name}", like "${users[first].id}" at ${first} (a hash collision); give one of them another id.`);
    }
    byName.set(resolved.name, i);
    return resolved;
  });
}
