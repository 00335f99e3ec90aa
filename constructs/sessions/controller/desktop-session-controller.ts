import { createHash } from 'crypto';
import { kubernetesNameForUser } from '../../common/kubernetes-name';
import { MANAGED_BY_LABEL, USER_LABEL } from '../../common/well-known';
import { vmHostDeviceOverlayProps } from '../../kubevirt/vm-host-pool-chart';
import { combinedUserQuota } from '../../isolation/combined-user-quota';
import { NodePoolJson } from '../../isolation/dedicated-user-node-pool';
import { DedicatedPoolTemplateObjects, DesktopUserIsolationProps, EgressRule, GatewaySelector, KubernetesObjectJson, renderDesktopUserObjects, userPlacement } from '../../isolation/desktop-user-isolation';
import { UserIsolationMode } from '../../isolation/desktop-user';
import { DEFAULT_VM_HOST_PLACEMENT, VmHostPlacement } from '../../kubevirt/vm-host-placement';
import {
  ACTIVE_PHASES, CONTROLLER_FIELD_MANAGER, DESKTOP_CLASS_KIND, DESKTOP_SESSION_KIND, DESKTOP_STOPPED_CONDITION, DesktopClass, DesktopKind,
  DesktopSession, DesktopSessionStatus, DisconnectAction, EXPIRY_WARNING_SECONDS, EndReason, IDLE_CONDITION, IsolationMode,
  LAST_INPUT_ANNOTATION, LogoffAction, MAX_MAX_USER_DURATION_SECONDS, RESUME_ANNOTATION, SESSIONS_API, SESSION_FINALIZER, SessionCondition, SessionPhase, WarmClaim,
} from '../api';
import { CLASS_RESOURCE, NODE_RESOURCE, SESSION_RESOURCE, SESSION_SIZE_PRESETS, VM_RESOURCE, refFor } from '../resources';
import { KubernetesApiError, KubernetesClient, KubernetesObject } from '../runtime/kubernetes-client';
import { sessionCost } from '../sdk/cost';
import { ConnectionSignals, ConnectionState, guacamoleConnectionName } from './connection-signals';
import { DesktopObservation, DesktopRenderContext, DesktopRenderer, KubeVirtDesktopRenderer, sessionLabels } from './desktop-renderer';
import { Informer } from './informer';
import { LeaderElector } from './leader-election';
import { ControllerMetrics } from './metrics';
import { WarmSlots } from './warm-slots';
import { WorkQueue } from './work-queue';

export interface DesktopSessionControllerOptions {
  readonly client: KubernetesClient;
  /** Namespace of the DesktopSessions (and of the leader-election Lease). @default 'desktop-sessions' */
  readonly namespace?: string;
  /** Connection signals (Guacamole's history); without them sessions never count as connected. @default - none */
  readonly signals?: ConnectionSignals;
  /**
   * The gateway whose guacd pods may open RDP into users' namespaces (the isolation's
   * `allow-rdp-from-gateway` NetworkPolicy). The controller cannot discover it, so it is given here.
   * @default - namespace 'guacamole', labels GUACD_POD_LABELS (as `DesktopUserIsolation`)
   */
  readonly gateway?: GatewaySelector;
  /**
   * Egress desktops may have besides DNS (the isolation's `allow-egress` NetworkPolicy).
   * @default - DNS only
   */
  readonly allowedEgress?: EgressRule[];
  /**
   * Renderer per desktop kind. Node desktops need the pool's session template:
   * `NodeDesktopRenderer.fromConfigMap(client, namespace, pool)` or `new NodeDesktopRenderer({ template })`.
   * @default - VM: KubeVirtDesktopRenderer; Node: none (sessions of Node classes fail with a message)
   */
  readonly renderers?: Partial<Record<DesktopKind, DesktopRenderer>>;
  /**
   * Where VM desktops land before the per-user part (the user label and `dedicated-user`
   * toleration of the class's isolation mode): the `placement` of the VM host pools.
   * @default DEFAULT_VM_HOST_PLACEMENT
   */
  readonly vmHostPlacement?: VmHostPlacement;
  /**
   * Warm slots (`DesktopClass.spec.warmCount`): namespace and image of the placeholder pods.
   * The namespace must not be selected by a Fargate profile (placeholders hold EC2 hosts).
   * @default - namespace DEFAULT_WARM_NAMESPACE ('desktop-warm'), image PAUSE_IMAGE
   */
  readonly warm?: { readonly namespace?: string; readonly image?: string };
  /** Parallel reconciles. @default 16 */
  readonly workers?: number;
  /** How often connection signals are read. @default 10000 */
  readonly pollIntervalMs?: number;
  /** Longest provisioning may take before the session fails. @default 900 */
  readonly provisioningTimeoutSeconds?: number;
  /** Elect a leader over a Lease (two or more replicas). @default true */
  readonly leaderElection?: boolean;
  /** This replica's id. @default - the host name */
  readonly identity?: string;
  readonly metrics?: ControllerMetrics;
  /** Clock (tests move it). @default - wall clock */
  readonly now?: () => Date;
  /** Where failed reconciles are reported. @default - one JSON line on stderr */
  readonly onError?: (session: string, error: unknown) => void;
}

const LEASE_NAME = 'desktop-session-controller';
const NODE_POOL_RESOURCE = refFor('karpenter.sh/v1', 'NodePool');
const NODE_OVERLAY_RESOURCE = refFor('karpenter.sh/v1alpha1', 'NodeOverlay');

/** The class's largest allowed size: what its quota share and warm slots are sized for. */
function largestSize(cls: DesktopClass) {
  return cls.spec.allowedSizes.map((s) => SESSION_SIZE_PRESETS[s]).filter((s) => s !== undefined)
    .reduce((a, b) => (b.vcpus > a.vcpus || (b.vcpus === a.vcpus && b.memoryGiB > a.memoryGiB) ? b : a));
}
/** Node labels the controller reads a desktop's instance type and capacity type from (well-known; Karpenter's). */
const INSTANCE_TYPE_LABEL = 'node.kubernetes.io/instance-type';
const CAPACITY_TYPE_LABEL = 'karpenter.sh/capacity-type';

type ConditionInput = Omit<SessionCondition, 'lastTransitionTime'> & { lastTransitionTime?: string };

function logError(session: string, error: unknown): void {
  process.stderr.write(`${JSON.stringify({ level: 'error', msg: 'reconcile failed', session, error: error instanceof Error ? error.message : String(error) })}\n`);
}
/** Phases in which the controller follows connection signals. */
const LIVE_PHASES = new Set<SessionPhase>([SessionPhase.READY, SessionPhase.CONNECTED, SessionPhase.DISCONNECTED]);

/**
 * Reconciles DesktopSessions: admits a session (known class, allowed size, the user under the
 * class's limit), creates the user's desktop by server-side apply with the same constructs the
 * synth-time code renders, follows it to Ready, follows the user's connection in Guacamole's
 * history, ends the session on its maximum duration (after a warning), disconnect timeout or
 * idle timeout, and deletes what it created. A finalizer keeps the session until its objects
 * are gone. Every reconcile reads the state anew, so a restarted controller converges.
 */
