import { randomBytes } from 'crypto';
import { App, Chart } from 'cdk8s';
import { RDP_PORT } from '../../common/well-known';
import { isWindowsAccountName, WINDOWS_ACCOUNT_RULE } from '../../common/windows-account';
import { SESSION_TEMPLATE_KEY, sessionTemplateConfigMapName } from '../../node-desktops/node-desktops-chart';
import { NodeDesktopIsolationMode } from '../../node-desktops/node-desktop-isolation';
import { renderUserNodePool } from '../../node-desktops/node-desktop-node-pool';
import { NodeDesktopSession, SESSION_CONTAINER, sessionName, sessionPasswordSecretName, USER_PRESENCE_CONTAINER } from '../../node-desktops/node-desktop-session';
import { NodeDesktopSessionTemplate } from '../../node-desktops/node-desktop-session-template';
import { SessionAccountKind } from '../../node-desktops/session-script';
import { CONTROLLER_FIELD_MANAGER, DESKTOP_CLASS_KIND, DESKTOP_SESSION_KIND, DesktopClass, DesktopKind, DesktopSession, IsolationMode, SESSIONS_API } from '../api';
import { refFor } from '../resources';
import { KubernetesApiError, KubernetesClient, KubernetesObject } from '../runtime/kubernetes-client';
import { DesktopObservation, DesktopRefusal, DesktopRenderContext, DesktopRenderer, RenderedDesktop } from './desktop-renderer';

/** Props of `NodeDesktopRenderer`. */
export interface NodeDesktopRendererProps {
  /** The pool's session template: `NodeDesktops.sessionTemplate`, as its `<pool>-session-template` ConfigMap holds it. */
  readonly template: NodeDesktopSessionTemplate;
}

/** A kind of object, as a renderer writes it. */
export interface ObjectKind {
  readonly apiVersion: string;
  readonly kind: string;
}

/** The kinds a node-desktop session writes in the pool's namespace (see `NodeDesktopRenderer.kindsFor`). */
export interface NodeDesktopSessionKinds {
  /** Applied by server-side apply (created or patched), read, and deleted when the session ends. */
  readonly applied: ObjectKind[];
  /** Created once by `prepare`, read, and deleted when the session ends; never patched. */
  readonly prepared: ObjectKind[];
  /**
   * Cluster-scoped, outside the pool's namespace: what `userObjects` applies for a user of a
   * `DedicatedPool` class (their NodePool), applied, read, and deleted with their last session.
   */
  readonly user: ObjectKind[];
}

/** Fields of the template a user's own NodePool is derived from (`userNodePoolProps`), checked when read from the cluster. */
const USER_POOL_FIELDS = ['poolName', 'nodeClassName', 'windowsBuild', 'capacityTypes', 'instanceTypes', 'expireAfter', 'consolidateAfter'] as const;

type ContainerStatus = { name: string; ready?: boolean; state?: { running?: Record<string, unknown>; waiting?: Record<string, unknown>; terminated?: Record<string, unknown> } };
type PodStatus = { phase?: string; reason?: string; message?: string; containerStatuses?: ContainerStatus[] };
type Pod = KubernetesObject & { spec?: { nodeName?: string }; status?: PodStatus };

/**
 * Node desktops: the `NodeDesktopSession` cdk8s construct (the one `NodeDesktops` renders at
 * synth time) in a bare cdk8s chart: the user's HostProcess session pod and its RDP Service, in
 * the pool's namespace (not the user's: the pod runs on the user's own node). Ready when the
 * pod's session container is ready, which its probe makes true once the session script has
 * prepared the node (not when the pod is: its user-presence container is ready only while the
 * user is logged on, and that container's readiness is `userLoggedOn`). The session's
 * `idleDisconnectTimeoutSeconds` becomes the desktop's own idle limit (Windows disconnects).
 *
 * With local accounts the session needs a Secret with the account's password: `prepare` creates
 * it once with a random password (never rendered, so a re-apply cannot change it); it is deleted
 * with the session.
 */
