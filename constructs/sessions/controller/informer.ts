import { KubernetesApiError, KubernetesClient, KubernetesObject, ResourceRef } from '../runtime/kubernetes-client';

/**
 * List-then-watch cache of one resource, as client-go's informers: a full list, then a watch
 * from the list's resourceVersion; when the watch ends it resumes from the last version seen,
 * and lists again when the server says that version is gone (410).
 */
export class Informer<T extends KubernetesObject> {
  private readonly cache = new Map<string, T>();
  private lastVersion = '0';
  private watch?: { abort(): void };
  private stopped = false;
  private synced = false;
  private failures = 0;

  constructor(
    private readonly client: KubernetesClient,
    private readonly ref: ResourceRef,
    private readonly onChange: (object: T, deleted: boolean) => void,
    private readonly labelSelector?: Record<string, string>,
  ) {}

  public async start(): Promise<void> {
    await this.relist();
  }

  public stop(): void {
    this.stopped = true;
    this.watch?.abort();
  }

  public get hasSynced(): boolean {
    return this.synced;
  }

  public get(name: string, namespace?: string): T | undefined {
    return this.cache.get(key(namespace, name));
  }

  public list(): T[] {
    return [...this.cache.values()];
  }

  private async relist(): Promise<void> {
    if (this.stopped) return;
    try {
      const { items, resourceVersion } = await this.client.list<T>(this.ref, this.labelSelector);
      const seen = new Set<string>();
      for (const item of items) {
        const k = key(item.metadata.namespace, item.metadata.name);
        seen.add(k);
        this.cache.set(k, item);
        this.onChange(item, false);
      }
      for (const [k, old] of this.cache) {
        if (!seen.has(k)) {
          this.cache.delete(k);
          this.onChange(old, true);
        }
      }
      this.lastVersion = resourceVersion;
      this.synced = true;
      this.failures = 0;
      await this.startWatch();
    } catch {
      this.retryLater(() => this.relist());
    }
  }

  private async startWatch(): Promise<void> {
    if (this.stopped) return;
    let expired = false;
    this.watch = await this.client.watch<T>(this.ref, this.lastVersion, (type, object) => {
      if (type === 'ERROR') {
        expired = true;
        return;
      }
      if (type === 'BOOKMARK') {
        this.lastVersion = object.metadata.resourceVersion ?? this.lastVersion;
        return;
      }
      const k = key(object.metadata.namespace, object.metadata.name);
      this.lastVersion = object.metadata.resourceVersion ?? this.lastVersion;
      if (type === 'DELETED') this.cache.delete(k); else this.cache.set(k, object);
      this.onChange(object, type === 'DELETED');
    }, (error) => {
      if (this.stopped) return;
      const gone = expired || (error instanceof KubernetesApiError && error.code === 410) || (error as { statusCode?: number } | null)?.statusCode === 410;
      if (error) this.failures++;
      this.retryLater(() => (gone ? this.relist() : this.startWatch().catch(() => this.retryLater(() => this.relist()))));
    }, this.labelSelector);
  }

  private retryLater(action: () => Promise<void>): void {
    if (this.stopped) return;
    const delay = Math.min(50 * 2 ** this.failures, 10_000);
    this.failures++;
    setTimeout(() => { void action(); }, this.failures <= 1 ? 0 : delay).unref();
  }
}

function key(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}