export class DesktopSessionController {
  public readonly metrics: ControllerMetrics;
  private readonly client: KubernetesClient;
  private readonly namespace: string;
  private readonly renderers: Partial<Record<DesktopKind, DesktopRenderer>>;
  private readonly queue = new WorkQueue();
  private readonly sessions: Informer<DesktopSession>;
  private readonly classes: Informer<DesktopClass>;
  private readonly vms: Informer<KubernetesObject>;
  private readonly now: () => Date;
  private readonly elector?: LeaderElector;
  private signals = new Map<string, ConnectionState>();
  /** Sessions admitted by this replica whose new phase the cache may not show yet (atomic per-user limit). */
  private readonly admitted = new Map<string, string>();
  /** Sessions (uid/generation) whose objects this replica has applied: re-applied only after a restart. */
  private readonly applied = new Set<string>();
  /** Last time session-hours were counted, per session. */
  private readonly accounted = new Map<string, number>();
  private pollTimer?: NodeJS.Timeout;
  /** Keeps `warmCount` placeholders per class and lets admissions claim them. */
  private readonly warm: WarmSlots;
  private warmTimer?: NodeJS.Timeout;
  private warmRunning?: Promise<void>;
  /** Per-user serialization of applying and releasing the user's shared objects (their NodePool, quota). */
  private readonly userLocks = new Map<string, Promise<unknown>>();
  /** Warm slots claimed by sessions whose status does not show them yet, by session uid. */
  private readonly claims = new Map<string, WarmClaim>();
  /** The class set each user's quota was last applied for. */
  private readonly quotaKeys = new Map<string, string>();
  private running = false;
  private stopped = false;
  private workers: Promise<void>[] = [];

  constructor(private readonly options: DesktopSessionControllerOptions) {
    this.client = options.client;
    this.namespace = options.namespace ?? 'desktop-sessions';
    this.renderers = options.renderers ?? { [DesktopKind.VM]: new KubeVirtDesktopRenderer() };
    this.metrics = options.metrics ?? new ControllerMetrics();
    this.now = options.now ?? (() => new Date());
    this.sessions = new Informer<DesktopSession>(this.client, SESSION_RESOURCE(this.namespace), (s) => this.queue.add(s.metadata.name));
    this.warm = new WarmSlots({ client: this.client, metrics: this.metrics, hostPlacement: options.vmHostPlacement ?? DEFAULT_VM_HOST_PLACEMENT, namespace: options.warm?.namespace, image: options.warm?.image });
    this.classes = new Informer<DesktopClass>(this.client, CLASS_RESOURCE, (c) => {
      if ((c.spec.warmCount ?? 0) > 0 || this.warmRunning !== undefined) this.kickWarm();
      for (const s of this.sessions.list()) if (s.spec.desktopClass === c.metadata.name && (s.status?.phase ?? SessionPhase.PENDING) === SessionPhase.PENDING) this.queue.add(s.metadata.name);
    });
    this.vms = new Informer<KubernetesObject>(this.client, VM_RESOURCE(), (vm) => {
      const session = vm.metadata.labels?.['desktop.io/session'];
      if (session && vm.metadata.labels?.['desktop.io/session-namespace'] === this.namespace) this.queue.add(session);
    }, { [MANAGED_BY_LABEL]: CONTROLLER_FIELD_MANAGER });
    if (options.leaderElection ?? true) {
      this.elector = new LeaderElector({
        client: this.client,
        namespace: this.namespace,
        leaseName: LEASE_NAME,
        identity: options.identity ?? `${process.env.HOSTNAME ?? 'controller'}-${process.pid}`,
        onStartedLeading: () => { void this.run(); },
        onStoppedLeading: () => this.halt(),
      });
    }
  }

  /** Starts (waits for the Lease first when leader election is on). */
  public async start(): Promise<void> {
    if (this.elector) this.elector.start(); else await this.run();
  }

  public get isLeader(): boolean {
    return this.elector?.isLeader ?? this.running;
  }

  public async stop(): Promise<void> {
    this.stopped = true;
    this.halt();
    await this.elector?.stop();
    await Promise.all(this.workers);
  }

  /** Sessions in the cache (for benchmarks and the metrics endpoint). */
  public cachedSessions(): DesktopSession[] {
    return this.sessions.list();
  }

  private async run(): Promise<void> {
    if (this.running || this.stopped) return;
    this.running = true;
    await Promise.all([this.classes.start(), this.vms.start()]);
    await this.sessions.start();
    const workers = this.options.workers ?? 16;
    this.workers = Array.from({ length: workers }, () => this.work());
    void this.poll();
    this.kickWarm();
  }

  /** Brings every class's warm slots to its `warmCount` now, then every poll interval. */
  private kickWarm(): void {
    // Not before the sessions' cache is filled: a slot claimed by a waiting session would look spent.
    if (!this.running || this.workers.length === 0) return;
    if (this.warmTimer) clearTimeout(this.warmTimer);
    const previous = this.warmRunning ?? Promise.resolve();
    this.warmRunning = previous.then(async () => {
      if (!this.running) return;
      try {
        await this.warm.reconcile(this.classes.list(), this.sessions.list());
      } catch (error) {
        (this.options.onError ?? logError)('warm-slots', error);
      }
    });
    this.warmTimer = setTimeout(() => this.kickWarm(), this.options.pollIntervalMs ?? 10_000);
    this.warmTimer.unref();
  }

  private halt(): void {
    if (!this.running) return;
    this.running = false;
    this.sessions.stop();
    this.classes.stop();
    this.vms.stop();
    this.queue.shutDown();
    if (this.pollTimer) clearTimeout(this.pollTimer);
    if (this.warmTimer) clearTimeout(this.warmTimer);
  }

  private async work(): Promise<void> {
    for (;;) {
      const name = await this.queue.get();
      if (name === undefined) return;
      const started = process.hrtime.bigint();
      let result = 'ok';
      try {
        const requeueMs = await this.reconcile(name);
        this.queue.forget(name);
        if (requeueMs !== undefined) this.queue.addAfter(name, requeueMs);
      } catch (error) {
        result = error instanceof KubernetesApiError && error.code === 409 ? 'conflict' : 'error';
        if (result === 'error') (this.options.onError ?? logError)(name, error);
        this.queue.addRateLimited(name);
      } finally {
        this.metrics.reconcileSeconds.observe({ result }, Number(process.hrtime.bigint() - started) / 1e9);
        this.queue.done(name);
      }
    }
  }

  /** Reads connection signals for every live session in one query, then visits those sessions. */
  private async poll(): Promise<void> {
    if (!this.running) return;
    try {
      const live = this.sessions.list().filter((s) => LIVE_PHASES.has(s.status?.phase ?? SessionPhase.PENDING));
      if (this.options.signals && live.length > 0) {
        this.signals = await this.options.signals.connections(live.map((s) => guacamoleConnectionName(s.metadata.name)));
      }
      for (const s of live) this.queue.add(s.metadata.name);
      const counts = new Map<SessionPhase, number>();
      for (const s of this.sessions.list()) {
        const phase = s.status?.phase ?? SessionPhase.PENDING;
        counts.set(phase, (counts.get(phase) ?? 0) + 1);
      }
      this.metrics.setPhases(counts);
    } catch {
      // The database is unreachable: keep the last signals; sessions are not ended for lack of data.
    }
    this.pollTimer = setTimeout(() => { void this.poll(); }, this.options.pollIntervalMs ?? 10_000);
    this.pollTimer.unref();
  }

