import { k8s } from 'cdk8s-plus-29';
import { describeValue } from '../../common/validate';
import { ValidationError } from '../../common/validation-error';
import { DesktopKind, ResolvedDesktopUser } from '../desktop-user';
import { UserQuota } from '../user-quota';

/** Root and user disk of a VM desktop, whole GiB. */
export interface VmDiskSizes {
  readonly rootGiB: number;
  readonly userGiB: number;
}

/** Rendered quota: the ResourceQuota's `hard` and the LimitRange's `limits`. */
export interface RenderedQuota {
  readonly hard: Record<string, k8s.Quantity>;
  readonly limits: k8s.LimitRangeItem[];
}

/** Disk sizes assumed when neither the desktop nor the golden image gives one (GiB). */
export const DEFAULT_ROOT_DISK_GIB = 64;
export const DEFAULT_USER_DISK_GIB = 50;

/** Claims of one VM desktop while its root disk is cloned: root, CDI's prime claim, user disk, TPM/EFI state. */
const CLAIMS_PER_VM_DESKTOP = 4;

/**
 * A claim size plus CDI's filesystem overhead (5.5% by default, on Filesystem-mode claims),
 * rounded up with a margin to whole GiB.
 */
function withOverhead(gib: number): number {
  return Math.ceil((gib * 11) / 10);
}

/** The quota that fits `desktops` desktops of the user's size (see `UserQuota`). */
export function defaultUserQuota(user: Pick<ResolvedDesktopUser, 'desktopKind' | 'size'>, disks: VmDiskSizes, desktops: number = 1): Required<UserQuota> {
  if (user.desktopKind === DesktopKind.NODE) {
    // The desktop is the node; the namespace holds only its session pod.
    return { desktops, cpu: desktops, memoryGiB: 2 * desktops, storageGiB: 0, persistentVolumeClaims: 0 };
  }
  return {
    desktops,
    cpu: desktops * (user.size.vcpus + 1),
    memoryGiB: desktops * (user.size.memoryGiB + 2),
    // Root disk and CDI's prime claim, each with room for CDI's filesystem overhead.
    storageGiB: desktops * (2 * withOverhead(disks.rootGiB) + disks.userGiB + 1),
    persistentVolumeClaims: desktops * CLAIMS_PER_VM_DESKTOP,
  };
}

/**
 * Validates a quota (refusing one too small for a single desktop of the user's size) and
 * renders the ResourceQuota and LimitRange.
 */
export function renderQuota(prop: string, user: ResolvedDesktopUser, disks: VmDiskSizes, given: UserQuota): RenderedQuota {
  const desktops = given.desktops ?? 1;
  const defaults = defaultUserQuota(user, disks, desktops);
  const minimum = defaultUserQuota(user, disks, 1);
  const q: Required<UserQuota> = {
    desktops,
    cpu: given.cpu ?? defaults.cpu,
    memoryGiB: given.memoryGiB ?? defaults.memoryGiB,
    storageGiB: given.storageGiB ?? defaults.storageGiB,
    persistentVolumeClaims: given.persistentVolumeClaims ?? defaults.persistentVolumeClaims,
  };
  const what: Record<keyof UserQuota, string> = {
    desktops: 'desktop',
    cpu: 'vCPUs',
    memoryGiB: 'GiB of memory',
    storageGiB: 'GiB of storage',
    persistentVolumeClaims: 'claims',
  };
  for (const key of Object.keys(what) as Array<keyof UserQuota>) {
    const value = q[key];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      throw new ValidationError(`${prop}.${key}`, `is ${describeValue(value)}; give a whole number ≥ ${minimum[key]}.`);
    }
    if (value < minimum[key]) {
      throw new ValidationError(`${prop}.${key}`, `is ${value}, below what one ${user.desktopKind} desktop of ${user.size} needs (${minimum[key]} ${what[key]}); give at least ${minimum[key]}, or leave it out for the default.`);
    }
  }
  const quantity = (value: string | number) => (typeof value === 'number' ? k8s.Quantity.fromNumber(value) : k8s.Quantity.fromString(value));
  const hard: Record<string, k8s.Quantity> = {
    'requests.cpu': quantity(q.cpu),
    'requests.memory': quantity(`${q.memoryGiB}Gi`),
    'requests.storage': quantity(`${q.storageGiB}Gi`),
    'persistentvolumeclaims': quantity(q.persistentVolumeClaims),
    // Desktops are reached through the gateway only: no Service of their own outside the cluster.
    'services.loadbalancers': quantity(0),
    'services.nodeports': quantity(0),
  };
  if (user.desktopKind === DesktopKind.VM) {
    hard['count/virtualmachines.kubevirt.io'] = quantity(q.desktops);
    // The RDP Service of each desktop, and CDI's upload Service while a root disk is cloned.
    hard.services = quantity(2 * q.desktops);
  } else {
    hard.pods = quantity(4 * q.desktops);
    hard.services = quantity(q.desktops);
  }
  // Default requests for containers that give none (a quota on requests refuses such pods), and
  // no default limit: virt-launcher's compute container has no limit and must not get one.
  const limits: k8s.LimitRangeItem[] = [{
    type: 'Container',
    defaultRequest: { cpu: quantity('100m'), memory: quantity('128Mi') },
  }];
  if (user.desktopKind === DesktopKind.VM) {
    // No single claim larger than the larger disk (plus CDI's filesystem overhead).
    limits.push({ type: 'PersistentVolumeClaim', max: { storage: quantity(`${withOverhead(Math.max(disks.rootGiB, disks.userGiB))}Gi`) } });
  }
  return { hard, limits };
}
