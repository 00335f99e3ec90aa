import { Duration, Size, Token } from 'aws-cdk-lib';
import { Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-29';
import { Construct } from 'constructs';
import { kubernetesNameForUser } from '../common/kubernetes-name';
import { DO_NOT_DISRUPT_ANNOTATION, LABEL_DOMAIN, RDP_PORT, USER_LABEL } from '../common/well-known';
import { claimUnique } from '../common/uniqueness';
import {
  checkProps, describeValue, isArrayOf, isBoolean, isEnumMember, isInstanceOf, isShape, isString, isStringMap, PropCheck, required,
  validateDns1123Label, validateDns1123Subdomain, wholeGibibytes,
} from '../common/validate';
import { reportsConstructPath, ValidationError } from '../common/validation-error';
import {
  Disk,
  Volume,
  VirtualMachine,
  V1Beta1StorageSpecAccessModes,
} from '../imports/kubevirt.io';
import { validateLabelValue, validateQualifiedName } from '../karpenter/private/node-pool-validation';
import { validateIpv4Cidr } from '../common/cidr';
import { DesktopSize, MIN_WINDOWS_MEMORY_GIB } from './desktop-size';
import { DESKTOP_MACHINE_TYPE } from './kubevirt-host-requirements';
import { GoldenImage, GoldenImageReference } from './golden-image';
import { USER_DISK_STORAGE_CLASS } from './kubevirt-install-chart';
import { idleDisconnectUnattendXml, maxIdleTimeCommand } from './private/idle-disconnect-unattend';
import { kubevirtTolerations } from './private/placement';
import { DEFAULT_VM_HOST_PLACEMENT, VM_HOST_LABEL, VM_HOST_TAINT, VmHostPlacement } from './vm-host-placement';

/** Label with the owner of a desktop (`kubernetesNameForUser` of the user id). */
export const DESKTOP_USER_LABEL = USER_LABEL;
/** Label with the VM's name, on the VM, its pod and the RDP Service's selector. */
export const DESKTOP_VM_LABEL = `${LABEL_DOMAIN}/vm`;
export { DO_NOT_DISRUPT_ANNOTATION, RDP_PORT };
export { maxIdleTimeCommand };

/**
 * Default guest-side network of masquerade interfaces. KubeVirt's own default, 10.0.2.0/24,
 * lies inside the default VPC range of CDK (10.0.0.0/16: it is the third public subnet of a
 * `DesktopCluster`), so a guest could not reach that part of the VPC. 198.18.0.0/15 is reserved
 * for benchmarking (RFC 2544) and is not used by VPCs or corporate networks.
 */
export const DEFAULT_VM_NETWORK_CIDR = '198.18.0.0/24';
/** Longest prefix that leaves the guest, gateway and DNS addresses masquerade needs. */
const MAX_VM_NETWORK_PREFIX = 30;

/** Windows 11's floor: 64 GB of storage, 2 vCPUs. */
const WINDOWS_11_MIN_DISK_GIB = 64;
const WINDOWS_11_MIN_VCPUS = 2;
/** Windows 10 and Windows Server need about 32 GiB with room for updates. */
const WINDOWS_MIN_DISK_GIB = 32;
const MAX_DISK_GIB = 16384;
/** Longest idle limit (a day, as the session API's idle timeout). */
const MAX_IDLE_DISCONNECT_SECONDS = 86_400;
/** Longest name that leaves room for the `-root`, `-user` and `-rdp` suffixes in a DNS label. */
const MAX_NAME_LENGTH = 58;

/**
 * When KubeVirt runs the VM.
 *
 * @see https://kubevirt.io/user-guide/compute/run_strategies/
 */
export enum RunStrategy {
  /** Always running: restarted whenever it stops, even from inside the guest. */
  ALWAYS = 'Always',
  /** Stopped: the VM exists (disks, TPM state) but does not run. */
  HALTED = 'Halted',
  /** Started and stopped only on request (`virtctl start` / `stop`, the subresource API). */
  MANUAL = 'Manual',
  /** Restarted only after a failure; a shutdown from inside the guest stops it. */
  RERUN_ON_FAILURE = 'RerunOnFailure',
}

/**
 * Properties of `WindowsDesktopVm`.
 */
export interface WindowsDesktopVmProps {
  /**
   * Name of the VirtualMachine (DNS-1123 label of at most 58 characters); also the prefix of
   * its disks (`<name>-root`, `<name>-user`) and RDP Service (`<name>-rdp`).
   */
  readonly name: string;

  /**
   * Id of the user who owns the desktop (e-mail, IdP subject); becomes the label
   * `desktop.io/user-id` (lowercased, `@ . _ +` turned into `-`), which network policies and
   * the gateway select.
   */
  readonly userId: string;

  /** The golden image the root disk is cloned from. */
  readonly goldenImage: GoldenImageReference;

  /**
   * Namespace of the VM, its disks and Service (and of the sysprep / cloudbase-init Secrets).
   * @default - the chart's namespace
   */
  readonly namespace?: string;

  /**
   * vCPUs and memory.
   * @default DesktopSize.MEDIUM (4 vCPUs, 8 GiB)
   */
  readonly size?: DesktopSize;

  /**
   * When the VM runs.
   * @default RunStrategy.ALWAYS
   */
  readonly runStrategy?: RunStrategy;

  /**
   * The guest is Windows 11: TPM, EFI secure boot, at least 2 vCPUs, 4 GiB and a 64 GiB disk
   * are then required. Set false for Windows 10 or Windows Server.
   * @default true
   */
  readonly windows11?: boolean;

  /**
   * UEFI secure boot (with SMM, which it needs).
   * @default true
   */
  readonly secureBoot?: boolean;

  /**
   * A virtual TPM 2.0 whose state persists across restarts (BitLocker, Windows Hello), kept in
   * a PVC of KubeVirt's `vmStateStorageClass`. The EFI variables persist likewise.
   * @default true
   */
  readonly tpm?: boolean;

  /**
   * Size of the root disk, cloned from the golden image: at least the image's size (and
   * 64 GiB for Windows 11). Deleted with the VM.
   * @default - the golden image's size, or 64 GiB when unknown
   */
  readonly rootDiskSize?: Size;

  /**
   * StorageClass of the root disk.
   * @default - the cluster's default class (gp3 on a `DesktopCluster`)
   */
  readonly rootDiskStorageClassName?: string;

  /**
   * Size of the user disk: a separate claim that survives the VM's deletion (disks in
   * `dataVolumeTemplates` are deleted with the VM).
   * @default Size.gibibytes(50)
   */
  readonly userDiskSize?: Size;

  /**
   * StorageClass of the user disk; keep a class with reclaim policy `Retain` so the volume
   * also survives the claim's deletion.
   * @default USER_DISK_STORAGE_CLASS ('gp3-retain', created by `KubeVirt`)
   */
  readonly userDiskStorageClassName?: string;

  /**
   * Secret (in the VM's namespace) with a sysprep answer file (`autounattend.xml` or
   * `unattend.xml`), attached as a CD-ROM: local accounts, domain join, first-logon commands.
   * The answer file holds secrets, so it is only ever referenced, never written here.
   * @default - no sysprep answer file
   * @see https://kubevirt.io/user-guide/user_workloads/startup_scripts/#sysprep
   */
  readonly sysprepSecretName?: string;

  /**
   * Secret (in the VM's namespace) with cloudbase-init user data (key `userdata`), attached
   * as a config drive. The golden image must have cloudbase-init installed.
   * @default - no cloudbase-init data
   */
  readonly cloudbaseInitSecretName?: string;

  /**
   * Where the VM runs.
   * @default DEFAULT_VM_HOST_PLACEMENT - any VM host pool of this library
   */
  readonly placement?: VmHostPlacement;

  /**
   * Extra labels of the VM and its pod.
   * @default - none
   */
  readonly labels?: Record<string, string>;

  /**
   * IPv4 network between the guest and its pod (masquerade binding): the guest sees its own
   * address in it, and cannot reach anything else in that range. Pick a range that neither the
   * VPC nor any network the desktop must reach uses.
   * @default DEFAULT_VM_NETWORK_CIDR ('198.18.0.0/24')
   * @see https://kubevirt.io/user-guide/network/interfaces_and_networks/#masquerade
   */
  readonly vmNetworkCidr?: string;

  /**
   * How long Windows may take to shut down when the VM is stopped.
   * @default Duration.minutes(3)
   */
  readonly shutdownGracePeriod?: Duration;

  /**
   * Windows disconnects a Remote Desktop session after this long without input (the Remote
   * Desktop policy `MaxIdleTime`); the user may reconnect, nothing is logged off. Set during
   * specialize by an answer file this construct renders into a ConfigMap `<name>-sysprep` (it
   * holds no secret) and attaches as the sysprep CD-ROM, so it applies to VMs cloned from a
   * generalized golden image; Windows Setup prefers an answer file cached in the image
   * (`%WINDIR%\Panther`) to removable media. Cannot be combined with `sysprepSecretName`
   * (KubeVirt attaches one answer file): put `maxIdleTimeCommand(seconds)` into that file instead.
   * Whole seconds, 1 second to 24 hours.
   * @default - no idle limit from this construct (the image's own policy applies)
   */
  readonly idleDisconnectTimeout?: Duration;
}

/**
 * A Windows desktop as a KubeVirt VirtualMachine, with its user disk and RDP Service.
 *
 * - q35 machine, UEFI with secure boot (and SMM), persistent TPM 2.0 and EFI state,
 *   Hyper-V enlightenments and timers Windows expects, CPUs as cores of one socket (client
 *   editions use at most two sockets);
 * - root disk cloned from the golden image's DataSource (virtio; deleted with the VM);
 * - user disk: a separate claim on a `Retain` class (virtio; survives the VM);
 * - sysprep and cloudbase-init data only from Secrets;
 * - virtio network on the pod network (masquerade); a ClusterIP Service on 3389 for RDP;
 * - no host devices or GPUs; `karpenter.sh/do-not-disrupt` on the VM's pod so that
 *   Karpenter never consolidates or drifts a host away from under a running desktop.
 *
 * A pure cdk8s construct, usable in any chart: a CDK app applies it with
 * `KubeVirt.addCdk8sChart()`, a session service can stamp one per user.
 */
/** A `DesktopSize`; a plain `{ vcpus, memoryGiB }` (from JSON) is pointed at `DesktopSize.custom`. */
const DESKTOP_SIZE: PropCheck = (prop, value) => {
  if (value instanceof DesktopSize) return;
  const plain = typeof value === 'object' && value !== null ? value as { vcpus?: unknown; memoryGiB?: unknown } : undefined;
  const how = plain !== undefined && plain.vcpus !== undefined
    ? `DesktopSize.custom(${String(plain.vcpus)}, ${String(plain.memoryGiB ?? '<memoryGiB>')})`
    : 'DesktopSize.MEDIUM (or DesktopSize.custom(vcpus, memoryGiB))';
  throw new ValidationError(prop, `is ${describeValue(value)}, not a DesktopSize; give ${how}.`);
};

@reportsConstructPath
export class WindowsDesktopVm extends Construct {
  /** Name of the VirtualMachine. */
  public readonly vmName: string;
  /** Value of the `desktop.io/user-id` label. */
  public readonly userLabel: string;
  /** Name of the root disk's DataVolume (and PVC). */
  public readonly rootDiskName: string;
  /** Name of the user disk's PVC. */
  public readonly userDiskClaimName: string;
  /** Name of the RDP Service (`<name>-rdp`), reachable at `<service>.<namespace>.svc:3389`. */
  public readonly rdpServiceName: string;
  /** Guest-side network of the masquerade interface. */
  public readonly vmNetworkCidr: string;
  /** The VirtualMachine. */
  public readonly virtualMachine: VirtualMachine;
  /** The user disk's claim. */
  public readonly userDisk: k8s.KubePersistentVolumeClaim;
  /** The RDP Service. */
  public readonly rdpService: k8s.KubeService;
  /** The answer file that sets the idle limit, when `idleDisconnectTimeout` is given. */
  public readonly sysprepConfigMap?: k8s.KubeConfigMap;

  constructor(scope: Construct, id: string, props: WindowsDesktopVmProps) {
    super(scope, id);
    const p = 'WindowsDesktopVm';
    checkProps(p, props, {
      name: required(isString("'alice-desktop'")),
      userId: required(isString("'alice@example.com'")),
      goldenImage: required(isShape({ dataSourceName: required(isString("'windows-11'")), namespace: required(isString("'desktop-images'")) }, 'a GoldenImage', { refuseMisspelled: false })),
      namespace: isString("'desktops'"),
      size: DESKTOP_SIZE,
      runStrategy: isEnumMember(RunStrategy, 'RunStrategy'),
      windows11: isBoolean(),
      secureBoot: isBoolean(),
      tpm: isBoolean(),
      rootDiskSize: isInstanceOf(Size, 'an aws-cdk-lib Size, e.g. Size.gibibytes(64)'),
      rootDiskStorageClassName: isString("'gp3'"),
      userDiskSize: isInstanceOf(Size, 'an aws-cdk-lib Size, e.g. Size.gibibytes(50)'),
      userDiskStorageClassName: isString("'gp3-retain'"),
      sysprepSecretName: isString("'sysprep'"),
      cloudbaseInitSecretName: isString("'cloudbase-init'"),
      placement: isShape({
        nodeSelector: required(isStringMap("{ 'desktop.io/vm-host': 'true' }")),
        toleratedTaints: required(isArrayOf(isShape({ key: required(isString("'desktop.io/vm-host'")), effect: required(isString("'NoSchedule'")) }, 'VM_HOST_TAINT'), '[VM_HOST_TAINT]')),
      }, 'vmHostPool.placement'),
      labels: isStringMap("{ 'example.com/team': 'desktops' }"),
      shutdownGracePeriod: isInstanceOf(Duration, 'an aws-cdk-lib Duration, e.g. Duration.minutes(3)'),
      idleDisconnectTimeout: isInstanceOf(Duration, 'an aws-cdk-lib Duration, e.g. Duration.minutes(15)'),
    });

    // Defaults.
    const name = props.name;
    const namespace = props.namespace;
    const size = props.size ?? DesktopSize.MEDIUM;
    const runStrategy = props.runStrategy ?? RunStrategy.ALWAYS;
    const windows11 = props.windows11 ?? true;
    const secureBoot = props.secureBoot ?? true;
    const tpm = props.tpm ?? true;
    const rootDiskSize = props.rootDiskSize ?? props.goldenImage.size ?? Size.gibibytes(WINDOWS_11_MIN_DISK_GIB);
    const userDiskSize = props.userDiskSize ?? Size.gibibytes(50);
    const userDiskStorageClassName = props.userDiskStorageClassName ?? USER_DISK_STORAGE_CLASS;
    const placement = props.placement ?? DEFAULT_VM_HOST_PLACEMENT;
    const extraLabels = props.labels ?? {};
    const gracePeriod = props.shutdownGracePeriod ?? Duration.minutes(3);
    const vmNetworkCidr = props.vmNetworkCidr ?? DEFAULT_VM_NETWORK_CIDR;

    // Validation.
    validateDns1123Label(`${p}.name`, name);
    if (name.length > MAX_NAME_LENGTH) {
      throw new ValidationError(`${p}.name`, `"${name}" is ${name.length} characters long; use at most ${MAX_NAME_LENGTH}, so that "<name>-root", "<name>-user" and "<name>-rdp" stay valid names.`);
    }
    if (namespace !== undefined) validateDns1123Label(`${p}.namespace`, namespace);
    const userLabel = kubernetesNameForUser(`${p}.userId`, props.userId);
    validateDns1123Label(`${p}.goldenImage.dataSourceName`, props.goldenImage.dataSourceName);
    validateDns1123Label(`${p}.goldenImage.namespace`, props.goldenImage.namespace);
    // A VM host carries the VM host taint: a placement that selects hosts must tolerate it.
    const toleratesHostTaint = (placement.toleratedTaints ?? []).some((t) => t.key === VM_HOST_TAINT.key && t.effect === VM_HOST_TAINT.effect);
    if (placement.nodeSelector?.[VM_HOST_LABEL] !== undefined && !toleratesHostTaint) {
      throw new ValidationError(`${p}.placement`, `selects VM hosts (${VM_HOST_LABEL}) but does not tolerate their taint ${VM_HOST_TAINT.key}=${VM_HOST_TAINT.value}:${VM_HOST_TAINT.effect}, so the VM would never be scheduled. Pass the host pool's own placement (vmHostPool.placement), which lists every taint its hosts carry.`);
    }
    // KubeVirt clones the golden image only into namespaces its clone role binds.
    const cloneNamespaces = props.goldenImage instanceof GoldenImage ? props.goldenImage.cloneNamespaces : undefined;
    const vmNamespace = namespace ?? Chart.of(this).namespace;
    if (cloneNamespaces !== undefined && vmNamespace !== undefined && !Token.isUnresolved(vmNamespace) && !cloneNamespaces.includes(vmNamespace)) {
      throw new ValidationError(`${p}.namespace`, `is "${vmNamespace}", but golden image ${(props.goldenImage as GoldenImage).node.path} lets only ${cloneNamespaces.map((n) => `"${n}"`).join(', ')} clone it; the root disk would never be created. Add "${vmNamespace}" to the golden image's cloneNamespaces.`);
    }
    claimUnique(this.node.root, 'desktop', `${vmNamespace ?? '(chart namespace)'}/${name}`, this, `${p}.name`,
      'Its VirtualMachine, disks and RDP Service would replace the first desktop\'s: give each desktop its own `name` in a namespace.');
    if (size.memoryGiB < MIN_WINDOWS_MEMORY_GIB) {
      throw new ValidationError(`${p}.size`, `has ${size.memoryGiB} GiB of memory; Windows needs at least ${MIN_WINDOWS_MEMORY_GIB} GiB (e.g. DesktopSize.SMALL).`);
    }
    if (windows11) {
      if (!tpm) {
        throw new ValidationError(`${p}.tpm`, 'is false, but Windows 11 requires a TPM 2.0; set tpm: true, or windows11: false for another Windows version.');
      }
      if (!secureBoot) {
        throw new ValidationError(`${p}.secureBoot`, 'is false, but Windows 11 requires UEFI secure boot; set secureBoot: true, or windows11: false for another Windows version.');
      }
      if (size.vcpus < WINDOWS_11_MIN_VCPUS) {
        throw new ValidationError(`${p}.size`, `has ${size.vcpus} vCPU; Windows 11 requires at least ${WINDOWS_11_MIN_VCPUS} (e.g. DesktopSize.SMALL).`);
      }
    }
    const rootGib = wholeGibibytes(`${p}.rootDiskSize`, rootDiskSize, 'Size.gibibytes(64)');
    const minRootGib = windows11 ? WINDOWS_11_MIN_DISK_GIB : WINDOWS_MIN_DISK_GIB;
    if (rootGib < minRootGib || rootGib > MAX_DISK_GIB) {
      throw new ValidationError(`${p}.rootDiskSize`, `is ${rootGib} GiB; ${windows11 ? 'Windows 11 requires' : 'Windows needs'} at least ${minRootGib} GiB (at most ${MAX_DISK_GIB}), e.g. Size.gibibytes(${minRootGib}).`);
    }
    if (props.goldenImage.size !== undefined) {
      const imageGib = wholeGibibytes(`${p}.goldenImage.size`, props.goldenImage.size, 'Size.gibibytes(64)');
      if (rootGib < imageGib) {
        throw new ValidationError(`${p}.rootDiskSize`, `is ${rootGib} GiB, smaller than the golden image "${props.goldenImage.dataSourceName}" (${imageGib} GiB) it is cloned from; give at least Size.gibibytes(${imageGib}).`);
      }
    }
    const userGib = wholeGibibytes(`${p}.userDiskSize`, userDiskSize, 'Size.gibibytes(50)');
    if (userGib < 1 || userGib > MAX_DISK_GIB) {
      throw new ValidationError(`${p}.userDiskSize`, `is ${userGib} GiB; give 1 to ${MAX_DISK_GIB} GiB.`);
    }
    if (props.rootDiskStorageClassName !== undefined) validateDns1123Subdomain(`${p}.rootDiskStorageClassName`, props.rootDiskStorageClassName);
    validateDns1123Subdomain(`${p}.userDiskStorageClassName`, userDiskStorageClassName);
    if (props.sysprepSecretName !== undefined) validateDns1123Subdomain(`${p}.sysprepSecretName`, props.sysprepSecretName);
    if (props.cloudbaseInitSecretName !== undefined) validateDns1123Subdomain(`${p}.cloudbaseInitSecretName`, props.cloudbaseInitSecretName);
    for (const [key, value] of Object.entries(extraLabels)) {
      validateQualifiedName(`${p}.labels`, key);
      validateLabelValue(`${p}.labels["${key}"]`, value);
      if (key === DESKTOP_USER_LABEL || key === DESKTOP_VM_LABEL) {
        throw new ValidationError(`${p}.labels`, `sets "${key}", which the desktop sets itself; remove it.`);
      }
    }
    validateIpv4Cidr(`${p}.vmNetworkCidr`, vmNetworkCidr);
    if (Number(vmNetworkCidr.split('/')[1]) > MAX_VM_NETWORK_PREFIX) {
      throw new ValidationError(`${p}.vmNetworkCidr`, `"${vmNetworkCidr}" is too small for the guest, its gateway and DNS; use a /${MAX_VM_NETWORK_PREFIX} or larger network, e.g. "${DEFAULT_VM_NETWORK_CIDR}".`);
    }
    if (gracePeriod.isUnresolved() || gracePeriod.toSeconds() < 30 || gracePeriod.toSeconds() > 3600) {
      throw new ValidationError(`${p}.shutdownGracePeriod`, 'must be a literal duration of 30 seconds to 1 hour (Windows needs time to shut down cleanly), e.g. Duration.minutes(3).');
    }

    let idleSeconds: number | undefined;
    if (props.idleDisconnectTimeout !== undefined) {
      const idle = props.idleDisconnectTimeout;
      const ms = idle.isUnresolved() ? NaN : idle.toMilliseconds();
      if (!Number.isInteger(ms / 1000) || ms < 1000 || ms > MAX_IDLE_DISCONNECT_SECONDS * 1000) {
        throw new ValidationError(`${p}.idleDisconnectTimeout`, `is ${idle.isUnresolved() ? 'a token' : idle.toHumanString()}; give a literal whole number of seconds from 1 second to 24 hours, e.g. Duration.minutes(15).`);
      }
      idleSeconds = ms / 1000;
      if (props.sysprepSecretName !== undefined) {
        throw new ValidationError(`${p}.idleDisconnectTimeout`, `cannot be combined with sysprepSecretName "${props.sysprepSecretName}": KubeVirt attaches one answer file. Add a specialize RunSynchronous command \`${maxIdleTimeCommand(idleSeconds)}\` (maxIdleTimeCommand(${idleSeconds})) to that answer file and leave idleDisconnectTimeout unset.`);
      }
    }

    // Children.
    const rootDiskName = `${name}-root`;
    const userDiskClaimName = `${name}-user`;
    const rdpServiceName = `${name}-rdp`;
    const labels = { ...extraLabels, [DESKTOP_USER_LABEL]: userLabel, [DESKTOP_VM_LABEL]: name };

    // The user disk is its own claim: a claim in `dataVolumeTemplates` belongs to the VM and
    // is deleted with it whatever the reclaim policy.
    this.userDisk = new k8s.KubePersistentVolumeClaim(this, 'UserDisk', {
      metadata: { name: userDiskClaimName, namespace, labels },
      spec: {
        accessModes: ['ReadWriteOnce'],
        // Block mode hands the EBS volume to the VM as is (no filesystem and disk image between).
        volumeMode: 'Block',
        storageClassName: userDiskStorageClassName,
        resources: { requests: { storage: k8s.Quantity.fromString(`${userGib}Gi`) } },
      },
    });

    const disks: Disk[] = [
      { name: 'rootdisk', bootOrder: 1, disk: { bus: 'virtio' } },
      { name: 'userdisk', disk: { bus: 'virtio' } },
    ];
    const volumes: Volume[] = [
      { name: 'rootdisk', dataVolume: { name: rootDiskName } },
      { name: 'userdisk', persistentVolumeClaim: { claimName: userDiskClaimName } },
    ];
    if (props.sysprepSecretName !== undefined) {
      // Windows Setup looks for the answer file on removable media: a SATA CD-ROM.
      disks.push({ name: 'sysprep', cdrom: { bus: 'sata' } });
      volumes.push({ name: 'sysprep', sysprep: { secret: { name: props.sysprepSecretName } } });
    } else if (idleSeconds !== undefined) {
      // No secret in it: a ConfigMap, rendered here (KubeVirt requires the key unattend.xml or autounattend.xml).
      this.sysprepConfigMap = new k8s.KubeConfigMap(this, 'Sysprep', {
        metadata: { name: `${name}-sysprep`, namespace, labels },
        data: { 'unattend.xml': idleDisconnectUnattendXml(idleSeconds) },
      });
      disks.push({ name: 'sysprep', cdrom: { bus: 'sata' } });
      volumes.push({ name: 'sysprep', sysprep: { configMap: { name: this.sysprepConfigMap.name } } });
    }
    if (props.cloudbaseInitSecretName !== undefined) {
      disks.push({ name: 'cloudinit', cdrom: { bus: 'sata' } });
      volumes.push({ name: 'cloudinit', cloudInitConfigDrive: { secretRef: { name: props.cloudbaseInitSecretName } } });
    }

    const enabled = { enabled: true };
    this.virtualMachine = new VirtualMachine(this, 'Resource', {
      metadata: { name, namespace, labels },
      spec: {
        runStrategy,
        dataVolumeTemplates: [{
          metadata: { name: rootDiskName, labels },
          spec: {
            sourceRef: { kind: 'DataSource', name: props.goldenImage.dataSourceName, namespace: props.goldenImage.namespace },
            storage: {
              accessModes: [V1Beta1StorageSpecAccessModes.READ_WRITE_ONCE],
              resources: { requests: { storage: `${rootGib}Gi` } },
              storageClassName: props.rootDiskStorageClassName,
            },
          },
        }],
        template: {
          metadata: {
            labels,
            // Copied to the virt-launcher pod: Karpenter neither consolidates nor drifts the
            // host while the desktop runs.
            annotations: { [DO_NOT_DISRUPT_ANNOTATION]: 'true' },
          },
          spec: {
            hostname: name,
            nodeSelector: { ...placement.nodeSelector },
            tolerations: kubevirtTolerations(placement),
            terminationGracePeriodSeconds: gracePeriod.toSeconds(),
            domain: {
              // q35: UEFI secure boot and TPM. Hosts must carry KubeVirt's machine-type label for it.
              machine: { type: DESKTOP_MACHINE_TYPE },
              cpu: { sockets: 1, cores: size.vcpus, threads: 1 },
              memory: { guest: size.memory },
              // Requests equal to the guest: interactive desktops get what they were sized for.
              resources: { requests: { cpu: `${size.vcpus}`, memory: size.memory } },
              firmware: { bootloader: { efi: { secureBoot, persistent: true } } },
              features: {
                acpi: enabled,
                apic: enabled,
                // Secure boot needs System Management Mode.
                smm: { enabled: secureBoot },
                hyperv: {
                  relaxed: enabled,
                  vapic: enabled,
                  spinlocks: { enabled: true, spinlocks: 8191 },
                  vpindex: enabled,
                  synic: enabled,
                  synictimer: enabled,
                  reset: enabled,
                  // No `frequencies`/`reenlightenment`: KubeVirt then requires hosts that
                  // publish a stable TSC frequency, which nested-virtualization hosts may not,
                  // and the desktop would stay Pending.
                  tlbflush: enabled,
                  ipi: enabled,
                },
              },
              clock: {
                utc: {},
                timer: {
                  hpet: { present: false },
                  hyperv: { present: true },
                  pit: { tickPolicy: 'delay' },
                  rtc: { tickPolicy: 'catchup' },
                },
              },
              devices: {
                disks,
                interfaces: [{ name: 'default', model: 'virtio', masquerade: {} }],
                tpm: tpm ? { persistent: true } : { enabled: false },
                // An absolute pointer keeps the console's mouse in sync.
                inputs: [{ name: 'tablet', type: 'tablet', bus: 'usb' }],
              },
            },
            networks: [{ name: 'default', pod: { vmNetworkCidr } }],
            volumes,
          },
        },
      },
    });

    this.rdpService = new k8s.KubeService(this, 'RdpService', {
      metadata: { name: rdpServiceName, namespace, labels },
      spec: {
        type: 'ClusterIP',
        selector: { [DESKTOP_VM_LABEL]: name },
        ports: [{ name: 'rdp', protocol: 'TCP', port: RDP_PORT, targetPort: k8s.IntOrString.fromNumber(RDP_PORT) }],
      },
    });

    // Attributes.
    this.vmName = name;
    this.userLabel = userLabel;
    this.rootDiskName = rootDiskName;
    this.userDiskClaimName = userDiskClaimName;
    this.rdpServiceName = rdpServiceName;
    this.vmNetworkCidr = vmNetworkCidr;
  }
}