  /** One idempotent step for one session; returns when to look again (ms), if at all. */
  private async reconcile(name: string): Promise<number | undefined> {
    // The informer's cache only triggers work: decisions are made on a fresh read, so a
    // reconcile never acts on a state the controller itself has already moved past.
    const fresh = this.sessions.get(name, this.namespace) && await this.client.tryGet<DesktopSession>(SESSION_RESOURCE(this.namespace), name);
    if (!fresh) {
      this.admitted.delete(name);
      return undefined;
    }
    let session = fresh;
    const phase = session.status?.phase ?? SessionPhase.PENDING;

    if (session.metadata.deletionTimestamp !== undefined) {
      if (!(await this.cleanUp(session))) return 1000;
      await this.removeFinalizer(session);
      this.admitted.delete(name);
      return undefined;
    }
    if (phase === SessionPhase.ENDED || phase === SessionPhase.FAILED) return undefined;
    if (!(session.metadata.finalizers ?? []).includes(SESSION_FINALIZER)) {
      session = await this.client.mergePatch<DesktopSession>(SESSION_RESOURCE(this.namespace), name, {
        metadata: { resourceVersion: session.metadata.resourceVersion, finalizers: [...(session.metadata.finalizers ?? []), SESSION_FINALIZER] },
      }, CONTROLLER_FIELD_MANAGER);
    }
    const now = this.now();
    switch (phase) {
      case SessionPhase.PENDING: return session.spec.endRequested ? this.startEnding(session, now, EndReason.USER_REQUEST, 'You ended the session before it started.') : this.admit(session, now);
      case SessionPhase.PROVISIONING: {
        // Ended by the user while the desktop was still starting: end now, not once it is Ready.
        if (session.spec.endRequested) return this.startEnding(session, now, EndReason.USER_REQUEST, 'You ended the session while it was starting.');
        // A desktop that failed is being released: never render it again.
        const releasing = session.status?.conditions?.find((c) => c.type === 'Releasing' && c.status === 'True');
        return releasing ? this.failAndRelease(session, now, releasing.reason, releasing.message) : this.provision(session, now);
      }
      case SessionPhase.ENDING: return this.finish(session, now);
      default: return this.follow(session, now);
    }
  }

  private async admit(session: DesktopSession, now: Date): Promise<number | undefined> {
    const cls = this.classes.get(session.spec.desktopClass);
    if (!cls) return this.fail(session, now, 'UnknownDesktopClass', `there is no DesktopClass "${session.spec.desktopClass}".`);
    if (!cls.spec.allowedSizes.includes(session.spec.size)) {
      return this.fail(session, now, 'SizeNotAllowed', `size "${session.spec.size}" is not allowed by DesktopClass "${cls.metadata.name}" (allowed: ${cls.spec.allowedSizes.join(', ')}).`);
    }
    let userLabel: string;
    try {
      userLabel = kubernetesNameForUser('spec.userId', session.spec.userId);
    } catch (error) {
      return this.fail(session, now, 'InvalidUserId', (error as Error).message);
    }
    if (!this.renderers[cls.spec.kind]) {
      return this.fail(session, now, 'NoRenderer', `this controller has no renderer for ${cls.spec.kind} desktops.`);
    }
    const unsupported = this.unsupportedAction(session, cls);
    if (unsupported) return this.fail(session, now, 'ActionNotSupported', unsupported);
    // A session its renderer cannot render (e.g. a directory node desktop without windowsAccount) fails before anything is created.
    const refusal = this.renderers[cls.spec.kind]!.refusal?.(session);
    if (refusal) return this.fail(session, now, refusal.reason, refusal.message);
    let userObjects: KubernetesObjectJson[];
    let classKey = this.classKey(session.spec.userId, session);
    try {
      userObjects = await this.userObjects(session, cls);
    } catch (error) {
      // Checked before anything is created: a class the isolation refuses never half-creates a session.
      if (error instanceof KubernetesApiError && error.code !== 404) throw error;
      return this.fail(session, now, 'IsolationRefused', `the user's namespace objects cannot be rendered for class "${cls.metadata.name}": ${(error as Error).message}`);
    }
    // The per-user limit, atomically: only the leader admits, one reconcile per session at a
    // time, and sessions it has just admitted count even before the cache shows their phase.
    const holders = this.sessions.list().filter((s) => s.metadata.name !== session.metadata.name
      && s.spec.userId === session.spec.userId && s.spec.desktopClass === session.spec.desktopClass
      && this.holdsCapacity(s));
    if (holders.length >= cls.spec.sessionsPerUser) {
      return this.fail(session, now, 'SessionLimitExceeded', `user "${session.spec.userId}" already has ${holders.length} active session(s) of class "${cls.metadata.name}" (${holders.map((s) => s.metadata.name).join(', ')}); the class allows ${cls.spec.sessionsPerUser}.`);
    }
    // Desktops the renderer names per user (a node desktop's session pod `nd-<user>` in the pool's
    // namespace): a session of another class would apply the same objects and take the other's desktop over.
    // Synchronous with the limit check above and `admitted` below: two admissions never both pass.
    const sharing = this.sharedDesktop(session, cls);
    if (sharing?.active) {
      return this.fail(session, now, 'NodeDesktopInUse', `user "${session.spec.userId}" already has session "${sharing.session.metadata.name}" (class "${sharing.session.spec.desktopClass}") on desktop ${sharing.desktop}, which a session of class "${cls.metadata.name}" would use too (one node desktop per user and pool); end that session first.`);
    }
    // The other session is ending: this one is admitted once its desktop is gone.
    if (sharing) return 1000;
    this.admitted.set(session.metadata.name, session.spec.userId);
    // The user's namespace and its isolation (they outlive the session; the user's NodePool goes
    // with their last session): applied here, once, under the user's lock, so that releasing
    // the NodePool of a user whose last session ends never races this session's admission.
    await this.withUserLock(userLabel, async () => {
      // Another class's session of the user admitted meanwhile: its share belongs in the quota too.
      const current = this.classKey(session.spec.userId, session);
      if (current !== classKey) {
        userObjects = await this.userObjects(session, cls);
        classKey = current;
      }
      for (const object of userObjects) {
        await this.client.apply(refFor(object.apiVersion, object.kind, object.metadata.namespace), object as KubernetesObject, CONTROLLER_FIELD_MANAGER, { force: true });
      }
      this.quotaKeys.set(userLabel, classKey);
      await this.applyRendererUserObjects(session, cls);
    });
    // A warm host, if the class keeps some: relabelled for this user before the desktop exists.
    // Kept until the status shows it: a status write that must be retried does not claim a second host.
    const uid = session.metadata.uid ?? session.metadata.name;
    let warmClaim = this.claims.get(uid);
    try {
      warmClaim ??= await this.warm.claim(session, cls, userLabel);
    } catch (error) {
      // A warm slot only speeds a start up: without one (e.g. no right to patch Nodes), the desktop waits for a new host.
      (this.options.onError ?? logError)(session.metadata.name, error);
    }
    if (warmClaim) {
      this.claims.set(uid, warmClaim);
      this.kickWarm();
    }
    const context = this.context(session, cls, userLabel);
    const updated = await this.writeStatus(session, {
      phase: SessionPhase.PROVISIONING, progress: 5, message: warmClaim ? 'Preparing your desktop on a warm host' : 'Preparing your desktop',
      desktopNamespace: context.namespace, desktopName: context.desktopName, startedAt: now.toISOString(), warmClaim,
    });
    this.claims.delete(uid);
    return this.provision(updated, now);
  }

