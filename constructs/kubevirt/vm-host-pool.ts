import { Names, Size, Token } from 'aws-cdk-lib';
import * as cdk8s from 'cdk8s';
import { Construct, IConstruct, IDependable } from 'constructs';
import { guardChartHandover } from '../common/chart-handover';
import { IEksCluster } from '../common/eks-cluster';
import { claimUnique } from '../common/uniqueness';
import { checkProps, isArrayOf, isConstruct, isEnumMember, isShape, isString, required, validateDns1123Label, validateNonEmpty } from '../common/validate';
import { reportsConstructPath, ValidationError } from '../common/validation-error';
import { NODE_POOL_NAME_FIX } from '../karpenter/windows-node-pool';
import { compareVersions } from '../common/version-compare';
import { DEDICATED_TENANCY_MIN_KARPENTER, NESTED_VIRTUALIZATION_MIN_KARPENTER, NODE_OVERLAY_MIN_KARPENTER } from '../common/versions';
import { Karpenter } from '../karpenter/karpenter';
import { IKarpenter } from '../karpenter/karpenter-reference';
import {
  CapacityType,
  DisruptionBudget,
  KarpenterDuration,
  KarpenterPoolOptions,
  NodeTaint,
  TaintEffect,
} from '../karpenter/node-pool-types';
import { renderTaints } from '../karpenter/private/node-pool-validation';
import { POOL_OPTION_TYPES, resolvePoolSettings } from '../karpenter/private/pool-settings';
import { kubevirtDeviceCapacity, kubevirtHostLabels } from './kubevirt-host-requirements';
import { GUEST_LICENSING_TAG, VmGuestLicensing } from './vm-guest-licensing';
import { VM_HOST_LABEL, VM_HOST_TAINT, VmHostPlacement } from './vm-host-placement';
import { VmHostPoolChart, VmHostPoolChartProps } from './vm-host-pool-chart';
import { addWarning } from '../common/warnings';
import { DEDICATED_USER_TAINT_KEY, LABEL_DOMAIN, USER_LABEL } from '../common/well-known';

/**
 * Instance families that support EC2 nested virtualization (8th generation Intel: C8i, M8i,
 * R8i and their Flex variants), checked 2026-11.
 *
 * @see https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CpuOptionsRequest.html
 */
export const NESTED_VIRTUALIZATION_FAMILIES: readonly string[] = Object.freeze(['c8i', 'm8i', 'r8i', 'c8i-flex', 'm8i-flex', 'r8i-flex']);

/**
 * x86-64 instance families with bare-metal sizes, on which KVM runs directly, checked 2026-11.
 * Graviton (arm64) metal is left out: the desktops are x86-64 Windows guests.
 *
 * @see https://docs.aws.amazon.com/ec2/latest/instancetypes/instance-types.html
 */
export const BARE_METAL_FAMILIES: readonly string[] = Object.freeze([
  'c5', 'c5d', 'c5n', 'm5', 'm5d', 'm5dn', 'm5n', 'm5zn', 'r5', 'r5b', 'r5d', 'r5dn', 'r5n', 'z1d',
  'i3', 'i3en', 'i4i', 'i7ie',
  'c6i', 'c6id', 'c6in', 'm6i', 'm6id', 'm6idn', 'm6in', 'r6i', 'r6id', 'r6idn', 'r6in',
  'c6a', 'm6a', 'r6a', 'c7a', 'm7a', 'r7a',
  'x2idn', 'x2iedn', 'x2iezn',
  'c7i', 'm7i', 'r7i', 'r7iz', 'c8i', 'm8i', 'r8i',
]);

/** Values of `karpenter.k8s.aws/instance-size` of bare-metal instances (`metal`, `metal-24xl`, ...). */
export const BARE_METAL_SIZES: readonly string[] = Object.freeze(['metal', 'metal-16xl', 'metal-24xl', 'metal-32xl', 'metal-48xl', 'metal-96xl']);

