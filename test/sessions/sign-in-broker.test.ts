import type { Browser, BrowserContext, Page } from 'puppeteer-core';
import { DESKTOP_STOPPED_CONDITION, DesktopSession, DisconnectAction, RESUME_ANNOTATION, SessionPhase } from '../../constructs/sessions/api';
import { SignInBroker } from '../../constructs/sessions/broker/sign-in-broker';
import { DesktopSessionController } from '../../constructs/sessions/controller/desktop-session-controller';
import { KubernetesClient } from '../../constructs/sessions/runtime/kubernetes-client';
import { DesktopSessions } from '../../constructs/sessions/sdk/desktop-sessions';
import { BROWSERS, browserTest, browserTitle } from '../support/browsers';
import { FakeKubeApiServer } from '../support/fake-kube-api-server';
import { GuacamoleStandIn, JSON_KEY, TestAlb, decryptJsonAuth } from './broker-test-support';
import { DesktopKind } from '../../constructs/sessions/api';
import { KubeVirtDesktopRenderer } from '../../constructs/sessions/controller/desktop-renderer';
import { NodeDesktopRenderer } from '../../constructs/sessions/controller/node-desktop-renderer';
import { sessionName, sessionPasswordSecretName } from '../../constructs/node-desktops/session-names';
import { NAMESPACE, createClass, eventually, installNodeDesktopPool, nodeDesktopTemplate, runVm, sessionPodStatus, startApi, vmRequests } from './session-test-support';

jest.setTimeout(90_000);

/** Evaluates an expression in the page (the tests' tsconfig has no DOM types, so it is a string). */
async function inPage<T>(page: Page, expression: string): Promise<T> {
  return page.evaluate(expression) as Promise<T>;
}
const text = (page: Page, selector: string) => inPage<string | null>(page, `document.querySelector(${JSON.stringify(selector)})?.textContent ?? null`);

/** Clicks and waits for the navigation the click starts (a form POST and its 303). */
async function clickAndWait(page: Page, selector: string): Promise<void> {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
}

/** A fresh browser context whose every request carries the ALB's identity header (or none). */
async function openSignedIn(on: Browser, token: string | undefined): Promise<{ context: BrowserContext; page: Page }> {
  const context = await on.createBrowserContext();
  const page = await context.newPage();
  if (token) await page.setExtraHTTPHeaders({ 'x-amzn-oidc-data': token });
  return { context, page };
}

