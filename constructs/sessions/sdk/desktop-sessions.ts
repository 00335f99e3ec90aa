import { kubernetesNameForUser } from '../../common/kubernetes-name';
import { ValidationError } from '../../common/validation-error';
import { USER_LABEL } from '../../common/well-known';
import { isWindowsAccountName, WINDOWS_ACCOUNT_RULE } from '../../common/windows-account';
import {
  ACTIVE_PHASES, DESKTOP_SESSION_KIND, DESKTOP_STOPPED_CONDITION, DesktopClass, DesktopSession, DisconnectAction, LAST_INPUT_ANNOTATION, LogoffAction, RESUME_ANNOTATION, SessionCondition,
  MAX_DISCONNECT_TIMEOUT_SECONDS, MAX_IDLE_TIMEOUT_SECONDS, MAX_MAX_USER_DURATION_SECONDS,
  MIN_DISCONNECT_TIMEOUT_SECONDS, MIN_MAX_USER_DURATION_SECONDS, SDK_FIELD_MANAGER, SESSIONS_API,
  SESSION_SIZES, SessionPhase, SessionSize, SessionTimeouts,
} from '../api';
import { CLASS_RESOURCE, DEFAULT_SESSIONS_NAMESPACE, SESSION_RESOURCE } from '../resources';
import { KubernetesApiError, KubernetesClient, KubernetesConnection } from '../runtime/kubernetes-client';
import { sessionCost } from './cost';
import {
  DesktopSessionError, InvalidSessionRequestError, SessionEndedError, SessionLimitExceededError,
  SessionNotFoundError, UnknownDesktopClassError,
} from './errors';

/** Timeouts used when neither the request nor the class gives them (WorkSpaces Pools' defaults). */
export const DEFAULT_TIMEOUTS: SessionTimeouts = {
  maxUserDurationSeconds: 8 * 3600,
  disconnectTimeoutSeconds: 900,
  idleDisconnectTimeoutSeconds: 900,
};

export interface CreateSessionOptions {
  /** The user's id from the identity provider. */
  readonly userId: string;
  /** Name of the `DesktopClass`. */
  readonly desktopClass: string;
  /** @default - the class's first allowed size */
  readonly size?: SessionSize;
  /** @default - the class's `defaultTimeouts`, then `DEFAULT_TIMEOUTS` */
  readonly timeouts?: Partial<SessionTimeouts>;
  /** @default - no preference */
  readonly capacityType?: 'on-demand' | 'spot';
  /**
   * What happens when the disconnect timeout passes: `End`, or `Stop` (VM classes only: the VM
   * is stopped with its disks kept, and `resume()` starts it again).
   * @default DisconnectAction.END
   */
  readonly onDisconnect?: DisconnectAction;
  /**
   * What happens when the user signs out of Windows.
   * @default LogoffAction.END
   */
  readonly onLogoff?: LogoffAction;
  /**
   * Idempotency key: creating twice with the same user, class and key gives one session.
   * @default 'default' - one session per user and class
   */
  readonly requestId?: string;
  /**
   * The user's Windows account name in the directory (sAMAccountName): required by node-desktop
   * pools that join a directory, ignored by other desktops; immutable once the session exists.
   * @default - none (a directory pool's session then fails with `WindowsAccountRequired`)
   */
  readonly windowsAccount?: string;
}

export interface DesktopSessionsOptions extends KubernetesConnection {
  /** @default 'desktop-sessions' */
  readonly namespace?: string;
}

/** A user's usage over a period. */
export interface UsageSummary {
  readonly userId: string;
  readonly from: Date;
  readonly to: Date;
  /** Session-hours and estimated cost per desktop class. */
  readonly byClass: Record<string, { readonly hours: number; readonly cost: number }>;
  readonly totalHours: number;
  readonly totalCost: number;
  /** Sessions whose instance type has no price in their class (cost counted as 0). */
  readonly unpriced: string[];
}