/**
 * Taint of the hosts of a `perUserHosts` pool, `dedicated-user:NoSchedule` without a value:
 * desktops of isolated users tolerate it (and select their own user label); nothing else does.
 */
export const PER_USER_HOST_TAINT: NodeTaint = Object.freeze({ key: DEDICATED_USER_TAINT_KEY, effect: TaintEffect.NO_SCHEDULE });

/** Node label telling which kind of KVM a host has (`nested` or `metal`). */
export const VM_HOST_VIRTUALIZATION_LABEL = `${LABEL_DOMAIN}/vm-host-virtualization`;

/**
 * How the hosts get hardware virtualization (`/dev/kvm`).
 */
export enum VmHostVirtualization {
  /**
   * EC2 nested virtualization on virtualized 8th generation Intel instances (C8i, M8i, R8i):
   * small, cheap hosts. Needs Karpenter ≥ 1.13 (`EC2NodeClass.spec.cpuOptions`).
   */
  NESTED = 'nested',
  /** Bare-metal instances (`*.metal*`): KVM on the hardware, large hosts (96+ vCPUs). */
  BARE_METAL = 'metal',
}

/**
 * Settings of a VM host pool, everything but the Karpenter installation.
 */
export interface VmHostPoolOptions extends KarpenterPoolOptions {
  /**
   * The licensing basis of the guests, which decides the hosts' EC2 tenancy. Required: no
   * Windows guest inside an EC2 instance is license-included, so there is no safe default.
   * `VmGuestLicensing.dedicatedInstances()` for Windows 10/11 desktops on the customer's own
   * licenses; `VmGuestLicensing.sharedTenancy('...')` only with a stated basis that allows
   * shared hardware. See the README section "Licensing of VM desktops".
   */
  readonly guestLicensing: VmGuestLicensing;

  /**
   * How the hosts get `/dev/kvm`. For both kinds, create two pools: each has its own
   * EC2NodeClass (nested virtualization filters out `.metal`). EC2 does not document nested
   * virtualization on Dedicated Instances, so dedicated pools default to bare metal.
   * @default - VmHostVirtualization.NESTED on shared tenancy, VmHostVirtualization.BARE_METAL on dedicated tenancy
   */
  readonly virtualization?: VmHostVirtualization;

  /**
   * Name of the NodePool and of its EC2NodeClass (DNS-1123 label).
   * @default - `vm-hosts-nested` or `vm-hosts-metal`
   */
  readonly name?: string;

  /**
   * EC2 instance families allowed. Nested virtualization: a subset of
   * `NESTED_VIRTUALIZATION_FAMILIES`; bare metal: a subset of `BARE_METAL_FAMILIES` (metal
   * sizes only are used).
   * @default - nested: ['c8i', 'm8i', 'r8i']; bare metal: ['c7i', 'm7i', 'r7i']
   */
  readonly instanceFamilies?: string[];

  /**
   * Purchase options. Spot would stop running desktops with two minutes' notice, and Spot
   * support of nested virtualization is not documented.
   * @default [CapacityType.ON_DEMAND]
   */
  readonly capacityTypes?: CapacityType[];

  /**
   * Most vCPUs all hosts of the pool may have together.
   * @default 400
   */
  readonly cpuLimit?: number;

  /**
   * Most memory all hosts of the pool may have together.
   * @default Size.gibibytes(1600)
   */
  readonly memoryLimit?: Size;

  /**
   * Age at which Karpenter replaces a host. Expiry is forceful: it would stop the desktops on
   * the host. New AMIs reach hosts through drift instead, which waits until no running
   * desktop (annotated `karpenter.sh/do-not-disrupt`) is left on the host.
   * @default KarpenterDuration.NEVER
   * @see https://karpenter.sh/docs/concepts/disruption/#expiration
   */
  readonly expireAfter?: KarpenterDuration;

