import { Names, Token } from 'aws-cdk-lib';
import * as cdk8s from 'cdk8s';
import { k8s } from 'cdk8s-plus-29';
import { Construct } from 'constructs';
import { CronDialect, validateStandardCron } from '../common/cron';
import { validateCpuQuantity, validateMemoryQuantity } from '../common/quantity';
import { validateTimeZone } from '../common/time-zone';
import { claimUnique } from '../common/uniqueness';
import {
  checkProps, isArrayOf, isBoolean, isConstruct, isNumber, isShape, isString, required,
  validateDns1123Label, validateInteger, validateOwnedNamespace,
} from '../common/validate';
import { reportsConstructPath, ValidationError } from '../common/validation-error';
import { compareVersions } from '../common/version-compare';
import { KUBECTL_IMAGE, PAUSE_IMAGE, PAUSE_WINDOWS_2025_MIN_VERSION } from '../common/versions';
import { DEFAULT_WARM_PRIORITY, WarmCapacityChart, WarmCapacityScale } from './warm-capacity-chart';
import type { WindowsNodePool } from './windows-node-pool';
import { WindowsVersion } from './windows-version';

const PAUSE_REPOSITORY = 'registry.k8s.io/pause:';
/** CronJob names stay ≤ 52 characters (Jobs append 11): `<name>-scale-<n>` must fit. */
const MAX_NAME = 40;
/** kube-scheduler accepts user priorities from -2147483648 to 1000000000. */
const MIN_PRIORITY = -2147483648;
const MAX_SCHEDULES = 20;

/**
 * Options of `WarmCapacity.businessHours()`.
 */
export interface BusinessHoursOptions {
  /** Warm slots during business hours. */
  readonly replicas: number;
  /**
   * Warm slots outside business hours.
   * @default 0
   */
  readonly offHoursReplicas?: number;
  /**
   * Hour (0-23) the business-hours size applies from. Schedule it ahead of the first logins:
   * a Windows node takes minutes to join.
   * @default 7
   */
  readonly startHour?: number;
  /**
   * Hour (0-23) the off-hours size applies from.
   * @default 19
   */
  readonly endHour?: number;
  /**
   * Days of the week, in cron syntax.
   * @default '1-5' (Monday to Friday)
   */
  readonly weekDays?: string;
}

/**
 * Props of `WarmCapacity`.
 */
export interface WarmCapacityProps {
  /** The node pool to keep warm slots on. */
  readonly pool: WindowsNodePool;

  /** CPU request of one slot: what one desktop requests (Kubernetes quantity, e.g. `'2'`, `'1500m'`). */
  readonly slotCpu: string;

  /** Memory request of one slot: what one desktop requests (Kubernetes quantity, e.g. `'8Gi'`). */
  readonly slotMemory: string;

  /**
   * Number of warm slots (the size at deployment; `scaleSchedules` change it later).
   * @default 1
   */
  readonly replicas?: number;

  /**
   * Name of the Deployment, PriorityClass and scaling objects (DNS-1123 label, at most 40
   * characters).
   * @default - `<pool name>-warm`
   */
  readonly name?: string;

  /**
   * Namespace of the placeholder pods.
   * @default - `name`
   */
  readonly namespace?: string;

  /**
   * Whether to create `namespace` (and delete it with this construct). Set false to use an
   * existing namespace.
   * @default true
   */
  readonly createNamespace?: boolean;

  /**
   * Priority of the placeholder pods: negative, so that every pod at the default priority (0)
   * preempts them.
   * @default -10
   */
  readonly priority?: number;

  /**
   * Placeholder image. It must have a variant for the pool's Windows build
   * (`registry.k8s.io/pause` has Windows Server 2025 images from 3.10.2); mirror it to ECR for
   * nodes without internet access.
   * @default PAUSE_IMAGE (registry.k8s.io/pause:3.10.2)
   */
  readonly image?: string;

  /**
   * RuntimeClass of the placeholders, e.g. the pool's `windows-2022` from `WindowsRuntimeClasses`.
   * @default - none: the pool's node selector and tolerations place them
   */
  readonly runtimeClassName?: string;

