import { randomUUID } from 'crypto';
import * as http from 'http';
import { AddressInfo } from 'net';
import Ajv, { ValidateFunction } from 'ajv';
import type { KubernetesObject } from '../../constructs/sessions/runtime/kubernetes-client';

/**
 * An in-process fake Kubernetes API server over real HTTP on 127.0.0.1, for testing the session
 * controller, broker and SDK without a cluster (no kube-apiserver or envtest binary can be
 * installed here).
 *
 * What it does as the real API server does:
 * - REST paths of core (`/api/v1`) and named groups (`/apis/<group>/<version>`), namespaced and
 *   cluster-scoped, for the resources registered with {@link FakeKubeApiServer.registerResource}
 *   or CRDs given to {@link FakeKubeApiServer.registerCrd};
 * - get, list (with `labelSelector` equality terms), watch (`?watch=true`) from a
 *   `resourceVersion` with ADDED / MODIFIED / DELETED events, 410 Gone for a version older than
 *   the kept history; one global, increasing resourceVersion;
 * - create (409 AlreadyExists), update, JSON merge patch and apply with an optimistic-concurrency
 *   check when the body carries `metadata.resourceVersion` (409 Conflict);
 * - server-side apply (`application/apply-patch+yaml`, JSON body) with a required
 *   `fieldManager`, field ownership per manager, 409 on a conflicting field unless `force=true`,
 *   and removal of fields a manager stops applying;
 * - Secrets: `stringData` is folded into base64 `data` on every write and never returned;
 * - the status subresource: writes to the main resource ignore `status`, writes to `/status`
 *   change only `status`; `metadata.generation` counts spec changes;
 * - delete with finalizers: `deletionTimestamp` is set and the object stays until its last
 *   finalizer is removed; 404 NotFound; 422 Invalid for a bad name or a custom resource that
 *   fails its CRD's OpenAPI schema; errors are `Status` objects.
 *
 * Where it differs from a real API server (keep in mind when a test passes here):
 * - CEL rules (`x-kubernetes-validations`) are NOT evaluated; OpenAPI schema only (ajv), and no
 *   defaulting from the schema. Built-in kinds are not validated at all.
 * - Field ownership treats every array as one atomic field (the real server merges lists with
 *   `x-kubernetes-list-type: map/set` per item); `managedFields` is not returned.
 * - No authentication, authorization, admission webhooks or ValidatingAdmissionPolicies
 *   (`test/support/cel.ts` evaluates a policy on a captured old/new object), garbage collection by
 *   ownerReferences, namespace lifecycle (objects may be created in any namespace), field
 *   selectors, pagination, bookmarks or protobuf.
 * - ResourceQuotas and LimitRanges are stored but not enforced; NetworkPolicies filter nothing.
 * - Strategic merge patch and JSON patch are refused (415).
 * - KubeVirt's aggregated API (`/apis/subresources.kubevirt.io/v1`, virt-api) serves only
 *   `virtualmachines/{name}/start|stop` (PUT) and `virtualmachineinstances/{name}/userlist` (GET).
 *   start/stop decide as virt-api 1.9.0 does (pkg/virt-api/rest/lifecycle.go) from the VM's
 *   `spec.runStrategy` and its VMI: Halted → start sets runStrategy Always; Always/Once → stop
 *   sets Halted and start is refused (409); Manual/RerunOnFailure → a `Start` or `Stop`
 *   entry in `status.stateChangeRequests` (a stop carries the VMI's uid; stop without a running
 *   VMI is 409; a second start while one is pending is 500 "stop/start already underway", as
 *   virt-api's JSON-patch test makes it); start while a non-final VMI exists is 409. Not modelled:
 *   start/stop options (paused start, dry run, grace period — so a stop of a Halted VM is always
 *   409), the ManualRecoveryRequired condition, `status.startFailure`. userlist answers 409 when
 *   the VMI is not Running or has no `AgentConnected` condition, as virt-api does; otherwise it
 *   returns the users a test set with {@link FakeKubeApiServer.setGuestUsers} (virt-api asks
 *   virt-handler, which asks the guest agent).
 * - Nothing runs: no virt-controller acts on runStrategy or state change requests, no VMI,
 *   pod or node appears by itself: tests create VMIs and Nodes and set `status` themselves.
 */