  /**
   * How long a host must have been empty before Karpenter removes it (consolidation policy is
   * always `WhenEmpty`).
   * @default KarpenterDuration.of(Duration.minutes(10))
   */
  readonly consolidateAfter?: KarpenterDuration;

  /**
   * Limits on how many hosts Karpenter may disrupt at once.
   * @default [{ nodes: '10%' }]
   */
  readonly disruptionBudgets?: DisruptionBudget[];

  /**
   * Size of the encrypted gp3 root volume, whole GiB from 50 GiB to 16 TiB. It holds container
   * images, including golden images pulled through the node (`pullMethod: node`).
   * @default Size.gibibytes(200)
   */
  readonly rootVolumeSize?: Size;

  /**
   * Taints added to `desktop.io/vm-host=true:NoSchedule`. KubeVirt, CDI and desktops must
   * tolerate them too: they take them from `placement`.
   * @default - none
   */
  readonly additionalTaints?: NodeTaint[];

  /**
   * One host per user from this one pool: the pool declares the user label
   * (`desktop.io/user-id`) with operator `Exists`, so each desktop's nodeSelector value is put
   * on the host Karpenter launches for it, and taints its hosts `dedicated-user:NoSchedule` so
   * that only desktops of isolated users (and KubeVirt's node agent) land there. Give each
   * user a desktop with `DesktopUserIsolation` (mode `UserIsolationMode.SHARED_POOL`).
   * Keep a second, ordinary pool for KubeVirt's control plane and shared desktops.
   * @default false
   */
  readonly perUserHosts?: boolean;
}

/**
 * Props of `VmHostPool`.
 */
export interface VmHostPoolProps extends VmHostPoolOptions {
  /** The Karpenter installation that launches the hosts; they use its Linux node role. */
  readonly karpenter: IKarpenter;
}

/**
 * What KubeVirt and the desktops need from a pool of VM hosts.
 */
export interface IVmHostPool extends IConstruct {
  /** The cluster the hosts join. */
  readonly cluster: IEksCluster;
  /** Node selector and tolerations that land pods on the hosts. */
  readonly placement: VmHostPlacement;
  /** The manifest applying the NodePool: installs that need hosts run after it. */
  readonly manifest: IDependable;
}

/**
 * A Karpenter v1 pool of Linux (AL2023) hosts with KVM for KubeVirt: an `EC2NodeClass` and a
 * `NodePool` applied after the Karpenter controller.
 *
 * Hosts are on-demand, labelled `desktop.io/vm-host: "true"`, tainted
 * `desktop.io/vm-host=true:NoSchedule` so that only VM workloads land there, and consolidated
 * only when empty. `placement` tells pods how to get there.
 */
@reportsConstructPath
export class VmHostPool extends Construct implements IVmHostPool {
  /** The cluster the hosts join. */
  public readonly cluster: IEksCluster;
  /** Name of the NodePool. */
  public readonly nodePoolName: string;
  /** Name of the EC2NodeClass. */
  public readonly nodeClassName: string;
  /** How the hosts get `/dev/kvm`. */
  public readonly virtualization: VmHostVirtualization;
  /** The licensing basis of the guests (and so the hosts' tenancy). */
  public readonly guestLicensing: VmGuestLicensing;
  /** Instance families the pool launches. */
  public readonly instanceFamilies: string[];
  /** Every taint of the hosts: `desktop.io/vm-host=true:NoSchedule` first, then `additionalTaints`. */
  public readonly taints: NodeTaint[];
  /** Node selector and tolerations that land pods on these hosts. */
  public readonly placement: VmHostPlacement;
  /** The cdk8s chart with the EC2NodeClass and the NodePool (also usable for GitOps). */
  public readonly chart: VmHostPoolChart;
  /** The Kubernetes manifest that applies `chart` to the cluster. */
  public readonly manifest: Construct;
  /** True when each host serves one user (`perUserHosts`). */
  public readonly perUserHosts: boolean;
  /**
   * The pool's resolved settings, as rendered into `chart`: per-user pools derive their
   * NodePool from them and share this pool's EC2NodeClass.
   */
  public readonly settings: VmHostPoolChartProps;