  /**
   * Changes of the number of slots at recurring times, e.g. `WarmCapacity.businessHours(...)`.
   * A deployment that changes this construct's manifest resets the size to `replicas` until the
   * next scheduled change.
   * @default - a fixed size
   */
  readonly scaleSchedules?: WarmCapacityScale[];

  /**
   * IANA time zone of `scaleSchedules`, e.g. `'Europe/Berlin'`.
   * @default - UTC
   */
  readonly timeZone?: string;

  /**
   * Namespace of the scaling CronJobs: it needs somewhere Linux pods run. `DesktopCluster`
   * runs `kube-system` on Fargate.
   * @default 'kube-system'
   */
  readonly scalerNamespace?: string;

  /**
   * Image of the scaling Jobs; its entrypoint must be `kubectl`.
   * @default KUBECTL_IMAGE (registry.k8s.io/kubectl)
   */
  readonly scalerImage?: string;
}

/**
 * Keeps desktop-sized slots ready on a Windows node pool, so a new desktop starts on a running
 * node instead of waiting minutes for one to boot.
 *
 * Placeholder pods (pause containers) request one desktop's CPU and memory each, with the
 * pool's node selector and tolerations, at a negative PriorityClass with `preemptionPolicy:
 * Never`. Karpenter launches nodes for them like for any pending pod; a real desktop preempts
 * one and starts at once, and Karpenter replaces the warm slot in the background. The number
 * of slots is fixed or follows a schedule (e.g. business hours) through CronJobs that run
 * `kubectl scale` with a Role limited to this Deployment.
 *
 * Karpenter's own capacity buffer (1.14) is alpha and off by default, so it is not used.
 *
 * Cost: warm slots are idle capacity, paid like running desktops (at least one node while
 * `replicas` ≥ 1).
 */
@reportsConstructPath
export class WarmCapacity extends Construct {
  /**
   * A business-hours schedule: `replicas` slots from `startHour`, `offHoursReplicas` from
   * `endHour`, on `weekDays` (in the construct's `timeZone`).
   */
  public static businessHours(options: BusinessHoursOptions): WarmCapacityScale[] {
    checkProps('WarmCapacity.businessHours', options, {
      replicas: required(isNumber('3')),
      offHoursReplicas: isNumber('0'),
      startHour: isNumber('7'),
      endHour: isNumber('19'),
      weekDays: isString("'1-5'"),
    });
    const start = options.startHour ?? 7;
    const end = options.endHour ?? 19;
    const days = options.weekDays ?? '1-5';
    validateInteger('WarmCapacity.businessHours.startHour', start, 0, 23);
    validateInteger('WarmCapacity.businessHours.endHour', end, 0, 23);
    if (start === end) {
      throw new ValidationError('WarmCapacity.businessHours.endHour', `equals startHour (${start}); business hours need an end after the start.`);
    }
    validateInteger('WarmCapacity.businessHours.replicas', options.replicas, 0, 1000);
    if (options.offHoursReplicas !== undefined) validateInteger('WarmCapacity.businessHours.offHoursReplicas', options.offHoursReplicas, 0, 1000);
    // The days go into both CronJob schedules: check them with the CronJob parser's rules.
    validateStandardCron('WarmCapacity.businessHours.weekDays', `0 ${start} * * ${days}`, CronDialect.KUBERNETES_CRONJOB, '0 7 * * 1-5');
    return [
      { schedule: `0 ${start} * * ${days}`, replicas: options.replicas },
      { schedule: `0 ${end} * * ${days}`, replicas: options.offHoursReplicas ?? 0 },
    ];
  }

  /** Name of the Deployment of placeholders. */
  public readonly deploymentName: string;
  /** Namespace of the placeholders. */
  public readonly namespace: string;
  /** Name of the PriorityClass of the placeholders. */
  public readonly priorityClassName: string;
  /** Number of slots at deployment. */
  public readonly replicas: number;
  /** The cdk8s chart with the objects (also usable for GitOps). */
  public readonly chart: WarmCapacityChart;
  /** The Kubernetes manifest that applies `chart` to the pool's cluster. */
  public readonly manifest: Construct;

