import { App, Chart, Testing } from 'cdk8s';
import { kubernetesNameForUser } from '../../constructs/common/kubernetes-name';
import { DEDICATED_USER_TAINT_KEY, MANAGED_BY_LABEL, USER_LABEL } from '../../constructs/common/well-known';
import { NodeDesktopIsolationMode } from '../../constructs/node-desktops/node-desktop-isolation';
import { NodeDesktopNodePool, sharedNodePoolProps, userNodePoolName, warmNodePoolProps } from '../../constructs/node-desktops/node-desktop-node-pool';
import { sessionName } from '../../constructs/node-desktops/node-desktop-session';
import { NodeDesktopSessionTemplate } from '../../constructs/node-desktops/node-desktop-session-template';
import { NodeDesktopUserPoolsChart } from '../../constructs/node-desktops/node-desktop-user-pools-chart';
import { SESSION_TEMPLATE_KEY, sessionTemplateConfigMapName } from '../../constructs/node-desktops/node-desktops-chart';
import { CONTROLLER_FIELD_MANAGER, DesktopKind, DesktopSession, IsolationMode, SessionPhase } from '../../constructs/sessions/api';
import { DesktopSessionController } from '../../constructs/sessions/controller/desktop-session-controller';
import { KubeVirtDesktopRenderer } from '../../constructs/sessions/controller/desktop-renderer';
import { NodeDesktopRenderer } from '../../constructs/sessions/controller/node-desktop-renderer';
import { DesktopSessionServiceChart } from '../../constructs/sessions/desktop-session-service-chart';
import { CLASS_RESOURCE, SESSION_RESOURCE, refFor } from '../../constructs/sessions/resources';
import { KubernetesClient, KubernetesObject } from '../../constructs/sessions/runtime/kubernetes-client';
import { DesktopSessions } from '../../constructs/sessions/sdk/desktop-sessions';
import { FakeKubeApiServer, KubeObject } from '../support/fake-kube-api-server';
import { karpenterCelViolations } from '../support/karpenter-cel';
import { schemasAvailable, validateKubernetesObjects } from '../support/kubernetes-schemas';
import { Pod, Pool, fits, launch } from '../node-desktops/placement-model';
import { PolicyRule, RbacRequest, allows, chartProps, parseRequest } from './rbac-support';
import { NAMESPACE, createClass, eventually, installNodeDesktopPool, nodeDesktopTemplate, sessionPodStatus, startApi, windows11Class } from './session-test-support';

jest.setTimeout(60_000);

const alice = 'alice@example.com';
const bob = 'bob@example.com';
const aliceName = kubernetesNameForUser('userId', alice);
const CLASS = 'win2022-dedicated';
const TIMEOUTS = { maxUserDurationSeconds: 3600, disconnectTimeoutSeconds: 600, idleDisconnectTimeoutSeconds: 0 };
const NODE_POOLS = ['karpenter.sh', 'v1', 'nodepools'] as const;
const NODE_POOL_REF = refFor('karpenter.sh/v1', 'NodePool');

/** The controller's cluster-wide rules from the install chart (the user's NodePool is cluster-scoped). */
const CONTROLLER_CLUSTER_RULES: PolicyRule[] = (() => {
  const chart = new DesktopSessionServiceChart(Testing.app(), 'C', chartProps());
  const role = chart.toJson().find((o: { kind: string; metadata: { name: string } }) => o.kind === 'ClusterRole' && o.metadata.name === 'desktop-session-controller') as { rules: PolicyRule[] };
  return role.rules;
})();

/** The pool's own NodePools as `NodeDesktopsChart` renders them (shared mode: shared and warm; per-user mode: none). */
function poolNodePools(template: NodeDesktopSessionTemplate): Pool[] {
  if (template.isolationMode === NodeDesktopIsolationMode.NODE_POOL_PER_USER) return [];
  const chart = new Chart(new App(), 'Pools');
  new NodeDesktopNodePool(chart, 'Shared', sharedNodePoolProps(template, 10));
  new NodeDesktopNodePool(chart, 'Warm', warmNodePoolProps(template, 2));
  return chart.toJson() as Pool[];
}