  constructor(scope: Construct, id: string, props: VmHostPoolProps) {
    super(scope, id);
    const p = 'VmHostPool';
    checkProps(p, props, {
      karpenter: required(isConstruct('a Karpenter installation')),
      virtualization: isEnumMember(VmHostVirtualization, 'VmHostVirtualization'),
      name: isString("'vm-hosts-nested'"),
      instanceFamilies: isArrayOf(isString("'m8i'"), "['c8i', 'm8i', 'r8i']"),
      additionalTaints: isArrayOf(isShape({}, "{ key: 'example.com/dedicated', effect: TaintEffect.NO_SCHEDULE }"), '[]'),
    }, { otherProps: Object.keys(POOL_OPTION_TYPES) });
    const karpenter = props.karpenter;
    const cluster = karpenter.cluster;

    // Defaults and validation (the settings every pool shares first, then the hosts' own).
    const guestLicensing = props.guestLicensing;
    if (!(guestLicensing instanceof VmGuestLicensing)) {
      throw new ValidationError(`${p}.guestLicensing`, `is ${guestLicensing === undefined ? 'missing' : JSON.stringify(guestLicensing)}; choose the guests' licensing basis explicitly: VmGuestLicensing.dedicatedInstances() for Windows 10/11 desktops on your own licenses, or VmGuestLicensing.sharedTenancy('<your basis>') (README: "Licensing of VM desktops").`, this);
    }
    const dedicated = guestLicensing.dedicated;
    const virtualization = props.virtualization ?? (dedicated ? VmHostVirtualization.BARE_METAL : VmHostVirtualization.NESTED);
    const nested = virtualization === VmHostVirtualization.NESTED;
    const perUserHosts = props.perUserHosts ?? false;
    const name = props.name ?? (perUserHosts ? `vm-hosts-${virtualization}-per-user` : `vm-hosts-${virtualization}`);
    const instanceFamilies = props.instanceFamilies ?? (nested ? ['c8i', 'm8i', 'r8i'] : ['c7i', 'm7i', 'r7i']);
    const additionalTaints = props.additionalTaints ?? [];
    const settings = resolvePoolSettings(p, karpenter, props, {
      capacityTypes: [CapacityType.ON_DEMAND],
      cpuLimit: 400,
      memoryLimit: Size.gibibytes(1600),
      expireAfter: KarpenterDuration.NEVER,
      rootVolumeSize: Size.gibibytes(200),
      capacityTypesHint: 'allow CapacityType.ON_DEMAND (recommended for desktops).',
      poolNoun: 'pool',
      rootVolumeWho: 'VM hosts',
      rootVolumeWhy: 'golden images pulled through the node take several GiB each',
    });
    if (nested && !Token.isUnresolved(karpenter.version) && compareVersions(karpenter.version, NESTED_VIRTUALIZATION_MIN_KARPENTER) < 0) {
      throw new ValidationError(`${p}.karpenter.version`, `is '${karpenter.version}'; nested virtualization (EC2NodeClass spec.cpuOptions.nestedVirtualization) needs Karpenter ${NESTED_VIRTUALIZATION_MIN_KARPENTER} or later. Upgrade Karpenter, or set virtualization: VmHostVirtualization.BARE_METAL.`);
    }
    const karpenterVersionKnown = !Token.isUnresolved(karpenter.version);
    if (dedicated && karpenterVersionKnown && compareVersions(karpenter.version, DEDICATED_TENANCY_MIN_KARPENTER) < 0) {
      throw new ValidationError(`${p}.karpenter.version`, `is '${karpenter.version}'; Dedicated Instances (requirement karpenter.k8s.aws/instance-tenancy) need Karpenter ${DEDICATED_TENANCY_MIN_KARPENTER} or later. Upgrade Karpenter.`, this);
    }
    if (karpenterVersionKnown && compareVersions(karpenter.version, NODE_OVERLAY_MIN_KARPENTER) < 0) {
      throw new ValidationError(`${p}.karpenter.version`, `is '${karpenter.version}'; Karpenter learns that VM hosts offer KubeVirt's devices (/dev/kvm, tun, vhost-net) only from a NodeOverlay, which needs Karpenter ${NODE_OVERLAY_MIN_KARPENTER} or later. Upgrade Karpenter.`, this);
    }
    if (dedicated && nested) {
      addWarning(this, 'vmHostNestedDedicated',
        'VmHostPool combines Dedicated Instances with nested virtualization, which the EC2 user guide documents for C8i/M8i/R8i without stating that it is available on dedicated tenancy. Prefer virtualization: VmHostVirtualization.BARE_METAL (the default for dedicated pools), or verify a launch first.');
    }
    validateDns1123Label(`${p}.name`, name);
    validateInstanceFamilies(`${p}.instanceFamilies`, instanceFamilies, virtualization);
    const kubevirtLabels = kubevirtHostLabels();
    for (const reserved of [VM_HOST_LABEL, VM_HOST_VIRTUALIZATION_LABEL, USER_LABEL, ...Object.keys(kubevirtLabels)]) {
      if (reserved in settings.labels) {
        throw new ValidationError(`${p}.labels`, `sets "${reserved}", which the pool sets itself (KubeVirt and the desktops select it); remove it.`);
      }
    }
    const ownTaints: NodeTaint[] = perUserHosts ? [VM_HOST_TAINT, PER_USER_HOST_TAINT] : [VM_HOST_TAINT];
    const taintValues = renderTaints(`${p}.additionalTaints`, ownTaints, additionalTaints);
    // Two host pools of one virtualization get one default name: the check catches them too.
    claimUnique(cluster, 'NodePool', name, this, `${p}.name`, NODE_POOL_NAME_FIX.replace('pools of one Windows version', 'host pools of one virtualization'));
    if (settings.capacityTypes.includes(CapacityType.SPOT)) {
      addWarning(this, 'vmHostSpot',
        'VmHostPool allows Spot capacity: a Spot interruption stops every desktop on the host with two minutes\' notice. Prefer CapacityType.ON_DEMAND for desktops.');
    }

    // Children: the chart lives in its own cdk8s app; the cluster's kubectl handler applies it.
    const settingsProps: VmHostPoolChartProps = {
      nodePoolName: name,
      nodeClassName: name,
      nodeRoleName: karpenter.linuxNodeRole.roleName,
      nestedVirtualization: nested,
      instanceFamilies: [...instanceFamilies],
      instanceSizes: nested ? undefined : [...BARE_METAL_SIZES],
      capacityTypes: settings.capacityTypes,
      // Karpenter before 1.9 knows no tenancy requirement (its CRD refuses the key); its
      // launches are shared tenancy anyway, which is what a shared basis asks for.
      tenancy: dedicated || !karpenterVersionKnown || compareVersions(karpenter.version, DEDICATED_TENANCY_MIN_KARPENTER) >= 0 ? guestLicensing.tenancy : undefined,
      subnetSelectorTerms: settings.subnetSelectorTerms,
      securityGroupSelectorTerms: settings.securityGroupSelectorTerms,
      rootVolumeSize: settings.rootVolumeSize,
      rootVolumeKmsKeyId: settings.rootVolumeKmsKeyId,
      tags: { ...settings.tags, [GUEST_LICENSING_TAG]: guestLicensing.basis },
      // KubeVirt's own labels are promised up front: every launcher pod selects them, and
      // Karpenter launches no node for a pod whose labels its pool does not define.
      nodeLabels: { ...settings.labels, ...kubevirtLabels, [VM_HOST_LABEL]: 'true', [VM_HOST_VIRTUALIZATION_LABEL]: virtualization },
      // ...and the device plugin resources every launcher pod requests, which no EC2
      // instance type lists: a NodeOverlay adds them to Karpenter's view of the pool.
      deviceCapacity: kubevirtDeviceCapacity(),
      taints: taintValues,
      expireAfter: settings.expireAfter,
      consolidateAfter: settings.consolidateAfter,
      budgets: settings.budgets,
      cpuLimit: settings.cpuLimit,
      memoryLimit: settings.memoryLimit,
      weight: settings.weight,
      perPodLabelKey: perUserHosts ? USER_LABEL : undefined,
    };
    this.chart = new VmHostPoolChart(new cdk8s.App(), 'VmHostPool', settingsProps);
    // The manifest lives under the cluster (where kubectl runs): a path-derived id keeps it unique.
    this.manifest = cluster.addCdk8sChart(`VmHostPool${Names.uniqueId(this)}`, this.chart);
    guardChartHandover(this.manifest, this.chart, 'VmHostPool.chart');

    // Attributes.
    this.cluster = cluster;
    this.nodePoolName = name;
    this.nodeClassName = name;
    this.virtualization = virtualization;
    this.guestLicensing = guestLicensing;
    this.instanceFamilies = [...instanceFamilies];
    this.taints = [...ownTaints, ...additionalTaints];
    this.perUserHosts = perUserHosts;
    this.settings = settingsProps;
    this.placement = { nodeSelector: { [VM_HOST_LABEL]: 'true' }, toleratedTaints: [...this.taints] };

    // Karpenter reads NodeOverlays only behind its alpha feature gate: switch it on in the
    // controller's Helm values when this library installed Karpenter, or say what to set.
    if (karpenter instanceof Karpenter) {
      karpenter.enableNodeOverlay();
    } else {
      addWarning(this, 'vmHostNodeOverlayGate',
        'VmHostPool relies on a Karpenter NodeOverlay for KubeVirt\'s device resources; set the Helm value settings.featureGates.nodeOverlay=true on this Karpenter installation, or desktops stay Pending.');
    }

    // Dependencies: the NodePool, EC2NodeClass and NodeOverlay CRDs come with the controller's chart.
    this.manifest.node.addDependency(karpenter.controller);
  }
}

