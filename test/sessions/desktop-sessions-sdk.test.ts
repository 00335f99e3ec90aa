import { DesktopSession, SessionPhase } from '../../constructs/sessions/api';
import { DesktopSessionController } from '../../constructs/sessions/controller/desktop-session-controller';
import { SESSION_RESOURCE } from '../../constructs/sessions/resources';
import { KubernetesApiError, KubernetesClient } from '../../constructs/sessions/runtime/kubernetes-client';
import { DesktopSessions } from '../../constructs/sessions/sdk/desktop-sessions';
import { InvalidSessionRequestError, SessionLimitExceededError, SessionNotFoundError, UnknownDesktopClassError } from '../../constructs/sessions/sdk/errors';
import { FakeKubeApiServer } from '../support/fake-kube-api-server';
import { NAMESPACE, createClass, eventually, startApi, windows11Class } from './session-test-support';

jest.setTimeout(30_000);

describe('DesktopSessions SDK over the fake API server', () => {
  let server: FakeKubeApiServer;
  let client: KubernetesClient;
  let sessions: DesktopSessions;

  beforeEach(async () => {
    ({ server, client } = await startApi());
    sessions = new DesktopSessions(client, NAMESPACE);
    await createClass(client, windows11Class({ sessionsPerUser: 1, prices: [{ instanceType: 'c8i.2xlarge', capacityType: 'on-demand', hourlyPrice: 0.5 }] }));
  });
  afterEach(async () => {
    client.close();
    await server.stop();
  });

  test('bad input is refused with typed errors and creates nothing', async () => {
    await expect(sessions.create({ userId: 'alice@example.com', desktopClass: 'nope' })).rejects.toBeInstanceOf(UnknownDesktopClassError);
    await expect(sessions.create({ userId: ' alice', desktopClass: 'win11' })).rejects.toThrow(InvalidSessionRequestError);
    await expect(sessions.create({ userId: 'alice@example.com', desktopClass: 'win11', timeouts: { maxUserDurationSeconds: 300 } })).rejects.toThrow(/maxUserDurationSeconds is 300; give whole seconds from 600/);
    await expect(sessions.create({ userId: 'alice@example.com', desktopClass: 'win11', timeouts: { disconnectTimeoutSeconds: 10 } })).rejects.toThrow(/disconnectTimeoutSeconds is 10/);
    await expect(sessions.create({ userId: 'alice@example.com', desktopClass: 'win11', size: 'xlarge' })).rejects.toThrow(/size "xlarge" is not allowed by DesktopClass "win11"; use one of small, medium/);
    await expect(sessions.get('missing')).rejects.toBeInstanceOf(SessionNotFoundError);
    expect(await sessions.list()).toEqual([]);
  });

  test('the API server refuses out-of-range timeouts from the CRD schema (422), whoever writes them', async () => {
    const body = { apiVersion: 'sessions.desktop.io/v1alpha1', kind: 'DesktopSession', metadata: { name: 'direct', namespace: NAMESPACE }, spec: { userId: 'bob', desktopClass: 'win11', size: 'small', maxUserDurationSeconds: 10, disconnectTimeoutSeconds: 60, idleDisconnectTimeoutSeconds: 0 } };
    const error = await client.create(SESSION_RESOURCE(NAMESPACE), body, 'test').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubernetesApiError);
    expect((error as KubernetesApiError).code).toBe(422);
    expect((error as KubernetesApiError).message).toMatch(/spec.maxUserDurationSeconds: must be >= 600/);
  });

  test('duplicate create requests give one session; the limit refuses a second one', async () => {
    const created = await Promise.all([1, 2, 3].map(() => sessions.create({ userId: 'alice@example.com', desktopClass: 'win11' })));
    expect(new Set(created.map((s) => s.metadata.name)).size).toBe(1);
    expect(await sessions.list({ userId: 'alice@example.com' })).toHaveLength(1);
    const second = sessions.create({ userId: 'alice@example.com', desktopClass: 'win11', requestId: 'another' });
    await expect(second).rejects.toBeInstanceOf(SessionLimitExceededError);
    await expect(second).rejects.toThrow(/already has 1 active session\(s\).*the class allows 1/);
  });

  test('extend, end, watch and cost', async () => {
    const controller = new DesktopSessionController({ client, namespace: NAMESPACE, pollIntervalMs: 50, leaderElection: false });
    await controller.start();
    try {
      const s = await sessions.create({ userId: 'carol@example.com', desktopClass: 'win11', timeouts: { maxUserDurationSeconds: 3600 } });
      const seen: Array<SessionPhase | undefined> = [];
      const watch = await sessions.watch(s.metadata.name, (x: DesktopSession | undefined) => seen.push(x?.status?.phase));
      const provisioning = await eventually(async () => { const x = await sessions.get(s.metadata.name); return x.status?.desktopName ? x : undefined; });
      await eventually(() => server.get('kubevirt.io', 'v1', 'virtualmachines', provisioning.status!.desktopNamespace, provisioning.status!.desktopName!));
      server.setStatus('kubevirt.io', 'v1', 'virtualmachines', provisioning.status!.desktopNamespace, provisioning.status!.desktopName!, { ready: true });
      await eventually(async () => (await sessions.get(s.metadata.name)).status?.phase === SessionPhase.READY);
      expect((await sessions.extend(s.metadata.name, 1800)).spec.maxUserDurationSeconds).toBe(5400);
      // A price is known once the status carries the instance type; without one the cost is 0 and flagged.
      const cost = await sessions.cost(s.metadata.name, new Date(Date.now() + 3_600_000));
      expect(cost).toMatchObject({ priced: false, cost: 0, currency: 'USD' });
      expect(cost.hours).toBeGreaterThan(0.99);
      await sessions.end(s.metadata.name);
      await eventually(async () => (await sessions.get(s.metadata.name)).status?.phase === SessionPhase.ENDED);
      await eventually(() => seen.includes(SessionPhase.ENDED));
      watch.stop();
      expect(seen).toEqual(expect.arrayContaining([SessionPhase.PROVISIONING, SessionPhase.READY, SessionPhase.ENDING, SessionPhase.ENDED]));
      await expect(sessions.extend(s.metadata.name, 600)).rejects.toThrow(/is Ended; it can no longer be extended/);
      const usage = await sessions.usage('carol@example.com', new Date(Date.now() - 60_000), new Date(Date.now() + 60_000));
      expect(usage.byClass.win11.hours).toBeGreaterThan(0);
    } finally {
      await controller.stop();
    }
  });

  test('two controller replicas: one leads over the Lease; the other takes over when it stops', async () => {
    const a = new DesktopSessionController({ client, namespace: NAMESPACE, pollIntervalMs: 50, identity: 'a' });
    const b = new DesktopSessionController({ client, namespace: NAMESPACE, pollIntervalMs: 50, identity: 'b' });
    await a.start();
    await eventually(() => a.isLeader);
    await b.start();
    await new Promise((r) => setTimeout(r, 300));
    expect([a.isLeader, b.isLeader]).toEqual([true, false]);
    expect(server.get('coordination.k8s.io', 'v1', 'leases', NAMESPACE, 'desktop-session-controller')?.spec).toMatchObject({ holderIdentity: 'a' });
    await a.stop();
    await eventually(() => b.isLeader, 10_000, 'b to lead');
    const s = await sessions.create({ userId: 'dave@example.com', desktopClass: 'win11' });
    await eventually(async () => (await sessions.get(s.metadata.name)).status?.phase === SessionPhase.PROVISIONING);
    await b.stop();
  });
});
