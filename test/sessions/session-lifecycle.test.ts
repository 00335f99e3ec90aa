import { kubernetesNameForUser } from '../../constructs/common/kubernetes-name';
import { SESSION_LABEL, USER_LABEL } from '../../constructs/common/well-known';
import { DESKTOP_STOPPED_CONDITION, DesktopKind, DesktopSession, DisconnectAction, EndReason, IDLE_CONDITION, IsolationMode, LogoffAction, SESSION_FINALIZER, SessionPhase } from '../../constructs/sessions/api';
import { GuacamoleHistorySignals } from '../../constructs/sessions/controller/connection-signals';
import { DesktopSessionController } from '../../constructs/sessions/controller/desktop-session-controller';
import { KubernetesClient } from '../../constructs/sessions/runtime/kubernetes-client';
import { DesktopSessions } from '../../constructs/sessions/sdk/desktop-sessions';
import { FakeKubeApiServer } from '../support/fake-kube-api-server';
import { GuacamoleDatabase, createGuacamoleDatabase, postgresUnavailableReason } from '../support/guacamole-postgres';
import { DesktopRenderer, KubeVirtDesktopRenderer } from '../../constructs/sessions/controller/desktop-renderer';
import {
  DESKTOP_NODE, NAMESPACE, TestClock, addNode, createClass, eventually, haltVm, runVm, setAgentConnected, startApi, vmRequests, windows11Class,
} from './session-test-support';

const unavailable = postgresUnavailableReason();
if (unavailable) {
  // Reported by jest as skipped (never as passed); CI installs and starts PostgreSQL.
  // eslint-disable-next-line no-console
  console.warn(`session lifecycle tests skipped: ${unavailable}`);
}
const describeWithPostgres = unavailable ? describe.skip : describe;
jest.setTimeout(30_000);

