import { KubernetesApiError, KubernetesClient, KubernetesObject } from '../runtime/kubernetes-client';
import { LEASE_RESOURCE } from '../resources';

interface Lease extends KubernetesObject {
  spec: { holderIdentity?: string; leaseDurationSeconds?: number; acquireTime?: string; renewTime?: string; leaseTransitions?: number };
}

export interface LeaderElectionOptions {
  readonly client: KubernetesClient;
  readonly namespace: string;
  readonly leaseName: string;
  /** This replica's id (its pod name). */
  readonly identity: string;
  /** @default 15 */
  readonly leaseDurationSeconds?: number;
  /** How often to try to acquire or renew. @default 2000 */
  readonly retryPeriodMs?: number;
  readonly onStartedLeading: () => void;
  readonly onStoppedLeading: () => void;
}

/**
 * Leader election on a `coordination.k8s.io/v1` Lease, as client-go's leaderelection: a replica
 * takes the lease when it is free or expired, renews it every retry period, and writes with the
 * lease's resourceVersion so two replicas can never both win (the loser gets 409). A leader that
 * cannot renew within the lease duration stops leading before another can take over.
 */
export class LeaderElector {
  private timer?: NodeJS.Timeout;
  private leading = false;
  private lastRenew = 0;
  private stopped = false;
  private inflight?: Promise<boolean>;

  constructor(private readonly options: LeaderElectionOptions) {}

  public get isLeader(): boolean {
    return this.leading;
  }

  public start(): void {
    const tick = async (): Promise<void> => {
      if (this.stopped) return;
      this.inflight = this.tryAcquireOrRenew().catch(() => false);
      await this.inflight;
      if (this.stopped) return;
      const duration = (this.options.leaseDurationSeconds ?? 15) * 1000;
      if (this.leading && Date.now() - this.lastRenew > duration * 0.8) this.setLeading(false);
      this.timer = setTimeout(() => { void tick(); }, this.options.retryPeriodMs ?? 2000);
      this.timer.unref();
    };
    void tick();
  }

  /** Stops and, when leading, releases the lease so another replica takes over at once. */
  public async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.inflight;
    this.setLeading(false);
    const ref = LEASE_RESOURCE(this.options.namespace);
    const lease = await this.options.client.tryGet<Lease>(ref, this.options.leaseName).catch(() => undefined);
    if (lease?.spec.holderIdentity === this.options.identity) {
      await this.options.client.replace(ref, { ...lease, spec: { ...lease.spec, holderIdentity: undefined, renewTime: undefined } } as Lease, 'desktop-session-controller').catch(() => undefined);
    }
  }

  private setLeading(leading: boolean): void {
    if (leading === this.leading || (leading && this.stopped)) return;
    this.leading = leading;
    if (leading) this.options.onStartedLeading(); else this.options.onStoppedLeading();
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { client, namespace, leaseName, identity } = this.options;
    const ref = LEASE_RESOURCE(namespace);
    const duration = this.options.leaseDurationSeconds ?? 15;
    const now = new Date().toISOString().replace('Z', '000Z'); // MicroTime
    const lease = await client.tryGet<Lease>(ref, leaseName);
    try {
      if (!lease) {
        await client.create(ref, { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: leaseName, namespace }, spec: { holderIdentity: identity, leaseDurationSeconds: duration, acquireTime: now, renewTime: now, leaseTransitions: 0 } } as Lease, 'desktop-session-controller');
      } else {
        const holder = lease.spec.holderIdentity;
        const renewed = lease.spec.renewTime ? Date.parse(lease.spec.renewTime) : 0;
        const expired = renewed + (lease.spec.leaseDurationSeconds ?? duration) * 1000 < Date.now();
        if (holder && holder !== identity && !expired) {
          this.setLeading(false);
          return false;
        }
        const taking = holder !== identity;
        await client.replace(ref, {
          ...lease,
          spec: {
            holderIdentity: identity,
            leaseDurationSeconds: duration,
            acquireTime: taking ? now : lease.spec.acquireTime,
            renewTime: now,
            leaseTransitions: (lease.spec.leaseTransitions ?? 0) + (taking && holder ? 1 : 0),
          },
        } as Lease, 'desktop-session-controller');
      }
    } catch (error) {
      if (error instanceof KubernetesApiError && error.code === 409) return false; // another replica won
      throw error;
    }
    this.lastRenew = Date.now();
    this.setLeading(true);
    return true;
  }
}
