/**
 * The scheduling side of the virt-launcher pod that KubeVirt 1.9 creates for a VM, derived the
 * way virt-controller renders it, so tests can check it against the pools meant to run it.
 *
 * Rules (kubevirt v1.9.0):
 * - pkg/virt-controller/services/nodeselectorrenderer.go: `kubevirt.io/schedulable: "true"`,
 *   `kubernetes.io/arch` of the VMI, cluster-wide and VMI node selectors; Hyper-V feature labels
 *   only with the `HypervStrictCheck` gate; a CPU model label unless host-model/passthrough; the
 *   machine-type label; CPU feature labels of `require` features; a TSC-frequency label when
 *   the VM needs a stable TSC (Hyper-V frequencies/reenlightenment, invtsc);
 *   `cpumanager: "true"` with dedicated CPUs.
 * - pkg/virt-controller/services/template.go: node affinity `DoesNotExist` on
 *   `node-labeller.kubevirt.io/obsolete-host-model` for host-model CPUs.
 * - pkg/virt-controller/services/renderresources.go, pkg/network/vmispec/devices.go:
 *   `devices.kubevirt.io/tun` when the VM has interfaces (or the pod interface is auto-attached),
 *   `/vhost-net` for virtio interfaces without emulation, `/kvm` without emulation, one each.
 * The mutating webhook defaults the architecture to the cluster's (amd64) and the CPU model to
 * host-model; both are applied here.
 *
 * Written here because KubeVirt publishes this logic only as Go inside virt-controller.
 */

/** What the KubeVirt CR configures that changes the launcher pod. */
export interface KubeVirtClusterConfig {
  readonly useEmulation: boolean;
  readonly featureGates: readonly string[];
  /** `spec.configuration.developerConfiguration.nodeSelectors` (cluster-wide). */
  readonly nodeSelectors?: Readonly<Record<string, string>>;
}

export interface LauncherRequirement {
  readonly key: string;
  readonly operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  readonly values?: readonly string[];
}

export interface LauncherToleration {
  readonly key?: string;
  readonly operator?: string;
  readonly value?: string;
  readonly effect?: string;
}

/** The scheduling-relevant part of a virt-launcher pod. */
export interface LauncherPod {
  readonly vm: string;
  readonly nodeSelector: Record<string, string>;
  readonly affinity: LauncherRequirement[];
  readonly tolerations: LauncherToleration[];
  /** Requests: cpu in cores, memory in bytes (guest memory, without KubeVirt's overhead), devices as counts. */
  readonly requests: Record<string, number>;
}

interface FeatureState { readonly enabled?: boolean }
interface VmiSpec {
  readonly architecture?: string;
  readonly nodeSelector?: Record<string, string>;
  readonly tolerations?: LauncherToleration[];
  readonly domain: {
    readonly machine?: { readonly type?: string };
    readonly cpu?: {
      readonly model?: string;
      readonly dedicatedCpuPlacement?: boolean;
      readonly features?: Array<{ readonly name: string; readonly policy?: string }>;
    };
    readonly resources?: { readonly requests?: Record<string, string> };
    readonly memory?: { readonly guest?: string };
    readonly features?: { readonly hyperv?: Record<string, FeatureState | undefined> };
    readonly devices?: {
      readonly interfaces?: Array<{ readonly model?: string }>;
      readonly autoattachPodInterface?: boolean;
      readonly autoattachVSOCK?: boolean;
    };
  };
}
interface VirtualMachineObject {
  readonly metadata?: { readonly name?: string };
  readonly spec: { readonly template: { readonly spec: VmiSpec } };
}

/** Hyper-V features that get a `hyperv.node.kubevirt.io/<label>` selector under HypervStrictCheck. */
const HYPERV_LABELLED = ['vpindex', 'runtime', 'reset', 'synic', 'synictimer', 'frequencies', 'reenlightenment', 'tlbflush', 'ipi'];
const CLUSTER_ARCHITECTURE = 'amd64';

function enabled(state: FeatureState | undefined): boolean {
  return state !== undefined && state.enabled !== false;
}

