import { kubernetesNameForUser } from '../../constructs/common/kubernetes-name';
import { SESSION_LABEL, USER_LABEL } from '../../constructs/common/well-known';
import { NodeDesktopSessionTemplate } from '../../constructs/node-desktops/node-desktop-session-template';
import { sessionName, sessionPasswordSecretName, USER_PRESENCE_CONTAINER } from '../../constructs/node-desktops/node-desktop-session';
import { DesktopKind, EndReason, LogoffAction, SessionPhase } from '../../constructs/sessions/api';
import { DesktopSessionController } from '../../constructs/sessions/controller/desktop-session-controller';
import { KubeVirtDesktopRenderer } from '../../constructs/sessions/controller/desktop-renderer';
import { NodeDesktopRenderer } from '../../constructs/sessions/controller/node-desktop-renderer';
import { KubernetesClient } from '../../constructs/sessions/runtime/kubernetes-client';
import { DesktopSessions } from '../../constructs/sessions/sdk/desktop-sessions';
import { FakeKubeApiServer } from '../support/fake-kube-api-server';
import { Testing } from 'cdk8s';
import { DesktopClass } from '../../constructs/sessions/api';
import { nodeDesktopControllerRules, DesktopSessionServiceChart } from '../../constructs/sessions/desktop-session-service-chart';
import { CLASS_RESOURCE } from '../../constructs/sessions/resources';
import { PolicyRule, RbacRequest, allows, chartProps, parseRequest } from './rbac-support';
import { NAMESPACE, createClass, eventually, installNodeDesktopPool, windows11Class, nodeDesktopTemplate, sessionPodStatus, startApi } from './session-test-support';

jest.setTimeout(30_000);

/** A node-desktop pool's session template as `NodeDesktops.sessionTemplate` resolves it (shared pool, local accounts). */
const TEMPLATE: NodeDesktopSessionTemplate = nodeDesktopTemplate();