describeWithPostgres('DesktopSession lifecycle over the fake API server and a real PostgreSQL', () => {
  let server: FakeKubeApiServer;
  let client: KubernetesClient;
  let db: GuacamoleDatabase;
  let sessions: DesktopSessions;
  let clock: TestClock;
  let controller: DesktopSessionController;

  const userId = 'alice@example.com';
  const GATEWAY_NAMESPACE = 'desktop-gateway';
  const userNs = kubernetesNameForUser('userId', userId);
  const vmRef = (ns: string) => ['kubevirt.io', 'v1', 'virtualmachines', ns] as const;
  const phase = async (name: string) => (await sessions.get(name)).status?.phase;
  const newController = () => new DesktopSessionController({ client, namespace: NAMESPACE, signals: new GuacamoleHistorySignals(db.pool), gateway: { namespace: GATEWAY_NAMESPACE }, pollIntervalMs: 50, now: clock.now, identity: `c-${Math.random()}`, leaderElection: true });

  beforeEach(async () => {
    ({ server, client } = await startApi());
    db = await createGuacamoleDatabase();
    sessions = new DesktopSessions(client, NAMESPACE);
    clock = new TestClock();
    await createClass(client);
    addNode(server);
    controller = newController();
    await controller.start();
  });

  afterEach(async () => {
    await controller.stop();
    client.close();
    await server.stop();
    await db.drop();
  });

  /** The objects of `renderDesktopUserObjects` for a VM user of the `win11` class, with the controller's gateway. */
  function expectUserIsolation(ns: string): void {
    expect(server.get('', 'v1', 'namespaces', undefined, ns)?.metadata.labels).toMatchObject({
      [USER_LABEL]: userNs, 'pod-security.kubernetes.io/enforce': 'baseline',
    });
    // Room for the class's one session per user at its largest allowed size (medium: 4 vCPUs, 8 GiB).
    const quota = server.get('', 'v1', 'resourcequotas', ns, 'desktop-quota');
    expect(quota).toMatchObject({ metadata: { labels: { [USER_LABEL]: userNs } }, spec: { hard: { 'requests.cpu': 5, 'requests.memory': '10Gi', 'count/virtualmachines.kubevirt.io': 1, 'services.loadbalancers': 0, 'services.nodeports': 0 } } });
    expect(server.get('', 'v1', 'limitranges', ns, 'desktop-limits')).toBeDefined();
    expect(server.get('', 'v1', 'serviceaccounts', ns, 'default')).toMatchObject({ automountServiceAccountToken: false });
    const netpol = (name: string) => server.get('networking.k8s.io', 'v1', 'networkpolicies', ns, name);
    expect(netpol('default-deny')).toMatchObject({ spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] } });
    expect(netpol('default-deny')?.spec).not.toHaveProperty('ingress');
    expect(netpol('default-deny')?.spec).not.toHaveProperty('egress');
    // RDP only from guacd in the gateway namespace the controller was given.
    expect(netpol('allow-rdp-from-gateway')).toMatchObject({ spec: { ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': GATEWAY_NAMESPACE } } }], ports: [{ protocol: 'TCP', port: 3389 }] }] } });
    expect(netpol('allow-dns')).toBeDefined();
    // This namespace (only) may clone the class's golden image.
    expect(server.get('rbac.authorization.k8s.io', 'v1', 'rolebindings', 'golden-images', `windows11-clone-${ns}`)).toMatchObject({ subjects: [{ kind: 'ServiceAccount', name: 'default', namespace: ns }] });
  }

  const SUBRESOURCES = '/apis/subresources.kubevirt.io/v1/namespaces';
  const putCount = (ns: string, vm: string, action: 'start' | 'stop') => server.requests.filter((r) => r === `PUT ${SUBRESOURCES}/${ns}/virtualmachines/${vm}/${action}`).length;
  const sessionIn = async (name: string, p: SessionPhase) => { const s = await sessions.get(name); return s.status?.phase === p ? s : undefined; };
  const condition = (s: DesktopSession, type: string) => s.status?.conditions?.find((c) => c.type === type);

  async function readySession(id = userId, extra: { onDisconnect?: DisconnectAction; onLogoff?: LogoffAction } = {}): Promise<{ session: DesktopSession; vmName: string; ns: string }> {
    const session = await sessions.create({ userId: id, desktopClass: 'win11', size: 'small', timeouts: { maxUserDurationSeconds: 3600, disconnectTimeoutSeconds: 120, idleDisconnectTimeoutSeconds: 600 }, ...extra });
    const provisioning = await eventually(async () => { const s = await sessions.get(session.metadata.name); return s.status?.phase === SessionPhase.PROVISIONING && s.status.desktopName ? s : undefined; }, 10_000, 'Provisioning');
    const ns = provisioning.status!.desktopNamespace!;
    const vmName = provisioning.status!.desktopName!;
    await eventually(() => server.get(...vmRef(ns), vmName), 10_000, 'the VM');
    // The user's isolation is in place while the desktop provisions.
    if (id === userId) expectUserIsolation(ns);
    // The controller starts the Manual VM through KubeVirt's start subresource; virt-controller (the test) runs it.
    await eventually(() => vmRequests(server, ns, vmName).some((r) => r.action === 'Start'), 10_000, 'the start request');
    runVm(server, ns, vmName);
    await eventually(async () => (await phase(session.metadata.name)) === SessionPhase.READY, 10_000, 'Ready');
    return { session, vmName, ns };
  }

  test('create → provisioned → Ready → connected → idle → disconnected → ended → its objects deleted', async () => {
    // WHEN a user asks for a desktop
    const { session, vmName, ns } = await readySession();
    const name = session.metadata.name;

    // THEN the controller created the user's desktop with the synth-time WindowsDesktopVm construct,
    // as a Manual VM it started once through the start subresource
    expect(ns).toBe(userNs);
    const vm = server.get(...vmRef(ns), vmName)!;
    expect(vm.metadata.labels).toMatchObject({ [USER_LABEL]: userNs, [SESSION_LABEL]: name });
    expect(vm).toMatchObject({ spec: { runStrategy: 'Manual', dataVolumeTemplates: [{ spec: { sourceRef: { kind: 'DataSource', name: 'windows11', namespace: 'golden-images' } } }], template: { spec: { domain: { cpu: { cores: 2 } } } } } });
    expect(putCount(ns, vmName, 'start')).toBe(1);
    expect(server.get('', 'v1', 'services', ns, `${vmName}-rdp`)).toBeDefined();
    expect(server.get('', 'v1', 'persistentvolumeclaims', ns, `${vmName}-user`)).toBeDefined();
    // The session's idle timeout (600 s) becomes Windows' own idle disconnect (MaxIdleTime, ms) in the VM's answer file.
    const answer = server.get('', 'v1', 'configmaps', ns, `${vmName}-sysprep`) as unknown as { data: Record<string, string> };
    expect(answer.data['unattend.xml']).toContain('/v MaxIdleTime /t REG_DWORD /d 600000 /f');
    expect(vm).toMatchObject({ spec: { template: { spec: { volumes: expect.arrayContaining([{ name: 'sysprep', sysprep: { configMap: { name: `${vmName}-sysprep` } } }]) } } } });
    expect(server.get('', 'v1', 'namespaces', undefined, ns)?.metadata.labels).toMatchObject({ [USER_LABEL]: userNs });
    const ready = await sessions.get(name);
    expect(ready.metadata.finalizers).toContain(SESSION_FINALIZER);
    expect(ready.status).toMatchObject({ progress: 100, rdpEndpoint: `${vmName}-rdp.${ns}.svc.cluster.local:3389`, readyAt: clock.now().toISOString() });
    expect(ready.status?.expiresAt).toBe(new Date(clock.now().getTime() + 3600_000).toISOString());
    // The VMI's node prices the session: instance type and capacity type from its labels.
    expect(ready.status).toMatchObject({ node: DESKTOP_NODE, instanceType: 'c8i.2xlarge', capacityType: 'on-demand' });
    expect(await sessions.cost(name, new Date(clock.now().getTime() + 1800_000))).toMatchObject({ priced: true, hours: 0.5, cost: 0.25 });

    // WHEN Guacamole records a connection without end_date
    const connection = await db.connect(userId, name, clock.now());
    // THEN the session is Connected
    await eventually(async () => (await phase(name)) === SessionPhase.CONNECTED, 10_000, 'Connected');

    // WHEN input stops for less than the idle timeout, nothing happens
    clock.advance(500);
    await new Promise((r) => setTimeout(r, 300));
    expect(await phase(name)).toBe(SessionPhase.CONNECTED);
    // An input report resets the idle clock
    await sessions.reportActivity(name, clock.now());
    clock.advance(500);
    await new Promise((r) => setTimeout(r, 300));
    expect(await phase(name)).toBe(SessionPhase.CONNECTED);

    // WHEN there is no input for the idle timeout
    clock.advance(101);
    // THEN the session is idle, not ended: the desktop disconnects the user itself (WorkSpaces Pools)
    const idle = await eventually(async () => { const s = await sessions.get(name); return condition(s, IDLE_CONDITION)?.status === 'True' ? s : undefined; }, 10_000, 'Idle');
    expect(idle.status?.phase).toBe(SessionPhase.CONNECTED);
    expect(server.get(...vmRef(ns), vmName)).toBeDefined();

    // WHEN Windows disconnects the idle user (Guacamole's history row closes)
    await db.disconnect(connection, clock.now());
    const disconnected = await eventually(() => sessionIn(name, SessionPhase.DISCONNECTED), 10_000, 'Disconnected');
    expect(condition(disconnected, IDLE_CONDITION)).toMatchObject({ status: 'False', reason: 'Disconnected' });
    // THEN the disconnect timeout runs, and ends the session
    clock.advance(121);
    const ended = await eventually(() => sessionIn(name, SessionPhase.ENDED), 10_000, 'Ended');
    expect(ended.status).toMatchObject({ endReason: EndReason.DISCONNECT_TIMEOUT, endedAt: clock.now().toISOString() });
    expect(server.get(...vmRef(ns), vmName)).toBeUndefined();
    expect(server.get('', 'v1', 'services', ns, `${vmName}-rdp`)).toBeUndefined();
    expect(server.get('', 'v1', 'persistentvolumeclaims', ns, `${vmName}-user`)).toBeUndefined();
    expect(server.get('', 'v1', 'configmaps', ns, `${vmName}-sysprep`)).toBeUndefined();
    expect(server.get('', 'v1', 'namespaces', undefined, ns)).toBeDefined();
    // The isolation is the user's, not the session's: it stays for their next session.
    expectUserIsolation(ns);

    // WHEN the ended session is deleted THEN its finalizer is removed and it is gone
    await client.delete({ group: 'sessions.desktop.io', version: 'v1alpha1', plural: 'desktopsessions', namespace: NAMESPACE }, name);
    await eventually(async () => !(await client.tryGet({ group: 'sessions.desktop.io', version: 'v1alpha1', plural: 'desktopsessions', namespace: NAMESPACE }, name)), 10_000, 'deletion');
  });

  test('an idle connection the desktop never closes ends after idle + disconnect timeout', async () => {
    const { session, vmName, ns } = await readySession();
    const name = session.metadata.name;
    await db.connect(userId, name, clock.now());
    await eventually(async () => (await phase(name)) === SessionPhase.CONNECTED, 10_000, 'Connected');
    clock.advance(600);
    await eventually(async () => condition(await sessions.get(name), IDLE_CONDITION)?.status === 'True', 10_000, 'Idle');
    clock.advance(119);
    await new Promise((r) => setTimeout(r, 300));
    expect(await phase(name)).toBe(SessionPhase.CONNECTED);
    clock.advance(1);
    const ended = await eventually(() => sessionIn(name, SessionPhase.ENDED), 10_000, 'Ended');
    expect(ended.status?.endReason).toBe(EndReason.IDLE_TIMEOUT);
    expect(server.get(...vmRef(ns), vmName)).toBeUndefined();
  });

  test('onDisconnect Stop: the VM is stopped with its disks, the session waits, and resume() starts it again (start on connect)', async () => {
    const { session, vmName, ns } = await readySession(userId, { onDisconnect: DisconnectAction.STOP });
    const name = session.metadata.name;
    const firstReady = await sessions.get(name);
    const first = await db.connect(userId, name, clock.now());
    await eventually(async () => (await phase(name)) === SessionPhase.CONNECTED, 10_000, 'Connected');
    await db.disconnect(first, clock.now());
    await eventually(async () => (await phase(name)) === SessionPhase.DISCONNECTED, 10_000, 'Disconnected');

    // WHEN the disconnect timeout passes THEN the VM is stopped through the stop subresource, not deleted
    clock.advance(121);
    const stopped = await eventually(async () => { const s = await sessions.get(name); return condition(s, DESKTOP_STOPPED_CONDITION)?.status === 'True' ? s : undefined; }, 10_000, 'DesktopStopped');
    expect(stopped.status).toMatchObject({ phase: SessionPhase.DISCONNECTED });
    expect(stopped.status?.endReason).toBeUndefined();
    expect(vmRequests(server, ns, vmName)).toEqual([expect.objectContaining({ action: 'Stop' })]);
    expect(putCount(ns, vmName, 'stop')).toBe(1);
    haltVm(server, ns, vmName);
    // A stopped desktop is not "lost": the session stays, with its disks.
    clock.advance(600);
    await new Promise((r) => setTimeout(r, 400));
    const waiting = await sessions.get(name);
    expect(waiting.status?.phase).toBe(SessionPhase.DISCONNECTED);
    expect(server.get('', 'v1', 'persistentvolumeclaims', ns, `${vmName}-user`)).toBeDefined();
    expect(server.get(...vmRef(ns), vmName)).toBeDefined();
    // The SDK's cost leaves the stopped time out: 121 s ran, 600 s stopped so far.
    const t0 = Date.parse(firstReady.status!.readyAt!);
    const at = (seconds: number) => new Date(t0 + seconds * 1000);
    expect((await sessions.cost(name, clock.now())).hours * 3600).toBeCloseTo(121, 3);
    expect((await sessions.usage(userId, at(100), at(721))).totalHours * 3600).toBeCloseTo(21, 3);

    // WHEN the user comes back THEN the controller starts the VM and the session goes Provisioning → Ready
    await sessions.resume(name);
    await sessions.resume(name); // idempotent
    await eventually(() => vmRequests(server, ns, vmName).some((r) => r.action === 'Start'), 10_000, 'the start request');
    expect(await phase(name)).toBe(SessionPhase.PROVISIONING);
    runVm(server, ns, vmName);
    const resumed = await eventually(() => sessionIn(name, SessionPhase.READY), 10_000, 'Ready again');
    expect(putCount(ns, vmName, 'start')).toBe(2);
    expect(resumed.status).toMatchObject({ readyAt: firstReady.status?.readyAt, expiresAt: firstReady.status?.expiresAt, resumedAt: expect.any(String) });
    expect(condition(resumed, DESKTOP_STOPPED_CONDITION)).toMatchObject({ status: 'False', reason: 'Resumed' });
    // The disconnect timeout counts from the resume, not from the connection that ended before the stop.
    clock.advance(60);
    await new Promise((r) => setTimeout(r, 300));
    expect(await phase(name)).toBe(SessionPhase.READY);
    expect(putCount(ns, vmName, 'stop')).toBe(1);
    // The ended stop is kept as its total; the cost still leaves it out (781 s since Ready, 600 stopped).
    expect((await sessions.get(name)).status?.stoppedSeconds).toBe(600);
    expect((await sessions.cost(name, clock.now())).hours * 3600).toBeCloseTo(181, 3);
    expect((await sessions.usage(userId, at(721), at(781))).totalHours * 3600).toBeCloseTo(60, 3);
    expect((await sessions.usage(userId, at(-60), at(781))).totalHours * 3600).toBeCloseTo(181, 3);

    // The maximum duration still ends it (from the first Ready).
    clock.advance(3600);
    const ended = await eventually(() => sessionIn(name, SessionPhase.ENDED), 10_000, 'Ended');
    expect(ended.status?.endReason).toBe(EndReason.MAX_DURATION);
    expect(server.get(...vmRef(ns), vmName)).toBeUndefined();
    const endedAt = (Date.parse(ended.status!.endedAt!) - t0) / 1000;
    expect((await sessions.cost(name, at(endedAt + 3600))).hours * 3600).toBeCloseTo(endedAt - 600, 3);
  });

  test('onDisconnect Stop is refused at admission for desktops that cannot stop (Node)', async () => {
    // A renderer for Node desktops without stop(), as NodeDesktopRenderer: the node is the desktop.
    const nodeRenderer: DesktopRenderer = {
      render: () => { throw new Error('never rendered for a refused session'); },
      observe: async () => ({ ready: false, progress: 0, message: 'never observed' }),
    };
    await controller.stop();
    controller = new DesktopSessionController({ client, namespace: NAMESPACE, pollIntervalMs: 50, now: clock.now, leaderElection: false, renderers: { [DesktopKind.VM]: new KubeVirtDesktopRenderer(), [DesktopKind.NODE]: nodeRenderer } });
    await controller.start();
    await createClass(client, windows11Class({ kind: DesktopKind.NODE, goldenImage: undefined, ami: 'ami-0123456789abcdef0' }, 'win2022'));
    const session = await sessions.create({ userId, desktopClass: 'win2022', onDisconnect: DisconnectAction.STOP });
    const failed = await eventually(() => sessionIn(session.metadata.name, SessionPhase.FAILED), 10_000, 'Failed');
    expect(failed.status?.message).toMatch(/onDisconnect: Stop needs a desktop that can be stopped.*"win2022" has Node desktops \(the node is the desktop\); use onDisconnect: End/);
    expect(condition(failed, 'Ready')).toMatchObject({ reason: 'ActionNotSupported' });
    expect(server.get('', 'v1', 'namespaces', undefined, userNs)).toBeUndefined();
  });

  test('log-off from Windows (guest agent user list) ends the session; Keep keeps it; an absent agent is not a log-off', async () => {
    const { session, vmName, ns } = await readySession();
    const name = session.metadata.name;
    await db.connect(userId, name, clock.now());
    await eventually(async () => (await phase(name)) === SessionPhase.CONNECTED, 10_000, 'Connected');
    server.setGuestUsers(ns, vmName, [{ userName: 'alice', domain: 'DESKTOP', loginTime: clock.now().getTime() / 1000 }]);
    const signedIn = await eventually(async () => { const s = await sessions.get(name); return s.status?.loggedOnAt ? s : undefined; }, 10_000, 'loggedOnAt');
    expect(signedIn.status?.loggedOnAt).toBe(clock.now().toISOString());
    // The agent goes away: unknown, not a log-off.
    setAgentConnected(server, ns, vmName, false);
    server.setGuestUsers(ns, vmName, []);
    await new Promise((r) => setTimeout(r, 300));
    expect(await phase(name)).toBe(SessionPhase.CONNECTED);
    expect(server.requests.filter((r) => r.endsWith(`/virtualmachineinstances/${vmName}/userlist`)).length).toBeGreaterThan(0);
    // The agent reports nobody signed in: log-off, the session ends.
    setAgentConnected(server, ns, vmName, true);
    const ended = await eventually(() => sessionIn(name, SessionPhase.ENDED), 10_000, 'Ended');
    expect(ended.status).toMatchObject({ endReason: EndReason.USER_LOGOFF, message: 'You signed out of Windows.' });
    expect(server.get(...vmRef(ns), vmName)).toBeUndefined();

    // onLogoff: Keep
    const kept = await readySession('bob@example.com', { onLogoff: LogoffAction.KEEP });
    const bobNs = kept.ns;
    server.setGuestUsers(bobNs, kept.vmName, [{ userName: 'bob' }]);
    await eventually(async () => (await sessions.get(kept.session.metadata.name)).status?.loggedOnAt !== undefined, 10_000, 'loggedOnAt');
    server.setGuestUsers(bobNs, kept.vmName, []);
    await eventually(async () => (await sessions.get(kept.session.metadata.name)).status?.loggedOnAt === undefined, 10_000, 'log-off noticed');
    expect(await phase(kept.session.metadata.name)).toBe(SessionPhase.READY);
  });

  test('a desktop that dies after Ready fails the session with a message and releases it', async () => {
    const { session, vmName, ns } = await readySession();
    const name = session.metadata.name;
    // Windows shut down from inside: the VMI succeeded and nothing restarts a Manual VM.
    server.setStatus('kubevirt.io', 'v1', 'virtualmachineinstances', ns, vmName, { phase: 'Succeeded', nodeName: DESKTOP_NODE });
    server.setStatus(...vmRef(ns), vmName, { ready: false, printableStatus: 'Stopped' });
    const failed = await eventually(() => sessionIn(name, SessionPhase.FAILED), 10_000, 'Failed');
    expect(failed.status?.message).toMatch(/the desktop was lost after it was ready: the desktop stopped \(Desktop stopped\)/);
    expect(condition(failed, 'Ready')).toMatchObject({ status: 'False', reason: 'DesktopLost' });
    expect(server.get(...vmRef(ns), vmName)).toBeUndefined();
    // The capacity is released: the user may start again.
    await sessions.create({ userId, desktopClass: 'win11' });
  });

  test('a disconnected session ends after the disconnect timeout; reconnecting in time keeps it', async () => {
    const { session, vmName, ns } = await readySession();
    const name = session.metadata.name;
    const first = await db.connect(userId, name, clock.now());
    await eventually(async () => (await phase(name)) === SessionPhase.CONNECTED, 10_000, 'Connected');
    clock.advance(30);
    await db.disconnect(first, clock.now());
    const disconnected = await eventually(async () => { const s = await sessions.get(name); return s.status?.phase === SessionPhase.DISCONNECTED ? s : undefined; }, 10_000, 'Disconnected');
    expect(disconnected.status?.disconnectedAt).toBe(clock.now().toISOString());

    // Reconnect within the timeout
    clock.advance(100);
    const second = await db.connect(userId, name, clock.now());
    await eventually(async () => (await phase(name)) === SessionPhase.CONNECTED, 10_000, 'Connected again');
    await db.disconnect(second, clock.now());
    await eventually(async () => (await phase(name)) === SessionPhase.DISCONNECTED, 10_000, 'Disconnected again');

    clock.advance(121);
    const ended = await eventually(async () => { const s = await sessions.get(name); return s.status?.phase === SessionPhase.ENDED ? s : undefined; }, 10_000, 'Ended');
    expect(ended.status?.endReason).toBe(EndReason.DISCONNECT_TIMEOUT);
    expect(server.get(...vmRef(ns), vmName)).toBeUndefined();
  });

  test('a connected user is warned 5 minutes before the maximum duration, can extend, and is ended at the maximum', async () => {
    const { session } = await readySession();
    const name = session.metadata.name;
    await db.connect(userId, name, clock.now());
    await eventually(async () => (await phase(name)) === SessionPhase.CONNECTED, 10_000, 'Connected');
    await sessions.reportActivity(name, clock.now());

    clock.advance(3600 - 299);
    await sessions.reportActivity(name, clock.now());
    const warned = await eventually(async () => { const s = await sessions.get(name); return s.status?.expiryWarningAt ? s : undefined; }, 10_000, 'the warning');
    expect(warned.status?.phase).toBe(SessionPhase.CONNECTED);
    expect(warned.status?.conditions).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'ExpiryWarning', status: 'True' })]));

    // Extending withdraws the warning and moves expiresAt
    const before = Date.parse(warned.status!.expiresAt!);
    await sessions.extend(name, 600);
    const extended = await eventually(async () => { const s = await sessions.get(name); return s.status?.expiryWarningAt === undefined && Date.parse(s.status!.expiresAt!) === before + 600_000 ? s : undefined; }, 10_000, 'the extension');
    expect(extended.status?.conditions).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'ExpiryWarning', status: 'False' })]));

    clock.advance(600 + 300);
    await sessions.reportActivity(name, clock.now());
    const ended = await eventually(async () => { const s = await sessions.get(name); return s.status?.phase === SessionPhase.ENDED ? s : undefined; }, 10_000, 'Ended');
    expect(ended.status?.endReason).toBe(EndReason.MAX_DURATION);
  });

  test('a controller restarted between any two steps converges; 409 conflicts are retried', async () => {
    // Create, then restart before the controller has reconciled anything else.
    await controller.stop();
    const session = await sessions.create({ userId, desktopClass: 'win11' });
    const name = session.metadata.name;
    server.failNext('PATCH', /desktopsessions\/.+\/status$/, 409, 3);
    controller = newController();
    await controller.start();
    const provisioning = await eventually(async () => { const s = await sessions.get(name); return s.status?.desktopName ? s : undefined; }, 10_000, 'Provisioning');
    const ns = provisioning.status!.desktopNamespace!;
    const vmName = provisioning.status!.desktopName!;

    // Restart while provisioning; the VM becomes ready while no controller runs.
    await controller.stop();
    await eventually(() => server.get(...vmRef(ns), vmName), 10_000, 'the VM');
    server.setStatus(...vmRef(ns), vmName, { ready: true, printableStatus: 'Running' });
    controller = newController();
    await controller.start();
    await eventually(async () => (await phase(name)) === SessionPhase.READY, 10_000, 'Ready after restart');

    // Restart while ending.
    await sessions.end(name);
    await controller.stop();
    server.dropWatches();
    controller = newController();
    await controller.start();
    const ended = await eventually(async () => { const s = await sessions.get(name); return s.status?.phase === SessionPhase.ENDED ? s : undefined; }, 10_000, 'Ended after restart');
    expect(ended.status?.endReason).toBe(EndReason.USER_REQUEST);
    expect(server.get(...vmRef(ns), vmName)).toBeUndefined();
    // The injected conflicts were met and retried.
    expect(server.requests.filter((r) => r.startsWith('PATCH') && r.endsWith('/status')).length).toBeGreaterThan(3);
  });

  test('stop, resume and log-off converge across controller restarts and 409s; start and stop are each sent once', async () => {
    const { session, vmName, ns } = await readySession(userId, { onDisconnect: DisconnectAction.STOP });
    const name = session.metadata.name;
    server.setGuestUsers(ns, vmName, [{ userName: 'alice' }]);
    await eventually(async () => (await sessions.get(name)).status?.loggedOnAt !== undefined, 10_000, 'loggedOnAt');
    const first = await db.connect(userId, name, clock.now());
    await eventually(async () => (await phase(name)) === SessionPhase.CONNECTED, 10_000, 'Connected');
    await db.disconnect(first, clock.now());
    await eventually(async () => (await phase(name)) === SessionPhase.DISCONNECTED, 10_000, 'Disconnected');

    // The status write after the stop call fails twice: the stop is decided again, and not sent again.
    server.failNext('PATCH', /desktopsessions\/.+\/status$/, 409, 2);
    clock.advance(121);
    const stopped = await eventually(async () => { const s = await sessions.get(name); return condition(s, DESKTOP_STOPPED_CONDITION)?.status === 'True' ? s : undefined; }, 10_000, 'DesktopStopped');
    expect(putCount(ns, vmName, 'stop')).toBe(1);
    // A stopped desktop has nobody signed in: the next start needs a new sign-in.
    expect(stopped.status?.loggedOnAt).toBeUndefined();

    // The user comes back while no controller runs; the VM stops meanwhile.
    await controller.stop();
    haltVm(server, ns, vmName);
    await sessions.resume(name);
    controller = newController();
    await controller.start();
    await eventually(() => vmRequests(server, ns, vmName).some((r) => r.action === 'Start'), 10_000, 'the start request');
    // Restart while the start is pending: the new controller does not send another (virt-api would answer 500).
    await controller.stop();
    server.dropWatches();
    controller = newController();
    await controller.start();
    await eventually(async () => (await phase(name)) === SessionPhase.PROVISIONING, 10_000, 'Provisioning');
    await new Promise((r) => setTimeout(r, 300));
    expect(putCount(ns, vmName, 'start')).toBe(2);
    runVm(server, ns, vmName);
    await eventually(async () => (await phase(name)) === SessionPhase.READY, 10_000, 'Ready after resume');

    // Signed in, then signed out while no controller runs: the restarted controller still sees the log-off.
    server.setGuestUsers(ns, vmName, [{ userName: 'alice' }]);
    await eventually(async () => (await sessions.get(name)).status?.loggedOnAt !== undefined, 10_000, 'loggedOnAt again');
    await controller.stop();
    server.setGuestUsers(ns, vmName, []);
    controller = newController();
    await controller.start();
    const ended = await eventually(() => sessionIn(name, SessionPhase.ENDED), 10_000, 'Ended');
    expect(ended.status?.endReason).toBe(EndReason.USER_LOGOFF);
    expect(server.get(...vmRef(ns), vmName)).toBeUndefined();
  });

  test('a desktop that fails to start puts the session in Failed with a message and releases it', async () => {
    const session = await sessions.create({ userId, desktopClass: 'win11' });
    const name = session.metadata.name;
    const s = await eventually(async () => { const x = await sessions.get(name); return x.status?.desktopName ? x : undefined; }, 10_000, 'Provisioning');
    const ns = s.status!.desktopNamespace!;
    await eventually(() => server.get(...vmRef(ns), s.status!.desktopName!), 10_000, 'the VM');
    server.setStatus(...vmRef(ns), s.status!.desktopName!, { ready: false, printableStatus: 'ErrorUnschedulable' });
    const failed = await eventually(async () => { const x = await sessions.get(name); return x.status?.phase === SessionPhase.FAILED ? x : undefined; }, 10_000, 'Failed');
    expect(failed.status?.message).toMatch(/cannot start: ErrorUnschedulable/);
    expect(server.get(...vmRef(ns), s.status!.desktopName!)).toBeUndefined();
    // The capacity is released: the user may start again.
    await sessions.create({ userId, desktopClass: 'win11' });
  });

  test('a class whose isolation the controller cannot render fails its sessions before anything is created', async () => {
    // A dedicated NodePool per VM user is derived from the NodePool the class names; this class names none (CEL refuses it; the fake server runs no CEL).
    await createClass(client, windows11Class({ isolation: IsolationMode.DEDICATED_POOL }, 'win11-dedicated'));
    const session = await sessions.create({ userId, desktopClass: 'win11-dedicated' });
    const failed = await eventually(async () => { const s = await sessions.get(session.metadata.name); return s.status?.phase === SessionPhase.FAILED ? s : undefined; }, 10_000, 'Failed');
    expect(failed.status?.message).toMatch(/cannot be rendered for class "win11-dedicated".*spec.dedicatedPool.nodePoolTemplate/);
    expect(failed.status?.conditions).toEqual([expect.objectContaining({ type: 'Ready', status: 'False', reason: 'IsolationRefused' })]);
    expect(server.get('', 'v1', 'namespaces', undefined, userNs)).toBeUndefined();
    expect(server.list('kubevirt.io', 'v1', 'virtualmachines')).toHaveLength(0);
  });

  test('the per-user limit is enforced by the controller even when the SDK is bypassed', async () => {
    const ref = { group: 'sessions.desktop.io', version: 'v1alpha1', plural: 'desktopsessions', namespace: NAMESPACE };
    const body = (n: string) => ({ apiVersion: 'sessions.desktop.io/v1alpha1', kind: 'DesktopSession', metadata: { name: n, namespace: NAMESPACE }, spec: { userId, desktopClass: 'win11', size: 'small', maxUserDurationSeconds: 3600, disconnectTimeoutSeconds: 600, idleDisconnectTimeoutSeconds: 0 } });
    await Promise.all([client.create(ref, body('first'), 'test'), client.create(ref, body('second'), 'test'), client.create(ref, body('third'), 'test')]);
    const phases = await eventually(async () => {
      const all = await Promise.all(['first', 'second', 'third'].map((n) => phase(n)));
      return all.every((p) => p === SessionPhase.PROVISIONING || p === SessionPhase.FAILED) ? all : undefined;
    }, 10_000, 'admission');
    expect(phases.filter((p) => p === SessionPhase.PROVISIONING)).toHaveLength(1);
    const failed = (await sessions.list()).filter((s) => s.status?.phase === SessionPhase.FAILED);
    expect(failed.map((s) => s.status?.message)).toEqual([expect.stringMatching(/already has 1 active session/), expect.stringMatching(/already has 1 active session/)]);
    // Nothing was created for the refused sessions.
    await eventually(() => server.list('kubevirt.io', 'v1', 'virtualmachines').length === 1, 10_000, 'the admitted VM');
    await new Promise((r) => setTimeout(r, 300));
    expect(server.list('kubevirt.io', 'v1', 'virtualmachines')).toHaveLength(1);
  });

  test('a session ended while its desktop is still starting ends at once and deletes what it created', async () => {
    // GIVEN a session whose VM exists but never becomes ready
    const { metadata: { name } } = await sessions.create({ userId, desktopClass: 'win11' });
    const provisioning = await eventually(async () => { const s = await sessions.get(name); return s.status?.phase === SessionPhase.PROVISIONING && s.status.desktopName ? s : undefined; }, 10_000, 'Provisioning');
    const [ns, vm] = [provisioning.status!.desktopNamespace!, provisioning.status!.desktopName!];
    await eventually(() => server.get(...vmRef(ns), vm), 10_000, 'the VM');
    // WHEN the user ends it THEN it ends without waiting for Ready, and the VM is gone
    await sessions.end(name);
    await eventually(async () => (await phase(name)) === SessionPhase.ENDED, 10_000, 'Ended');
    expect((await sessions.get(name)).status).toMatchObject({ endReason: EndReason.USER_REQUEST });
    expect((await sessions.get(name)).status?.readyAt).toBeUndefined();
    expect(server.get(...vmRef(ns), vm)).toBeUndefined();
  });

  test('a session that is ending does not count against the per-user limit: the next one is admitted while the old desktop goes', async () => {
    const ref = { group: 'sessions.desktop.io', version: 'v1alpha1', plural: 'desktopsessions', namespace: NAMESPACE };
    const body = (n: string) => ({ apiVersion: 'sessions.desktop.io/v1alpha1', kind: 'DesktopSession', metadata: { name: n, namespace: NAMESPACE }, spec: { userId, desktopClass: 'win11', size: 'small', maxUserDurationSeconds: 3600, disconnectTimeoutSeconds: 600, idleDisconnectTimeoutSeconds: 0 } });
    // GIVEN a first session whose VM is held by a finalizer while it is deleted
    await client.create(ref, body('old'), 'test');
    const old = await eventually(async () => { const s = await sessions.get('old'); return s.status?.desktopName ? s : undefined; }, 10_000, 'the old desktop');
    const [ns, vm] = [old.status!.desktopNamespace!, old.status!.desktopName!];
    await eventually(() => server.get(...vmRef(ns), vm), 10_000, 'the old VM');
    await client.mergePatch({ group: 'kubevirt.io', version: 'v1', plural: 'virtualmachines', namespace: ns }, vm, { metadata: { finalizers: ['test/hold'] } }, 'test');
    await sessions.end('old');
    await eventually(async () => (await phase('old')) === SessionPhase.ENDING, 10_000, 'the old session Ending');
    // WHEN the user starts another session of the class THEN it is admitted, not refused
    await client.create(ref, body('new'), 'test');
    await eventually(async () => { const p = await phase('new'); return p === SessionPhase.PROVISIONING || p === SessionPhase.FAILED ? p : undefined; }, 10_000, 'admission');
    expect(await phase('new')).toBe(SessionPhase.PROVISIONING);
    // AND the old one ends once its VM is gone
    await client.mergePatch({ group: 'kubevirt.io', version: 'v1', plural: 'virtualmachines', namespace: ns }, vm, { metadata: { finalizers: [] } }, 'test');
    await eventually(async () => (await phase('old')) === SessionPhase.ENDED, 10_000, 'the old session Ended');
  });
});