/** An object as the fake server stores it: the runtime client's object shape, with any other fields. */
export interface KubeObject extends KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: KubernetesObject['metadata'] & { [key: string]: unknown };
  [key: string]: unknown;
}

export interface ResourceType {
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly kind: string;
  readonly namespaced: boolean;
  readonly statusSubresource: boolean;
  readonly validate?: ValidateFunction;
}

interface WatchEvent { readonly rv: number; readonly type: 'ADDED' | 'MODIFIED' | 'DELETED'; readonly object: KubeObject; readonly key: string }
interface Watcher { readonly resource: string; readonly namespace?: string; readonly selector: Record<string, string>; readonly res: http.ServerResponse }

class ApiError extends Error {
  constructor(public readonly code: number, public readonly reason: string, message: string) { super(message); }
}

const HISTORY = 50_000;
const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);
const clone = <T>(v: T): T => (v === undefined ? v : JSON.parse(JSON.stringify(v)) as T);

/** Leaf paths of an object (arrays are leaves), as JSON-pointer-like strings. */
function leaves(value: unknown, prefix: string, out: Map<string, unknown>): void {
  if (isObject(value) && Object.keys(value).length > 0) {
    for (const [k, v] of Object.entries(value)) leaves(v, `${prefix}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`, out);
  } else {
    out.set(prefix, value);
  }
}
function splitPath(path: string): string[] {
  return path.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}
function setPath(target: Json, path: string, value: unknown): void {
  const parts = splitPath(path);
  let cur = target;
  for (const p of parts.slice(0, -1)) {
    if (!isObject(cur[p])) cur[p] = {};
    cur = cur[p] as Json;
  }
  cur[parts[parts.length - 1]] = clone(value);
}
function getPath(target: Json, path: string): unknown {
  let cur: unknown = target;
  for (const p of splitPath(path)) cur = isObject(cur) ? cur[p] : undefined;
  return cur;
}
function deletePath(target: Json, path: string): void {
  const parts = splitPath(path);
  const stack: Json[] = [target];
  let cur = target;
  for (const p of parts.slice(0, -1)) {
    if (!isObject(cur[p])) return;
    cur = cur[p] as Json;
    stack.push(cur);
  }
  delete cur[parts[parts.length - 1]];
  // Drop emptied parents (as the real server prunes empty maps a manager no longer sets).
  for (let i = stack.length - 1; i > 0; i--) {
    if (Object.keys(stack[i]).length === 0) delete stack[i - 1][parts[i - 1]];
    else break;
  }
}
function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return clone(patch);
  const result: Json = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete result[k];
    else result[k] = mergePatch(result[k], v);
  }
  return result;
}
/** Paths SSA never owns: identity and server-set metadata. */
const UNOWNED = /^\/(apiVersion|kind|metadata\/(name|namespace|uid|resourceVersion|generation|creationTimestamp|deletionTimestamp|managedFields))$/;

export class FakeKubeApiServer {
  /** Every request the server answered, as `VERB path` (for assertions and benchmarks). */
  public readonly requests: string[] = [];
  private readonly server: http.Server;
  private readonly types = new Map<string, ResourceType>();
  private readonly objects = new Map<string, KubeObject>();
  private readonly owners = new Map<string, Map<string, Set<string>>>();
  private readonly events: WatchEvent[] = [];
  private readonly watchers = new Set<Watcher>();
  private readonly faults: Array<{ method: string; path: RegExp; code: number; remaining: number }> = [];
  private readonly guestUsers = new Map<string, Json[]>();
  private rv = 1;
  private url = '';

