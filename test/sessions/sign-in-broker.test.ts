import { createDecipheriv, createHmac, generateKeyPairSync, KeyObject, randomUUID, sign } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import { AlbJwksCache } from 'aws-jwt-verify/alb-cache';
import { Browser, chromium } from 'playwright-core';
import { DESKTOP_STOPPED_CONDITION, DesktopSession, DisconnectAction, RESUME_ANNOTATION, SessionPhase } from '../../constructs/sessions/api';
import { AlbIdentityVerifier } from '../../constructs/sessions/broker/identity';
import { SignInBroker } from '../../constructs/sessions/broker/sign-in-broker';
import { DesktopSessionController } from '../../constructs/sessions/controller/desktop-session-controller';
import { KubernetesClient } from '../../constructs/sessions/runtime/kubernetes-client';
import { DesktopSessions } from '../../constructs/sessions/sdk/desktop-sessions';
import { FakeKubeApiServer } from '../support/fake-kube-api-server';
import { NAMESPACE, createClass, eventually, runVm, startApi, vmRequests } from './session-test-support';

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

    // AND the session page offers extend and end
    await page.goto(`${brokerUrl}/session`);
    await page.getByRole('button', { name: 'Extend by 1 hour' }).click();
    await expect(page.locator('#phase').textContent()).resolves.toBe('Ready');
    expect((await sessions.get(session.metadata.name)).spec.maxUserDurationSeconds).toBe(8 * 3600 + 3600);
    await context.close();
  });

  test('start on connect: opening the portal with a stopped desktop starts it, shows progress, then enters Guacamole', async () => {
    const sessions = new DesktopSessions(client, NAMESPACE);
    const created = await sessions.create({ userId: 'user-sub-3', desktopClass: 'win11', onDisconnect: DisconnectAction.STOP });
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
    const context = await browser.newContext({ extraHTTPHeaders: { 'x-amzn-oidc-data': albToken(privateKey, kid, { sub: 'user-sub-3' }) } });
    const page = await context.newPage();
    const before = received.length;
    await page.goto(`${brokerUrl}/`);
    await expect(page.locator('h1').textContent()).resolves.toBe('Starting your desktop');
    expect((await sessions.get(name)).metadata.annotations?.[RESUME_ANNOTATION]).toBe(stoppedAt);
    // No token is handed out while the desktop is stopped or starting.
    await eventually(() => vmRequests(server, ns, vm).some((r) => r.action === 'Start'));
    expect(received.length).toBe(before);
    runVm(server, ns, vm);
    await page.waitForURL(/\/guacamole\/\?data=/, { timeout: 15_000 });
    expect(Object.keys(decryptJsonAuth(received[received.length - 1]).connections)).toEqual([name]);
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
