import { DesktopSize } from '../kubevirt/desktop-size';
import { DesktopKind } from './desktop-user';
import { DEFAULT_ROOT_DISK_GIB, DEFAULT_USER_DISK_GIB, defaultUserQuota } from './private/quota';
import { UserQuota } from './user-quota';

/** Desktops of one kind and size a user may run at once (e.g. one desktop class's share). */
export interface UserQuotaShare {
  readonly desktopKind: DesktopKind;
  /** vCPUs and memory of each desktop (the class's largest allowed size). */
  readonly size: DesktopSize;
  /** How many such desktops at once (the class's `sessionsPerUser`). */
  readonly desktops: number;
  /**
   * Root disk of a VM desktop in GiB (the golden image's size).
   * @default 64
   */
  readonly rootDiskGiB?: number;
}

/**
 * One namespace quota that holds several shares at once (a user with sessions of two classes,
 * possibly of different kinds and sizes): each share's default quota (`UserQuota` defaults),
 * summed. Pass it as `DesktopUserIsolationProps.quota`; it is never below what one desktop of
 * any share needs, so `renderQuota`'s floor holds for whichever share renders the namespace.
 *
 * @throws when `shares` is empty
 */
export function combinedUserQuota(shares: readonly UserQuotaShare[]): Required<UserQuota> {
  if (shares.length === 0) throw new Error('combinedUserQuota needs at least one share.');
  const parts = shares.map((s) => defaultUserQuota(
    { desktopKind: s.desktopKind, size: s.size },
    { rootGiB: s.rootDiskGiB ?? DEFAULT_ROOT_DISK_GIB, userGiB: DEFAULT_USER_DISK_GIB },
    s.desktops,
  ));
  const sum = (key: keyof UserQuota) => parts.reduce((total, q) => total + q[key], 0);
  return {
    desktops: sum('desktops'),
    cpu: sum('cpu'),
    memoryGiB: sum('memoryGiB'),
    storageGiB: sum('storageGiB'),
    persistentVolumeClaims: sum('persistentVolumeClaims'),
  };
}