/** What `NodeDesktops` renders at synth time for a listed user in per-user mode (`NodeDesktopUserPoolsChart`). */
function synthUserPool(template: NodeDesktopSessionTemplate, userId: string): KubeObject {
  const chart = new NodeDesktopUserPoolsChart(Testing.app(), 'UserPools', { template: { ...template, isolationMode: NodeDesktopIsolationMode.NODE_POOL_PER_USER }, users: [{ userId }] });
  return Testing.synth(chart)[0] as KubeObject;
}

describe.each([
  ['a shared pool', nodeDesktopTemplate()],
  ['a per-user pool', nodeDesktopTemplate({ isolationMode: NodeDesktopIsolationMode.NODE_POOL_PER_USER })],
])('Node classes with DedicatedPool isolation, on %s (fake API server)', (_, TEMPLATE) => {
  let server: FakeKubeApiServer;
  let client: KubernetesClient;
  let sessions: DesktopSessions;
  let controller: DesktopSessionController;
  const ns = TEMPLATE.namespace;
  const pod = (userId: string) => server.get('', 'v1', 'pods', ns, sessionName(userId));
  const userPool = (userId: string) => server.get(...NODE_POOLS, undefined, userNodePoolName(TEMPLATE, userId));

  async function startController(): Promise<DesktopSessionController> {
    const node = await NodeDesktopRenderer.fromConfigMap(client, ns, TEMPLATE.poolName);
    controller = new DesktopSessionController({ client, namespace: NAMESPACE, pollIntervalMs: 50, leaderElection: false, renderers: { [DesktopKind.VM]: new KubeVirtDesktopRenderer(), [DesktopKind.NODE]: node } });
    await controller.start();
    return controller;
  }
  async function phase(name: string, wanted: SessionPhase): Promise<DesktopSession> {
    return eventually(async () => { const s = await sessions.get(name); return s.status?.phase === wanted ? s : undefined; }, 15_000, `${name} ${wanted}`);
  }
  /** The session pod's session container gets ready (the desktop is prepared), then the user ends the session. */
  async function readyThenEnd(session: DesktopSession): Promise<void> {
    await eventually(() => pod(session.spec.userId), 10_000, 'the session pod');
    server.setStatus('', 'v1', 'pods', ns, sessionName(session.spec.userId), sessionPodStatus(true, false));
    await phase(session.metadata.name, SessionPhase.READY);
    await sessions.end(session.metadata.name);
    await phase(session.metadata.name, SessionPhase.ENDED);
  }

  beforeEach(async () => {
    ({ server, client } = await startApi());
    server.registerResource({ group: 'karpenter.sh', version: 'v1', plural: 'nodepools', kind: 'NodePool', namespaced: false, statusSubresource: true });
    sessions = new DesktopSessions(client, NAMESPACE);
    // A Node class with DedicatedPool isolation needs no dedicatedPool: the pool's template says everything.
    await installNodeDesktopPool(client, TEMPLATE, CLASS, { isolation: IsolationMode.DEDICATED_POOL });
  });

  afterEach(async () => {
    await controller?.stop();
    client.close();
    await server.stop();
  });

  test('the user\'s own NodePool, as synth time renders it, is applied before the pod, is the only pool the pod launches from, and goes with the user\'s last session only', async () => {
    await createClass(client); // a VM class (SharedPool) the user also uses
    await startController();
    const setup = server.requests.length;

    // WHEN alice and bob start sessions of the DedicatedPool Node class
    const first = await sessions.create({ userId: alice, desktopClass: CLASS, size: 'medium', timeouts: TIMEOUTS });
    const bobs = await sessions.create({ userId: bob, desktopClass: CLASS, size: 'medium', timeouts: TIMEOUTS });
    const alicePod = await eventually(() => pod(alice), 10_000, 'alice\'s session pod') as unknown as Pod;
    const bobPod = await eventually(() => pod(bob), 10_000, 'bob\'s session pod') as unknown as Pod;

    // THEN each has a NodePool of their own: exactly what NodeDesktops renders for a listed user
    const pool = userPool(alice)!;
    const synth = synthUserPool(TEMPLATE, alice);
    expect(pool.metadata.name).toBe(synth.metadata.name);
    expect(pool.spec).toEqual(synth.spec);
    expect(pool).toMatchObject({
      metadata: { labels: { [MANAGED_BY_LABEL]: CONTROLLER_FIELD_MANAGER } },
      spec: {
        template: {
          metadata: { labels: { [USER_LABEL]: aliceName } },
          spec: {
            nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: TEMPLATE.nodeClassName },
            taints: expect.arrayContaining([{ key: DEDICATED_USER_TAINT_KEY, value: aliceName, effect: 'NoSchedule' }]),
            expireAfter: TEMPLATE.expireAfter,
          },
        },
        disruption: { consolidationPolicy: 'WhenEmpty', consolidateAfter: TEMPLATE.consolidateAfter },
        limits: { nodes: 1 },
      },
    });
    // ... which Karpenter's CRD schema and CEL rules accept
    expect(karpenterCelViolations(pool)).toEqual([]);
    if (schemasAvailable()) expect(validateKubernetesObjects([pool])).toEqual([]);
    // ... applied before the session pod
    const requests = server.requests.slice(setup);
    const poolApplied = requests.indexOf(`PATCH /apis/karpenter.sh/v1/nodepools/${pool.metadata.name}`);
    expect(poolApplied).toBeGreaterThanOrEqual(0);
    expect(poolApplied).toBeLessThan(requests.indexOf(`PATCH /api/v1/namespaces/${ns}/pods/${sessionName(alice)}`));

    // AND each pod launches from its user's pool only (not the pool's shared or warm pools, not another user's),
    // lands on the node launched for it, and no other user's pod fits there
    const pools = [...poolNodePools(TEMPLATE), pool as unknown as Pool, userPool(bob) as unknown as Pool];
    const launchable = (p: Pod) => pools.filter((candidate) => launch(candidate, p) !== undefined).map((candidate) => candidate.metadata!.name);
    expect(launchable(alicePod)).toEqual([userNodePoolName(TEMPLATE, alice)]);
    expect(launchable(bobPod)).toEqual([userNodePoolName(TEMPLATE, bob)]);
    const aliceNode = launch(pool as unknown as Pool, alicePod)!;
    expect(fits(alicePod, aliceNode)).toBe(true);
    expect(fits(bobPod, aliceNode)).toBe(false);

    // WHEN alice asks for a second session of the class (one per user), and ends a session of another class
    // (created past the SDK, which refuses it itself: the controller's rule is the one that holds under races)
    const second = await client.create<DesktopSession>(SESSION_RESOURCE(NAMESPACE), { apiVersion: first.apiVersion, kind: first.kind, metadata: { name: `${first.metadata.name}-two`, namespace: NAMESPACE }, spec: first.spec } as KubernetesObject, 'test');
    const refused = await phase(second.metadata.name, SessionPhase.FAILED);
    expect(refused.status?.conditions).toEqual([expect.objectContaining({ reason: 'SessionLimitExceeded' })]);
    await client.delete(SESSION_RESOURCE(NAMESPACE), second.metadata.name);
    await eventually(async () => (await sessions.list({ userId: alice })).every((s) => s.metadata.name !== second.metadata.name), 10_000, 'the refused session deleted');
    const vmSession = await sessions.create({ userId: alice, desktopClass: 'win11', size: 'small', timeouts: TIMEOUTS });
    const vm = await phase(vmSession.metadata.name, SessionPhase.PROVISIONING);
    const vmName = await eventually(async () => (await sessions.get(vm.metadata.name)).status?.desktopName, 10_000, 'the VM name');
    await eventually(() => server.get('kubevirt.io', 'v1', 'virtualmachines', aliceName, vmName), 10_000, 'the VM');
    server.setStatus('kubevirt.io', 'v1', 'virtualmachines', aliceName, vmName, { ready: true, printableStatus: 'Running' });
    await phase(vmSession.metadata.name, SessionPhase.READY);
    await sessions.end(vmSession.metadata.name);
    await phase(vmSession.metadata.name, SessionPhase.ENDED);
    // THEN her pool stays: her Node session still runs there
    await new Promise((r) => setTimeout(r, 200));
    expect(userPool(alice)?.metadata.deletionTimestamp).toBeUndefined();
    expect(userPool(alice)).toBeDefined();

    // WHEN her Node session ends THEN her pool goes (Karpenter removes the node); bob's stays
    await readyThenEnd(first);
    expect(pod(alice)).toBeUndefined();
    await eventually(() => userPool(alice) === undefined, 10_000, 'alice\'s pool deleted');
    expect(userPool(bob)).toBeDefined();
    await readyThenEnd(bobs);
    await eventually(() => userPool(bob) === undefined, 10_000, 'bob\'s pool deleted');

    // AND every request the controller made for NodePools is granted by its ClusterRole
    const poolRequests = server.requests.slice(setup).map(parseRequest).filter((r): r is RbacRequest => r !== undefined && r.resource === 'nodepools');
    expect(poolRequests.length).toBeGreaterThan(0);
    expect(poolRequests.filter((r) => !allows(CONTROLLER_CLUSTER_RULES, r)).map((r) => `${r.verbs.join('+')} ${r.resource}/${r.name ?? ''}`)).toEqual([]);
  });

  test('a restarted controller converges: a session it was provisioning becomes Ready and ends clean, a session deleted meanwhile takes its pool with it', async () => {
    // GIVEN two sessions admitted by a controller that then stops
    await startController();
    const aliceSession = await sessions.create({ userId: alice, desktopClass: CLASS, size: 'medium', timeouts: TIMEOUTS });
    const bobSession = await sessions.create({ userId: bob, desktopClass: CLASS, size: 'medium', timeouts: TIMEOUTS });
    await eventually(() => pod(alice) && pod(bob) && userPool(alice) && userPool(bob), 10_000, 'both pods and pools');
    await controller.stop();
    // WHILE it is down, bob's session is deleted (its finalizer keeps it)
    await client.delete(SESSION_RESOURCE(NAMESPACE), bobSession.metadata.name);

    // WHEN a new controller starts
    await startController();
    // THEN bob's pod and pool are deleted and his session is released
    await eventually(async () => (await sessions.list({ userId: bob })).length === 0, 15_000, 'bob\'s session gone');
    expect(pod(bob)).toBeUndefined();
    expect(userPool(bob)).toBeUndefined();
    // AND alice's session goes on to Ready on her pool, which goes with it
    expect(userPool(alice)).toBeDefined();
    await readyThenEnd(aliceSession);
    await eventually(() => userPool(alice) === undefined, 10_000, 'alice\'s pool deleted');
  });

  test('a session deleted while Pending after its admission applied the user\'s pool (status write lost) releases the pool', async () => {
    // The status write that records the admission never lands (a crash in that window, as far as the status shows).
    server.failNext('PATCH', /desktopsessions\/[^/]+\/status$/, 500, 10_000);
    controller = new DesktopSessionController({ client, namespace: NAMESPACE, pollIntervalMs: 50, leaderElection: false, onError: () => undefined, renderers: { [DesktopKind.NODE]: await NodeDesktopRenderer.fromConfigMap(client, ns, TEMPLATE.poolName) } });
    await controller.start();
    const s = await sessions.create({ userId: alice, desktopClass: CLASS, size: 'medium', timeouts: TIMEOUTS });
    await eventually(() => userPool(alice), 10_000, 'alice\'s pool');
    expect((await sessions.get(s.metadata.name)).status?.desktopNamespace).toBeUndefined();
    // WHEN the session is deleted THEN her pool goes with it
    await client.delete(SESSION_RESOURCE(NAMESPACE), s.metadata.name);
    await eventually(async () => (await sessions.list({ userId: alice })).length === 0, 10_000, 'the session released');
    expect(userPool(alice)).toBeUndefined();
  });

  test('a session whose class was deleted while it ran releases the user\'s pool when it ends', async () => {
    await startController();
    const s = await sessions.create({ userId: alice, desktopClass: CLASS, size: 'medium', timeouts: TIMEOUTS });
    await eventually(() => pod(alice), 10_000, 'the session pod');
    server.setStatus('', 'v1', 'pods', ns, sessionName(alice), sessionPodStatus(true, false));
    await phase(s.metadata.name, SessionPhase.READY);
    // WHEN the class is deleted and the session ends THEN her pool goes
    await client.delete(CLASS_RESOURCE, CLASS);
    await eventually(async () => (await client.tryGet(CLASS_RESOURCE, CLASS)) === undefined, 10_000, 'the class gone');
    expect(userPool(alice)).toBeDefined();
    await sessions.end(s.metadata.name);
    await phase(s.metadata.name, SessionPhase.ENDED);
    await eventually(() => userPool(alice) === undefined, 10_000, 'alice\'s pool deleted');
  });

  test('the NodePool of a user listed at synth time (the deployment\'s) is used as it is and never deleted', async () => {
    // GIVEN alice's pool as NodeDesktops applied it
    const synth = synthUserPool(TEMPLATE, alice);
    await client.create(NODE_POOL_REF, synth as KubernetesObject, 'kubectl');
    const before = userPool(alice)!.metadata.resourceVersion;
    await startController();
    // WHEN her session runs and ends
    const session = await sessions.create({ userId: alice, desktopClass: CLASS, size: 'medium', timeouts: TIMEOUTS });
    await readyThenEnd(session);
    await new Promise((r) => setTimeout(r, 200));
    // THEN the pool was not written and is still there
    expect(userPool(alice)?.metadata.resourceVersion).toBe(before);
    expect(userPool(alice)?.metadata.labels?.[MANAGED_BY_LABEL]).toBeUndefined();
  });
});

