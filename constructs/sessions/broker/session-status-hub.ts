import { DesktopSession } from '../api';
import { DesktopSessions } from '../sdk/desktop-sessions';

/** Called with a session's latest state (`undefined`: deleted). */
export type SessionListener = (session: DesktopSession | undefined) => void;

export interface SessionStatusHubOptions {
  readonly sessions: DesktopSessions;
  /**
   * How long the watch stays open after the last listener left, so a page reload does not list
   * the namespace again. @default 30_000
   */
  readonly lingerMs?: number;
}

/**
 * Fans one watch on the namespace's sessions out to any number of listeners, each interested in
 * one session: the broker's event streams. Two hundred open progress pages are one watch on the
 * API server, not two hundred. The watch starts with the first listener and stops `lingerMs`
 * after the last one left.
 */
export class SessionStatusHub {
  private readonly listeners = new Map<string, Set<SessionListener>>();
  private watch?: Promise<{ stop(): void }>;
  private linger?: NodeJS.Timeout;
  private listenerCount = 0;
  private watchesStarted = 0;

  constructor(private readonly options: SessionStatusHubOptions) {}

  /** Open listeners (one per event stream). */
  public get size(): number {
    return this.listenerCount;
  }

  /** Watches started on the API server over the hub's life (a new one only after the last stopped). */
  public get watchCount(): number {
    return this.watchesStarted;
  }

  /**
   * Listens to one session's changes; returns the function that stops listening. Resolves once
   * the shared watch is running (later changes reach `listener`).
   */
  public async subscribe(name: string, listener: SessionListener): Promise<() => void> {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    set.add(listener);
    this.listenerCount++;
    clearTimeout(this.linger);
    this.linger = undefined;
    let done = false;
    const unsubscribe = (): void => {
      if (done) return;
      done = true;
      set!.delete(listener);
      if (set!.size === 0) this.listeners.delete(name);
      this.listenerCount--;
      if (this.listenerCount === 0) this.scheduleStop();
    };
    try {
      await this.ensureWatching();
    } catch (error) {
      unsubscribe();
      throw error;
    }
    return unsubscribe;
  }

  /** Stops the watch now (broker shutdown). */
  public async close(): Promise<void> {
    clearTimeout(this.linger);
    this.linger = undefined;
    const watch = this.watch;
    this.watch = undefined;
    if (watch) (await watch.catch(() => undefined))?.stop();
  }

  private ensureWatching(): Promise<{ stop(): void }> {
    if (!this.watch) {
      this.watchesStarted++;
      const started = this.options.sessions.watchAll((name, session) => {
        for (const listener of this.listeners.get(name) ?? []) listener(session);
      });
      // A failed start is forgotten, so the next listener tries again.
      started.catch(() => { if (this.watch === started) this.watch = undefined; });
      this.watch = started;
    }
    return this.watch;
  }

  private scheduleStop(): void {
    clearTimeout(this.linger);
    this.linger = setTimeout(() => {
      this.linger = undefined;
      if (this.listenerCount === 0) void this.close();
    }, this.options.lingerMs ?? 30_000);
    this.linger.unref();
  }
}
