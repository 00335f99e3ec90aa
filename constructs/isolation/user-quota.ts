/**
 * The ResourceQuota of a user's namespace. Every value is a total over the namespace.
 *
 * Defaults make room for `desktops` VM desktops of the user's size: each desktop's
 * virt-launcher pod requests the guest's vCPUs and memory plus overhead (about 1 vCPU and 2 GiB
 * are left for the launcher's own processes and CDI's clone pods), and each desktop has four
 * claims while its root disk is cloned (root disk, CDI's temporary "prime" claim of the same
 * size, user disk, persistent TPM/EFI state); CDI may add about 5.5% filesystem overhead to a
 * clone.
 */
export interface UserQuota {
  /**
   * Desktops (VirtualMachines) the namespace may hold.
   * @default 1
   */
  readonly desktops?: number;
  /**
   * vCPUs all pods may request (`requests.cpu`).
   * @default - desktops × (vCPUs + 1); node desktops: desktops × 1
   */
  readonly cpu?: number;
  /**
   * Memory in GiB all pods may request (`requests.memory`).
   * @default - desktops × (memory + 2); node desktops: desktops × 2
   */
  readonly memoryGiB?: number;
  /**
   * Storage in GiB all claims may request (`requests.storage`).
   * @default - desktops × (2 × (root disk + 10%) + user disk + 1); node desktops: 0
   */
  readonly storageGiB?: number;
  /**
   * Claims the namespace may hold (`persistentvolumeclaims`).
   * @default - desktops × 4; node desktops: 0
   */
  readonly persistentVolumeClaims?: number;
}