  constructor() {
    this.server = http.createServer((req, res) => { void this.handle(req, res); });
    this.registerResource({ group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false, statusSubresource: true });
    this.registerResource({ group: '', version: 'v1', plural: 'services', kind: 'Service', namespaced: true, statusSubresource: true });
    this.registerResource({ group: '', version: 'v1', plural: 'persistentvolumeclaims', kind: 'PersistentVolumeClaim', namespaced: true, statusSubresource: true });
    this.registerResource({ group: '', version: 'v1', plural: 'events', kind: 'Event', namespaced: true, statusSubresource: false });
    this.registerResource({ group: 'coordination.k8s.io', version: 'v1', plural: 'leases', kind: 'Lease', namespaced: true, statusSubresource: false });
    this.registerResource({ group: 'kubevirt.io', version: 'v1', plural: 'virtualmachines', kind: 'VirtualMachine', namespaced: true, statusSubresource: true });
    this.registerResource({ group: 'kubevirt.io', version: 'v1', plural: 'virtualmachineinstances', kind: 'VirtualMachineInstance', namespaced: true, statusSubresource: true });
    this.registerResource({ group: '', version: 'v1', plural: 'nodes', kind: 'Node', namespaced: false, statusSubresource: true });
    // Node desktops: the session pod, its Service (above) and the local account's password Secret.
    this.registerResource({ group: '', version: 'v1', plural: 'pods', kind: 'Pod', namespaced: true, statusSubresource: true });
    this.registerResource({ group: '', version: 'v1', plural: 'secrets', kind: 'Secret', namespaced: true, statusSubresource: false });
    this.registerResource({ group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true, statusSubresource: false });
    // A user's namespace objects (renderDesktopUserObjects). Stored only: no quota is enforced and no policy filters traffic.
    this.registerResource({ group: '', version: 'v1', plural: 'resourcequotas', kind: 'ResourceQuota', namespaced: true, statusSubresource: true });
    this.registerResource({ group: '', version: 'v1', plural: 'limitranges', kind: 'LimitRange', namespaced: true, statusSubresource: false });
    this.registerResource({ group: '', version: 'v1', plural: 'serviceaccounts', kind: 'ServiceAccount', namespaced: true, statusSubresource: false });
    this.registerResource({ group: 'networking.k8s.io', version: 'v1', plural: 'networkpolicies', kind: 'NetworkPolicy', namespaced: true, statusSubresource: false });
    this.registerResource({ group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'rolebindings', kind: 'RoleBinding', namespaced: true, statusSubresource: false });
  }