describe('NodeDesktopRenderer and DedicatedPool Node classes', () => {
  const TEMPLATE = nodeDesktopTemplate();

  test('a template ConfigMap without the settings a user\'s NodePool needs is refused when read, naming them', async () => {
    const { server, client } = await startApi();
    try {
      const { nodeClassName: _n, instanceTypes: _i, ...old } = TEMPLATE;
      await client.create(refFor('v1', 'ConfigMap', TEMPLATE.namespace), {
        apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: sessionTemplateConfigMapName(TEMPLATE.poolName), namespace: TEMPLATE.namespace }, data: { [SESSION_TEMPLATE_KEY]: JSON.stringify(old) },
      } as KubernetesObject, 'test');
      await expect(NodeDesktopRenderer.fromConfigMap(client, TEMPLATE.namespace, TEMPLATE.poolName)).rejects.toThrow(/lacks nodeClassName, instanceTypes: re-deploy node-desktop pool "win2022"/);
    } finally {
      client.close();
      await server.stop();
    }
  });

  test('a SharedPool class gets no per-user objects, and its pod keeps the pool\'s own placement', () => {
    const renderer = new NodeDesktopRenderer({ template: TEMPLATE });
    const cls = windows11Class({ kind: DesktopKind.NODE, goldenImage: undefined, ami: 'ami-0123456789abcdef0' }, 'win2022');
    const dedicated = { ...cls, spec: { ...cls.spec, isolation: IsolationMode.DEDICATED_POOL } };
    expect(renderer.userObjects(cls, alice)).toEqual([]);
    expect(renderer.userObjects(dedicated, alice)).toHaveLength(1);
    const session = { apiVersion: 'sessions.desktop.io/v1alpha1', kind: 'DesktopSession', metadata: { name: 's', namespace: NAMESPACE }, spec: { userId: alice, desktopClass: cls.metadata.name, size: 'medium', ...TIMEOUTS } } as DesktopSession;
    const podOf = (c: typeof cls) => renderer.render({ session, desktopClass: c, namespace: TEMPLATE.namespace, desktopName: sessionName(alice), labels: {} }).objects.find((o) => o.kind === 'Pod') as unknown as Pod;
    // The shared pool's placement: the user label, the pool's taints, no NodePool of the user's.
    expect(podOf(cls).spec.nodeSelector).not.toHaveProperty(['karpenter.sh/nodepool']);
    expect(podOf(cls).spec.tolerations.map((t) => t.key)).not.toContain(DEDICATED_USER_TAINT_KEY);
    expect(podOf(dedicated).spec.nodeSelector).toMatchObject({ 'karpenter.sh/nodepool': userNodePoolName(TEMPLATE, alice), [USER_LABEL]: kubernetesNameForUser('userId', alice) });
  });
});

