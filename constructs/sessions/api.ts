import { SESSIONS_API_GROUP } from '../common/well-known';
import { DesktopKind } from '../common/desktop-kind';

/**
 * The session API's types, shared by the CRD chart, the controller, the broker and the SDK.
 * Plain data only: this module loads in CommonJS CDK apps and in the runtime alike.
 */

/** Version of the `sessions.desktop.io` API. */
export const SESSIONS_API_VERSION = 'v1alpha1';
export const SESSIONS_API = `${SESSIONS_API_GROUP}/${SESSIONS_API_VERSION}`;
export const DESKTOP_SESSION_KIND = 'DesktopSession';
export const DESKTOP_SESSION_PLURAL = 'desktopsessions';
export const DESKTOP_CLASS_KIND = 'DesktopClass';
export const DESKTOP_CLASS_PLURAL = 'desktopclasses';
/** Finalizer the controller puts on every session: the user's objects are deleted before the session goes. */
export const SESSION_FINALIZER = `${SESSIONS_API_GROUP}/cleanup`;
/** Annotation an in-desktop agent (or the SDK's `reportActivity`) sets to the time of the user's last input. */
export const LAST_INPUT_ANNOTATION = `${SESSIONS_API_GROUP}/last-input-at`;
/**
 * Annotation the SDK's `resume()` (the broker's page of a stopped session) sets to ask the
 * controller to start a stopped desktop again. Its value is the `lastTransitionTime` of the
 * `DesktopStopped` condition it answers, so a request never restarts a later stop, and no clocks
 * are compared.
 */
export const RESUME_ANNOTATION = `${SESSIONS_API_GROUP}/resume-requested-for`;
/** Condition type set while a session's desktop is stopped (`onDisconnect: Stop`). */
export const DESKTOP_STOPPED_CONDITION = 'DesktopStopped';
/** Condition type set while a connected user has had no input for the idle timeout. */
export const IDLE_CONDITION = 'Idle';
/** Field manager of the controller's server-side applies. */
export const CONTROLLER_FIELD_MANAGER = 'desktop-session-controller';
/** Field manager of the SDK's writes. */
export const SDK_FIELD_MANAGER = 'desktop-sessions-sdk';

/** Floors of the timeouts, WorkSpaces Pools' meanings. */
export const MIN_MAX_USER_DURATION_SECONDS = 600;
export const MAX_MAX_USER_DURATION_SECONDS = 432_000;
export const MIN_DISCONNECT_TIMEOUT_SECONDS = 60;
export const MAX_DISCONNECT_TIMEOUT_SECONDS = 360_000;
export const MAX_IDLE_TIMEOUT_SECONDS = 3_600 * 24;
/** The user is warned this long before the maximum duration ends the session. */
export const EXPIRY_WARNING_SECONDS = 300;

/** Lifecycle phases of a session. */
export enum SessionPhase {
  /** Accepted by the API, not yet looked at by the controller. */
  PENDING = 'Pending',
  /** The user's desktop is being created and started. */
  PROVISIONING = 'Provisioning',
  /** The desktop answers; nobody is connected yet. */
  READY = 'Ready',
  /** The user has a live Guacamole connection. */
  CONNECTED = 'Connected',
  /** The user was connected and no longer is; the disconnect timeout runs. */
  DISCONNECTED = 'Disconnected',
  /** The controller is deleting what it created. */
  ENDING = 'Ending',
  /** Everything the session created is gone. */
  ENDED = 'Ended',
  /** The session could not be provisioned; `status.message` says why. Nothing of it is left. */
  FAILED = 'Failed',
}

/** Phases in which a session counts against the user's limit and holds capacity. */
export const ACTIVE_PHASES: readonly SessionPhase[] = [SessionPhase.PENDING, SessionPhase.PROVISIONING, SessionPhase.READY, SessionPhase.CONNECTED, SessionPhase.DISCONNECTED];

/** Why a session ended (`status.endReason`). */
export enum EndReason {
  MAX_DURATION = 'MaxUserDuration',
  DISCONNECT_TIMEOUT = 'DisconnectTimeout',
  IDLE_TIMEOUT = 'IdleDisconnectTimeout',
  USER_REQUEST = 'UserRequest',
  DELETED = 'Deleted',
  /** The user signed out of Windows (`onLogoff: End`). */
  USER_LOGOFF = 'UserLogoff',
}

/** What happens when the disconnect timeout passes. */
export enum DisconnectAction {
  /** End the session and delete the desktop (WorkSpaces Pools). */
  END = 'End',
  /**
   * VM desktops only: stop the VM through KubeVirt's `stop` subresource and keep its disks; the
   * session stays (phase Disconnected, condition `DesktopStopped`) until its maximum duration,
   * and the desktop starts again when the user comes back (Azure Virtual Desktop's "start on
   * connect"; the SDK's `resume()`). Node desktops cannot stop: the node is the desktop.
   */
  STOP = 'Stop',
}