/**
 * The session API's TypeScript client: create, get, list, extend, end and watch
 * `DesktopSession`s, with typed errors ({@link DesktopSessionError} and its subclasses).
 *
 * ```ts
 * const sessions = await DesktopSessions.connect();            // in-cluster or ~/.kube/config
 * const s = await sessions.create({ userId: 'alice@example.com', desktopClass: 'win11' });
 * const stop = await sessions.watch(s.metadata.name, (session) => console.log(session.status?.phase));
 * ```
 */
export class DesktopSessions {
  public static async connect(options: DesktopSessionsOptions = {}): Promise<DesktopSessions> {
    return new DesktopSessions(await KubernetesClient.connect(options), options.namespace ?? DEFAULT_SESSIONS_NAMESPACE);
  }

  /**
   * The session name for a user, class and request key: deterministic, so a repeated create is
   * the same object; injective (the user id is hashed exactly).
   */
  public static sessionName(userId: string, desktopClass: string, requestId: string = 'default'): string {
    return kubernetesNameForUser('DesktopSessions.create', `${userId} ${desktopClass} ${requestId}`);
  }

  constructor(public readonly client: KubernetesClient, public readonly namespace: string) {}

  /**
   * Creates a session, or returns the existing one for the same user, class and `requestId`.
   *
   * @throws InvalidSessionRequestError, UnknownDesktopClassError, SessionLimitExceededError
   */
  public async create(options: CreateSessionOptions): Promise<DesktopSession> {
    const userLabel = toUserLabel(options.userId);
    if (typeof options.desktopClass !== 'string' || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(options.desktopClass)) {
      throw new InvalidSessionRequestError(`desktopClass ${JSON.stringify(options.desktopClass)} is not a DesktopClass name (lowercase letters, digits and '-').`, 'desktopClass');
    }
    if (options.windowsAccount !== undefined && !isWindowsAccountName(options.windowsAccount)) {
      throw new InvalidSessionRequestError(`windowsAccount ${JSON.stringify(options.windowsAccount)} is not valid: ${WINDOWS_ACCOUNT_RULE}.`, 'windowsAccount');
    }
    const cls = await this.desktopClass(options.desktopClass);
    const name = DesktopSessions.sessionName(options.userId, options.desktopClass, options.requestId);
    const existing = await this.client.tryGet<DesktopSession>(SESSION_RESOURCE(this.namespace), name);
    if (existing && ACTIVE_PHASES.includes(existing.status?.phase ?? SessionPhase.PENDING) && existing.metadata.deletionTimestamp === undefined) {
      // The active session is returned as it is; it never changes its account (immutable in the API).
      if (options.windowsAccount !== undefined && existing.spec.windowsAccount !== options.windowsAccount) {
        throw new InvalidSessionRequestError(`windowsAccount ${JSON.stringify(options.windowsAccount)} differs from the active session "${name}"'s (${existing.spec.windowsAccount === undefined ? 'none' : JSON.stringify(existing.spec.windowsAccount)}); it cannot change: end that session first.`, 'windowsAccount');
      }
      return existing;
    }

    const size = options.size ?? cls.spec.allowedSizes[0];
    if (!SESSION_SIZES.includes(size) || !cls.spec.allowedSizes.includes(size)) {
      throw new InvalidSessionRequestError(`size ${JSON.stringify(size)} is not allowed by DesktopClass "${options.desktopClass}"; use one of ${cls.spec.allowedSizes.join(', ')}.`, 'size');
    }
    if (options.onDisconnect !== undefined && !Object.values(DisconnectAction).includes(options.onDisconnect)) {
      throw new InvalidSessionRequestError(`onDisconnect ${JSON.stringify(options.onDisconnect)} is not one of ${Object.values(DisconnectAction).join(', ')}.`, 'onDisconnect');
    }
    if (options.onLogoff !== undefined && !Object.values(LogoffAction).includes(options.onLogoff)) {
      throw new InvalidSessionRequestError(`onLogoff ${JSON.stringify(options.onLogoff)} is not one of ${Object.values(LogoffAction).join(', ')}.`, 'onLogoff');
    }
    const timeouts = { ...DEFAULT_TIMEOUTS, ...cls.spec.defaultTimeouts, ...options.timeouts };
    checkRange('timeouts.maxUserDurationSeconds', timeouts.maxUserDurationSeconds, MIN_MAX_USER_DURATION_SECONDS, MAX_MAX_USER_DURATION_SECONDS);
    checkRange('timeouts.disconnectTimeoutSeconds', timeouts.disconnectTimeoutSeconds, MIN_DISCONNECT_TIMEOUT_SECONDS, MAX_DISCONNECT_TIMEOUT_SECONDS);
    checkRange('timeouts.idleDisconnectTimeoutSeconds', timeouts.idleDisconnectTimeoutSeconds, 0, MAX_IDLE_TIMEOUT_SECONDS);

    // A friendly early refusal; the controller enforces the limit atomically (it alone admits sessions).
    const active = (await this.list({ userId: options.userId }))
      .filter((s) => s.spec.desktopClass === options.desktopClass && s.metadata.name !== name && ACTIVE_PHASES.includes(s.status?.phase ?? SessionPhase.PENDING));
    if (active.length >= cls.spec.sessionsPerUser) {
      throw new SessionLimitExceededError(options.userId, cls.spec.sessionsPerUser, active.map((s) => s.metadata.name));
    }
    if (existing) {
      // An ended or failed session of the same key: it is replaced by a new one.
      await this.client.delete(SESSION_RESOURCE(this.namespace), name);
      await this.waitGone(name);
    }
    const body: DesktopSession = {
      apiVersion: SESSIONS_API,
      kind: DESKTOP_SESSION_KIND,
      metadata: { name, namespace: this.namespace, labels: { [USER_LABEL]: userLabel } },
      spec: {
        userId: options.userId,
        desktopClass: options.desktopClass,
        size,
        ...(options.capacityType ? { capacityType: options.capacityType } : {}),
        ...(options.onDisconnect ? { onDisconnect: options.onDisconnect } : {}),
        ...(options.onLogoff ? { onLogoff: options.onLogoff } : {}),
        maxUserDurationSeconds: timeouts.maxUserDurationSeconds,
        disconnectTimeoutSeconds: timeouts.disconnectTimeoutSeconds,
        idleDisconnectTimeoutSeconds: timeouts.idleDisconnectTimeoutSeconds,
        ...(options.windowsAccount !== undefined ? { windowsAccount: options.windowsAccount } : {}),
      },
    };
    try {
      return await this.client.create<DesktopSession>(SESSION_RESOURCE(this.namespace), body, SDK_FIELD_MANAGER);
    } catch (error) {
      if (error instanceof KubernetesApiError && error.code === 409) {
        // A concurrent duplicate request created it first: one session.
        return this.get(name);
      }
      throw translate(error);
    }
  }

