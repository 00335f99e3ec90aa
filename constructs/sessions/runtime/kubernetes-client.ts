import * as http from 'http';
import * as https from 'https';
import type { KubeConfig } from '@kubernetes/client-node';
import { loadClientNode } from './client-node';

/** A Kubernetes object as the API returns it. */
export interface KubernetesObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    finalizers?: string[];
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
}

/** Which resource a call is about. */
export interface ResourceRef {
  /** API group; '' for the core group. */
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly namespace?: string;
}

/** An error the API server answered with (a `Status` object). */
export class KubernetesApiError extends Error {
  constructor(public readonly code: number, public readonly reason: string, message: string) {
    super(message);
    this.name = 'KubernetesApiError';
  }
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/** Where the client connects: a kubeconfig (default: in-cluster or `~/.kube/config`) or a server and token. */
export interface KubernetesConnection {
  /** API server URL; with `token`, used instead of a kubeconfig. */
  readonly server?: string;
  /** Bearer token for `server`. */
  readonly token?: string;
  /** A kubeconfig file's text instead of the default lookup. */
  readonly kubeconfig?: string;
}

/**
 * The few REST verbs the session runtime needs, on `@kubernetes/client-node`'s `KubeConfig`
 * (authentication: in-cluster token, client certificates, exec plugins, CA) and `Watch`.
 *
 * The verbs are written against resource paths rather than client-node's generated API classes
 * because the runtime writes several kinds by server-side apply (`application/apply-patch+yaml`
 * with a field manager), to the main resource and to the status subresource, and calls KubeVirt
 * subresources (`start`/`stop`) that have no generated client.
 */
export class KubernetesClient {
  /** Connects through a kubeconfig or a server URL and token. */
  public static async connect(connection: KubernetesConnection = {}): Promise<KubernetesClient> {
    const { KubeConfig: Config, Watch } = await loadClientNode();
    const kc = new Config();
    if (connection.server !== undefined) {
      kc.loadFromOptions({
        // client-node refuses plain `http://` unless TLS verification is marked off; there is no TLS to verify then.
        clusters: [{ name: 'cluster', server: connection.server, skipTLSVerify: connection.server.startsWith('http:') }],
        users: [{ name: 'user', token: connection.token }],
        contexts: [{ name: 'context', cluster: 'cluster', user: 'user' }],
        currentContext: 'context',
      });
    } else if (connection.kubeconfig !== undefined) {
      kc.loadFromString(connection.kubeconfig);
    } else {
      kc.loadFromDefault();
    }
    return new KubernetesClient(kc, new Watch(kc));
  }

  private readonly server: URL;
  private readonly agent: http.Agent;

  private constructor(private readonly kc: KubeConfig, private readonly watcher: { watch: KubeConfigWatch }) {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig has no current cluster');
    this.server = new URL(cluster.server);
    // Keep connections open: the controller makes many small requests.
    this.agent = this.server.protocol === 'https:' ? new https.Agent({ keepAlive: true, maxSockets: 64 }) : new http.Agent({ keepAlive: true, maxSockets: 64 });
  }

  public static path(ref: ResourceRef, name?: string, subresource?: string): string {
    const base = ref.group === '' ? `/api/${ref.version}` : `/apis/${ref.group}/${ref.version}`;
    const ns = ref.namespace !== undefined ? `/namespaces/${ref.namespace}` : '';
    return `${base}${ns}/${ref.plural}${name !== undefined ? `/${name}` : ''}${subresource !== undefined ? `/${subresource}` : ''}`;
  }

  public async get<T extends KubernetesObject>(ref: ResourceRef, name: string): Promise<T> {
    return this.request<T>('GET', KubernetesClient.path(ref, name));
  }

  /** The object, or undefined when it does not exist. */
  public async tryGet<T extends KubernetesObject>(ref: ResourceRef, name: string): Promise<T | undefined> {
    try {
      return await this.get<T>(ref, name);
    } catch (error) {
      if (error instanceof KubernetesApiError && error.code === 404) return undefined;
      throw error;
    }
  }

  public async list<T extends KubernetesObject>(ref: ResourceRef, labelSelector?: Record<string, string>): Promise<{ items: T[]; resourceVersion: string }> {
    const query = labelSelector ? { labelSelector: formatSelector(labelSelector) } : undefined;
    const list = await this.request<{ items: T[]; metadata: { resourceVersion: string } }>('GET', KubernetesClient.path(ref), { query });
    return { items: list.items, resourceVersion: list.metadata.resourceVersion };
  }

  public async create<T extends KubernetesObject>(ref: ResourceRef, body: KubernetesObject, fieldManager: string): Promise<T> {
    return this.request<T>('POST', KubernetesClient.path(ref), { body, query: { fieldManager } });
  }