describe('Node-desktop sessions over the fake API server (NodeDesktopRenderer)', () => {
  let server: FakeKubeApiServer;
  let client: KubernetesClient;
  let sessions: DesktopSessions;
  let controller: DesktopSessionController;
  let setupRequests: number;
  const userId = 'bob@example.com';
  const userNs = kubernetesNameForUser('userId', userId);
  const podName = sessionName(userId);
  const ns = TEMPLATE.namespace;

  beforeEach(async () => {
    ({ server, client } = await startApi());
    sessions = new DesktopSessions(client, NAMESPACE);
    // The template as the NodeDesktops chart installs it: the controller reads it from the ConfigMap.
    await installNodeDesktopPool(client, TEMPLATE);
    setupRequests = server.requests.length; // what the test itself did; the controller's requests follow
    const node = await NodeDesktopRenderer.fromConfigMap(client, ns, 'win2022');
    controller = new DesktopSessionController({ client, namespace: NAMESPACE, pollIntervalMs: 50, leaderElection: false, renderers: { [DesktopKind.VM]: new KubeVirtDesktopRenderer(), [DesktopKind.NODE]: node } });
    await controller.start();
  });

  afterEach(async () => {
    await controller.stop();
    client.close();
    await server.stop();
  });

  test('a Node-kind session gets its user isolation, session pod, Service and password Secret, is Ready when the pod is, and ends clean', async () => {
    const session = await sessions.create({ userId, desktopClass: 'win2022', size: 'medium' });
    const name = session.metadata.name;

    // THEN the session pod and its RDP Service are applied (NodeDesktopSession), labelled with the session
    const pod = await eventually(() => server.get('', 'v1', 'pods', ns, podName), 10_000, 'the session pod');
    expect(pod.metadata.labels).toMatchObject({ [USER_LABEL]: userNs, [SESSION_LABEL]: name, 'desktop.io/component': 'node-desktop-session' });
    expect(pod).toMatchObject({ spec: { nodeSelector: { [USER_LABEL]: userNs, 'node.kubernetes.io/windows-build': '10.0.20348' }, securityContext: { windowsOptions: { hostProcess: true } }, automountServiceAccountToken: false } });
    const service = await eventually(() => server.get('', 'v1', 'services', ns, podName), 10_000, 'the RDP Service');
    expect(service).toMatchObject({ spec: { type: 'ClusterIP', selector: { [USER_LABEL]: userNs }, ports: [{ port: 3389 }] } });
    // The local account's password: a random one per session, in a Secret the pod reads, never rendered.
    const secret = server.get('', 'v1', 'secrets', ns, sessionPasswordSecretName(userId)) as unknown as { data: { password: string } };
    const password = Buffer.from(secret.data.password, 'base64').toString('utf8');
    expect(password.length).toBeGreaterThanOrEqual(32);
    expect(JSON.stringify(pod)).not.toContain(password);
    // The user's isolation for a node desktop: privileged Pod Security (HostProcess), quota with room for the session pod, default deny.
    expect(server.get('', 'v1', 'namespaces', undefined, userNs)?.metadata.labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'privileged' });
    expect(server.get('', 'v1', 'resourcequotas', userNs, 'desktop-quota')).toMatchObject({ spec: { hard: { pods: 4 } } });
    expect(server.get('networking.k8s.io', 'v1', 'networkpolicies', userNs, 'default-deny')).toBeDefined();

    // The idle timeout is the desktop's own (Windows' MaxIdleTime), from the session's spec.
    const env = (pod as unknown as { spec: { containers: Array<{ env: Array<{ name: string; value?: string }> }> } }).spec.containers[0].env;
    expect(env).toContainEqual({ name: 'DESKTOP_MAX_IDLE_TIME_MS', value: String(session.spec.idleDisconnectTimeoutSeconds * 1000) });

    // WHILE the pod is scheduled but its session container not ready, the session is Provisioning with progress
    server.setStatus('', 'v1', 'pods', ns, podName, sessionPodStatus(false, false));
    expect((await sessions.get(name)).status?.phase).toBe(SessionPhase.PROVISIONING);

    // WHEN the session container is ready, nobody logged on yet (so the pod itself is not Ready)
    // THEN the session is Ready with the Service's RDP endpoint
    server.setStatus('', 'v1', 'pods', ns, podName, sessionPodStatus(true, false));
    const ready = await eventually(async () => { const s = await sessions.get(name); return s.status?.phase === SessionPhase.READY ? s : undefined; }, 15_000, 'Ready');
    expect(ready.status).toMatchObject({ desktopNamespace: ns, desktopName: podName, progress: 100, rdpEndpoint: `${podName}.${ns}.svc.cluster.local:3389` });

    // WHEN the user ends it THEN the pod, Service and Secret are deleted; the user's isolation stays
    await sessions.end(name);
    await eventually(async () => (await sessions.get(name)).status?.phase === SessionPhase.ENDED, 10_000, 'Ended');
    expect(server.get('', 'v1', 'pods', ns, podName)).toBeUndefined();
    expect(server.get('', 'v1', 'services', ns, podName)).toBeUndefined();
    expect(server.get('', 'v1', 'secrets', ns, sessionPasswordSecretName(userId))).toBeUndefined();
    expect(server.get('', 'v1', 'resourcequotas', userNs, 'desktop-quota')).toBeDefined();
  });

  test('a session pod that fails puts the session in Failed and deletes what was created', async () => {
    const session = await sessions.create({ userId, desktopClass: 'win2022', size: 'medium' });
    await eventually(() => server.get('', 'v1', 'pods', ns, podName), 10_000, 'the session pod');
    server.setStatus('', 'v1', 'pods', ns, podName, { phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: ephemeral-storage.' });
    const failed = await eventually(async () => { const s = await sessions.get(session.metadata.name); return s.status?.phase === SessionPhase.FAILED ? s : undefined; }, 15_000, 'Failed');
    expect(failed.status?.message).toMatch(/session pod failed: Evicted/);
    expect(server.get('', 'v1', 'pods', ns, podName)).toBeUndefined();
    expect(server.get('', 'v1', 'secrets', ns, sessionPasswordSecretName(userId))).toBeUndefined();
  });

  test('observe: the desktop is ready by its session container, and reports the user\'s Windows session from the user-presence container', async () => {
    // GIVEN a session whose pod exists
    const session = await sessions.create({ userId, desktopClass: 'win2022', size: 'medium' });
    await eventually(() => server.get('', 'v1', 'pods', ns, podName), 10_000, 'the session pod');
    const renderer = await NodeDesktopRenderer.fromConfigMap(client, ns, 'win2022');
    const cls = (await client.get(CLASS_RESOURCE, 'win2022')) as unknown as DesktopClass;
    const fresh = await sessions.get(session.metadata.name);
    const context = { session: fresh, desktopClass: cls, namespace: ns, desktopName: podName, labels: {} };
    const observe = async (status: Record<string, unknown>) => { server.setStatus('', 'v1', 'pods', ns, podName, status); return renderer.observe(context, client); };

    // WHEN / THEN: not prepared yet: not ready, the user's presence not reported
    const preparing = await observe(sessionPodStatus(false, false));
    expect(preparing.ready).toBe(false);
    expect(preparing.userLoggedOn).toBeUndefined();
    // prepared, nobody signed in: ready (though the pod is not), not logged on
    expect(await observe(sessionPodStatus(true, false))).toMatchObject({ ready: true, userLoggedOn: false });
    // the user has a Windows session: logged on
    expect(await observe(sessionPodStatus(true, true))).toMatchObject({ ready: true, userLoggedOn: true });
    // a presence container that is not running says nothing (no log-off from a crashed probe container)
    const crashed = sessionPodStatus(true, false) as { containerStatuses: Array<Record<string, unknown>> };
    crashed.containerStatuses[1] = { name: 'user-presence', ready: false, state: { waiting: { reason: 'CrashLoopBackOff' } } };
    expect((await observe(crashed)).userLoggedOn).toBeUndefined();
    // the pod's own Ready condition alone no longer makes the desktop ready
    expect(await observe({ phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] })).toMatchObject({ ready: false });
  });

  test('log-off from Windows (user-presence container) ends the session; Keep keeps it; a presence container that is not running is not a log-off', async () => {
    // GIVEN a Ready node-desktop session whose user signs in to Windows
    const session = await sessions.create({ userId, desktopClass: 'win2022', size: 'medium' });
    const name = session.metadata.name;
    await eventually(() => server.get('', 'v1', 'pods', ns, podName), 10_000, 'the session pod');
    server.setStatus('', 'v1', 'pods', ns, podName, sessionPodStatus(true, true));
    const signedIn = await eventually(async () => { const s = await sessions.get(name); return s.status?.loggedOnAt ? s : undefined; }, 15_000, 'loggedOnAt');
    expect(signedIn.status?.phase).toBe(SessionPhase.READY);

    // WHEN the presence container crashes (not running): unknown, not a log-off
    const crashed = sessionPodStatus(true, false) as { containerStatuses: Array<Record<string, unknown>> };
    crashed.containerStatuses[1] = { name: USER_PRESENCE_CONTAINER, ready: false, state: { waiting: { reason: 'CrashLoopBackOff' } } };
    server.setStatus('', 'v1', 'pods', ns, podName, crashed);
    const reads = server.requests.filter((r) => r.includes(`/namespaces/${ns}/pods/${podName}`)).length;
    await eventually(() => server.requests.filter((r) => r.includes(`/namespaces/${ns}/pods/${podName}`)).length >= reads + 3, 10_000, 'the pod observed again');
    const still = await sessions.get(name);
    expect(still.status?.phase).toBe(SessionPhase.READY);
    expect(still.status?.loggedOnAt).toBe(signedIn.status?.loggedOnAt);

    // WHEN the presence container runs and reports nobody signed in THEN the session ends with UserLogoff
    server.setStatus('', 'v1', 'pods', ns, podName, sessionPodStatus(true, false));
    const ended = await eventually(async () => { const s = await sessions.get(name); return s.status?.phase === SessionPhase.ENDED ? s : undefined; }, 15_000, 'Ended');
    expect(ended.status).toMatchObject({ endReason: EndReason.USER_LOGOFF, message: 'You signed out of Windows.' });
    expect(server.get('', 'v1', 'pods', ns, podName)).toBeUndefined();

    // onLogoff: Keep: the log-off is recorded (loggedOnAt cleared), the session stays
    const kept = await sessions.create({ userId, desktopClass: 'win2022', size: 'medium', onLogoff: LogoffAction.KEEP });
    const keptName = kept.metadata.name;
    await eventually(() => server.get('', 'v1', 'pods', ns, podName), 10_000, 'the second session pod');
    server.setStatus('', 'v1', 'pods', ns, podName, sessionPodStatus(true, true));
    await eventually(async () => (await sessions.get(keptName)).status?.loggedOnAt !== undefined, 15_000, 'loggedOnAt (Keep)');
    server.setStatus('', 'v1', 'pods', ns, podName, sessionPodStatus(true, false));
    await eventually(async () => (await sessions.get(keptName)).status?.loggedOnAt === undefined, 15_000, 'log-off noticed (Keep)');
    expect((await sessions.get(keptName)).status?.phase).toBe(SessionPhase.READY);
    expect(server.get('', 'v1', 'pods', ns, podName)).toBeDefined();
  });

  test('a session of a second Node class of the same pool is refused while the user has one (one session pod nd-<user> per pool)', async () => {
    // GIVEN a second Node class on the same pool, and a session of the first
    await createClass(client, windows11Class({ kind: DesktopKind.NODE, goldenImage: undefined, ami: 'ami-0123456789abcdef0' }, 'win2022-large'));
    const first = await sessions.create({ userId, desktopClass: 'win2022', size: 'medium' });
    const pod = await eventually(() => server.get('', 'v1', 'pods', ns, podName), 10_000, 'the session pod');
    expect(pod.metadata.labels?.[SESSION_LABEL]).toBe(first.metadata.name);
    server.setStatus('', 'v1', 'pods', ns, podName, sessionPodStatus(true, false));
    await eventually(async () => (await sessions.get(first.metadata.name)).status?.phase === SessionPhase.READY, 15_000, 'Ready');

    // WHEN the user starts a session of the other class THEN it fails at admission, naming the other session, and nothing of it is created
    const second = await sessions.create({ userId, desktopClass: 'win2022-large', size: 'medium' });
    const failed = await eventually(async () => { const s = await sessions.get(second.metadata.name); return s.status?.phase === SessionPhase.FAILED ? s : undefined; }, 10_000, 'Failed');
    expect(failed.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ reason: 'NodeDesktopInUse' });
    expect(failed.status?.message).toContain(`session "${first.metadata.name}" (class "win2022") on desktop ${ns}/${podName}`);
    expect(failed.status?.desktopName).toBeUndefined();
    expect(server.get('', 'v1', 'pods', ns, podName)?.metadata.labels?.[SESSION_LABEL]).toBe(first.metadata.name);
    expect((await sessions.get(first.metadata.name)).status?.phase).toBe(SessionPhase.READY);

    // WHEN the first session is ending (its pod held by a finalizer, e.g. the kubelet still stopping it)
    await client.mergePatch({ group: '', version: 'v1', plural: 'pods', namespace: ns }, podName, { metadata: { finalizers: ['test/hold'] } }, 'test');
    await sessions.end(first.metadata.name);
    await eventually(() => server.get('', 'v1', 'pods', ns, podName)?.metadata.deletionTimestamp, 10_000, 'the pod being deleted');
    const third = await sessions.create({ userId, desktopClass: 'win2022-large', size: 'medium' });
    // THEN a session of the other class waits in Pending (not refused) while the old pod exists
    await new Promise((r) => setTimeout(r, 500));
    expect((await sessions.get(third.metadata.name)).status?.phase ?? SessionPhase.PENDING).toBe(SessionPhase.PENDING);
    expect((await sessions.get(first.metadata.name)).status?.phase).toBe(SessionPhase.ENDING);
    // AND gets the desktop once the old pod is gone
    await client.mergePatch({ group: '', version: 'v1', plural: 'pods', namespace: ns }, podName, { metadata: { finalizers: [] } }, 'test');
    await eventually(() => server.get('', 'v1', 'pods', ns, podName)?.metadata.labels?.[SESSION_LABEL] === third.metadata.name, 15_000, 'the pod of the third session');
    expect((await sessions.get(first.metadata.name)).status?.phase).toBe(SessionPhase.ENDED);
    expect((await sessions.get(third.metadata.name)).status?.phase).toBe(SessionPhase.PROVISIONING);
  });

  test('everything the controller does in the pool\'s namespace is allowed by the Role the install chart gives it there', async () => {
    // GIVEN the Roles DesktopSessionServiceChart renders for this pool
    const allowed = [...nodeDesktopControllerRules(TEMPLATE), ...CONTROLLER_CLUSTER_RULES];
    // WHEN a whole session runs (template read at start, create, prepare, observe, ready, end, cleanup)
    const session = await sessions.create({ userId, desktopClass: 'win2022', size: 'medium' });
    await eventually(() => server.get('', 'v1', 'pods', ns, podName), 10_000, 'the session pod');
    server.setStatus('', 'v1', 'pods', ns, podName, sessionPodStatus(true, true));
    await eventually(async () => (await sessions.get(session.metadata.name)).status?.phase === SessionPhase.READY, 15_000, 'Ready');
    await sessions.end(session.metadata.name);
    await eventually(async () => (await sessions.get(session.metadata.name)).status?.phase === SessionPhase.ENDED, 10_000, 'Ended');
    // THEN every request into the pool's namespace maps to a verb the rules grant
    const inPool = server.requests.slice(setupRequests).map(parseRequest).filter((r): r is RbacRequest => r !== undefined && r.namespace === ns);
    expect(inPool.length).toBeGreaterThan(5);
    expect(new Set(inPool.map((r) => r.resource))).toEqual(new Set(['configmaps', 'pods', 'services', 'secrets']));
    expect(inPool.filter((r) => !allows(allowed, r)).map((r) => `${r.verbs.join('+')} ${r.resource}/${r.name ?? ''}`)).toEqual([]);
    // AND the pool's Role alone covers them (the cluster-wide rules are for users' namespaces)
    expect(inPool.filter((r) => !allows(nodeDesktopControllerRules(TEMPLATE), r)).map((r) => `${r.verbs.join('+')} ${r.resource}`)).toEqual([]);
  });
});

/** The controller's cluster-wide rules from the install chart (users' namespaces). */
const CONTROLLER_CLUSTER_RULES: PolicyRule[] = (() => {
  const chart = new DesktopSessionServiceChart(Testing.app(), 'C', chartProps());
  const role = chart.toJson().find((o: { kind: string; metadata: { name: string } }) => o.kind === 'ClusterRole' && o.metadata.name === 'desktop-session-controller') as { rules: PolicyRule[] };
  return role.rules;
})();