  /** Starts listening on a free port of 127.0.0.1; returns the base URL. */
  public async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  public async stop(): Promise<void> {
    for (const w of this.watchers) w.res.end();
    this.watchers.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Ends every open watch (as an API server restart or a load balancer timeout does). */
  public dropWatches(): void {
    for (const w of this.watchers) w.res.end();
    this.watchers.clear();
  }

  public registerResource(type: ResourceType): void {
    this.types.set(this.typeKey(type.group, type.version, type.plural), type);
  }

  /** Serves a CustomResourceDefinition's versions, validating objects against their OpenAPI schemas. */
  public registerCrd(crd: Json): void {
    const spec = crd.spec as { group: string; scope: string; names: { plural: string; kind: string }; versions: Array<{ name: string; schema: { openAPIV3Schema: Json }; subresources?: { status?: Json } }> };
    for (const v of spec.versions) {
      this.registerResource({
        group: spec.group, version: v.name, plural: spec.names.plural, kind: spec.names.kind,
        namespaced: spec.scope === 'Namespaced', statusSubresource: v.subresources?.status !== undefined,
        validate: ajv.compile(v.schema.openAPIV3Schema),
      });
    }
  }

  /** Makes the next `times` requests matching `method` and `path` fail with `code` (409, 500, ...). */
  public failNext(method: string, path: RegExp, code: number, times = 1): void {
    this.faults.push({ method, path, code, remaining: times });
  }

  /** All stored objects of a resource (`group/version/plural`, core: `/v1/plural`). */
  public list(group: string, version: string, plural: string, namespace?: string): KubeObject[] {
    const prefix = `${this.typeKey(group, version, plural)}|${namespace ?? ''}`;
    return [...this.objects.entries()].filter(([k]) => namespace === undefined ? k.startsWith(`${this.typeKey(group, version, plural)}|`) : k.startsWith(`${prefix}|`)).map(([, o]) => clone(o));
  }

  public get(group: string, version: string, plural: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const o = this.objects.get(this.objectKey(this.typeKey(group, version, plural), namespace, name));
    return o ? clone(o) : undefined;
  }

  /** Sets an object's status as the owning system would (KubeVirt reporting a VM ready, ...). */
  public setStatus(group: string, version: string, plural: string, namespace: string | undefined, name: string, status: Json): void {
    const key = this.objectKey(this.typeKey(group, version, plural), namespace, name);
    const current = this.objects.get(key);
    if (!current) throw new Error(`no ${plural} ${namespace}/${name}`);
    this.store(key, { ...clone(current), status: clone(status) }, 'MODIFIED');
  }

  /** Watches open now on a resource (`group/version/plural`, core: `/v1/plural`). */
  public openWatches(group: string, version: string, plural: string): number {
    const resource = this.typeKey(group, version, plural);
    return [...this.watchers].filter((w) => w.resource === resource).length;
  }

  /** Creates an object as its owning system would (a VMI by virt-controller, a Node by Karpenter); its `status` is kept. */
  public createObject(group: string, version: string, plural: string, obj: KubeObject): KubeObject {
    const tk = this.typeKey(group, version, plural);
    const type = this.types.get(tk);
    if (!type) throw new Error(`no resource ${tk}`);
    const namespace = type.namespaced ? obj.metadata.namespace : undefined;
    const created = this.create(type, tk, namespace, obj, 'test');
    return obj.status === undefined ? created : this.store(this.objectKey(tk, namespace, obj.metadata.name), { ...created, status: clone(obj.status) }, 'MODIFIED');
  }

  /** Removes an object at once, finalizers or not (a VMI virt-controller deleted, a Node that was terminated). */
  public deleteObject(group: string, version: string, plural: string, namespace: string | undefined, name: string): void {
    const key = this.objectKey(this.typeKey(group, version, plural), namespace, name);
    const current = this.objects.get(key);
    if (current) this.remove(key, current);
  }

  /** The users the guest agent of VMI `namespace/name` reports (`userlist` items: `userName`, `domain`, `loginTime`). */
  public setGuestUsers(namespace: string, name: string, users: Array<{ userName: string; domain?: string; loginTime?: number }>): void {
    this.guestUsers.set(`${namespace}/${name}`, clone(users));
  }

  /** Number of stored objects. */
  public get size(): number {
    return this.objects.size;
  }

  private typeKey(group: string, version: string, plural: string): string {
    return `${group}/${version}/${plural}`;
  }

  private objectKey(typeKey: string, namespace: string | undefined, name: string): string {
    return `${typeKey}|${namespace ?? ''}|${name}`;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    this.requests.push(`${req.method} ${url.pathname}`);
    try {
      const fault = this.faults.find((f) => f.remaining > 0 && f.method === req.method && f.path.test(url.pathname));
      if (fault) {
        fault.remaining--;
        throw new ApiError(fault.code, fault.code === 409 ? 'Conflict' : 'InternalError', `injected fault ${fault.code} for ${req.method} ${url.pathname}`);
      }
      const body = await readBody(req);
      const result = this.route(req.method ?? 'GET', url, req.headers['content-type'] ?? '', body, res);
      if (result === undefined) return; // a watch keeps the response open
      send(res, result.code, result.body);
    } catch (error) {
      const e = error instanceof ApiError ? error : new ApiError(500, 'InternalError', String(error));
      send(res, e.code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: e.message, reason: e.reason, code: e.code });
    }
  }

  private route(method: string, url: URL, contentType: string, body: string, res: http.ServerResponse): { code: number; body: unknown } | undefined {
    const parts = url.pathname.split('/').filter((p) => p.length > 0);
    let group: string;
    let version: string;
    let rest: string[];
    if (parts[0] === 'api') { group = ''; version = parts[1]; rest = parts.slice(2); } else if (parts[0] === 'apis') { group = parts[1]; version = parts[2]; rest = parts.slice(3); } else throw new ApiError(404, 'NotFound', `no route ${url.pathname}`);
    let namespace: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3) { namespace = rest[1]; rest = rest.slice(2); }
    const [plural, name, subresource] = rest;
    if (group === 'subresources.kubevirt.io') return this.kubevirtSubresource(method, version, namespace, plural, name, subresource);
    const type = this.types.get(this.typeKey(group, version, plural ?? ''));
    if (!type) throw new ApiError(404, 'NotFound', `the server could not find the requested resource (${url.pathname})`);
    if (type.namespaced && name !== undefined && namespace === undefined) throw new ApiError(404, 'NotFound', `${type.kind} is namespaced; give a namespace`);
    if (!type.namespaced) namespace = undefined;
    const tk = this.typeKey(group, version, plural);
    const fieldManager = url.searchParams.get('fieldManager') ?? undefined;