  public async get(name: string): Promise<DesktopSession> {
    try {
      return await this.client.get<DesktopSession>(SESSION_RESOURCE(this.namespace), name);
    } catch (error) {
      if (error instanceof KubernetesApiError && error.code === 404) throw new SessionNotFoundError(name);
      throw translate(error);
    }
  }

  /** Sessions, optionally of one user. */
  public async list(filter: { userId?: string } = {}): Promise<DesktopSession[]> {
    const selector = filter.userId !== undefined ? { [USER_LABEL]: toUserLabel(filter.userId) } : undefined;
    const { items } = await this.client.list<DesktopSession>(SESSION_RESOURCE(this.namespace), selector);
    return items.filter((s) => filter.userId === undefined || s.spec.userId === filter.userId);
  }

  /** Adds `seconds` to the session's maximum duration (conflicts are retried). */
  public async extend(name: string, seconds: number): Promise<DesktopSession> {
    checkRange('extend.seconds', seconds, 60, MAX_MAX_USER_DURATION_SECONDS);
    return this.retryOnConflict(async () => {
      const s = await this.get(name);
      const phase = s.status?.phase ?? SessionPhase.PENDING;
      if (!ACTIVE_PHASES.includes(phase) || s.spec.endRequested) throw new SessionEndedError(name, phase);
      const next = s.spec.maxUserDurationSeconds + seconds;
      checkRange('extend.seconds', next, MIN_MAX_USER_DURATION_SECONDS, MAX_MAX_USER_DURATION_SECONDS);
      return this.client.mergePatch<DesktopSession>(SESSION_RESOURCE(this.namespace), name, { metadata: { resourceVersion: s.metadata.resourceVersion }, spec: { maxUserDurationSeconds: next } }, SDK_FIELD_MANAGER);
    });
  }