  private async provision(session: DesktopSession, now: Date): Promise<number | undefined> {
    const cls = this.classes.get(session.spec.desktopClass);
    if (!cls) return this.failAndRelease(session, now, 'UnknownDesktopClass', `DesktopClass "${session.spec.desktopClass}" was deleted while the desktop was provisioning.`);
    const renderer = this.renderers[cls.spec.kind]!;
    const context = this.context(session, cls, kubernetesNameForUser('spec.userId', session.spec.userId));
    const rendered = renderer.render(context);
    const appliedKey = `${session.metadata.uid}/${session.metadata.generation}`;
    if (!this.applied.has(appliedKey)) {
      await renderer.prepare?.(context, this.client);
      // The user's namespace and its isolation were applied at admission (admit()); the desktop now.
      for (const object of rendered.objects) {
        await this.client.apply(refFor(object.apiVersion!, object.kind!, object.metadata.namespace), object, CONTROLLER_FIELD_MANAGER, { force: true });
      }
      this.applied.add(appliedKey);
    }
    const seen = await renderer.observe(context, this.client);
    if (seen.failure !== undefined) return this.failAndRelease(session, now, 'DesktopFailed', seen.failure);
    const node = await this.nodeFacts(seen, session.status ?? {});
    // A resumed desktop gets the provisioning timeout anew.
    const started = Math.max(Date.parse(session.status?.startedAt ?? now.toISOString()), Date.parse(session.status?.resumedAt ?? '') || 0);
    if (!seen.ready) {
      // Desktops that do not run by themselves (Manual VMs) are started here; idempotent after a restart.
      if (seen.stopped) await renderer.start?.(context, this.client);
      if (now.getTime() - started > (this.options.provisioningTimeoutSeconds ?? 900) * 1000) {
        return this.failAndRelease(session, now, 'ProvisioningTimeout', `the desktop did not become ready within ${this.options.provisioningTimeoutSeconds ?? 900} s (last state: ${seen.message}).`);
      }
      if (session.status?.progress !== seen.progress || session.status?.message !== seen.message || session.status?.node !== node.node || session.status?.instanceType !== node.instanceType) {
        await this.writeStatus(session, { progress: seen.progress, message: seen.message, ...node });
      }
      return 5000;
    }
    // The maximum duration counts from the first Ready: a resumed desktop keeps it.
    const readyAt = session.status?.readyAt ?? now.toISOString();
    if (session.status?.readyAt === undefined) this.metrics.timeToReadySeconds.observe((now.getTime() - Date.parse(session.metadata.creationTimestamp ?? readyAt)) / 1000);
    this.applied.delete(appliedKey);
    await this.writeStatus(session, {
      phase: SessionPhase.READY, progress: 100, message: 'Your desktop is ready', rdpEndpoint: rendered.rdpEndpoint, readyAt,
      lastActivityAt: now.toISOString(), expiresAt: new Date(Date.parse(readyAt) + session.spec.maxUserDurationSeconds * 1000).toISOString(),
      disconnectedAt: undefined, ...node,
    }, { type: 'Ready', status: 'True', reason: 'DesktopReady', message: 'The desktop answers on RDP.' });
    return this.options.pollIntervalMs ?? 10_000;
  }

  /**
   * Where the desktop runs and what that capacity is: the Node's instance type and Karpenter
   * capacity type labels (read once per node; the desktop kinds only say which node). Without
   * read access to the Node the instance type stays what the renderer said, if anything.
   */
  private async nodeFacts(seen: DesktopObservation, status: DesktopSessionStatus): Promise<Pick<DesktopSessionStatus, 'node' | 'instanceType' | 'capacityType'>> {
    const node = seen.node ?? status.node;
    if (node === undefined) return { node: undefined, instanceType: seen.instanceType ?? status.instanceType, capacityType: seen.capacityType ?? status.capacityType };
    if (node === status.node && status.instanceType !== undefined) return { node, instanceType: status.instanceType, capacityType: status.capacityType };
    let labels: Record<string, string> = {};
    try {
      labels = (await this.client.tryGet(NODE_RESOURCE, node))?.metadata.labels ?? {};
    } catch (error) {
      if (!(error instanceof KubernetesApiError)) throw error; // e.g. 403: priced from the renderer's facts, or not at all
    }
    return { node, instanceType: labels[INSTANCE_TYPE_LABEL] ?? seen.instanceType, capacityType: labels[CAPACITY_TYPE_LABEL] ?? seen.capacityType };
  }