    if (name === undefined) {
      if (method === 'GET') {
        const selector = parseSelector(url.searchParams.get('labelSelector'));
        if (url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1') {
          this.watch(tk, namespace, selector, url.searchParams.get('resourceVersion'), res);
          return undefined;
        }
        const items = [...this.objects.entries()]
          .filter(([k, o]) => k.startsWith(`${tk}|`) && (namespace === undefined || o.metadata.namespace === namespace) && matches(o, selector))
          .map(([, o]) => o);
        return { code: 200, body: { apiVersion: type.group ? `${type.group}/${type.version}` : type.version, kind: `${type.kind}List`, metadata: { resourceVersion: String(this.rv) }, items } };
      }
      if (method === 'POST') {
        const obj = JSON.parse(body) as KubeObject;
        return { code: 201, body: this.create(type, tk, namespace, obj, fieldManager ?? 'unknown') };
      }
      throw new ApiError(405, 'MethodNotAllowed', `${method} on a collection`);
    }

    const key = this.objectKey(tk, namespace, name);
    if (subresource !== undefined && subresource !== 'status') throw new ApiError(404, 'NotFound', `no subresource ${subresource}`);
    if (subresource === 'status' && !type.statusSubresource) throw new ApiError(404, 'NotFound', `${type.kind} has no status subresource`);
    const current = this.objects.get(key);

    if (method === 'GET') {
      if (!current) throw notFound(type, name);
      return { code: 200, body: current };
    }
    if (method === 'DELETE') {
      if (!current) throw notFound(type, name);
      if ((current.metadata.finalizers ?? []).length > 0) {
        if (current.metadata.deletionTimestamp !== undefined) return { code: 200, body: current };
        const marked = clone(current);
        marked.metadata.deletionTimestamp = new Date().toISOString();
        return { code: 200, body: this.store(key, marked, 'MODIFIED') };
      }
      this.remove(key, current);
      return { code: 200, body: { kind: 'Status', apiVersion: 'v1', status: 'Success', details: { name, kind: type.plural } } };
    }
    if (method === 'PUT') {
      if (!current) throw notFound(type, name);
      const obj = JSON.parse(body) as KubeObject;
      this.checkVersion(current, obj);
      return { code: 200, body: this.update(type, key, current, obj, subresource === 'status', fieldManager ?? 'unknown') };
    }
    if (method === 'PATCH') {
      const patch = JSON.parse(body) as Json;
      if (contentType.startsWith('application/apply-patch')) {
        if (!fieldManager) throw new ApiError(422, 'Invalid', 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
        return this.apply(type, tk, key, namespace, name, current, patch as KubeObject, fieldManager, url.searchParams.get('force') === 'true', subresource === 'status');
      }
      if (!contentType.startsWith('application/merge-patch+json')) throw new ApiError(415, 'UnsupportedMediaType', `the fake API server takes merge and apply patches, not ${contentType}`);
      if (!current) throw notFound(type, name);
      this.checkVersion(current, patch as KubeObject);
      const merged = mergePatch(current, patch) as KubeObject;
      return { code: 200, body: this.update(type, key, current, merged, subresource === 'status', fieldManager ?? 'unknown') };
    }
    throw new ApiError(405, 'MethodNotAllowed', method);
  }