  /** Asks the controller to end the session; it deletes the desktop and the session becomes Ended. */
  public async end(name: string): Promise<DesktopSession> {
    try {
      return await this.client.mergePatch<DesktopSession>(SESSION_RESOURCE(this.namespace), name, { spec: { endRequested: true } }, SDK_FIELD_MANAGER);
    } catch (error) {
      if (error instanceof KubernetesApiError && error.code === 404) throw new SessionNotFoundError(name);
      throw translate(error);
    }
  }

  /**
   * Start on connect: asks the controller to start the session's stopped desktop again
   * (`onDisconnect: Stop`); the session then goes through Provisioning to Ready. Does nothing
   * when the desktop is not stopped (or its start was already asked for).
   *
   * @throws SessionNotFoundError, SessionEndedError
   */
  public async resume(name: string): Promise<DesktopSession> {
    return this.retryOnConflict(async () => {
      const s = await this.get(name);
      const phase = s.status?.phase ?? SessionPhase.PENDING;
      if (!ACTIVE_PHASES.includes(phase) || s.spec.endRequested) throw new SessionEndedError(name, phase);
      const stopped = desktopStopped(s);
      if (!stopped || s.metadata.annotations?.[RESUME_ANNOTATION] === stopped.lastTransitionTime) return s;
      // The request names the stop it answers (no clocks compared; a stale request never restarts a later stop).
      return this.client.mergePatch<DesktopSession>(SESSION_RESOURCE(this.namespace), name, { metadata: { resourceVersion: s.metadata.resourceVersion, annotations: { [RESUME_ANNOTATION]: stopped.lastTransitionTime } } }, SDK_FIELD_MANAGER);
    });
  }

  /** Records the user's last input (sent by an in-desktop agent); the idle timeout counts from it. */
  public async reportActivity(name: string, at: Date = new Date()): Promise<void> {
    await this.client.mergePatch(SESSION_RESOURCE(this.namespace), name, { metadata: { annotations: { [LAST_INPUT_ANNOTATION]: at.toISOString() } } }, SDK_FIELD_MANAGER);
  }

  /**
   * Calls `onChange` with the session now and on every change until `stop()` (or deletion,
   * with `undefined`). Reconnects when the watch ends.
   */
  public async watch(name: string, onChange: (session: DesktopSession | undefined) => void): Promise<{ stop(): void }> {
    let seen = false;
    return this.watchAll((changed, session) => {
      if (changed === name) { seen = true; onChange(session); }
    }, () => { if (!seen) onChange(undefined); seen = false; });
  }

  /**
   * One watch on every session of the namespace: `onChange(name, session)` for each session now
   * and on every change, `onChange(name, undefined)` on deletion, until `stop()`. Reconnects
   * (list again, then watch) when the watch ends; `onListed` runs after each list has been
   * reported. For fanning one watch out to many listeners (the broker's event streams).
   */
  public async watchAll(onChange: (name: string, session: DesktopSession | undefined) => void, onListed?: () => void): Promise<{ stop(): void }> {
    let stopped = false;
    let current: { abort(): void } | undefined;
    let known = new Set<string>();
    const run = async (): Promise<void> => {
      if (stopped) return;
      const { items, resourceVersion } = await this.client.list<DesktopSession>(SESSION_RESOURCE(this.namespace));
      const listed = new Set(items.map((s) => s.metadata.name));
      // A session deleted while the watch was down is reported as deleted.
      for (const name of known) if (!listed.has(name)) onChange(name, undefined);
      known = listed;
      for (const s of items) onChange(s.metadata.name, s);
      onListed?.();
      current = await this.client.watch<DesktopSession>(SESSION_RESOURCE(this.namespace), resourceVersion, (type, obj) => {
        const name = obj.metadata?.name;
        if (name === undefined || (type !== 'ADDED' && type !== 'MODIFIED' && type !== 'DELETED')) return;
        if (type === 'DELETED') known.delete(name); else known.add(name);
        onChange(name, type === 'DELETED' ? undefined : obj);
      }, () => { if (!stopped) setTimeout(() => { void run().catch(() => undefined); }, 200); });
    };
    await run();
    return { stop: () => { stopped = true; current?.abort(); } };
  }

