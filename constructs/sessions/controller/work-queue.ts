/**
 * A rate-limited work queue as client-go's: a key is processed by one worker at a time, a key
 * added while it is processed runs again afterwards, failures back off exponentially per key
 * (5 ms doubling to 60 s), and `addAfter` schedules a later visit (timeouts, polling).
 */
export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly active = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly failures = new Map<string, number>();
  private readonly waiters: Array<() => void> = [];
  private shuttingDown = false;

  public add(key: string): void {
    if (this.shuttingDown) return;
    if (this.active.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(key);
    this.waiters.shift()?.();
  }

  /** Visits `key` after `ms` (an earlier visit already scheduled wins). */
  public addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return;
    const at = Date.now() + ms;
    const existing = this.timers.get(key);
    if (existing && existing.at <= at) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, Math.max(0, ms));
    timer.unref();
    this.timers.set(key, { at, timer });
  }

  /** Backs off after a failure. */
  public addRateLimited(key: string): void {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    this.addAfter(key, Math.min(5 * 2 ** n, 60_000));
  }

  public forget(key: string): void {
    this.failures.delete(key);
  }

  /** The next key, or undefined once shut down. */
  public async get(): Promise<string | undefined> {
    while (this.queue.length === 0) {
      if (this.shuttingDown) return undefined;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    const key = this.queue.shift()!;
    this.queued.delete(key);
    this.active.add(key);
    return key;
  }

  public done(key: string): void {
    this.active.delete(key);
    if (this.dirty.delete(key)) this.add(key);
  }

  public get length(): number {
    return this.queue.length;
  }

  public shutDown(): void {
    this.shuttingDown = true;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    while (this.waiters.length > 0) this.waiters.shift()!();
  }
}