  /**
   * Ready, Connected, Disconnected: follow the connection, the desktop itself (it may die, the
   * user may sign out of Windows) and the timeouts.
   */
  private async follow(session: DesktopSession, now: Date): Promise<number | undefined> {
    const status = session.status ?? {};
    const stoppedSince = status.conditions?.find((c) => c.type === DESKTOP_STOPPED_CONDITION && c.status === 'True');
    this.account(session, now, stoppedSince !== undefined);
    const t = now.getTime();
    const poll = this.options.pollIntervalMs ?? 10_000;
    const readyAt = Date.parse(status.readyAt ?? now.toISOString());
    // The maximum duration counts from Ready and follows extensions.
    const expiresAt = readyAt + session.spec.maxUserDurationSeconds * 1000;
    if (session.spec.endRequested) return this.startEnding(session, now, EndReason.USER_REQUEST, 'You ended the session.');
    if (t >= expiresAt) return this.startEnding(session, now, EndReason.MAX_DURATION, 'The session reached its maximum duration.');

    const changes: Partial<Record<keyof DesktopSessionStatus, unknown>> = {};
    const conditions: ConditionInput[] = [];
    if (new Date(expiresAt).toISOString() !== status.expiresAt) changes.expiresAt = new Date(expiresAt).toISOString();
    const warnAt = expiresAt - EXPIRY_WARNING_SECONDS * 1000;
    if (t >= warnAt && status.expiryWarningAt === undefined) {
      changes.expiryWarningAt = now.toISOString();
      conditions.push({ type: 'ExpiryWarning', status: 'True', reason: 'MaxUserDurationSoon', message: `The session ends at ${new Date(expiresAt).toISOString()}; save your work or extend it.`, lastTransitionTime: now.toISOString() });
    } else if (t < warnAt && status.expiryWarningAt !== undefined) {
      // Extended after the warning: the warning is withdrawn and will come again.
      changes.expiryWarningAt = undefined;
      conditions.push({ type: 'ExpiryWarning', status: 'False', reason: 'Extended', message: 'The session was extended.', lastTransitionTime: now.toISOString() });
    }
    const deadlines = [warnAt > t ? warnAt : expiresAt];
    const next = (): number => Math.max(100, Math.min(Math.min(...deadlines) - t, poll));
    const cls = this.classes.get(session.spec.desktopClass);
    const renderer = cls ? this.renderers[cls.spec.kind] : undefined;
    const context = cls && renderer ? this.context(session, cls, kubernetesNameForUser('spec.userId', session.spec.userId)) : undefined;

    if (stoppedSince) {
      // Start on connect: the user came back (SDK resume(), the broker's page) for this very stop.
      if (session.metadata.annotations?.[RESUME_ANNOTATION] === stoppedSince.lastTransitionTime) {
        const resumed = await this.writeStatus(session, {
          ...changes as Partial<DesktopSessionStatus>, phase: SessionPhase.PROVISIONING, progress: 5, message: 'Starting your desktop', resumedAt: now.toISOString(),
          // The stop that ends here, added up: the SDK's cost leaves stopped time out.
          stoppedSeconds: Math.min(MAX_MAX_USER_DURATION_SECONDS, (status.stoppedSeconds ?? 0) + Math.max(0, Math.round((t - Date.parse(stoppedSince.lastTransitionTime)) / 1000))),
        }, [...conditions,
          { type: DESKTOP_STOPPED_CONDITION, status: 'False', reason: 'Resumed', message: 'The user came back; the desktop is starting.', lastTransitionTime: now.toISOString() },
          { type: 'Ready', status: 'False', reason: 'Resuming', message: 'The desktop is starting again.', lastTransitionTime: now.toISOString() }]);
        return this.provision(resumed, now);
      }
      // Stopped: only the maximum duration (or End) ends it; the disconnect and idle timeouts are spent.
      if (Object.keys(changes).length > 0 || conditions.length > 0) await this.writeStatus(session, changes as Partial<DesktopSessionStatus>, conditions);
      return next();
    }

    const signal = this.signals.get(guacamoleConnectionName(session.metadata.name));
    const input = session.metadata.annotations?.[LAST_INPUT_ANNOTATION];
    const idleCondition = status.conditions?.find((c) => c.type === IDLE_CONDITION && c.status === 'True');
    const disconnectMs = session.spec.disconnectTimeoutSeconds * 1000;
    if (signal?.live) {
      const lastActivity = Math.max(Date.parse(input ?? '') || 0, signal.lastStart?.getTime() ?? 0, Date.parse(status.lastActivityAt ?? '') || 0);
      if (status.phase !== SessionPhase.CONNECTED) {
        changes.phase = SessionPhase.CONNECTED;
        changes.message = 'Connected';
        changes.disconnectedAt = undefined;
      }
      if (new Date(lastActivity).toISOString() !== status.lastActivityAt) changes.lastActivityAt = new Date(lastActivity).toISOString();
      const idle = session.spec.idleDisconnectTimeoutSeconds * 1000;
      if (idle > 0) {
        // WorkSpaces Pools: idle disconnects, then the disconnect timeout runs. Guacamole cannot
        // cut a JSON-auth connection, so the desktop disconnects the user itself (Remote Desktop's
        // MaxIdleTime policy); here it is only recorded. A desktop that never disconnects the user
        // is ended once idle + disconnect timeout have passed without input.
        const idleAt = lastActivity + idle;
        if (t >= idleAt + disconnectMs) {
          return this.startEnding(session, now, EndReason.IDLE_TIMEOUT, `No input for ${session.spec.idleDisconnectTimeoutSeconds} s, and the connection stayed open for the disconnect timeout (${session.spec.disconnectTimeoutSeconds} s) after.`);
        }
        if (t >= idleAt) {
          if (!idleCondition) conditions.push({ type: IDLE_CONDITION, status: 'True', reason: 'NoInput', message: `No input for ${session.spec.idleDisconnectTimeoutSeconds} s: the desktop disconnects you; reconnect within the disconnect timeout to continue.`, lastTransitionTime: now.toISOString() });
          deadlines.push(idleAt + disconnectMs);
        } else {
          if (idleCondition) conditions.push({ type: IDLE_CONDITION, status: 'False', reason: 'Input', message: 'Input was seen again.', lastTransitionTime: now.toISOString() });
          deadlines.push(idleAt);
        }
      }
    } else {
      if (idleCondition) conditions.push({ type: IDLE_CONDITION, status: 'False', reason: 'Disconnected', message: 'The idle connection was closed.', lastTransitionTime: now.toISOString() });
      // Connections from before a resume do not count: the resumed desktop waits for the user anew.
      const resumedAt = Date.parse(status.resumedAt ?? '') || 0;
      const connectedSinceResume = signal !== undefined && (signal.lastEnd === undefined || signal.lastEnd.getTime() >= resumedAt);
      const wasConnected = connectedSinceResume || status.phase === SessionPhase.CONNECTED || status.phase === SessionPhase.DISCONNECTED;
      const since = wasConnected
        ? Math.max(signal?.lastEnd?.getTime() ?? (Date.parse(status.disconnectedAt ?? '') || t), resumedAt)
        : Math.max(readyAt, resumedAt);
      if (wasConnected && status.phase !== SessionPhase.DISCONNECTED) {
        changes.phase = SessionPhase.DISCONNECTED;
        changes.message = 'Disconnected; reconnect to continue';
        changes.disconnectedAt = new Date(since).toISOString();
      }
      const limit = since + disconnectMs;
      if (t >= limit) {
        const why = wasConnected ? 'Nobody reconnected within the disconnect timeout.' : 'Nobody connected within the disconnect timeout.';
        if (session.spec.onDisconnect === DisconnectAction.STOP && renderer?.stop && context) {
          // AVD-like: stop the desktop, keep its disks; the session waits for the user until its maximum duration.
          await renderer.stop(context, this.client);
          await this.writeStatus(session, {
            ...changes as Partial<DesktopSessionStatus>, phase: SessionPhase.DISCONNECTED, disconnectedAt: status.disconnectedAt ?? new Date(since).toISOString(),
            message: 'Your desktop was stopped; open it to start it again', loggedOnAt: undefined,
          }, [...conditions, { type: DESKTOP_STOPPED_CONDITION, status: 'True', reason: 'DisconnectTimeout', message: `${why} The desktop was stopped; its disks are kept.`, lastTransitionTime: now.toISOString() }]);
          return next();
        }
        return this.startEnding(session, now, EndReason.DISCONNECT_TIMEOUT, why);
      }
      deadlines.push(limit);
    }

    if (context && renderer) {
      // The desktop itself, at the poll interval: it may have died, and the user may have signed out.
      const seen = await renderer.observe(context, this.client);
      if (!seen.ready && (seen.failure !== undefined || seen.gone || seen.stopped)) {
        const what = seen.failure ?? (seen.gone ? 'the desktop was deleted' : `the desktop stopped (${seen.message})`);
        return this.failAndRelease(session, now, 'DesktopLost', `the desktop was lost after it was ready: ${what}.`);
      }
      if (seen.userLoggedOn === true && status.loggedOnAt === undefined) changes.loggedOnAt = now.toISOString();
      if (seen.userLoggedOn === false && status.loggedOnAt !== undefined) {
        if ((session.spec.onLogoff ?? LogoffAction.END) === LogoffAction.END) return this.startEnding(session, now, EndReason.USER_LOGOFF, 'You signed out of Windows.');
        changes.loggedOnAt = undefined;
      }
      const node = await this.nodeFacts(seen, status);
      for (const [k, v] of Object.entries(node) as Array<[keyof DesktopSessionStatus, unknown]>) if (v !== status[k]) changes[k] = v;
    }
    if (Object.keys(changes).length > 0 || conditions.length > 0) await this.writeStatus(session, changes as Partial<DesktopSessionStatus>, conditions);
    return next();
  }