/** What happens when the user signs out of Windows (the desktop reports no logged-on user any more). */
export enum LogoffAction {
  /** End the session and delete the desktop (WorkSpaces Pools). */
  END = 'End',
  /** Keep the session; the user may sign in again until a timeout ends it. */
  KEEP = 'Keep',
}

/** Desktop sizes a class may allow (the KubeVirt `DesktopSize` presets). */
export const SESSION_SIZES = ['small', 'medium', 'large', 'xlarge'] as const;
export type SessionSize = typeof SESSION_SIZES[number];

export { DesktopKind };

/** How a user's desktop is isolated from other users'. */
export enum IsolationMode {
  /** A node from one shared pool, selected by the user label. */
  SHARED_POOL = 'SharedPool',
  /**
   * A NodePool of the user's own, applied by the session controller (VM classes: derived from
   * `dedicatedPool`; Node classes: from the node-desktop pool's session template).
   */
  DEDICATED_POOL = 'DedicatedPool',
}

/** Timeouts of a session, in seconds. */
export interface SessionTimeouts {
  /** Longest a session may last (≥ 600); the user is warned 5 minutes before. */
  readonly maxUserDurationSeconds: number;
  /** How long a disconnected (or never connected) session waits for the user (≥ 60). */
  readonly disconnectTimeoutSeconds: number;
  /** How long without input before the session counts as idle; 0 turns it off. */
  readonly idleDisconnectTimeoutSeconds: number;
}

export interface DesktopSessionSpec {
  /** The user's id from the identity provider (the ALB's `sub` or e-mail). */
  readonly userId: string;
  /** Name of the `DesktopClass`. */
  readonly desktopClass: string;
  /** One of the class's allowed sizes. */
  readonly size: SessionSize;
  /**
   * Prefer Spot or on-demand capacity (node desktops).
   * @default 'on-demand'
   */
  readonly capacityType?: 'on-demand' | 'spot';
  readonly maxUserDurationSeconds: number;
  readonly disconnectTimeoutSeconds: number;
  readonly idleDisconnectTimeoutSeconds: number;
  /**
   * What happens when the disconnect timeout passes.
   * @default - `End`: the session ends when the disconnect timeout passes
   */
  readonly onDisconnect?: DisconnectAction;
  /**
   * What happens when the user signs out of Windows (noticed through the desktop's own report:
   * the KubeVirt guest agent's user list; desktops that cannot tell never trigger it).
   * @default - `End`
   */
  readonly onLogoff?: LogoffAction;
  /**
   * Set by the SDK's `end()` (or the broker's End button): the user asks to end the session.
   * @default false
   */
  readonly endRequested?: boolean;
  /**
   * The user's Windows account name in the directory (sAMAccountName, e.g. `alice`): sessions of
   * a node-desktop pool that joins a directory need it (the desktop signs that user in); other
   * desktops ignore it. 1 to 20 characters, none of `"/\[]:;|=,+*?<>@`; immutable (CEL).
   * @default - none: sessions of directory pools fail with `WindowsAccountRequired`
   */
  readonly windowsAccount?: string;
}

export interface SessionCondition {
  readonly type: string;
  readonly status: 'True' | 'False' | 'Unknown';
  readonly reason: string;
  readonly message: string;
  readonly lastTransitionTime: string;
}

export interface DesktopSessionStatus {
  /** @default - unset until the controller sets it */
  readonly phase?: SessionPhase;
  /** @default - unset until the controller sets it */
  readonly progress?: number;
  /** @default - unset until the controller sets it */
  readonly message?: string;
  /**
   * Namespace the user's objects live in.
   * @default - unset until the controller sets it
   */
  readonly desktopNamespace?: string;
  /**
   * Name of the VM (VM desktops) or session pod (node desktops).
   * @default - unset until the controller sets it
   */
  readonly desktopName?: string;
  /** @default - unset until the controller sets it */
  readonly node?: string;
  /**
   * `host:port` Guacamole connects to over RDP.
   * @default - unset until the controller sets it
   */
  readonly rdpEndpoint?: string;
  /** @default - unset until the controller sets it */
  readonly instanceType?: string;
  /** @default - unset until the controller sets it */
  readonly capacityType?: string;
  /** @default - unset until the controller sets it */
  readonly startedAt?: string;
  /** @default - unset until the controller sets it */
  readonly readyAt?: string;
  /** @default - unset until the controller sets it */
  readonly expiresAt?: string;
  /** @default - unset until the controller sets it */
  readonly expiryWarningAt?: string;
  /** @default - unset until the controller sets it */
  readonly lastActivityAt?: string;
  /** @default - unset until the controller sets it */
  readonly disconnectedAt?: string;
  /** @default - unset until the controller sets it */
  readonly endedAt?: string;
  /**
   * When the desktop first reported the user signed in to Windows (cleared on log-off and when
   * the desktop is stopped); a restarted controller recognizes a log-off from it.
   * @default - unset until the desktop reports a signed-in user
   */
  readonly loggedOnAt?: string;
  /**
   * When a stopped desktop was last asked to start again; the disconnect timeout of a resumed
   * session counts from here.
   * @default - never resumed
   */
  readonly resumedAt?: string;
  /**
   * Seconds the desktop was stopped (`onDisconnect: Stop`) in stops that have ended (resumed),
   * added up at each resume; the current stop is the `DesktopStopped` condition's. What the
   * SDK's cost estimate leaves out.
   * @default 0
   */
  readonly stoppedSeconds?: number;
  /** @default - unset until the controller sets it */
  readonly endReason?: EndReason;
  /** @default - unset until the controller sets it */
  readonly conditions?: SessionCondition[];
  /** @default - unset until the controller sets it */
  readonly observedGeneration?: number;
  /**
   * The warm slot the session took at admission (`DesktopClass.spec.warmCount`): the
   * placeholder pod it replaced and the node that pod held, now labelled for the user.
   * @default - none: the desktop waits for new capacity
   */
  readonly warmClaim?: WarmClaim;
}