  /** Server-side apply of `body` (to `/status` when `status`), owned by `fieldManager`. */
  public async apply<T extends KubernetesObject>(ref: ResourceRef, body: KubernetesObject, fieldManager: string, options: { force?: boolean; status?: boolean } = {}): Promise<T> {
    return this.request<T>('PATCH', KubernetesClient.path(ref, body.metadata.name, options.status ? 'status' : undefined), {
      body,
      contentType: 'application/apply-patch+yaml',
      query: { fieldManager, force: options.force ? 'true' : undefined },
    });
  }

  /** JSON merge patch; a `metadata.resourceVersion` in the patch makes it conditional (409 when stale). */
  public async mergePatch<T extends KubernetesObject>(ref: ResourceRef, name: string, patch: Record<string, unknown>, fieldManager: string, status = false): Promise<T> {
    return this.request<T>('PATCH', KubernetesClient.path(ref, name, status ? 'status' : undefined), {
      body: patch, contentType: 'application/merge-patch+json', query: { fieldManager },
    });
  }

  public async replace<T extends KubernetesObject>(ref: ResourceRef, body: KubernetesObject, fieldManager: string): Promise<T> {
    return this.request<T>('PUT', KubernetesClient.path(ref, body.metadata.name), { body, query: { fieldManager } });
  }

  /** Deletes; true when it was there (404 counts as already gone). */
  public async delete(ref: ResourceRef, name: string): Promise<boolean> {
    try {
      await this.request('DELETE', KubernetesClient.path(ref, name), { query: { propagationPolicy: 'Background' } });
      return true;
    } catch (error) {
      if (error instanceof KubernetesApiError && error.code === 404) return false;
      throw error;
    }
  }

  /** `PUT` on a subresource with an empty options body (KubeVirt `start` / `stop`, answered 202 without a body). */
  public async putSubresource(ref: ResourceRef, name: string, subresource: string): Promise<void> {
    await this.request('PUT', KubernetesClient.path(ref, name, subresource), { body: {} });
  }

  /** `GET` of a subresource that is not an object (KubeVirt's guest-agent `userlist`). */
  public async getSubresource<T>(ref: ResourceRef, name: string, subresource: string): Promise<T> {
    return this.request<T>('GET', KubernetesClient.path(ref, name, subresource));
  }

  /**
   * Watches a collection from `resourceVersion`. `onDone` runs once when the watch ends
   * (server closed it, error, or `abort()`); the caller decides whether to list again.
   */
  public async watch<T extends KubernetesObject>(ref: ResourceRef, resourceVersion: string, onEvent: (type: WatchEventType, object: T) => void, onDone: (error: unknown) => void, labelSelector?: Record<string, string>): Promise<{ abort(): void }> {
    const query: Record<string, string> = { resourceVersion, allowWatchBookmarks: 'true' };
    if (labelSelector) query.labelSelector = formatSelector(labelSelector);
    const controller = await this.watcher.watch(KubernetesClient.path(ref), query, (type: string, object: unknown) => onEvent(type as WatchEventType, object as T), onDone);
    return { abort: () => controller.abort() };
  }

  /** Closes idle keep-alive connections. */
  public close(): void {
    this.agent.destroy();
  }

  private async request<T>(method: string, path: string, options: { body?: unknown; contentType?: string; query?: Record<string, string | undefined> } = {}): Promise<T> {
    const url = new URL(path, this.server);
    for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    const payload = options.body !== undefined ? Buffer.from(JSON.stringify(options.body)) : undefined;
    const requestOptions: https.RequestOptions = {
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port,
      path: `${url.pathname}${url.search}`,
      headers: {
        'accept': 'application/json',
        ...(payload ? { 'content-type': options.contentType ?? 'application/json', 'content-length': String(payload.length) } : {}),
      },
    };
    await this.kc.applyToHTTPSOptions(requestOptions);
    // client-node makes a new agent per call; without a proxy, pool connections instead (the TLS
    // options it set on the request still apply).
    if (!this.kc.getCurrentCluster()?.proxyUrl) requestOptions.agent = this.agent;
    const transport = url.protocol === 'https:' ? https : http;
    return new Promise<T>((resolve, reject) => {
      const req = transport.request(requestOptions, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = text.length > 0 ? JSON.parse(text) : {};
          } catch {
            parsed = { message: text };
          }
          const code = res.statusCode ?? 500;
          if (code >= 400) {
            const status = parsed as { reason?: string; message?: string };
            reject(new KubernetesApiError(code, status.reason ?? http.STATUS_CODES[code] ?? 'Error', status.message ?? text));
          } else {
            resolve(parsed as T);
          }
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      if (payload) req.write(payload);
      req.end();
    });
  }
}

type KubeConfigWatch = (path: string, query: Record<string, string>, callback: (phase: string, object: unknown) => void, done: (error: unknown) => void) => Promise<AbortController>;

function formatSelector(selector: Record<string, string>): string {
  return Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(',');
}