function validateInstanceFamilies(prop: string, families: readonly string[], virtualization: VmHostVirtualization): void {
  validateNonEmpty(prop, families, "allow at least one instance family, e.g. ['c8i', 'm8i', 'r8i'].");
  if (new Set(families).size !== families.length) {
    throw new ValidationError(prop, `lists a family twice (${families.join(', ')}); list each once.`);
  }
  const nested = virtualization === VmHostVirtualization.NESTED;
  const allowed = nested ? NESTED_VIRTUALIZATION_FAMILIES : BARE_METAL_FAMILIES;
  families.forEach((family, i) => {
    if (Token.isUnresolved(family) || allowed.includes(family)) return;
    if (nested) {
      const metalHint = BARE_METAL_FAMILIES.includes(family) ? ` "${family}" has bare-metal sizes: use it with virtualization: VmHostVirtualization.BARE_METAL.` : '';
      throw new ValidationError(`${prop}[${i}]`, `"${family}" does not support EC2 nested virtualization, so its nodes would have no /dev/kvm. Use families from NESTED_VIRTUALIZATION_FAMILIES (${allowed.join(', ')}).${metalHint}`);
    }
    throw new ValidationError(`${prop}[${i}]`, `"${family}" has no x86-64 bare-metal sizes, so its nodes cannot run KVM for Windows desktops. Use families from BARE_METAL_FAMILIES (e.g. c7i, m7i, r7i), or virtualization: VmHostVirtualization.NESTED with c8i, m8i, r8i.`);
  });
}

