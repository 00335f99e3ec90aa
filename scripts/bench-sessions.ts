/**
 * Benchmark of the session runtime against the in-process fake API server (not a timed test):
 *
 * 1. 1,000 DesktopSessions created at once (SDK, 50 in flight) reach Ready on the controller's
 *    side: a KubeVirt stand-in runs each VM as soon as the controller asked virt-api to start it
 *    (runStrategy Manual: a Start state change request). The controller runs in
 *    its own Node process (compiled, no ts-node), so its peak RSS is its own.
 * 2. The broker's status page (`GET /portal/session`, ALB token verified with aws-jwt-verify on
 *    every request) at 50 requests per second for 20 s: p50 / p99 / max latency.
 *
 *   npm run bench:sessions
 */
import { spawn, spawnSync } from 'child_process';
import { generateKeyPairSync, randomUUID, sign } from 'crypto';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { AlbJwksCache } from 'aws-jwt-verify/alb-cache';
import { SessionPhase } from '../constructs/sessions/api';
import { AlbIdentityVerifier } from '../constructs/sessions/broker/identity';
import { SignInBroker } from '../constructs/sessions/broker/sign-in-broker';
import { DesktopSessions } from '../constructs/sessions/sdk/desktop-sessions';
import { createClass, startApi, windows11Class } from '../test/sessions/session-test-support';

const ROOT = path.resolve(__dirname, '..');
const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 1000);

async function main(): Promise<void> {
  const build = spawnSync('npx', ['tsc', '-p', 'scripts/tsconfig.bench.json'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('could not compile the controller child');
  const { server, client, url } = await startApi();
  await createClass(client, windows11Class({ sessionsPerUser: 1 }));
  const sdk = new DesktopSessions(client, 'desktop-sessions');

  // KubeVirt stand-in (virt-controller): a VM whose start was requested runs (no VMI: the bench has no guest agent or node).
  const vmTimer = setInterval(() => {
    for (const vm of server.list('kubevirt.io', 'v1', 'virtualmachines')) {
      const status = vm.status as { ready?: boolean; stateChangeRequests?: Array<{ action: string }> } | undefined;
      if (!status?.ready && status?.stateChangeRequests?.some((r) => r.action === 'Start')) server.setStatus('kubevirt.io', 'v1', 'virtualmachines', vm.metadata.namespace, vm.metadata.name, { ready: true, printableStatus: 'Running' });
    }
  }, 100);

  const child = spawn(process.execPath, [path.join(ROOT, 'dist', 'scripts', 'bench-sessions-controller.js'), url], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: string[] = [];
  child.stdout.on('data', (d: Buffer) => lines.push(...d.toString().split('\n').filter(Boolean)));
  while (!lines.includes('started')) await new Promise((r) => setTimeout(r, 20));

  // 1,000 sessions at once.
  const started = Date.now();
  const users = Array.from({ length: SESSIONS }, (_, i) => `user${i}@example.com`);
  for (let i = 0; i < users.length; i += 50) {
    await Promise.all(users.slice(i, i + 50).map((userId) => sdk.create({ userId, desktopClass: 'win11', size: 'small' })));
  }
  const created = Date.now() - started;
  let ready = 0;
  while (ready < SESSIONS) {
    ready = server.list('sessions.desktop.io', 'v1alpha1', 'desktopsessions', 'desktop-sessions').filter((s) => (s.status as { phase?: string } | undefined)?.phase === SessionPhase.READY).length;
    if (Date.now() - started > 300_000) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const allReady = Date.now() - started;
  child.stdin.write('report\n');
  while (!lines.some((l) => l.startsWith('{'))) await new Promise((r) => setTimeout(r, 20));
  const { peakRssMiB } = JSON.parse(lines.find((l) => l.startsWith('{'))!) as { peakRssMiB: number };
  clearInterval(vmTimer);
  const requests = server.requests.length;

  // Broker status page at 50 requests per second.
  const kid = randomUUID();
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = Buffer.from(publicKey.export({ type: 'spki', format: 'pem' }) as string);
  const albArn = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/bench/0123456789abcdef';
  const issuer = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_bench';
  const jwksCache = new AlbJwksCache({ fetcher: { fetch: async () => pem.buffer.slice(pem.byteOffset, pem.byteOffset + pem.byteLength) } });
  const broker = new SignInBroker({
    sessions: sdk, desktopClass: 'win11', guacamoleUrl: 'https://desktops.example.com/guacamole/', jsonAuthKeyHex: '00112233445566778899aabbccddeeff', basePath: '/portal',
    verifier: new AlbIdentityVerifier({ albArn, issuer, clientId: 'bench', jwksCache }),
  });
  const base = await broker.listen(0, '127.0.0.1');
  const b64 = (v: string | Buffer) => Buffer.from(v).toString('base64url');
  const exp = Math.floor(Date.now() / 1000) + 3600;
  const h = b64(JSON.stringify({ alg: 'ES256', kid, signer: albArn, iss: issuer, client: 'bench', exp }));
  const p = b64(JSON.stringify({ sub: 'user1@example.com', iss: issuer, exp }));
  const token = `${h}.${p}.${b64(sign('sha256', Buffer.from(`${h}.${p}`), { key: privateKey, dsaEncoding: 'ieee-p1363' }))}`;
  const agent = new http.Agent({ keepAlive: true });
  const get = () => new Promise<number>((resolve, reject) => {
    const t = process.hrtime.bigint();
    http.get(`${base}/portal/session`, { agent, headers: { 'x-amzn-oidc-data': token } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve(Number(process.hrtime.bigint() - t) / 1e6) : reject(new Error(`status ${res.statusCode}`))));
    }).on('error', reject);
  });
  for (let i = 0; i < 20; i++) await get(); // warm-up (key fetch, JIT)
  const latencies: number[] = [];
  const pending: Promise<void>[] = [];
  const loadStart = Date.now();
  for (let i = 0; i < 1000; i++) {
    const due = loadStart + i * 20; // 50 per second, open loop
    await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now())));
    pending.push(get().then((ms) => { latencies.push(ms); }));
  }
  await Promise.all(pending);
  latencies.sort((a, b) => a - b);
  const pct = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];

  await broker.close();
  agent.destroy();
  client.close();
  await server.stop();
  const result = {
    machine: `${os.cpus().length} CPU, Node ${process.version}`,
    sessions: SESSIONS,
    createdMs: created,
    allReadyMs: allReady,
    readyCount: ready,
    controllerPeakRssMiB: Math.round(peakRssMiB),
    apiRequests: requests,
    broker: { requests: latencies.length, rps: 50, p50Ms: +pct(0.5).toFixed(2), p99Ms: +pct(0.99).toFixed(2), maxMs: +latencies[latencies.length - 1].toFixed(2) },
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  process.exit(0);
}

main().catch((error) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