// The same scenarios in each browser: Chromium (CDP) and Firefox ESR (WebDriver BiDi).
describe.each(BROWSERS.map((b) => [browserTitle(b), b] as const))('sign-in broker in headless %s', (_name, testBrowser) => {
  const it = browserTest(testBrowser);
  let server: FakeKubeApiServer;
  let client: KubernetesClient;
  let controller: DesktopSessionController;
  let broker: SignInBroker;
  let brokerUrl: string;
  const guacamole = new GuacamoleStandIn();
  let browser: Browser;
  const received = guacamole.received;
  const alb = new TestAlb();

  const signedIn = (token: string | undefined, on: Browser = browser) => openSignedIn(on, token);

  /** Starts a user's session from the portal and makes its desktop ready once it exists. */
  async function makeReadyWhenProvisioned(userId: string) {
    const sessions = new DesktopSessions(client, NAMESPACE);
    const session = await eventually(async () => (await sessions.list({ userId })).find((s) => s.status?.desktopName));
    await eventually(() => server.get('kubevirt.io', 'v1', 'virtualmachines', session.status!.desktopNamespace, session.status!.desktopName!));
    return {
      session,
      ready: async () => {
        server.setStatus('kubevirt.io', 'v1', 'virtualmachines', session.status!.desktopNamespace, session.status!.desktopName!, { ready: true });
        await eventually(async () => (await sessions.get(session.metadata.name)).status?.phase === SessionPhase.READY);
      },
    };
  }

  /** Requests the broker has answered on a route (its latency histogram's count). */
  async function requestCount(route: string): Promise<number> {
    const metric = await broker.registry.getSingleMetric('desktop_broker_request_seconds')!.get();
    return (metric.values as Array<{ metricName?: string; labels: Record<string, string | number>; value: number }>)
      .find((v) => v.metricName === 'desktop_broker_request_seconds_count' && v.labels.route === route)?.value ?? 0;
  }

  beforeAll(async () => {
    if (testBrowser.missing !== undefined) return;
    ({ server, client } = await startApi());
    await createClass(client);
    controller = new DesktopSessionController({ client, namespace: NAMESPACE, pollIntervalMs: 50, leaderElection: false });
    await controller.start();
    const guacamoleUrl = await guacamole.start();
    broker = new SignInBroker({
      sessions: new DesktopSessions(client, NAMESPACE),
      verifier: alb.verifier(),
      desktopClass: 'win11',
      guacamoleUrl,
      jsonAuthKeyHex: JSON_KEY,
      adminUserIds: ['admin-sub'],
      basePath: '/portal',
    });
    // Served under /portal, as on the gateway's shared ALB.
    brokerUrl = `${await broker.listen(0, '127.0.0.1')}/portal`;
    browser = await testBrowser.launch();
  });

  afterAll(async () => {
    await browser?.close();
    await broker?.close();
    await guacamole.stop();
    await controller?.stop();
    client?.close();
    await server?.stop();
  });

  it('signed-in request → progress page following the event stream → redirect into Guacamole with a token for exactly the user\'s desktop; extend and end', async () => {
    // GIVEN the ALB's verified identity on every request
    const { context, page } = await signedIn(alb.token({ sub: 'user-sub-1', email: 'erin@example.com' }));

    // WHEN the user opens the portal THEN a labelled progress bar and a live status region show
    await page.goto(`${brokerUrl}/`);
    expect(await text(page, 'h1')).toBe('Starting your desktop');
    expect(await inPage(page, `document.querySelectorAll('[role=status][aria-live=polite]').length`)).toBe(1);
    expect(await inPage(page, `document.querySelector('label[for=progress]').textContent`)).toBe('Progress');
    expect(await inPage(page, `document.getElementById('progress').max`)).toBe(100);
    await inPage(page, 'window.notReloaded = true');
    // AND the keyboard reaches the page's link and button, in reading order
    await page.keyboard.press('Tab');
    expect(await inPage(page, 'document.activeElement.textContent')).toBe('Check now');
    await page.keyboard.press('Tab');
    expect(await inPage(page, 'document.activeElement.textContent')).toBe('Cancel');

    // AND as the desktop is provisioned, the bar and message follow the session without a reload
    const { session, ready } = await makeReadyWhenProvisioned('user-sub-1');
    const sessions = new DesktopSessions(client, NAMESPACE);
    // The controller may move on between a read and the page's update: compare with the session as it is now.
    await eventually(async () => {
      const status = (await sessions.get(session.metadata.name)).status!;
      return status.progress! > 0
        && (await inPage<number>(page, `document.getElementById('progress').value`)) === status.progress
        && (await text(page, '#message')) === status.message;
    }, 10_000, 'progress bar and message following the session');
    expect(await inPage(page, 'window.notReloaded')).toBe(true);
    expect(server.openWatches('sessions.desktop.io', 'v1alpha1', 'desktopsessions')).toBe(2); // the controller's informer and the broker's one

    // WHEN the desktop becomes ready THEN the event stream sends the browser into Guacamole
    await ready();
    await eventually(() => page.url().includes('/guacamole/?data='), 15_000, 'redirect into Guacamole');
    await eventually(async () => (await text(page, 'h1')) === 'Guacamole');

    // AND the token decrypts to this user and exactly their desktop
    const payload = decryptJsonAuth(received[received.length - 1]);
    expect(payload.username).toBe('user-sub-1');
    expect(payload.expires).toBeGreaterThan(Date.now());
    expect(payload.expires).toBeLessThanOrEqual(Date.now() + 61_000);
    expect(Object.keys(payload.connections)).toEqual([session.metadata.name]);
    expect(payload.connections[session.metadata.name]).toMatchObject({
      protocol: 'rdp',
      parameters: { hostname: `${session.status!.desktopName}-rdp.${session.status!.desktopNamespace}.svc.cluster.local`, port: '3389', 'disable-copy': 'true', 'cert-tofu': 'true', 'ignore-cert': 'false' },
    });
    // A VM desktop: the user types their Windows credentials; the broker hands none.
    expect(payload.connections[session.metadata.name].parameters.username).toBeUndefined();
    expect(payload.connections[session.metadata.name].parameters.password).toBeUndefined();

    // AND the session page extends and ends the session
    await page.goto(`${brokerUrl}/session`);
    await clickAndWait(page, 'form[action=extend] button');
    expect(await text(page, '#phase')).toBe('Ready');
    expect((await sessions.get(session.metadata.name)).spec.maxUserDurationSeconds).toBe(8 * 3600 + 3600);
    await clickAndWait(page, 'form[action=end] button');
    expect((await sessions.get(session.metadata.name)).spec.endRequested).toBe(true);
    await context.close();
  });

  it('with JavaScript off, the progress page refreshes itself and still ends in Guacamole', async () => {
    const noScript = await testBrowser.launch({ javaScript: false });
    try {
      const streamsBefore = await requestCount('GET /events');
      const { page } = await signedIn(alb.token({ sub: 'user-sub-nojs' }), noScript);
      const response = await page.goto(`${brokerUrl}/`);
      expect(await response?.text()).toContain('<h1>Starting your desktop</h1>');
      const { session, ready } = await makeReadyWhenProvisioned('user-sub-nojs');
      await ready();
      await eventually(() => page.url().includes('/guacamole/?data='), 15_000, 'redirect into Guacamole by the <noscript> refresh');
      expect(Object.keys(decryptJsonAuth(received[received.length - 1]).connections)).toEqual([session.metadata.name]);
      // The script really was off: the page never opened the event stream.
      expect(await requestCount('GET /events')).toBe(streamsBefore);
    } finally {
      await noScript.close();
    }
  });

  it('start on connect: opening the portal with a stopped desktop starts it, shows progress, then enters Guacamole', async () => {
    const sessions = new DesktopSessions(client, NAMESPACE);
    const created = await sessions.create({ userId: 'user-sub-resume', desktopClass: 'win11', onDisconnect: DisconnectAction.STOP });
    const name = created.metadata.name;
    const provisioning = await eventually(async () => { const s = await sessions.get(name); return s.status?.desktopName ? s : undefined; });
    const [ns, vm] = [provisioning.status!.desktopNamespace!, provisioning.status!.desktopName!];
    await eventually(() => vmRequests(server, ns, vm).some((r) => r.action === 'Start'));
    runVm(server, ns, vm);
    const ready = await eventually(async () => { const s = await sessions.get(name); return s.status?.phase === SessionPhase.READY ? s : undefined; });
    // The disconnect timeout passed and the controller stopped the VM (written here as the controller writes it).
    const stoppedAt = new Date().toISOString();
    await client.mergePatch<DesktopSession>({ group: 'sessions.desktop.io', version: 'v1alpha1', plural: 'desktopsessions', namespace: NAMESPACE }, name, {
      metadata: { resourceVersion: ready.metadata.resourceVersion },
      status: { ...ready.status, phase: SessionPhase.DISCONNECTED, conditions: [...(ready.status?.conditions ?? []), { type: DESKTOP_STOPPED_CONDITION, status: 'True', reason: 'DisconnectTimeout', message: 'stopped', lastTransitionTime: stoppedAt }] },
    }, 'test', true);
    server.deleteObject('kubevirt.io', 'v1', 'virtualmachineinstances', ns, vm);
    server.setStatus('kubevirt.io', 'v1', 'virtualmachines', ns, vm, { ready: false, printableStatus: 'Stopped' });

    // WHEN the user opens the portal THEN the broker asks for the start and shows progress, not Guacamole
    const { context, page } = await signedIn(alb.token({ sub: 'user-sub-resume' }));
    const before = received.length;
    await page.goto(`${brokerUrl}/`);
    expect(await text(page, 'h1')).toBe('Starting your desktop');
    expect((await sessions.get(name)).metadata.annotations?.[RESUME_ANNOTATION]).toBe(stoppedAt);
    // No token is handed out while the desktop is stopped or starting.
    await eventually(() => vmRequests(server, ns, vm).some((r) => r.action === 'Start'));
    expect(received.length).toBe(before);
    runVm(server, ns, vm);
    await eventually(() => page.url().includes('/guacamole/?data='), 15_000, 'redirect into Guacamole');
    expect(Object.keys(decryptJsonAuth(received[received.length - 1]).connections)).toEqual([name]);
    await context.close();
  });

  it('a forged, unsigned, expired, other-ALB or missing identity token is refused (pages and the event stream)', async () => {
    for (const token of [...Object.values(alb.badTokens('user-sub-1')), undefined]) {
      const { context, page } = await signedIn(token);
      for (const path of ['/connect', '/events']) {
        const response = await page.goto(`${brokerUrl}${path}`);
        expect(response?.status()).toBe(401);
        expect(await text(page, 'h1')).toBe('Sign-in could not be verified');
        expect(page.url()).not.toContain('guacamole');
      }
      await context.close();
    }
  });

  it('the admin page lists sessions and ends one; others may not see it', async () => {
    const user = await signedIn(alb.token({ sub: 'user-sub-2' }));
    expect((await user.page.goto(`${brokerUrl}/admin`))?.status()).toBe(403);
    await user.context.close();
    const sessions = new DesktopSessions(client, NAMESPACE);
    const target = await sessions.create({ userId: 'user-sub-3', desktopClass: 'win11' });
    const { context, page } = await signedIn(alb.token({ sub: 'admin-sub' }));
    await page.goto(`${brokerUrl}/admin`);
    await clickAndWait(page, `button[aria-label="End ${target.metadata.name}"]`);
    await eventually(async () => (await sessions.get(target.metadata.name)).spec.endRequested === true);
    // A cross-site POST is refused.
    const crossSite = await fetch(`${brokerUrl}/admin/end`, { method: 'POST', headers: { 'x-amzn-oidc-data': alb.token({ sub: 'admin-sub' }), 'origin': 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' }, body: 'session=x' });
    expect(crossSite.status).toBe(403);
    await context.close();
  });
});

// Node desktops in each browser too: the local-account hand-off is the broker's, whatever renders the page.
describe.each(BROWSERS.map((b) => [browserTitle(b), b] as const))('sign-in broker for node desktops in headless %s', (_name, testBrowser) => {
  const it = browserTest(testBrowser);
  const localPool = nodeDesktopTemplate();
  let server: FakeKubeApiServer;
  let client: KubernetesClient;
  let controller: DesktopSessionController;
  const brokers: SignInBroker[] = [];
  const guacamole = new GuacamoleStandIn();
  let guacamoleUrl: string;
  let browser: Browser;
  const received = guacamole.received;
  const alb = new TestAlb();

  /** A broker for `desktopClass`, with or without local-account passwords for the pool. */
  async function startBroker(desktopClass: string, localAccounts: boolean): Promise<string> {
    const broker = new SignInBroker({
      sessions: new DesktopSessions(client, NAMESPACE),
      verifier: alb.verifier(),
      desktopClass,
      guacamoleUrl,
      jsonAuthKeyHex: JSON_KEY,
      basePath: '/portal',
      nodeDesktops: { namespace: localPool.namespace, localAccounts },
    });
    brokers.push(broker);
    return `${await broker.listen(0, '127.0.0.1')}/portal`;
  }

  /** Starts the user's session through the portal and makes its session pod ready. */
  async function readyNodeSession(brokerUrl: string, userId: string, token: string): Promise<void> {
    await fetch(`${brokerUrl}/`, { headers: { 'x-amzn-oidc-data': token } });
    const pod = await eventually(() => server.get('', 'v1', 'pods', localPool.namespace, sessionName(userId)), 10_000, 'the session pod');
    server.setStatus('', 'v1', 'pods', localPool.namespace, pod.metadata.name, sessionPodStatus(true, false));
    await eventually(async () => (await new DesktopSessions(client, NAMESPACE).list({ userId }))[0]?.status?.phase === SessionPhase.READY, 15_000, 'Ready');
  }

  beforeAll(async () => {
    if (testBrowser.missing !== undefined) return;
    ({ server, client } = await startApi());
    await installNodeDesktopPool(client, localPool, 'win2022');
    controller = new DesktopSessionController({
      client, namespace: NAMESPACE, pollIntervalMs: 50, leaderElection: false,
      renderers: { [DesktopKind.VM]: new KubeVirtDesktopRenderer(), [DesktopKind.NODE]: await NodeDesktopRenderer.fromConfigMap(client, localPool.namespace, localPool.poolName) },
    });
    await controller.start();
    guacamoleUrl = await guacamole.start();
    browser = await testBrowser.launch();
  });

  afterAll(async () => {
    await browser?.close();
    for (const b of brokers) await b.close();
    await guacamole.stop();
    await controller?.stop();
    client?.close();
    await server?.stop();
  });

  it('local accounts: the user lands in their desktop signed in; the token carries the account and the password from the session\'s Secret, no page shows it', async () => {
    // GIVEN a broker for the Node class that knows the pool's namespace
    const brokerUrl = await startBroker('win2022', true);
    const userId = 'node-user-sub';
    const { context, page } = await openSignedIn(browser, alb.token({ sub: userId }));
    const pages: string[] = [];

    // WHEN the user opens the portal and the desktop becomes ready
    pages.push(await (await page.goto(`${brokerUrl}/`))!.text());
    expect(await text(page, 'h1')).toBe('Starting your desktop');
    const pod = await eventually(() => server.get('', 'v1', 'pods', localPool.namespace, sessionName(userId)), 10_000, 'the session pod');
    server.setStatus('', 'v1', 'pods', localPool.namespace, pod.metadata.name, sessionPodStatus(true, false));
    await eventually(() => /\/guacamole\/\?data=/.test(page.url()), 15_000, 'the redirect into Guacamole');

    // THEN the token decrypts to the local account and exactly the password in the session's Secret
    const secret = server.get('', 'v1', 'secrets', localPool.namespace, sessionPasswordSecretName(userId)) as unknown as { data: { password: string } };
    const password = Buffer.from(secret.data.password, 'base64').toString('utf8');
    expect(password.length).toBeGreaterThanOrEqual(32);
    const payload = decryptJsonAuth(received[received.length - 1]);
    const [connection] = Object.values(payload.connections);
    expect(connection.parameters).toMatchObject({ hostname: `${sessionName(userId)}.${localPool.namespace}.svc.cluster.local`, port: '3389', security: 'nla', username: 'desktop', password });
    // A node desktop's certificate is verified (the pool's CA), never pinned on first use: the user's next node answers under the same name.
    expect(connection.parameters['ignore-cert']).toBe('false');
    expect(connection.parameters['cert-tofu']).toBeUndefined();
    // The Guacamole user is still the IdP subject (history names the person, not the shared account name).
    expect(payload.username).toBe(userId);

    // AND the password is in no page the broker served, nor in the session's status
    for (const path of ['/session', '/api/session']) pages.push(await (await page.goto(`${brokerUrl}${path}`))!.text());
    expect(pages[1]).toContain('Ready');
    expect(pages.filter((p) => p.includes(password))).toEqual([]);
    const [session] = await new DesktopSessions(client, NAMESPACE).list({ userId });
    expect(JSON.stringify(session)).not.toContain(password);
    await context.close();
  });

  it('local accounts, Secret not there (yet): a "not ready" page, no token', async () => {
    // GIVEN a ready session whose password Secret is gone
    const brokerUrl = await startBroker('win2022', true);
    const userId = 'node-user-sub-2';
    const token = alb.token({ sub: userId });
    await readyNodeSession(brokerUrl, userId, token);
    await client.delete({ group: '', version: 'v1', plural: 'secrets', namespace: localPool.namespace }, sessionPasswordSecretName(userId));
    const before = received.length;
    // WHEN the user connects THEN they are told to wait, and Guacamole gets nothing
    const { context, page } = await openSignedIn(browser, token);
    const response = await page.goto(`${brokerUrl}/connect`);
    expect(response!.status()).toBe(503);
    expect(await text(page, 'body')).toContain('Your desktop is not ready yet');
    expect(received.length).toBe(before);
    await context.close();
  });

  it('without local-account desktops (directory pools: the chart sets NODE_DESKTOPS_LOCAL_ACCOUNTS=false) the connection carries no credentials', async () => {
    // GIVEN a broker not told of local accounts, and a ready session on a Node desktop
    const brokerUrl = await startBroker('win2022', false);
    const userId = 'node-user-sub-3';
    const token = alb.token({ sub: userId });
    await readyNodeSession(brokerUrl, userId, token);
    // WHEN the user connects
    const response = await fetch(`${brokerUrl}/connect`, { headers: { 'x-amzn-oidc-data': token }, redirect: 'manual' });
    // THEN the token has the desktop but no username or password
    expect(response.status).toBe(303);
    const data = new URL(response.headers.get('location')!).searchParams.get('data')!;
    const [connection] = Object.values(decryptJsonAuth(data).connections);
    expect(connection.parameters.hostname).toBe(`${sessionName(userId)}.${localPool.namespace}.svc.cluster.local`);
    expect(connection.parameters.username).toBeUndefined();
    expect(connection.parameters.password).toBeUndefined();
  });
});