export function parseQuantity(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(m|k|Ki|M|Mi|G|Gi|T|Ti)?$/.exec(value);
  if (!match) throw new Error(`cannot parse quantity "${value}"`);
  const factors: Record<string, number> = { '': 1, 'm': 1e-3, 'k': 1e3, 'Ki': 2 ** 10, 'M': 1e6, 'Mi': 2 ** 20, 'G': 1e9, 'Gi': 2 ** 30, 'T': 1e12, 'Ti': 2 ** 40 };
  return Number(match[1]) * factors[match[2] ?? ''];
}

/** The launcher pod KubeVirt 1.9 would create for this VirtualMachine under this cluster configuration. */
export function renderLauncherPod(vm: VirtualMachineObject, config: KubeVirtClusterConfig): LauncherPod {
  const spec = vm.spec.template.spec;
  const domain = spec.domain;
  const nodeSelector: Record<string, string> = {
    'kubevirt.io/schedulable': 'true',
    'kubernetes.io/arch': (spec.architecture ?? CLUSTER_ARCHITECTURE).toLowerCase(),
    ...(config.nodeSelectors ?? {}),
    ...(spec.nodeSelector ?? {}),
  };
  const affinity: LauncherRequirement[] = [];
  if (domain.cpu?.dedicatedCpuPlacement) nodeSelector['cpumanager'] = 'true';
  const hyperv = domain.features?.hyperv ?? {};
  if (config.featureGates.includes('HypervStrictCheck')) {
    for (const label of HYPERV_LABELLED) {
      if (enabled(hyperv[label])) nodeSelector[`hyperv.node.kubevirt.io/${label}`] = 'true';
    }
    if (enabled(hyperv.evmcs)) nodeSelector['cpu-vendor.node.kubevirt.io/Intel'] = 'true';
  }
  const model = domain.cpu?.model ?? 'host-model';
  if (model !== 'host-model' && model !== 'host-passthrough') nodeSelector[`cpu-model.node.kubevirt.io/${model}`] = 'true';
  if (model === 'host-model') affinity.push({ key: 'node-labeller.kubevirt.io/obsolete-host-model', operator: 'DoesNotExist' });
  const machineType = domain.machine?.type;
  if (machineType) nodeSelector[`machine-type.node.kubevirt.io/${machineType}`] = 'true';
  for (const feature of domain.cpu?.features ?? []) {
    if (feature.policy === undefined || feature.policy === 'require') nodeSelector[`cpu-feature.node.kubevirt.io/${feature.name}`] = 'true';
  }
  const needsTsc = enabled(hyperv.frequencies) || enabled(hyperv.reenlightenment)
    || (domain.cpu?.features ?? []).some((f) => f.name === 'invtsc' && (f.policy === undefined || f.policy === 'require'));
  // The real label carries the frequency of the host the VM first ran on: no pool can promise it.
  if (needsTsc) nodeSelector['scheduling.node.kubevirt.io/tsc-frequency-<host frequency>'] = 'true';

  const requests: Record<string, number> = {};
  for (const [name, value] of Object.entries(domain.resources?.requests ?? {})) requests[name] = parseQuantity(value);
  if (requests.memory === undefined && domain.memory?.guest !== undefined) requests.memory = parseQuantity(domain.memory.guest);
  const interfaces = domain.devices?.interfaces ?? [];
  if (interfaces.length > 0 || domain.devices?.autoattachPodInterface !== false) requests['devices.kubevirt.io/tun'] = 1;
  if (interfaces.some((i) => (i.model ?? 'virtio') === 'virtio') && !config.useEmulation) requests['devices.kubevirt.io/vhost-net'] = 1;
  if (!config.useEmulation) requests['devices.kubevirt.io/kvm'] = 1;
  if (domain.devices?.autoattachVSOCK) requests['devices.kubevirt.io/vhost-vsock'] = 1;

  return { vm: vm.metadata?.name ?? '?', nodeSelector, affinity, tolerations: [...(spec.tolerations ?? [])], requests };
}
