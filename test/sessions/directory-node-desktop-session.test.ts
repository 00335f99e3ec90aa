import { kubernetesNameForUser } from '../../constructs/common/kubernetes-name';
import { sessionName } from '../../constructs/node-desktops/node-desktop-session';
import { SESSION_SCRIPT_ENV, SessionAccountKind } from '../../constructs/node-desktops/session-script';
import { DesktopKind, DesktopSession, SessionPhase } from '../../constructs/sessions/api';
import { SignInBroker } from '../../constructs/sessions/broker/sign-in-broker';
import { KubeVirtDesktopRenderer } from '../../constructs/sessions/controller/desktop-renderer';
import { DesktopSessionController } from '../../constructs/sessions/controller/desktop-session-controller';
import { NodeDesktopRenderer } from '../../constructs/sessions/controller/node-desktop-renderer';
import { KubernetesClient } from '../../constructs/sessions/runtime/kubernetes-client';
import { DesktopSessions } from '../../constructs/sessions/sdk/desktop-sessions';
import { InvalidSessionRequestError } from '../../constructs/sessions/sdk/errors';
import { FakeKubeApiServer } from '../support/fake-kube-api-server';
import { JSON_KEY, TestAlb } from './broker-test-support';
import { NAMESPACE, eventually, installNodeDesktopPool, nodeDesktopTemplate, startApi } from './session-test-support';

jest.setTimeout(30_000);

/** A pool whose desktops join a directory: users sign in with their own domain account. */
const TEMPLATE = nodeDesktopTemplate({ script: { account: SessionAccountKind.DOMAIN }, joinSecretName: 'domain-join' });
const CLAIM = 'custom:samaccountname';
const SESSIONS = { group: 'sessions.desktop.io', version: 'v1alpha1', plural: 'desktopsessions' } as const;

type PodView = { spec: { containers: Array<{ env: Array<{ name: string; value?: string }> }> } };
const userNameOf = (pod: unknown) => (pod as PodView).spec.containers[0].env.find((e) => e.name === SESSION_SCRIPT_ENV.userName)?.value;

