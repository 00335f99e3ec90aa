import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { validateDns1123Label, validateInteger, validateNonEmpty } from '../common/validate';
import { ValidationError } from '../common/validation-error';
import { DESKTOP_CLASS_KIND, DedicatedPoolTemplate, DesktopClassPrice, DesktopKind, IsolationMode, SESSIONS_API, SESSION_SIZES, SessionSize, SessionTimeouts } from './api';

/**
 * Properties of {@link DesktopClassObject}.
 */
export interface DesktopClassObjectProps {
  /** Name of the class (what sessions and the broker name). */
  readonly name: string;
  /** VM (KubeVirt) or Node desktops. */
  readonly kind: DesktopKind;
  /**
   * `DEDICATED_POOL`: each user gets a NodePool of their own from the session controller, applied
   * at their first session and deleted with their last: VM classes derive it from
   * `dedicatedPool`, Node classes from their `NodeDesktops` pool's session template (what
   * `NodeDesktops` renders for a listed user in per-user mode; no `dedicatedPool`).
   * @default IsolationMode.SHARED_POOL
   */
  readonly isolation?: IsolationMode;
  /**
   * VM classes: the golden image's DataSource.
   * @default - none: node-desktop classes give `ami` instead
   */
  readonly goldenImage?: { readonly namespace: string; readonly name: string };
  /**
   * Node classes: the Desktop Experience AMI id or SSM parameter.
   * @default - none: VM classes give `goldenImage` instead
   */
  readonly ami?: string;
  /** @default ['medium'] */
  readonly allowedSizes?: SessionSize[];
  /** Sessions one user may have at once (1 to 10; always 1 for Node classes). @default 1 */
  readonly sessionsPerUser?: number;
  /**
   * Warm slots the session controller keeps (hosts launched ahead, taken over by new sessions).
   * Only VM classes with `IsolationMode.SHARED_POOL`.
   * @default 0
   */
  readonly warmCount?: number;
  /**
   * VM classes with `IsolationMode.DEDICATED_POOL` (required there, refused elsewhere): the
   * NodePool each user's own pool is derived from, e.g. `{ nodePoolTemplate: vmHostPool.settings.nodePoolName }`
   * of a `VmHostPool` without `perUserHosts`.
   * @default - none
   */
  readonly dedicatedPool?: DedicatedPoolTemplate;
  /** Hourly prices the cost estimate uses (yours; never looked up). @default - no estimate */
  readonly prices?: DesktopClassPrice[];
  /** ISO 4217 code of the prices. @default 'USD' */
  readonly currency?: string;
  /** Timeouts of sessions that give none. @default - the SDK's defaults (8 h, 15 min, 15 min) */
  readonly defaultTimeouts?: Partial<SessionTimeouts>;
}

/**
 * A `DesktopClass` object (cluster-scoped): what kind of desktop a session of this class gets.
 */
export class DesktopClassObject extends ApiObject {
  constructor(scope: Construct, id: string, props: DesktopClassObjectProps) {
    const p = 'DesktopClassObject';
    const allowedSizes = props.allowedSizes ?? ['medium'];
    const sessionsPerUser = props.sessionsPerUser ?? 1;
    validateDns1123Label(`${p}.name`, props.name);
    validateNonEmpty(`${p}.allowedSizes`, allowedSizes, `give at least one of ${SESSION_SIZES.join(', ')}.`);
    for (const size of allowedSizes) {
      if (!SESSION_SIZES.includes(size)) throw new ValidationError(`${p}.allowedSizes`, `"${size}" is not a size; use ${SESSION_SIZES.join(', ')}.`);
    }
    validateInteger(`${p}.sessionsPerUser`, sessionsPerUser, 1, 10);
    validateInteger(`${p}.warmCount`, props.warmCount ?? 0, 0, 1000);
    if (props.kind === DesktopKind.VM && props.goldenImage === undefined) throw new ValidationError(`${p}.goldenImage`, 'is required for a VM class: give the golden image (e.g. { namespace: "desktops", name: "windows11" }).');
    if (props.kind === DesktopKind.NODE && props.ami === undefined) throw new ValidationError(`${p}.ami`, 'is required for a Node class: give a Desktop Experience AMI id or SSM parameter.');
    // The CRD's CEL rule says the same at the API server; refused here at synth time first.
    if (props.kind === DesktopKind.NODE && sessionsPerUser !== 1) throw new ValidationError(`${p}.sessionsPerUser`, `is ${sessionsPerUser}; a Node class allows 1 (a node desktop is the user's own dedicated node).`);
    const isolation = props.isolation ?? IsolationMode.SHARED_POOL;
    const dedicatedVm = props.kind === DesktopKind.VM && isolation === IsolationMode.DEDICATED_POOL;
    if (dedicatedVm && props.dedicatedPool === undefined) {
      throw new ValidationError(`${p}.dedicatedPool`, `is required for VM class "${props.name}" with isolation ${isolation}: name the NodePool each user's pool is derived from, e.g. { nodePoolTemplate: vmHostPool.settings.nodePoolName }.`);
    }
    if (!dedicatedVm && props.dedicatedPool !== undefined) {
      throw new ValidationError(`${p}.dedicatedPool`, `is set for class "${props.name}" (kind ${props.kind}, isolation ${isolation}); only VM classes with isolation ${IsolationMode.DEDICATED_POOL} derive per-user pools: remove it.`);
    }
    if (props.dedicatedPool !== undefined) validateDns1123Label(`${p}.dedicatedPool.nodePoolTemplate`, props.dedicatedPool.nodePoolTemplate);
    if ((props.warmCount ?? 0) > 0 && !(props.kind === DesktopKind.VM && isolation === IsolationMode.SHARED_POOL)) {
      throw new ValidationError(`${p}.warmCount`, `is ${props.warmCount} for class "${props.name}" (kind ${props.kind}, isolation ${isolation}); warm slots work only for VM classes with isolation ${IsolationMode.SHARED_POOL} (a per-user pool cannot be warmed for a user not yet known; node desktops keep warm nodes with NodeDesktops): set 0.`);
    }
    for (const price of props.prices ?? []) {
      if (!(price.hourlyPrice >= 0)) throw new ValidationError(`${p}.prices`, `hourlyPrice of ${price.instanceType} is ${price.hourlyPrice}; give a price ≥ 0.`);
    }
    super(scope, id, {
      apiVersion: SESSIONS_API,
      kind: DESKTOP_CLASS_KIND,
      metadata: { name: props.name },
      spec: {
        kind: props.kind,
        isolation,
        goldenImage: props.goldenImage,
        dedicatedPool: props.dedicatedPool,
        ami: props.ami,
        allowedSizes,
        sessionsPerUser,
        warmCount: props.warmCount ?? 0,
        currency: props.currency ?? 'USD',
        prices: props.prices,
        defaultTimeouts: props.defaultTimeouts,
      },
    });
  }
}
