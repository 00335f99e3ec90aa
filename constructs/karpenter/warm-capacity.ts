import { Names, Token } from 'aws-cdk-lib';
import * as cdk8s from 'cdk8s';
import { k8s } from 'cdk8s-plus-29';
import { Construct } from 'constructs';
import { validateDns1123Label, validateInteger } from '../common/validate';
import { ValidationError } from '../common/validation-error';
import { compareVersions } from '../common/version-compare';
import { KUBECTL_IMAGE, PAUSE_IMAGE, PAUSE_WINDOWS_2025_MIN_VERSION } from '../common/versions';
import { WarmCapacityChart, WarmCapacityScale } from './warm-capacity-chart';
import type { WindowsNodePool } from './windows-node-pool';
import { WindowsVersion } from './windows-version';

const CPU_QUANTITY = /^(\d+(\.\d+)?|\d+m)$/;
const MEMORY_QUANTITY = /^\d+(\.\d+)?(k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;
const CRON_MACRO = /^@(yearly|annually|monthly|weekly|daily|midnight|hourly)$/;
const TIME_ZONE = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/;
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
export class WarmCapacity extends Construct {
  /**
   * A business-hours schedule: `replicas` slots from `startHour`, `offHoursReplicas` from
   * `endHour`, on `weekDays` (in the construct's `timeZone`).
   */
  public static businessHours(options: BusinessHoursOptions): WarmCapacityScale[] {
    const start = options.startHour ?? 7;
    const end = options.endHour ?? 19;
    const days = options.weekDays ?? '1-5';
    validateInteger('WarmCapacity.businessHours.startHour', start, 0, 23);
    validateInteger('WarmCapacity.businessHours.endHour', end, 0, 23);
    if (start === end) {
      throw new ValidationError('WarmCapacity.businessHours.endHour', `equals startHour (${start}); business hours need an end after the start.`);
    }
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
    const pool = props.pool;

    // Defaults.
    const name = props.name ?? `${pool.nodePoolName}-warm`;
    const namespace = props.namespace ?? name;
    const createNamespace = props.createNamespace ?? true;
    const replicas = props.replicas ?? 1;
    const priority = props.priority ?? -10;
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
    validateDns1123Label(`${p}.scalerNamespace`, scalerNamespace);
    validateInteger(`${p}.replicas`, replicas, 0, 1000);
    validateInteger(`${p}.priority`, priority, MIN_PRIORITY, -1);
    if (!Token.isUnresolved(props.slotCpu) && (!CPU_QUANTITY.test(props.slotCpu) || parseFloat(props.slotCpu) <= 0)) {
      throw new ValidationError(`${p}.slotCpu`, `"${props.slotCpu}" is not a positive CPU quantity; use cores ("2", "1.5") or millicores ("1500m"), what one desktop requests.`);
    }
    if (!Token.isUnresolved(props.slotMemory) && (!MEMORY_QUANTITY.test(props.slotMemory) || parseFloat(props.slotMemory) <= 0)) {
      throw new ValidationError(`${p}.slotMemory`, `"${props.slotMemory}" is not a positive memory quantity; use e.g. "8Gi" or "4096Mi", what one desktop requests.`);
    }
    validatePauseImage(`${p}.image`, image, pool.windowsVersion);
    if (schedules.length > MAX_SCHEDULES) {
      throw new ValidationError(`${p}.scaleSchedules`, `has ${schedules.length} entries; give at most ${MAX_SCHEDULES} (each is a CronJob).`);
    }
    schedules.forEach((scale, i) => {
      const schedule = scale.schedule.trim();
      if (!CRON_MACRO.test(schedule) && schedule.split(/\s+/).length !== 5) {
        throw new ValidationError(`${p}.scaleSchedules[${i}].schedule`, `"${scale.schedule}" is not a 5-field cron expression or macro; use e.g. '0 7 * * 1-5' (the time zone goes in timeZone, not in the expression).`);
      }
      if (/TZ=/.test(schedule)) {
        throw new ValidationError(`${p}.scaleSchedules[${i}].schedule`, `"${scale.schedule}" sets a time zone in the expression, which Kubernetes rejects; use timeZone.`);
      }
      validateInteger(`${p}.scaleSchedules[${i}].replicas`, scale.replicas, 0, 1000);
    });
    if (props.timeZone !== undefined) {
      if (schedules.length === 0) {
        throw new ValidationError(`${p}.timeZone`, 'is set, but there are no scaleSchedules to apply it to; remove it or add schedules.');
      }
      if (!TIME_ZONE.test(props.timeZone) || props.timeZone === 'Local') {
        throw new ValidationError(`${p}.timeZone`, `"${props.timeZone}" is not an IANA time zone name; use e.g. 'Europe/Berlin' or 'UTC'.`);
      }
    }
    if (props.runtimeClassName !== undefined) validateDns1123Label(`${p}.runtimeClassName`, props.runtimeClassName);

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