  /**
   * Another session whose desktop has the name this session's would have (`DesktopRenderer.locate`),
   * from the informer's cache and the admissions it may not show yet: `active` when it is admitted
   * and not ending, else it is ending (or being deleted) and its desktop may still exist.
   */
  private sharedDesktop(session: DesktopSession, cls: DesktopClass): { session: DesktopSession; desktop: string; active: boolean } | undefined {
    const mine = this.renderers[cls.spec.kind]?.locate?.(session);
    if (!mine) return undefined;
    const desktop = `${mine.namespace}/${mine.name}`;
    for (const other of this.sessions.list()) {
      if (other.metadata.name === session.metadata.name) continue;
      const phase = other.status?.phase ?? SessionPhase.PENDING;
      if (phase === SessionPhase.ENDED || phase === SessionPhase.FAILED) continue;
      const admitted = this.admitted.has(other.metadata.name);
      if (phase === SessionPhase.PENDING && !admitted) continue; // nothing created yet
      const otherClass = this.classes.get(other.spec.desktopClass);
      const at = other.status?.desktopNamespace !== undefined && other.status.desktopName !== undefined
        ? { namespace: other.status.desktopNamespace, name: other.status.desktopName }
        : otherClass ? this.renderers[otherClass.spec.kind]?.locate?.(other) : undefined;
      if (at?.namespace !== mine.namespace || at.name !== mine.name) continue;
      // `admitted` only stands in for a phase the cache does not show yet: an Ending session is not active.
      const active = other.metadata.deletionTimestamp === undefined && ACTIVE_PHASES.includes(phase);
      return { session: other, desktop, active };
    }
    return undefined;
  }

  /**
   * Timeout actions the class's desktops cannot carry out: `onDisconnect: Stop` needs a
   * renderer that can stop its desktop (VMs; a node desktop's node is the desktop).
   */
  private unsupportedAction(session: DesktopSession, cls: DesktopClass): string | undefined {
    if (session.spec.onDisconnect === DisconnectAction.STOP && !this.renderers[cls.spec.kind]?.stop) {
      return `onDisconnect: ${DisconnectAction.STOP} needs a desktop that can be stopped and started again, but DesktopClass "${cls.metadata.name}" has ${cls.spec.kind} desktops${cls.spec.kind === DesktopKind.NODE ? ' (the node is the desktop)' : ''}; use onDisconnect: ${DisconnectAction.END}.`;
    }
    return undefined;
  }

  private async startEnding(session: DesktopSession, now: Date, reason: EndReason, message: string): Promise<number | undefined> {
    this.account(session, now);
    const updated = await this.writeStatus(session, { phase: SessionPhase.ENDING, endReason: reason, message, progress: 0 },
      { type: 'Ready', status: 'False', reason, message, lastTransitionTime: now.toISOString() });
    return this.finish(updated, now);
  }

  private async finish(session: DesktopSession, now: Date): Promise<number | undefined> {
    if (!(await this.cleanUp(session))) return 1000;
    this.metrics.ended.inc({ reason: session.status?.endReason ?? 'unknown' });
    await this.writeStatus(session, { phase: SessionPhase.ENDED, endedAt: now.toISOString(), message: session.status?.message ?? 'Ended' });
    this.admitted.delete(session.metadata.name);
    this.accounted.delete(session.metadata.name);
    return undefined;
  }

  private async fail(session: DesktopSession, now: Date, reason: string, message: string): Promise<undefined> {
    this.admitted.delete(session.metadata.name);
    this.applied.delete(`${session.metadata.uid}/${session.metadata.generation}`);
    await this.writeStatus(session, { phase: SessionPhase.FAILED, progress: 0, message, endedAt: now.toISOString() },
      { type: 'Ready', status: 'False', reason, message, lastTransitionTime: now.toISOString() });
    return undefined;
  }

  /** A desktop that cannot start: delete what was created (releases the capacity), then Failed. */
  private async failAndRelease(session: DesktopSession, now: Date, reason: string, message: string): Promise<number | undefined> {
    if (!(await this.cleanUp(session)) && !(await this.cleanUp(session))) {
      if (!session.status?.conditions?.some((c) => c.type === 'Releasing')) {
        await this.writeStatus(session, { message: `Releasing the desktop: ${message}` }, { type: 'Releasing', status: 'True', reason, message });
      }
      return 1000;
    }
    return this.fail(session, now, reason, message);
  }

  /** Deletes the session's objects (not the ones meant to outlive it); true once they are gone. */
  private async cleanUp(session: DesktopSession): Promise<boolean> {
    let userLabel: string;
    try {
      userLabel = kubernetesNameForUser('spec.userId', session.spec.userId);
    } catch {
      return true; // refused at admission: nothing was created
    }
    const cls = this.classes.get(session.spec.desktopClass);
    const namespace = session.status?.desktopNamespace;
    const renderer = cls ? this.renderers[cls.spec.kind] : undefined;
    // No desktop recorded (deleted while Pending, possibly after admit() applied the user's
    // NodePool) or no class to render it with: the user's own objects are still released,
    // decided from what exists and the user's remaining sessions.
    if (!namespace || !cls || !renderer) {
      await this.releaseUser(session, userLabel);
      return true;
    }
    const rendered = renderer.render(this.context(session, cls, userLabel));
    let gone = true;
    for (const object of [...[...rendered.objects].reverse(), ...(rendered.preparedObjects ?? [])]) {
      if (rendered.retainedKinds.includes(object.kind!)) continue;
      const ref = refFor(object.apiVersion!, object.kind!, object.metadata.namespace);
      const existing = await this.client.tryGet(ref, object.metadata.name);
      if (!existing) continue;
      gone = false;
      if (existing.metadata.deletionTimestamp === undefined) await this.client.delete(ref, object.metadata.name);
    }
    if (gone) await this.releaseUser(session, userLabel);
    return gone;
  }

  private async removeFinalizer(session: DesktopSession): Promise<void> {
    const finalizers = (session.metadata.finalizers ?? []).filter((f) => f !== SESSION_FINALIZER);
    if (finalizers.length === (session.metadata.finalizers ?? []).length) return;
    await this.client.mergePatch(SESSION_RESOURCE(this.namespace), session.metadata.name, {
      metadata: { resourceVersion: session.metadata.resourceVersion, finalizers },
    }, CONTROLLER_FIELD_MANAGER);
  }