  /** virt-api's `start`, `stop` and `userlist` (see the header for what is modelled). */
  private kubevirtSubresource(method: string, version: string, namespace: string | undefined, plural: string | undefined, name: string | undefined, subresource: string | undefined): { code: number; body: unknown } {
    if (version !== 'v1' || namespace === undefined || name === undefined) throw new ApiError(404, 'NotFound', 'the fake virt-api serves only namespaced v1 subresources');
    const vmKey = this.objectKey(this.typeKey('kubevirt.io', 'v1', 'virtualmachines'), namespace, name);
    const vmiKey = this.objectKey(this.typeKey('kubevirt.io', 'v1', 'virtualmachineinstances'), namespace, name);
    const vmi = this.objects.get(vmiKey) as (KubeObject & { status?: { phase?: string; conditions?: Array<{ type: string }> } }) | undefined;
    const vmiPhase = vmi?.status?.phase ?? '';
    const vmiFinal = vmiPhase === 'Failed' || vmiPhase === 'Succeeded';
    if (plural === 'virtualmachineinstances' && subresource === 'userlist' && method === 'GET') {
      if (!vmi) throw new ApiError(404, 'NotFound', `virtualmachineinstance.kubevirt.io "${name}" not found`);
      if (vmiPhase !== 'Running') throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on virtualmachineinstance.kubevirt.io "${name}": VMI is not running`);
      if (!(vmi.status?.conditions ?? []).some((c) => c.type === 'AgentConnected')) throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on virtualmachineinstance.kubevirt.io "${name}": VMI does not have guest agent connected`);
      return { code: 200, body: { items: clone(this.guestUsers.get(`${namespace}/${name}`) ?? []) } };
    }
    if (plural !== 'virtualmachines' || method !== 'PUT' || (subresource !== 'start' && subresource !== 'stop')) throw new ApiError(404, 'NotFound', `the fake virt-api does not serve ${method} ${plural}/${subresource}`);
    const vm = this.objects.get(vmKey) as (KubeObject & { spec?: Json; status?: Json & { stateChangeRequests?: Json[] } }) | undefined;
    if (!vm) throw new ApiError(404, 'NotFound', `virtualmachine.kubevirt.io "${name}" not found`);
    const conflict = (why: string) => new ApiError(409, 'Conflict', `Operation cannot be fulfilled on virtualmachine.kubevirt.io "${name}": ${why}`);
    const strategy = String(vm.spec?.runStrategy ?? (vm.spec?.running === true ? 'Always' : 'Halted'));
    const requests = vm.status?.stateChangeRequests ?? [];
    const withRequests = (changes: Json[]): KubeObject => {
      if (requests.length > 0 && !(changes.length === 1 && changes[0].action === 'Stop')) throw new ApiError(500, 'InternalError', 'Internal error occurred: unable to complete request: stop/start already underway');
      return { ...clone(vm), status: { ...clone(vm.status ?? {}), stateChangeRequests: changes } };
    };
    if (subresource === 'start') {
      if (vmi && !vmiFinal && vmiPhase !== 'Unknown' && vmiPhase !== '') throw conflict('VM is already running');
      if (strategy === 'Always' || strategy === 'Once') throw conflict(`${strategy} does not support manual start requests`);
      if (strategy === 'Halted') {
        this.store(vmKey, { ...clone(vm), spec: { ...clone(vm.spec), runStrategy: 'Always' } }, 'MODIFIED');
      } else {
        if (strategy === 'RerunOnFailure' && vmiPhase === 'Failed') throw conflict('RerunOnFailure does not support starting VM from failed state');
        const restart = (strategy === 'RerunOnFailure' && vmiPhase === 'Succeeded') || (strategy === 'Manual' && vmi !== undefined && vmiFinal);
        this.store(vmKey, withRequests(restart ? [{ action: 'Stop', uid: vmi!.metadata.uid }, { action: 'Start' }] : [{ action: 'Start' }]), 'MODIFIED');
      }
      return { code: 202, body: {} };
    }
    if (strategy === 'Always' || strategy === 'Once') {
      this.store(vmKey, { ...clone(vm), spec: { ...clone(vm.spec), runStrategy: 'Halted' } }, 'MODIFIED');
      return { code: 202, body: {} };
    }
    if (strategy === 'Halted') throw conflict(!vmi || vmiFinal ? 'VM is not running' : 'Halted only supports manual stop requests with a shorter graceperiod');
    if (!vmi || vmiFinal) throw conflict('VM is not running');
    this.store(vmKey, withRequests([{ action: 'Stop', uid: vmi.metadata.uid }]), 'MODIFIED');
    return { code: 202, body: {} };
  }

  private checkVersion(current: KubeObject, incoming: KubeObject): void {
    const wanted = incoming.metadata?.resourceVersion;
    if (wanted !== undefined && wanted !== current.metadata.resourceVersion) {
      throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${current.kind} "${current.metadata.name}": the object has been modified; please apply your changes to the latest version and try again`);
    }
  }

  private create(type: ResourceType, tk: string, namespace: string | undefined, obj: KubeObject, manager: string): KubeObject {
    const name = obj.metadata?.name;
    if (!name || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name) || name.length > 253) {
      throw new ApiError(422, 'Invalid', `${type.kind} "${name ?? ''}" is invalid: metadata.name: Invalid value: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'`);
    }
    const key = this.objectKey(tk, namespace, name);
    if (this.objects.has(key)) throw new ApiError(409, 'AlreadyExists', `${type.plural} "${name}" already exists`);
    const stored = clone(obj);
    stored.metadata = { ...stored.metadata, namespace, uid: randomUUID(), creationTimestamp: new Date().toISOString(), generation: 1 };
    if (type.statusSubresource) delete stored.status;
    this.validate(type, stored);
    this.claim(key, manager, stored, undefined);
    return this.store(key, stored, 'ADDED');
  }

  private update(type: ResourceType, key: string, current: KubeObject, incoming: KubeObject, status: boolean, manager: string): KubeObject {
    let next: KubeObject;
    if (status) {
      next = { ...clone(current), status: clone(incoming.status) };
    } else {
      next = clone(incoming);
      next.metadata = { ...next.metadata, name: current.metadata.name, namespace: current.metadata.namespace, uid: current.metadata.uid, creationTimestamp: current.metadata.creationTimestamp, generation: current.metadata.generation, deletionTimestamp: current.metadata.deletionTimestamp };
      if (type.statusSubresource) next.status = clone(current.status);
      if (JSON.stringify(next.spec) !== JSON.stringify(current.spec)) next.metadata.generation = (current.metadata.generation ?? 1) + 1;
    }
    this.validate(type, next);
    this.claim(key, manager, next, current);
    if (next.metadata.deletionTimestamp !== undefined && (next.metadata.finalizers ?? []).length === 0) {
      this.remove(key, next);
      return next;
    }
    return this.store(key, next, 'MODIFIED');
  }

  private apply(type: ResourceType, tk: string, key: string, namespace: string | undefined, name: string, current: KubeObject | undefined, applied: KubeObject, manager: string, force: boolean, status: boolean): { code: number; body: unknown } {
    if (applied.metadata?.name !== name) throw new ApiError(400, 'BadRequest', `the name of the applied object (${applied.metadata?.name}) does not match the name in the URL (${name})`);
    const wanted = new Map<string, unknown>();
    leaves(status ? { status: applied.status } : { ...applied, status: undefined }, '', wanted);
    for (const p of [...wanted.keys()]) if (UNOWNED.test(p) || wanted.get(p) === undefined) wanted.delete(p);
    if (!current) {
      if (status) throw notFound(type, name);
      const created = this.create(type, tk, namespace, applied, manager);
      this.owners.get(key)?.set(manager, new Set(wanted.keys()));
      return { code: 201, body: created };
    }
    this.checkVersion(current, applied);
    const owners = this.owners.get(key) ?? new Map<string, Set<string>>();
    const conflicts: string[] = [];
    for (const [path, value] of wanted) {
      for (const [other, paths] of owners) {
        if (other !== manager && paths.has(path) && JSON.stringify(getPath(current as unknown as Json, path)) !== JSON.stringify(value)) {
          if (force) paths.delete(path); else conflicts.push(`conflict with "${other}": ${path.slice(1).replace(/\//g, '.')}`);
        }
      }
    }
    if (conflicts.length > 0) throw new ApiError(409, 'Conflict', `Apply failed with ${conflicts.length} conflict(s): ${conflicts.join('; ')}`);
    const next = clone(current) as unknown as Json;
    const previous = owners.get(manager) ?? new Set<string>();
    for (const path of previous) {
      const ownedByOthers = [...owners].some(([other, paths]) => other !== manager && paths.has(path));
      if (!wanted.has(path) && !ownedByOthers && (status ? path.startsWith('/status') : !path.startsWith('/status'))) deletePath(next, path);
    }
    for (const [path, value] of wanted) setPath(next, path, value);
    const nextObj = next as unknown as KubeObject;
    if (!status && JSON.stringify(nextObj.spec) !== JSON.stringify(current.spec)) nextObj.metadata.generation = (current.metadata.generation ?? 1) + 1;
    this.validate(type, nextObj);
    const kept = new Set([...previous].filter((p) => status ? !p.startsWith('/status') : p.startsWith('/status')));
    owners.set(manager, new Set([...kept, ...wanted.keys()]));
    this.owners.set(key, owners);
    if (nextObj.metadata.deletionTimestamp !== undefined && (nextObj.metadata.finalizers ?? []).length === 0) {
      this.remove(key, nextObj);
      return { code: 200, body: nextObj };
    }
    const unchanged = JSON.stringify(nextObj) === JSON.stringify(current);
    return { code: 200, body: unchanged ? current : this.store(key, nextObj, 'MODIFIED') };
  }

  /** Gives `manager` the fields a non-apply write changed (as the real server records an Update). */
  private claim(key: string, manager: string, next: KubeObject, current: KubeObject | undefined): void {
    const before = new Map<string, unknown>();
    if (current) leaves(current, '', before);
    const after = new Map<string, unknown>();
    leaves(next, '', after);
    const owners = this.owners.get(key) ?? new Map<string, Set<string>>();
    const mine = owners.get(manager) ?? new Set<string>();
    for (const [path, value] of after) {
      if (UNOWNED.test(path) || JSON.stringify(before.get(path)) === JSON.stringify(value)) continue;
      for (const [other, paths] of owners) if (other !== manager) paths.delete(path);
      mine.add(path);
    }
    owners.set(manager, mine);
    this.owners.set(key, owners);
  }

  private validate(type: ResourceType, obj: KubeObject): void {
    if (!type.validate) return;
    const name = obj.metadata.name;
    if (!type.validate(obj as unknown)) {
      const details = (type.validate.errors ?? []).map((e) => `${e.instancePath.slice(1).replace(/\//g, '.') || '<root>'}: ${e.message}`).join(', ');
      throw new ApiError(422, 'Invalid', `${type.kind}.${type.group} "${name}" is invalid: ${details}`);
    }
  }

  private store(key: string, obj: KubeObject, type: 'ADDED' | 'MODIFIED'): KubeObject {
    if (obj.apiVersion === 'v1' && obj.kind === 'Secret' && isObject(obj.stringData)) {
      const encoded = Object.fromEntries(Object.entries(obj.stringData).map(([k, v]) => [k, Buffer.from(String(v), 'utf8').toString('base64')]));
      obj.data = { ...(isObject(obj.data) ? obj.data : {}), ...encoded };
      delete obj.stringData;
    }
    this.rv++;
    obj.metadata.resourceVersion = String(this.rv);
    this.objects.set(key, obj);
    this.emit({ rv: this.rv, type, object: clone(obj), key });
    return obj;
  }

  private remove(key: string, obj: KubeObject): void {
    this.rv++;
    this.objects.delete(key);
    this.owners.delete(key);
    const gone = clone(obj);
    gone.metadata.resourceVersion = String(this.rv);
    this.emit({ rv: this.rv, type: 'DELETED', object: gone, key });
  }

  private emit(event: WatchEvent): void {
    this.events.push(event);
    if (this.events.length > HISTORY) this.events.splice(0, this.events.length - HISTORY);
    for (const w of this.watchers) {
      if (this.watches(w, event)) w.res.write(`${JSON.stringify({ type: event.type, object: event.object })}\n`);
    }
  }

  private watches(w: Watcher, event: WatchEvent): boolean {
    return event.key.startsWith(`${w.resource}|`) && (w.namespace === undefined || event.object.metadata.namespace === w.namespace) && matches(event.object, w.selector);
  }

  private watch(resource: string, namespace: string | undefined, selector: Record<string, string>, fromVersion: string | null, res: http.ServerResponse): void {
    const from = fromVersion && fromVersion !== '0' ? Number(fromVersion) : this.rv;
    const oldest = this.events.length > 0 ? this.events[0].rv - 1 : this.rv;
    if (from < oldest) {
      send(res, 410, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Expired', code: 410, message: `too old resource version: ${from} (${oldest})` });
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    const watcher: Watcher = { resource, namespace, selector, res };
    for (const event of this.events) {
      if (event.rv > from && this.watches(watcher, event)) res.write(`${JSON.stringify({ type: event.type, object: event.object })}\n`);
    }
    this.watchers.add(watcher);
    res.on('close', () => this.watchers.delete(watcher));
  }
}

function notFound(type: ResourceType, name: string): ApiError {
  return new ApiError(404, 'NotFound', `${type.plural}${type.group ? `.${type.group}` : ''} "${name}" not found`);
}

function parseSelector(value: string | null): Record<string, string> {
  if (!value) return {};
  return Object.fromEntries(value.split(',').map((term) => {
    const [k, v] = term.split('=');
    if (v === undefined || k.endsWith('!')) throw new ApiError(400, 'BadRequest', `the fake API server takes only equality selectors (k=v), not "${term}"`);
    return [k, v];
  }));
}

function matches(obj: KubeObject, selector: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => obj.metadata.labels?.[k] === v);
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: http.ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
