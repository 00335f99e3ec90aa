import { createDecipheriv, createHmac, generateKeyPairSync, KeyObject, randomUUID, sign } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import { AlbJwksCache } from 'aws-jwt-verify/alb-cache';
import { Browser, chromium } from 'playwright-core';
import { SessionPhase } from '../../constructs/sessions/api';
import { AlbIdentityVerifier } from '../../constructs/sessions/broker/identity';
import { SignInBroker } from '../../constructs/sessions/broker/sign-in-broker';
import { DesktopSessionController } from '../../constructs/sessions/controller/desktop-session-controller';
import { KubernetesClient } from '../../constructs/sessions/runtime/kubernetes-client';
import { DesktopSessions } from '../../constructs/sessions/sdk/desktop-sessions';
import { FakeKubeApiServer } from '../support/fake-kube-api-server';
import { DesktopKind } from '../../constructs/sessions/api';
import { KubeVirtDesktopRenderer } from '../../constructs/sessions/controller/desktop-renderer';
import { NodeDesktopRenderer } from '../../constructs/sessions/controller/node-desktop-renderer';
import { sessionName, sessionPasswordSecretName } from '../../constructs/node-desktops/session-names';
import { NAMESPACE, createClass, eventually, installNodeDesktopPool, nodeDesktopTemplate, sessionPodStatus, startApi } from './session-test-support';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const chromiumMissing = !fs.existsSync(CHROMIUM);
if (chromiumMissing) {
  // Reported by jest as skipped, never as passed; CI installs Chromium from Debian.
  // eslint-disable-next-line no-console
  console.warn(`sign-in broker browser tests skipped: no Chromium at ${CHROMIUM}`);
}
const describeWithChromium = chromiumMissing ? describe.skip : describe;
jest.setTimeout(60_000);

const ALB_ARN = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/desktops/0123456789abcdef';
const ISSUER = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_example';
const CLIENT_ID = 'exampleclientid';
const JSON_KEY = '00112233445566778899aabbccddeeff';

const b64url = (v: Buffer | string) => Buffer.from(v).toString('base64url');

/** A token as the ALB signs it: ES256, with the ALB's signer, client and issuer in the header. */
function albToken(key: KeyObject, kid: string, claims: Record<string, unknown>, header: Record<string, unknown> = {}): string {
  const exp = Math.floor(Date.now() / 1000) + 120;
  const h = b64url(JSON.stringify({ alg: 'ES256', typ: 'JWT', kid, signer: ALB_ARN, iss: ISSUER, client: CLIENT_ID, exp, ...header }));
  const p = b64url(JSON.stringify({ iss: ISSUER, exp, ...claims }));
  const signature = sign('sha256', Buffer.from(`${h}.${p}`), { key, dsaEncoding: 'ieee-p1363' });
  return `${h}.${p}.${b64url(signature)}`;
}

/** Decrypts a Guacamole JSON auth `data` value and checks its HMAC, as the extension does. */
function decryptJsonAuth(data: string): { username: string; expires: number; connections: Record<string, { protocol: string; parameters: Record<string, string> }> } {
  const key = Buffer.from(JSON_KEY, 'hex');
  const decipher = createDecipheriv('aes-128-cbc', key, Buffer.alloc(16));
  const plain = Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]);
  const [mac, json] = [plain.subarray(0, 32), plain.subarray(32)];
  expect(createHmac('sha256', key).update(json).digest().equals(mac)).toBe(true);
  return JSON.parse(json.toString('utf8'));
}