  /**
   * The user's namespace, quota, limit range, default-deny and allow NetworkPolicies, service
   * account, (VM desktops) golden-image clone binding and (VM `DedicatedPool` classes) the user's
   * own NodePool, rendered by `renderDesktopUserObjects`, the renderer the synth-time
   * `DesktopUserIsolation` uses. What the class does not say comes from the controller's
   * options (gateway, egress).
   *
   * The quota holds every class the user has active sessions of at once (`combinedUserQuota`:
   * per class, `sessionsPerUser` desktops of its largest allowed size), so that a user with
   * sessions of two classes is not limited to the last one applied; `releaseUser` re-applies it
   * when the set shrinks. The namespace is rendered for a VM class when the user has one (its
   * Pod Security level and VM quotas), else for the session's class.
   */
  private async userObjects(session: DesktopSession, cls: DesktopClass, without?: string): Promise<KubernetesObjectJson[]> {
    const active = this.activeClasses(session.spec.userId, without);
    if (without === undefined && !active.some((c) => c.metadata.name === cls.metadata.name)) active.unshift(cls);
    const shown = cls.spec.kind === DesktopKind.VM || without !== undefined ? cls : (active.find((c) => c.spec.kind === DesktopKind.VM) ?? cls);
    const shares = active.map((c) => ({ desktopKind: c.spec.kind, size: largestSize(c), desktops: c.spec.sessionsPerUser }));
    const dedicated = shown.spec.kind === DesktopKind.VM && shown.spec.isolation === IsolationMode.DEDICATED_POOL;
    const props: DesktopUserIsolationProps = {
      user: {
        id: session.spec.userId,
        desktopKind: shown.spec.kind,
        size: largestSize(shown),
        isolation: shown.spec.isolation === IsolationMode.DEDICATED_POOL ? UserIsolationMode.DEDICATED_POOL : UserIsolationMode.SHARED_POOL,
      },
      gateway: this.options.gateway,
      allowedEgress: this.options.allowedEgress,
      goldenImage: shown.spec.goldenImage ? { dataSourceName: shown.spec.goldenImage.name, namespace: shown.spec.goldenImage.namespace } : undefined,
      quota: combinedUserQuota(shares),
      dedicatedPoolTemplateObjects: dedicated ? await this.poolTemplate(shown) : undefined,
    };
    return renderDesktopUserObjects(props);
  }

  /**
   * The NodePool a `DedicatedPool` class names (and its KubeVirt device NodeOverlay), read from
   * the cluster: the per-user pool is derived from it by `dedicatedUserNodePool`.
   * @throws a 404 `KubernetesApiError` when the NodePool does not exist
   */
  private async poolTemplate(cls: DesktopClass): Promise<DedicatedPoolTemplateObjects> {
    const name = cls.spec.dedicatedPool?.nodePoolTemplate;
    if (name === undefined) {
      throw new Error(`class "${cls.metadata.name}" has isolation DedicatedPool but no spec.dedicatedPool.nodePoolTemplate; name the NodePool (e.g. a VmHostPool's, not a perUserHosts one) each user's pool is derived from.`);
    }
    const nodePool = await this.client.tryGet<KubernetesObject>(NODE_POOL_RESOURCE, name);
    if (!nodePool) {
      throw new KubernetesApiError(404, 'NotFound', `spec.dedicatedPool.nodePoolTemplate of class "${cls.metadata.name}" is "${name}", but there is no NodePool "${name}"; name an existing Karpenter NodePool.`);
    }
    const overlay = await this.client.tryGet<KubernetesObject & { spec?: { capacity?: Record<string, string> } }>(NODE_OVERLAY_RESOURCE, vmHostDeviceOverlayProps(name, {}).metadata!.name!);
    return { nodePool: nodePool as unknown as NodePoolJson, deviceCapacity: overlay?.spec?.capacity };
  }

  /**
   * Classes of the user's active sessions (admitted or later, not ending), from the informer's
   * cache and the admissions it may not show yet; `without` leaves one session out.
   */
  private activeClasses(userId: string, without?: string): DesktopClass[] {
    const names = new Set<string>();
    for (const s of this.sessions.list()) {
      if (s.spec.userId !== userId || s.metadata.name === without) continue;
      if (this.holdsCapacity(s)) names.add(s.spec.desktopClass);
    }
    return [...names].sort().map((n) => this.classes.get(n)).filter((c): c is DesktopClass => c !== undefined);
  }

  /** Whether the user has an active session (as `activeClasses` counts them) whose DesktopClass is gone. */
  private hasActiveSessionOfUnknownClass(userId: string, without: string): boolean {
    return this.sessions.list().some((s) => s.spec.userId === userId && s.metadata.name !== without && this.classes.get(s.spec.desktopClass) === undefined
      && this.holdsCapacity(s));
  }

  /**
   * Whether a session counts against its user's limit, quota and pools: active in the informer's
   * cache, or admitted by this replica while the cache still shows it Pending (`admitted` stands
   * in only for that lag). Ending and deleted sessions do not: they release what they hold.
   */
  private holdsCapacity(s: DesktopSession): boolean {
    const phase = s.status?.phase ?? SessionPhase.PENDING;
    return s.metadata.deletionTimestamp === undefined && ACTIVE_PHASES.includes(phase) && (phase !== SessionPhase.PENDING || this.admitted.has(s.metadata.name));
  }

  private classKey(userId: string, including?: DesktopSession, without?: string): string {
    const names = new Set(this.activeClasses(userId, without).map((c) => c.metadata.name));
    if (including) names.add(including.spec.desktopClass);
    return [...names].sort().join(',');
  }

  /**
   * After a session's desktop is gone: deletes the user's own NodePool (and its NodeOverlay)
   * when no other active session of the user needs it, and re-applies the user's quota when the
   * set of their active classes changed. Under the user's lock, so that an admission of the
   * same user never sees its NodePool deleted after applying it.
   */
  private async releaseUser(session: DesktopSession, userLabel: string): Promise<void> {
    await this.withUserLock(userLabel, async () => {
      const remaining = this.activeClasses(session.spec.userId, session.metadata.name);
      // A remaining session whose class was deleted may still run on the user's pool: keep it
      // until that session ends too (its release then finds no remaining session).
      const unknown = this.hasActiveSessionOfUnknownClass(session.spec.userId, session.metadata.name);
      const needsPool = unknown || remaining.some((c) => c.spec.kind === DesktopKind.VM && c.spec.isolation === IsolationMode.DEDICATED_POOL);
      if (!needsPool) {
        // Karpenter drains and terminates the pool's hosts; only the user's desktops ran there.
        const pool = await this.client.tryGet<KubernetesObject & { spec?: { template?: { metadata?: { labels?: Record<string, string> } } } }>(NODE_POOL_RESOURCE, userLabel);
        // Only a pool made for this user (its nodes carry the user's label): never a template or another pool.
        if (pool && pool.spec?.template?.metadata?.labels?.[USER_LABEL] === userLabel) {
          if (pool.metadata.deletionTimestamp === undefined) await this.client.delete(NODE_POOL_RESOURCE, userLabel);
          await this.client.delete(NODE_OVERLAY_RESOURCE, vmHostDeviceOverlayProps(userLabel, {}).metadata!.name!);
        }
      }
      if (!unknown) await this.releaseRendererUserObjects(session, remaining);
      const key = remaining.map((c) => c.metadata.name).join(',');
      if (remaining.length === 0 || this.quotaKeys.get(userLabel) === key) return;
      const [first] = remaining;
      try {
        const quota = (await this.userObjects({ ...session, spec: { ...session.spec, desktopClass: first.metadata.name } }, first, session.metadata.name))
          .filter((o) => o.kind === 'ResourceQuota');
        for (const object of quota) await this.client.apply(refFor(object.apiVersion, object.kind, object.metadata.namespace), object as KubernetesObject, CONTROLLER_FIELD_MANAGER, { force: true });
        this.quotaKeys.set(userLabel, key);
      } catch (error) {
        // A larger quota than needed until the user's next admission; never a reason to keep a session from ending.
        (this.options.onError ?? logError)(session.metadata.name, error);
      }
    });
  }