  /** Estimated running cost of a session from its class's price table (see `sessionCost`). */
  public async cost(name: string, now: Date = new Date()): Promise<{ hours: number; cost: number; priced: boolean; currency?: string }> {
    const session = await this.get(name);
    const cls = await this.desktopClass(session.spec.desktopClass);
    return { ...sessionCost(session, cls, now), currency: cls.spec.currency };
  }

  /** Session-hours and estimated cost of one user's sessions within [from, to). */
  public async usage(userId: string, from: Date, to: Date): Promise<UsageSummary> {
    const sessions = await this.list({ userId });
    const classes = new Map<string, DesktopClass | undefined>();
    const byClass: Record<string, { hours: number; cost: number }> = {};
    const unpriced: string[] = [];
    for (const s of sessions) {
      if (!classes.has(s.spec.desktopClass)) classes.set(s.spec.desktopClass, await this.client.tryGet<DesktopClass>(CLASS_RESOURCE, s.spec.desktopClass));
      const cls = classes.get(s.spec.desktopClass);
      const c = sessionCost(s, cls, to, from);
      if (c.hours === 0) continue;
      if (!c.priced) unpriced.push(s.metadata.name);
      const entry = byClass[s.spec.desktopClass] ?? { hours: 0, cost: 0 };
      byClass[s.spec.desktopClass] = { hours: entry.hours + c.hours, cost: entry.cost + c.cost };
    }
    const totals = Object.values(byClass).reduce((a, b) => ({ hours: a.hours + b.hours, cost: a.cost + b.cost }), { hours: 0, cost: 0 });
    return { userId, from, to, byClass, totalHours: totals.hours, totalCost: totals.cost, unpriced };
  }

  public close(): void {
    this.client.close();
  }

  private async desktopClass(name: string): Promise<DesktopClass> {
    const cls = await this.client.tryGet<DesktopClass>(CLASS_RESOURCE, name);
    if (!cls) throw new UnknownDesktopClassError(name);
    return cls;
  }

  private async waitGone(name: string): Promise<void> {
    for (let i = 0; i < 300; i++) {
      if (!(await this.client.tryGet(SESSION_RESOURCE(this.namespace), name))) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new DesktopSessionError('Timeout', `the previous DesktopSession "${name}" is still being cleaned up; try again shortly.`);
  }

  private async retryOnConflict<T>(action: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await action();
      } catch (error) {
        if (!(error instanceof KubernetesApiError && error.code === 409) || attempt >= 5) throw translate(error);
        await new Promise((r) => setTimeout(r, 20 * 2 ** attempt));
      }
    }
  }
}

/** The `DesktopStopped` condition of a session whose desktop is stopped (`onDisconnect: Stop`), if it is. */
export function desktopStopped(session: DesktopSession): SessionCondition | undefined {
  return session.status?.conditions?.find((c) => c.type === DESKTOP_STOPPED_CONDITION && c.status === 'True');
}

/** Whether the session's desktop is stopped and its start has been asked for (the broker shows progress). */
export function resumeRequested(session: DesktopSession): boolean {
  const stopped = desktopStopped(session);
  return stopped !== undefined && session.metadata.annotations?.[RESUME_ANNOTATION] === stopped.lastTransitionTime;
}

function toUserLabel(userId: string): string {
  try {
    return kubernetesNameForUser('userId', userId);
  } catch (error) {
    if (error instanceof ValidationError) throw new InvalidSessionRequestError(error.message, 'userId');
    throw error;
  }
}

function checkRange(field: string, value: number, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidSessionRequestError(`${field} is ${JSON.stringify(value)}; give whole seconds from ${min} to ${max}.`, field);
  }
}

/** API errors the SDK knows become its own types; others pass through. */
function translate(error: unknown): unknown {
  if (error instanceof KubernetesApiError && error.code === 422) return new InvalidSessionRequestError(error.message, 'spec');
  return error;
}