describeWithChromium('sign-in broker in headless Chromium', () => {
  let server: FakeKubeApiServer;
  let client: KubernetesClient;
  let controller: DesktopSessionController;
  let broker: SignInBroker;
  let brokerUrl: string;
  let guacamole: http.Server;
  let guacamoleUrl: string;
  let browser: Browser;
  const received: string[] = [];
  const kid = randomUUID();
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const forger = generateKeyPairSync('ec', { namedCurve: 'P-256' });

  beforeAll(async () => {
    ({ server, client } = await startApi());
    await createClass(client);
    controller = new DesktopSessionController({ client, namespace: NAMESPACE, pollIntervalMs: 50, leaderElection: false });
    await controller.start();
    // Guacamole stand-in: records the `data` parameter it is sent.
    guacamole = http.createServer((req, res) => {
      const data = new URL(req.url ?? '/', 'http://x').searchParams.get('data');
      if (data) received.push(data);
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>Guacamole</title><h1>Guacamole</h1>');
    });
    await new Promise<void>((r) => guacamole.listen(0, '127.0.0.1', r));
    guacamoleUrl = `http://127.0.0.1:${(guacamole.address() as AddressInfo).port}/guacamole/`;
    // The ALB's public key endpoint, served from memory (the real one is HTTPS per region).
    const pem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
    const jwksCache = new AlbJwksCache({
      fetcher: {
        fetch: async (uri: string) => {
          if (!uri.endsWith(`/${kid}`)) throw new Error(`unknown key ${uri}`);
          const bytes = Buffer.from(pem);
          return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
        },
      },
    });
    broker = new SignInBroker({
      sessions: new DesktopSessions(client, NAMESPACE),
      verifier: new AlbIdentityVerifier({ albArn: ALB_ARN, issuer: ISSUER, clientId: CLIENT_ID, jwksCache }),
      desktopClass: 'win11',
      guacamoleUrl,
      jsonAuthKeyHex: JSON_KEY,
      adminUserIds: ['admin-sub'],
      basePath: '/portal',
    });
    // Served under /portal, as on the gateway's shared ALB.
    brokerUrl = `${await broker.listen(0, '127.0.0.1')}/portal`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  });

  afterAll(async () => {
    await browser?.close();
    await broker?.close();
    await new Promise<void>((r) => guacamole.close(() => r()));
    await controller.stop();
    client.close();
    await server.stop();
  });

  test('signed-in request → progress page → redirect into Guacamole with a token for exactly the user\'s desktop', async () => {
    // GIVEN the ALB's verified identity on every request
    const context = await browser.newContext({ extraHTTPHeaders: { 'x-amzn-oidc-data': albToken(privateKey, kid, { sub: 'user-sub-1', email: 'erin@example.com' }) } });
    const page = await context.newPage();

    // WHEN the user opens the portal THEN a progress page shows while the desktop is provisioned
    await page.goto(`${brokerUrl}/`);
    await expect(page.locator('h1').textContent()).resolves.toBe('Starting your desktop');
    await expect(page.getByRole('status').count()).resolves.toBe(1);
    await expect(page.getByLabel('Progress').getAttribute('max')).resolves.toBe('100');
    const sessions = new DesktopSessions(client, NAMESPACE);
    const session = await eventually(async () => (await sessions.list({ userId: 'user-sub-1' })).find((s) => s.status?.desktopName));

    // WHEN the desktop becomes ready THEN the page (refreshing itself) sends the browser into Guacamole
    await eventually(() => server.get('kubevirt.io', 'v1', 'virtualmachines', session.status!.desktopNamespace, session.status!.desktopName!));
    server.setStatus('kubevirt.io', 'v1', 'virtualmachines', session.status!.desktopNamespace, session.status!.desktopName!, { ready: true });
    await eventually(async () => (await sessions.get(session.metadata.name)).status?.phase === SessionPhase.READY);
    await page.waitForURL(/\/guacamole\/\?data=/, { timeout: 15_000 });
    await expect(page.locator('h1').textContent()).resolves.toBe('Guacamole');

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

    // AND the session page offers extend and end
    await page.goto(`${brokerUrl}/session`);
    await page.getByRole('button', { name: 'Extend by 1 hour' }).click();
    await expect(page.locator('#phase').textContent()).resolves.toBe('Ready');
    expect((await sessions.get(session.metadata.name)).spec.maxUserDurationSeconds).toBe(8 * 3600 + 3600);
    await context.close();
  });

  test('a forged, unsigned, expired or missing identity token is refused', async () => {
    const forged = albToken(forger.privateKey, kid, { sub: 'user-sub-1' });
    const h = b64url(JSON.stringify({ alg: 'none', kid, signer: ALB_ARN, client: CLIENT_ID, iss: ISSUER }));
    const unsigned = `${h}.${b64url(JSON.stringify({ sub: 'user-sub-1', iss: ISSUER, exp: Math.floor(Date.now() / 1000) + 60 }))}.`;
    const expired = albToken(privateKey, kid, { sub: 'user-sub-1', exp: Math.floor(Date.now() / 1000) - 60 }, { exp: Math.floor(Date.now() / 1000) - 60 });
    const otherAlb = albToken(privateKey, kid, { sub: 'user-sub-1' }, { signer: ALB_ARN.replace('desktops', 'other') });
    for (const token of [forged, unsigned, expired, otherAlb, undefined]) {
      const context = await browser.newContext(token ? { extraHTTPHeaders: { 'x-amzn-oidc-data': token } } : {});
      const page = await context.newPage();
      const response = await page.goto(`${brokerUrl}/connect`);
      expect(response?.status()).toBe(401);
      await expect(page.locator('h1').textContent()).resolves.toBe('Sign-in could not be verified');
      expect(page.url()).not.toContain('guacamole');
      await context.close();
    }
  });

  test('the admin page lists sessions and ends one; others may not see it', async () => {
    const user = await browser.newContext({ extraHTTPHeaders: { 'x-amzn-oidc-data': albToken(privateKey, kid, { sub: 'user-sub-2' }) } });
    expect((await (await user.newPage()).goto(`${brokerUrl}/admin`))?.status()).toBe(403);
    await user.close();
    const admin = await browser.newContext({ extraHTTPHeaders: { 'x-amzn-oidc-data': albToken(privateKey, kid, { sub: 'admin-sub' }) } });
    const page = await admin.newPage();
    await page.goto(`${brokerUrl}/admin`);
    const sessions = new DesktopSessions(client, NAMESPACE);
    const [target] = await sessions.list({ userId: 'user-sub-1' });
    await page.getByRole('button', { name: `End ${target.metadata.name}` }).click();
    await eventually(async () => (await sessions.get(target.metadata.name)).spec.endRequested === true);
    // A cross-site POST is refused.
    const crossSite = await fetch(`${brokerUrl}/admin/end`, { method: 'POST', headers: { 'x-amzn-oidc-data': albToken(privateKey, kid, { sub: 'admin-sub' }), 'origin': 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' }, body: 'session=x' });
    expect(crossSite.status).toBe(403);
    await admin.close();
  });
});

describeWithChromium('sign-in broker for node desktops in headless Chromium', () => {
  const localPool = nodeDesktopTemplate();
  let server: FakeKubeApiServer;
  let client: KubernetesClient;
  let controller: DesktopSessionController;
  const brokers: SignInBroker[] = [];
  let guacamole: http.Server;
  let guacamoleUrl: string;
  let browser: Browser;
  const received: string[] = [];
  const kid = randomUUID();
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });

  /** A broker for `desktopClass`, with or without local-account passwords for `pool`. */
  async function startBroker(desktopClass: string, localAccounts: boolean): Promise<string> {
    const pem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
    const jwksCache = new AlbJwksCache({ fetcher: { fetch: async () => { const bytes = Buffer.from(pem); return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength); } } });
    const broker = new SignInBroker({
      sessions: new DesktopSessions(client, NAMESPACE),
      verifier: new AlbIdentityVerifier({ albArn: ALB_ARN, issuer: ISSUER, clientId: CLIENT_ID, jwksCache }),
      desktopClass,
      guacamoleUrl,
      jsonAuthKeyHex: JSON_KEY,
      basePath: '/portal',
      nodeDesktops: { namespace: localPool.namespace, localAccounts },
    });
    brokers.push(broker);
    return `${await broker.listen(0, '127.0.0.1')}/portal`;
  }

  beforeAll(async () => {
    ({ server, client } = await startApi());
    await installNodeDesktopPool(client, localPool, 'win2022');
    controller = new DesktopSessionController({
      client, namespace: NAMESPACE, pollIntervalMs: 50, leaderElection: false,
      renderers: { [DesktopKind.VM]: new KubeVirtDesktopRenderer(), [DesktopKind.NODE]: await NodeDesktopRenderer.fromConfigMap(client, localPool.namespace, localPool.poolName) },
    });
    await controller.start();
    guacamole = http.createServer((req, res) => {
      const data = new URL(req.url ?? '/', 'http://x').searchParams.get('data');
      if (data) received.push(data);
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>Guacamole</title><h1>Guacamole</h1>');
    });
    await new Promise<void>((r) => guacamole.listen(0, '127.0.0.1', r));
    guacamoleUrl = `http://127.0.0.1:${(guacamole.address() as AddressInfo).port}/guacamole/`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  });

  afterAll(async () => {
    await browser?.close();
    for (const b of brokers) await b.close();
    await new Promise<void>((r) => guacamole.close(() => r()));
    await controller.stop();
    client.close();
    await server.stop();
  });

  test('local accounts: the user lands in their desktop signed in; the token carries the account and the password from the session\'s Secret, no page shows it', async () => {
    // GIVEN a broker for the Node class that knows the pool's namespace
    const brokerUrl = await startBroker('win2022', true);
    const userId = 'node-user-sub';
    const context = await browser.newContext({ extraHTTPHeaders: { 'x-amzn-oidc-data': albToken(privateKey, kid, { sub: userId }) } });
    const page = await context.newPage();
    const pages: string[] = [];

    // WHEN the user opens the portal and the desktop becomes ready
    pages.push(await (await page.goto(`${brokerUrl}/`))!.text());
    await expect(page.locator('h1').textContent()).resolves.toBe('Starting your desktop');
    const pod = await eventually(() => server.get('', 'v1', 'pods', localPool.namespace, sessionName(userId)), 10_000, 'the session pod');
    server.setStatus('', 'v1', 'pods', localPool.namespace, pod.metadata.name, sessionPodStatus(true, false));
    await page.waitForURL(/\/guacamole\/\?data=/, { timeout: 15_000 });

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

  test('local accounts, Secret not there (yet): a "not ready" page, no token', async () => {
    // GIVEN a ready session whose password Secret is gone
    const brokerUrl = await startBroker('win2022', true);
    const userId = 'node-user-sub-2';
    const token = albToken(privateKey, kid, { sub: userId });
    await fetch(`${brokerUrl}/`, { headers: { 'x-amzn-oidc-data': token } });
    const pod = await eventually(() => server.get('', 'v1', 'pods', localPool.namespace, sessionName(userId)), 10_000, 'the session pod');
    server.setStatus('', 'v1', 'pods', localPool.namespace, pod.metadata.name, sessionPodStatus(true, false));
    await eventually(async () => (await new DesktopSessions(client, NAMESPACE).list({ userId }))[0]?.status?.phase === SessionPhase.READY, 15_000, 'Ready');
    await client.delete({ group: '', version: 'v1', plural: 'secrets', namespace: localPool.namespace }, sessionPasswordSecretName(userId));
    const before = received.length;
    // WHEN the user connects THEN they are told to wait, and Guacamole gets nothing
    const response = await fetch(`${brokerUrl}/connect`, { headers: { 'x-amzn-oidc-data': token }, redirect: 'manual' });
    expect(response.status).toBe(503);
    expect(await response.text()).toContain('Your desktop is not ready yet');
    expect(received.length).toBe(before);
  });

  test('without local-account desktops (directory pools: the chart sets NODE_DESKTOPS_LOCAL_ACCOUNTS=false) the connection carries no credentials', async () => {
    // GIVEN a broker not told of local accounts, and a ready session on a Node desktop
    const brokerUrl = await startBroker('win2022', false);
    const userId = 'node-user-sub-3';
    const token = albToken(privateKey, kid, { sub: userId });
    await fetch(`${brokerUrl}/`, { headers: { 'x-amzn-oidc-data': token } });
    const pod = await eventually(() => server.get('', 'v1', 'pods', localPool.namespace, sessionName(userId)), 10_000, 'the session pod');
    server.setStatus('', 'v1', 'pods', localPool.namespace, pod.metadata.name, sessionPodStatus(true, false));
    await eventually(async () => (await new DesktopSessions(client, NAMESPACE).list({ userId }))[0]?.status?.phase === SessionPhase.READY, 15_000, 'Ready');
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