  /**
   * The renderer's objects of the user for this class (`DesktopRenderer.userObjects`: a Node
   * `DedicatedPool` user's NodePool), applied under the user's lock before the desktop, marked
   * managed by the controller. One of the same name the deployment made (the pool of a user
   * listed at synth time) is left alone, and never deleted by `releaseUser`. One still being
   * deleted (the user's previous pool, Karpenter draining it) is waited for: the admission is retried.
   */
  private async applyRendererUserObjects(session: DesktopSession, cls: DesktopClass): Promise<void> {
    for (const object of this.renderers[cls.spec.kind]?.userObjects?.(cls, session.spec.userId) ?? []) {
      const ref = refFor(object.apiVersion!, object.kind!, object.metadata.namespace);
      const existing = await this.client.tryGet(ref, object.metadata.name);
      if (existing && existing.metadata.labels?.[MANAGED_BY_LABEL] !== CONTROLLER_FIELD_MANAGER) continue;
      if (existing?.metadata.deletionTimestamp !== undefined) {
        throw new Error(`${object.kind} ${object.metadata.name} of user "${session.spec.userId}" is still being deleted (their previous session); the session is admitted once it is gone.`);
      }
      const labels = { ...object.metadata.labels, [MANAGED_BY_LABEL]: CONTROLLER_FIELD_MANAGER };
      await this.client.apply(ref, { ...object, metadata: { ...object.metadata, labels } }, CONTROLLER_FIELD_MANAGER, { force: true });
    }
  }

  /**
   * Deletes the renderer's per-user objects of the user that no remaining active session of the
   * user renders (and that the controller made). Not only the ending session's class's: what any
   * renderer renders for a `DedicatedPool` class of its kind, so that a session whose class was
   * deleted, or that ended before its status recorded anything, still releases them.
   */
  private async releaseRendererUserObjects(session: DesktopSession, remaining: DesktopClass[]): Promise<void> {
    const cls = this.classes.get(session.spec.desktopClass);
    const userId = session.spec.userId;
    const objectsOf = (c: DesktopClass) => this.renderers[c.spec.kind]?.userObjects?.(c, userId) ?? [];
    const key = (o: KubernetesObject) => `${o.apiVersion}/${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    const kept = new Set(remaining.flatMap(objectsOf).map(key));
    const dedicated = (Object.keys(this.renderers) as DesktopKind[]).map((kind): DesktopClass => ({
      apiVersion: SESSIONS_API, kind: DESKTOP_CLASS_KIND, metadata: { name: `${kind}-dedicated` },
      spec: { kind, isolation: IsolationMode.DEDICATED_POOL, allowedSizes: ['medium'], sessionsPerUser: 1 },
    }));
    const candidates = new Map([...(cls ? [cls] : []), ...dedicated].flatMap(objectsOf).map((o) => [key(o), o]));
    for (const object of candidates.values()) {
      if (kept.has(key(object))) continue;
      const ref = refFor(object.apiVersion!, object.kind!, object.metadata.namespace);
      const existing = await this.client.tryGet(ref, object.metadata.name);
      if (existing?.metadata.labels?.[MANAGED_BY_LABEL] === CONTROLLER_FIELD_MANAGER && existing.metadata.deletionTimestamp === undefined) {
        await this.client.delete(ref, object.metadata.name);
      }
    }
  }

  /** Runs `fn` after every earlier call for the same user has finished (this replica only: the leader does all writes). */
  private async withUserLock<T>(user: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.userLocks.get(user) ?? Promise.resolve();
    const next = previous.then(fn, fn);
    const settled = next.then(() => undefined, () => undefined);
    this.userLocks.set(user, settled);
    try {
      return await next;
    } finally {
      if (this.userLocks.get(user) === settled) this.userLocks.delete(user);
    }
  }

  private context(session: DesktopSession, cls: DesktopClass, userLabel: string): DesktopRenderContext {
    const located = this.renderers[cls.spec.kind]?.locate?.(session);
    const namespace = session.status?.desktopNamespace ?? located?.namespace ?? userLabel;
    // One desktop per session object in the user's namespace: the class name plus a short hash of
    // the session's uid, so a new session never reuses a host name whose RDP certificate guacd
    // pinned (trust on first use) for an earlier desktop.
    const hash = createHash('sha256').update(session.metadata.uid ?? session.metadata.name).digest('hex').slice(0, 8);
    const desktopName = session.status?.desktopName ?? located?.name ?? `${cls.metadata.name.slice(0, 40).replace(/-+$/, '')}-${hash}`;
    // VM desktops select the user's own hosts, as the synth-time isolation places them.
    const placement = cls.spec.kind === DesktopKind.VM
      ? userPlacement({ name: userLabel, isolation: cls.spec.isolation === IsolationMode.DEDICATED_POOL ? UserIsolationMode.DEDICATED_POOL : UserIsolationMode.SHARED_POOL }, this.options.vmHostPlacement ?? DEFAULT_VM_HOST_PLACEMENT)
      : undefined;
    return { session, desktopClass: cls, namespace, desktopName, labels: sessionLabels(session, userLabel), placement };
  }

  /** Counts session-hours and estimated cost since the last count (Prometheus). */
  private account(session: DesktopSession, now: Date, paused = false): void {
    if (paused) {
      // A stopped desktop holds no compute: its time is not counted.
      this.accounted.set(session.metadata.name, now.getTime());
      return;
    }
    const from = this.accounted.get(session.metadata.name) ?? Date.parse(session.status?.readyAt ?? now.toISOString());
    const cost = sessionCost(session, this.classes.get(session.spec.desktopClass), now, new Date(from));
    if (cost.hours > 0) {
      const labels = { user: kubernetesNameForUser('spec.userId', session.spec.userId), desktop_class: session.spec.desktopClass };
      this.metrics.sessionHours.inc(labels, cost.hours);
      this.metrics.sessionCost.inc(labels, cost.cost);
    }
    this.accounted.set(session.metadata.name, now.getTime());
  }

  /**
   * Writes the whole status by server-side apply to the status subresource (the controller owns
   * every status field; a field it stops setting is removed). The resourceVersion makes the write
   * conditional: a reconcile that read a stale cache gets 409 and is retried by the queue.
   */
  private async writeStatus(session: DesktopSession, changes: Partial<DesktopSessionStatus>, condition?: ConditionInput | ConditionInput[]): Promise<DesktopSession> {
    const previous = session.status ?? {};
    const merged: Record<string, unknown> = { ...previous, ...changes, observedGeneration: session.metadata.generation };
    for (const [k, v] of Object.entries(merged)) if (v === undefined) delete merged[k];
    let conditions = previous.conditions ?? [];
    for (const c of condition === undefined ? [] : Array.isArray(condition) ? condition : [condition]) {
      const old = conditions.find((x) => x.type === c.type);
      const lastTransitionTime = old && old.status === c.status ? old.lastTransitionTime : (c.lastTransitionTime ?? this.now().toISOString());
      conditions = [...conditions.filter((x) => x.type !== c.type), { ...c, lastTransitionTime }];
    }
    if (condition !== undefined) merged.conditions = conditions;
    return this.client.apply<DesktopSession>(SESSION_RESOURCE(this.namespace), {
      apiVersion: SESSIONS_API, kind: DESKTOP_SESSION_KIND, metadata: { name: session.metadata.name, namespace: this.namespace, resourceVersion: session.metadata.resourceVersion }, status: merged,
    } as KubernetesObject, CONTROLLER_FIELD_MANAGER, { force: true, status: true });
  }
}