export class NodeDesktopRenderer implements DesktopRenderer {
  /** Reads the template the `NodeDesktops` chart installed (`<pool>-session-template` in the pool's namespace). */
  public static async fromConfigMap(client: KubernetesClient, namespace: string, poolName: string): Promise<NodeDesktopRenderer> {
    const name = sessionTemplateConfigMapName(poolName);
    const map = await client.get<KubernetesObject & { data?: Record<string, string> }>(refFor('v1', 'ConfigMap', namespace), name);
    const json = map.data?.[SESSION_TEMPLATE_KEY];
    if (json === undefined) throw new Error(`ConfigMap ${namespace}/${name} has no key ${SESSION_TEMPLATE_KEY}; is it the session template of node-desktop pool "${poolName}"?`);
    const template = JSON.parse(json) as NodeDesktopSessionTemplate;
    // What a user's own NodePool needs: a template written by another version fails here, not at a user's admission.
    const missing = USER_POOL_FIELDS.filter((field) => (field.endsWith('Types') ? !Array.isArray(template[field]) || template[field].length === 0 : typeof template[field] !== 'string' || template[field] === ''));
    if (missing.length > 0) throw new Error(`ConfigMap ${namespace}/${name} (${SESSION_TEMPLATE_KEY}) lacks ${missing.join(', ')}: re-deploy node-desktop pool "${poolName}" with this version of NodeDesktops.`);
    return new NodeDesktopRenderer({ template });
  }

  /**
   * The kinds every session of the pool writes, from an actual rendering of a session with every
   * per-session option on: what the session controller's RBAC in the pool's namespace must allow
   * (the install chart derives its Role from this, so a kind the renderer starts writing is
   * granted, or visibly added to the Role, never silently missing).
   */
  public static kindsFor(template: NodeDesktopSessionTemplate): NodeDesktopSessionKinds {
    const session: DesktopSession = {
      apiVersion: SESSIONS_API,
      kind: DESKTOP_SESSION_KIND,
      metadata: { name: 'rbac-probe', namespace: 'rbac-probe' },
      // A directory pool's session needs the user's sAMAccountName; any valid one renders the same kinds.
      spec: { userId: 'rbac-probe', desktopClass: 'rbac-probe', size: 'medium', maxUserDurationSeconds: 3600, disconnectTimeoutSeconds: 600, idleDisconnectTimeoutSeconds: 600, windowsAccount: 'rbacprobe' },
    };
    const rendered = new NodeDesktopRenderer({ template }).render({
      session,
      desktopClass: {
        apiVersion: SESSIONS_API,
        kind: DESKTOP_CLASS_KIND,
        metadata: { name: 'rbac-probe' },
        spec: { kind: DesktopKind.NODE, isolation: IsolationMode.SHARED_POOL, allowedSizes: ['medium'], sessionsPerUser: 1 },
      },
      namespace: template.namespace,
      desktopName: sessionName(session.spec.userId),
      labels: {},
    });
    const kinds = (objects: KubernetesObject[]): ObjectKind[] => {
      const seen = new Map(objects.map((o) => [`${o.apiVersion}/${o.kind}`, { apiVersion: o.apiVersion!, kind: o.kind! }]));
      return [...seen.values()];
    };
    const dedicatedClass: DesktopClass = { apiVersion: SESSIONS_API, kind: DESKTOP_CLASS_KIND, metadata: { name: 'rbac-probe' }, spec: { kind: DesktopKind.NODE, isolation: IsolationMode.DEDICATED_POOL, allowedSizes: ['medium'], sessionsPerUser: 1 } };
    const user = new NodeDesktopRenderer({ template }).userObjects(dedicatedClass, session.spec.userId);
    return { applied: kinds(rendered.objects), prepared: kinds(rendered.preparedObjects ?? []), user: kinds(user) };
  }

  private readonly template: NodeDesktopSessionTemplate;

  constructor(props: NodeDesktopRendererProps) {
    this.template = props.template;
  }

  /** The session pod: one per user, in the pool's namespace. */
  public locate(session: DesktopSession): { namespace: string; name: string } {
    return { namespace: this.template.namespace, name: sessionName(session.spec.userId) };
  }

  /**
   * Sessions of a pool that joins a directory need the user's sAMAccountName
   * (`spec.windowsAccount`, which the broker fills from the identity token); local-account
   * pools sign in their own account and ignore it.
   */
  public refusal(session: DesktopSession): DesktopRefusal | undefined {
    if (this.template.script.account !== SessionAccountKind.DOMAIN) return undefined;
    const account = session.spec.windowsAccount;
    if (account === undefined) {
      return {
        reason: 'WindowsAccountRequired',
        message: `the node-desktop pool "${this.template.poolName}" joins a directory, so the session needs spec.windowsAccount (the user's sAMAccountName); create it with one (SDK: create({ windowsAccount }); broker: windowsAccountClaim).`,
      };
    }
    // The API server's schema refuses these; a client that bypassed it is told why here.
    if (!isWindowsAccountName(account)) return { reason: 'InvalidWindowsAccount', message: `spec.windowsAccount ${JSON.stringify(account)} is not valid: ${WINDOWS_ACCOUNT_RULE}.` };
    return undefined;
  }