describe('Directory node desktops: spec.windowsAccount (fake API server)', () => {
  let server: FakeKubeApiServer;
  let client: KubernetesClient;
  let sessions: DesktopSessions;
  let controller: DesktopSessionController;
  let broker: SignInBroker;
  let base: string;
  const alb = new TestAlb();
  const ns = TEMPLATE.namespace;

  beforeEach(async () => {
    ({ server, client } = await startApi());
    sessions = new DesktopSessions(client, NAMESPACE);
    await installNodeDesktopPool(client, TEMPLATE);
    const node = await NodeDesktopRenderer.fromConfigMap(client, ns, 'win2022');
    controller = new DesktopSessionController({ client, namespace: NAMESPACE, pollIntervalMs: 50, leaderElection: false, renderers: { [DesktopKind.VM]: new KubeVirtDesktopRenderer(), [DesktopKind.NODE]: node } });
    await controller.start();
    broker = new SignInBroker({
      sessions, verifier: alb.verifier(), desktopClass: 'win2022', guacamoleUrl: 'https://desktops.example.com/guacamole/', jsonAuthKeyHex: JSON_KEY,
      windowsAccountClaim: CLAIM, nodeDesktops: { namespace: ns, localAccounts: false },
    });
    base = await broker.listen(0, '127.0.0.1');
  });

  afterEach(async () => {
    await broker.close();
    await controller.stop();
    client.close();
    await server.stop();
  });

  const phaseOf = async (name: string, phase: SessionPhase) => eventually(async () => { const s = await sessions.get(name); return s.status?.phase === phase ? s : undefined; }, 10_000, phase);

  test('a session without windowsAccount fails with WindowsAccountRequired before anything is created', async () => {
    // GIVEN the pool's namespace as it was before the session
    const before = server.requests.length;
    // WHEN a client creates a session without the account
    const session = await sessions.create({ userId: 'dave@example.com', desktopClass: 'win2022', size: 'medium' });
    // THEN it fails with a clear reason
    const failed = await phaseOf(session.metadata.name, SessionPhase.FAILED);
    expect(failed.status?.conditions).toEqual(expect.arrayContaining([expect.objectContaining({ reason: 'WindowsAccountRequired' })]));
    expect(failed.status?.message).toMatch(/joins a directory, so the session needs spec\.windowsAccount \(the user's sAMAccountName\)/);
    // AND nothing was written: no session pod, no Service, no user namespace
    const writes = server.requests.slice(before).filter((r) => !/^GET /.test(r) && !/desktopsessions/.test(r));
    expect(writes).toEqual([]);
    expect(server.get('', 'v1', 'pods', ns, sessionName('dave@example.com'))).toBeUndefined();
    expect(server.get('', 'v1', 'namespaces', undefined, kubernetesNameForUser('userId', 'dave@example.com'))).toBeUndefined();
  });

  test('with windowsAccount (SDK create) the session pod signs in that account', async () => {
    const session = await sessions.create({ userId: 'erin@example.com', desktopClass: 'win2022', size: 'medium', windowsAccount: 'erin.w' });
    expect(session.spec.windowsAccount).toBe('erin.w');
    const pod = await eventually(() => server.get('', 'v1', 'pods', ns, sessionName('erin@example.com')), 10_000, 'the session pod');
    expect(userNameOf(pod)).toBe('erin.w');
    // A second create for the same key returns the session, but never changes its account.
    expect((await sessions.create({ userId: 'erin@example.com', desktopClass: 'win2022', windowsAccount: 'erin.w' })).metadata.name).toBe(session.metadata.name);
    await expect(sessions.create({ userId: 'erin@example.com', desktopClass: 'win2022', windowsAccount: 'mallory' })).rejects.toThrow(InvalidSessionRequestError);
  });

  test('the SDK refuses an invalid account before writing anything', async () => {
    for (const bad of ['a/b', 'x'.repeat(21), '...', 'a@corp', '']) {
      await expect(sessions.create({ userId: 'frank@example.com', desktopClass: 'win2022', windowsAccount: bad })).rejects.toMatchObject({ code: 'InvalidRequest', field: 'windowsAccount' });
    }
    expect(server.list(SESSIONS.group, SESSIONS.version, SESSIONS.plural, NAMESPACE)).toEqual([]);
  });

  test('the broker fills windowsAccount from the identity token\'s claim; the controller renders it', async () => {
    // WHEN a user signs in with the claim
    const res = await fetch(`${base}/`, { headers: { 'x-amzn-oidc-data': alb.token({ sub: 'grace-sub', [CLAIM]: 'grace' }) }, redirect: 'manual' });
    // THEN the progress page, and a session carrying the account, whose pod signs it in
    expect(res.status).toBe(200);
    const [session] = server.list(SESSIONS.group, SESSIONS.version, SESSIONS.plural, NAMESPACE) as unknown as DesktopSession[];
    expect(session.spec).toMatchObject({ userId: 'grace-sub', windowsAccount: 'grace' });
    const pod = await eventually(() => server.get('', 'v1', 'pods', ns, sessionName('grace-sub')), 10_000, 'the session pod');
    expect(userNameOf(pod)).toBe('grace');
  });

  test.each([
    ['missing', {}, /claim &quot;custom:samaccountname&quot; is missing/],
    ['not an account name', { [CLAIM]: 'grace<script>' }, /is not a valid account name: a Windows account name has 1 to 20 characters/],
    ['too long', { [CLAIM]: 'g'.repeat(21) }, /is not a valid account name/],
    ['not a string', { [CLAIM]: ['grace'] }, /is not a valid account name/],
  ])('a sign-in whose claim is %s gets an error page and no session', async (_what, claims, message) => {
    for (const [method, path] of [['GET', '/'], ['POST', '/start']] as const) {
      const res = await fetch(`${base}${path}`, { method, headers: { 'x-amzn-oidc-data': alb.token({ sub: 'henry-sub', ...claims }), ...(method === 'POST' ? { origin: base } : {}) }, redirect: 'manual' });
      const body = await res.text();
      expect([method, res.status]).toEqual([method, 403]);
      expect(body).toMatch(message);
      expect(body).not.toContain('<script>');
    }
    expect(server.list(SESSIONS.group, SESSIONS.version, SESSIONS.plural, NAMESPACE)).toEqual([]);
  });
});