/** A warm slot a session claimed (`status.warmClaim`). */
export interface WarmClaim {
  /** Name of the placeholder pod (deleted by the claim). */
  readonly pod: string;
  /** The node the placeholder held, relabelled with the user's `desktop.io/user-id`. */
  readonly node: string;
}

export interface ObjectMeta {
  readonly name: string;
  /** @default - the client's namespace (namespaced kinds only) */
  readonly namespace?: string;
  /** @default - set by the API server */
  readonly uid?: string;
  /** @default - set by the API server */
  readonly resourceVersion?: string;
  /** @default - set by the API server */
  readonly generation?: number;
  /** @default - set by the API server */
  readonly creationTimestamp?: string;
  /** @default - set by the API server */
  readonly deletionTimestamp?: string;
  /** @default - none */
  readonly finalizers?: string[];
  /** @default - none */
  readonly labels?: Record<string, string>;
  /** @default - none */
  readonly annotations?: Record<string, string>;
}

export interface DesktopSession {
  readonly apiVersion: typeof SESSIONS_API;
  readonly kind: typeof DESKTOP_SESSION_KIND;
  readonly metadata: ObjectMeta;
  readonly spec: DesktopSessionSpec;
  /** @default - none until the controller first reconciles the session */
  readonly status?: DesktopSessionStatus;
}

/** Hourly price of one kind of capacity, supplied by the administrator (no price lookups). */
export interface DesktopClassPrice {
  readonly instanceType: string;
  readonly capacityType: 'on-demand' | 'spot';
  readonly hourlyPrice: number;
}

/** Where `DedicatedPool` users' NodePools come from (`DesktopClass.spec.dedicatedPool`). */
export interface DedicatedPoolTemplate {
  /**
   * Name of an existing Karpenter NodePool (e.g. a `VmHostPool`'s `nodePoolName`, not a
   * `perUserHosts` one) whose EC2NodeClass, requirements, labels, taints and disruption settings
   * each user's NodePool copies, with the user's label, the taint `dedicated-user=<user>` and
   * limits of one or two hosts. Its NodeOverlay `<name>-kubevirt-devices`, when present, is
   * copied too (Karpenter learns KubeVirt's devices per NodePool).
   */
  readonly nodePoolTemplate: string;
}

export interface DesktopClassSpec {
  readonly kind: DesktopKind;
  readonly isolation: IsolationMode;
  /**
   * VM desktops: the golden image's DataSource (`namespace/name`).
   * @default - none: node-desktop classes give `ami` instead
   */
  readonly goldenImage?: { readonly namespace: string; readonly name: string };
  /**
   * Node desktops: the AMI's id or SSM parameter.
   * @default - none: VM classes give `goldenImage` instead
   */
  readonly ami?: string;
  readonly allowedSizes: SessionSize[];
  /**
   * Warm slots the controller keeps for this class: placeholder pods sized for the class's
   * largest allowed size, each on a host of its own, which a new session takes over. Only
   * `VM` classes with `isolation: SharedPool` (refused by CEL otherwise: a per-user pool cannot
   * be warmed for a user not yet known; node desktops keep warm nodes with `NodeDesktops`).
   * @default 0
   */
  readonly warmCount?: number;
  /**
   * VM classes with `isolation: DedicatedPool`: the pool each user's own NodePool is derived
   * from. Required by CEL for those, refused for every other class.
   * @default - none
   */
  readonly dedicatedPool?: DedicatedPoolTemplate;
  readonly sessionsPerUser: number;
  /**
   * Currency of `prices` (informational).
   * @default 'USD'
   */
  readonly currency?: string;
  /** @default - no prices: session cost is reported as not priced */
  readonly prices?: DesktopClassPrice[];
  /**
   * Timeouts used when a session does not give its own.
   * @default - the session API's defaults for each timeout
   */
  readonly defaultTimeouts?: Partial<SessionTimeouts>;
}

export interface DesktopClass {
  readonly apiVersion: typeof SESSIONS_API;
  readonly kind: typeof DESKTOP_CLASS_KIND;
  readonly metadata: ObjectMeta;
  readonly spec: DesktopClassSpec;
}