  /**
   * A `DedicatedPool` class's user gets a NodePool of their own: the one `NodeDesktops` renders
   * for a user listed at synth time in per-user mode (`renderUserNodePool`: the pool's
   * EC2NodeClass, Windows build, capacity and instance types, `expireAfter`, `WhenEmpty` after
   * `consolidateAfter`, the user's label, the taint `dedicated-user=<user>`, one node), whatever
   * the pool's own isolation mode. Other classes share the pool's NodePools: nothing per user.
   */
  public userObjects(desktopClass: DesktopClass, userId: string): KubernetesObject[] {
    if (desktopClass.spec.isolation !== IsolationMode.DEDICATED_POOL) return [];
    return [renderUserNodePool(this.template, userId) as unknown as KubernetesObject];
  }

  /** The template a class's sessions render with: per-user mode for `DedicatedPool` classes (the pod selects and tolerates the user's own pool). */
  private templateFor(desktopClass: DesktopClass): NodeDesktopSessionTemplate {
    return desktopClass.spec.isolation === IsolationMode.DEDICATED_POOL
      ? { ...this.template, isolationMode: NodeDesktopIsolationMode.NODE_POOL_PER_USER }
      : this.template;
  }

  public render(context: DesktopRenderContext): RenderedDesktop {
    const userId = context.session.spec.userId;
    const chart = new Chart(new App(), 'Session');
    const desktop = new NodeDesktopSession(chart, 'Desktop', {
      template: this.templateFor(context.desktopClass),
      userId,
      // Only directory pools sign in the user's own account; local pools their session account.
      windowsUserName: this.template.script.account === SessionAccountKind.DOMAIN ? context.session.spec.windowsAccount : undefined,
      idleDisconnectTimeoutSeconds: context.session.spec.idleDisconnectTimeoutSeconds,
    });
    const objects = (chart.toJson() as KubernetesObject[]).map((o) => ({
      ...o,
      // The session's labels on the objects themselves (selectors stay the construct's).
      metadata: { ...o.metadata, labels: { ...o.metadata.labels, ...context.labels } },
    }));
    const local = this.template.script.account === SessionAccountKind.LOCAL;
    return {
      objects,
      retainedKinds: [],
      rdpEndpoint: `${desktop.name}.${desktop.namespace}.svc.cluster.local:${RDP_PORT}`,
      preparedObjects: local ? [passwordSecret(this.template.namespace, userId, context.labels)] : [],
    };
  }

  public async prepare(context: DesktopRenderContext, client: KubernetesClient): Promise<void> {
    if (this.template.script.account !== SessionAccountKind.LOCAL) return;
    const secret = passwordSecret(this.template.namespace, context.session.spec.userId, context.labels);
    // 24 random bytes, plus one character of each class Windows' complexity rule counts (base64url
    // alone may lack a digit or a symbol).
    const password = `${randomBytes(24).toString('base64url')}a1A!`;
    try {
      await client.create(refFor('v1', 'Secret', secret.metadata.namespace), { ...secret, type: 'Opaque', stringData: { password } } as KubernetesObject, CONTROLLER_FIELD_MANAGER);
    } catch (error) {
      // Created before a restart: the pod may already use that password; keep it.
      if (!(error instanceof KubernetesApiError && error.code === 409)) throw error;
    }
  }

  public async observe(context: DesktopRenderContext, client: KubernetesClient): Promise<DesktopObservation> {
    const pod = await client.tryGet<Pod>(refFor('v1', 'Pod', this.template.namespace), context.desktopName);
    if (!pod) return { ready: false, gone: true, progress: 10, message: 'Creating the desktop' };
    const status = pod.status ?? {};
    const node = pod.spec?.nodeName;
    if (status.phase === 'Failed') return { ready: false, progress: 0, failure: `the desktop's session pod failed: ${status.reason ?? ''} ${status.message ?? ''}`.trim(), message: 'Failed' };
    const container = (name: string) => status.containerStatuses?.find((c) => c.name === name);
    if (status.phase === 'Running' && container(SESSION_CONTAINER)?.ready === true) {
      // Known only while the presence container runs (its readiness then answers the probe).
      const presence = container(USER_PRESENCE_CONTAINER);
      const userLoggedOn = presence?.state?.running !== undefined ? presence.ready === true : undefined;
      return { ready: true, progress: 100, message: 'Desktop ready', node, userLoggedOn };
    }
    if (!node) return { ready: false, progress: 20, message: 'Waiting for a desktop node' };
    return { ready: false, progress: 60, message: 'Preparing the desktop', node };
  }
}

function passwordSecret(namespace: string, userId: string, labels: Record<string, string>): KubernetesObject {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name: sessionPasswordSecretName(userId), namespace, labels } };
}