  constructor(scope: Construct, id: string, props: WarmCapacityProps) {
    super(scope, id);
    const p = 'WarmCapacity';
    checkProps(p, props, {
      pool: required(isConstruct('a WindowsNodePool')),
      slotCpu: required(isString("'2'")),
      slotMemory: required(isString("'8Gi'")),
      replicas: isNumber('1'),
      name: isString("'windows-2022-warm'"),
      namespace: isString("'windows-2022-warm'"),
      createNamespace: isBoolean(),
      priority: isNumber('-10'),
      image: isString(`'${PAUSE_IMAGE}'`),
      runtimeClassName: isString("'windows-2022'"),
      scaleSchedules: isArrayOf(isShape({ schedule: required(isString("'0 7 * * 1-5'")), replicas: required(isNumber('3')) }, "{ schedule: '0 7 * * 1-5', replicas: 3 }"), "[{ schedule: '0 7 * * 1-5', replicas: 3 }]"),
      timeZone: isString("'Europe/Berlin'"),
      scalerNamespace: isString("'kube-system'"),
      scalerImage: isString(`'${KUBECTL_IMAGE}'`),
    });
    const pool = props.pool;

    // Defaults.
    const name = props.name ?? `${pool.nodePoolName}-warm`;
    const namespace = props.namespace ?? name;
    const createNamespace = props.createNamespace ?? true;
    const replicas = props.replicas ?? 1;
    const priority = props.priority ?? DEFAULT_WARM_PRIORITY;
    const image = props.image ?? PAUSE_IMAGE;
    const schedules = props.scaleSchedules ?? [];
    const scalerNamespace = props.scalerNamespace ?? 'kube-system';
    const scalerImage = props.scalerImage ?? KUBECTL_IMAGE;

    // Validation.
    if (pool.node.root !== this.node.root) {
      throw new ValidationError(`${p}.pool`, `node pool "${pool.node.path}" belongs to another CDK app; give a WindowsNodePool of this app (the placeholders are applied through its cluster).`);
    }
    validateDns1123Label(`${p}.name`, name);
    if (!Token.isUnresolved(name) && name.length > MAX_NAME) {
      throw new ValidationError(`${p}.name`, `"${name}" is ${name.length} characters long; use at most ${MAX_NAME} (CronJob names derived from it stop at 52).`);
    }
    validateDns1123Label(`${p}.namespace`, namespace);
    validateOwnedNamespace(`${p}.namespace`, namespace, createNamespace);
    validateDns1123Label(`${p}.scalerNamespace`, scalerNamespace);
    validateInteger(`${p}.replicas`, replicas, 0, 1000);
    validateInteger(`${p}.priority`, priority, MIN_PRIORITY, -1);
    // What one desktop requests.
    validateCpuQuantity(`${p}.slotCpu`, props.slotCpu, '2');
    validateMemoryQuantity(`${p}.slotMemory`, props.slotMemory, '8Gi');
    validatePauseImage(`${p}.image`, image, pool.windowsVersion);
    if (schedules.length > MAX_SCHEDULES) {
      throw new ValidationError(`${p}.scaleSchedules`, `has ${schedules.length} entries; give at most ${MAX_SCHEDULES} (each is a CronJob).`);
    }
    schedules.forEach((scale, i) => {
      validateStandardCron(`${p}.scaleSchedules[${i}].schedule`, scale.schedule, CronDialect.KUBERNETES_CRONJOB, '0 7 * * 1-5');
      validateInteger(`${p}.scaleSchedules[${i}].replicas`, scale.replicas, 0, 1000);
    });
    if (props.timeZone !== undefined) {
      if (schedules.length === 0) {
        throw new ValidationError(`${p}.timeZone`, 'is set, but there are no scaleSchedules to apply it to; remove it or add schedules.');
      }
      validateTimeZone(`${p}.timeZone`, props.timeZone);
    }
    if (props.runtimeClassName !== undefined) {
      validateDns1123Label(`${p}.runtimeClassName`, props.runtimeClassName);
      // A RuntimeClass of another Windows build would send the placeholders to nodes of that build.
      const other = WindowsVersion.ALL.find((v) => v !== pool.windowsVersion && v.runtimeClassName === props.runtimeClassName);
      if (other !== undefined) {
        throw new ValidationError(`${p}.runtimeClassName`, `"${props.runtimeClassName}" is the RuntimeClass of ${other} (build ${other.build}), but pool ${pool.node.path} runs ${pool.windowsVersion}; the placeholders would warm the wrong nodes. Use "${pool.windowsVersion.runtimeClassName}" or leave it unset.`);
      }
    }
    const cluster = pool.karpenter.cluster;
    if (createNamespace) claimUnique(cluster, 'Namespace', namespace, this, `${p}.namespace`, 'Only one construct may create (and, when removed, delete) a namespace: set createNamespace: false on all but one of them, or give each its own namespace.');
    claimUnique(pool, 'WarmCapacity', '', this, `${p}.pool`,
      'A pool takes one WarmCapacity (two would each keep their own placeholders and CronJobs fighting over one pool): merge them, with scaleSchedules for different times.');
    claimUnique(cluster, 'PriorityClass', name, this, `${p}.name`, 'PriorityClasses are cluster-wide: give each WarmCapacity its own `name`.');
    claimUnique(cluster, 'Deployment', `${namespace}/${name}`, this, `${p}.name`, 'Give each WarmCapacity its own `name` or `namespace`.');

    // Children.
    this.chart = new WarmCapacityChart(new cdk8s.App(), 'WarmCapacity', {
      name,
      namespace,
      createNamespace,
      priorityClassName: name,
      priority,
      image,
      replicas,
      cpu: props.slotCpu,
      memory: props.slotMemory,
      nodeSelector: pool.nodeSelector,
      tolerations: pool.taints.map((taint): k8s.Toleration => (taint.value === undefined
        ? { key: taint.key, operator: 'Exists', effect: taint.effect }
        : { key: taint.key, operator: 'Equal', value: taint.value, effect: taint.effect })),
      runtimeClassName: props.runtimeClassName,
      scaleSchedules: schedules.map((s) => ({ schedule: s.schedule.trim(), replicas: s.replicas })),
      timeZone: props.timeZone,
      scalerNamespace,
      scalerImage,
    });
    // Applied through the pool's cluster; a path-derived id keeps it unique there.
    this.manifest = pool.karpenter.cluster.addCdk8sChart(`WarmCapacity${Names.uniqueId(this)}`, this.chart);

    // Attributes.
    this.deploymentName = name;
    this.namespace = namespace;
    this.priorityClassName = name;
    this.replicas = replicas;

    // Dependencies: placeholders go after their pool (and are removed before it).
    this.manifest.node.addDependency(pool.manifest);
  }
}

/**
 * Fails when the image is a `registry.k8s.io/pause` release without a variant for the pool's
 * Windows build. Other images cannot be checked at synth time.
 */
function validatePauseImage(prop: string, image: string, windowsVersion: WindowsVersion): void {
  if (Token.isUnresolved(image)) return;
  if (image.trim() === '') {
    throw new ValidationError(prop, `is empty; give a pause image with a variant for Windows build ${windowsVersion.build}, e.g. "${PAUSE_IMAGE}".`);
  }
  if (!image.startsWith(PAUSE_REPOSITORY)) return;
  const tag = image.slice(PAUSE_REPOSITORY.length).split('@')[0];
  if (windowsVersion === WindowsVersion.WINDOWS_2025 && /^\d+(\.\d+)*$/.test(tag) && compareVersions(tag, PAUSE_WINDOWS_2025_MIN_VERSION) < 0) {
    throw new ValidationError(prop, `"${image}" has no Windows Server 2025 variant (pause publishes one from ${PAUSE_WINDOWS_2025_MIN_VERSION}); the placeholders would never start. Use "${PAUSE_IMAGE}" or later.`);
  }
}
