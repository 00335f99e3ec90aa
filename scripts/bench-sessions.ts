/**
 * Benchmark of the session runtime against the in-process fake API server (not a timed test):
 *
 * 1. 1,000 DesktopSessions created at once (SDK, 50 in flight) reach Ready on the controller's
 *    side: a KubeVirt stand-in runs each VM as soon as the controller asked virt-api to start it
 *    (runStrategy Manual: a Start state change request). The controller runs in
 *    its own Node process (compiled, no ts-node), so its peak RSS is its own.
 * 2. The broker's status page (`GET /portal/session`, ALB token verified with aws-jwt-verify on
 *    every request) at 50 requests per second for 20 s: p50 / p99 / max latency.
 * 3. The broker's event streams (`GET /portal/events`): 200 progress pages open at once (time
 *    until each has its first event, watches the broker opened on the API server), then one
 *    status change per session, back to back: time until each page has it.
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

  // BENCH_CONTROLLER_NODE_FLAGS: Node flags for the controller child (e.g. "--expose-gc" for its live heap).
  const nodeFlags = (process.env.BENCH_CONTROLLER_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
  // BENCH_CONTROLLER_CGROUP: a memory cgroup (v1 directory or v2) the child runs in, e.g. one limited
  // to the chart's 512Mi: Node sizes V8's heap from the limit it runs under (259 MiB under 512 MiB,
  // 4 GiB on a 24 GiB host), so only then does the child's heap behave as in its pod.
  const cgroup = process.env.BENCH_CONTROLLER_CGROUP;
  const command = [process.execPath, ...nodeFlags, path.join(ROOT, 'dist', 'scripts', 'bench-sessions-controller.js'), url];
  const child = cgroup
    ? spawn('/bin/sh', ['-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', cgroup, ...command], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] })
    : spawn(command[0], command.slice(1), { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
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
  const { peakRssMiB, heapAfterGcMiB, heapLimitMiB, peakHeapTotalMiB, peakExternalMiB } = JSON.parse(lines.find((l) => l.startsWith('{'))!) as { peakRssMiB: number; heapAfterGcMiB?: number; heapLimitMiB: number; peakHeapTotalMiB: number; peakExternalMiB: number };
  clearInterval(vmTimer);
  // The controller's part is measured; it would otherwise rewrite the statuses part 3 sets.
  child.kill('SIGKILL');
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
  const tokenFor = (sub: string) => {
    const h = b64(JSON.stringify({ alg: 'ES256', kid, signer: albArn, iss: issuer, client: 'bench', exp }));
    const p = b64(JSON.stringify({ sub, iss: issuer, exp }));
    return `${h}.${p}.${b64(sign('sha256', Buffer.from(`${h}.${p}`), { key: privateKey, dsaEncoding: 'ieee-p1363' }))}`;
  };
  const token = tokenFor('user1@example.com');
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

  // Event streams: 200 progress pages open at once, then one change per session.
  const streamUsers = users.slice(0, 200);
  const names = streamUsers.map((u) => DesktopSessions.sessionName(u, 'win11'));
  for (const name of names) server.setStatus('sessions.desktop.io', 'v1alpha1', 'desktopsessions', 'desktop-sessions', name, { phase: SessionPhase.PROVISIONING, progress: 10, message: 'Starting' });
  const watchesBefore = server.openWatches('sessions.desktop.io', 'v1alpha1', 'desktopsessions');
  const streamAgent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  const received: Array<Array<{ progress: number; at: bigint }>> = streamUsers.map(() => []);
  const requestsOpen: http.ClientRequest[] = [];
  const openStart = process.hrtime.bigint();
  streamUsers.forEach((sub, i) => {
    requestsOpen.push(http.get(`${base}/portal/events`, { agent: streamAgent, headers: { 'x-amzn-oidc-data': tokenFor(sub) } }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        for (const m of chunk.matchAll(/^data: (.*)$/gm)) received[i].push({ progress: (JSON.parse(m[1]) as { progress: number }).progress, at: process.hrtime.bigint() });
      });
    }));
  });
  while (received.some((r) => r.length === 0)) await new Promise((r) => setTimeout(r, 5));
  const allOpenMs = Number(process.hrtime.bigint() - openStart) / 1e6;
  const brokerWatches = server.openWatches('sessions.desktop.io', 'v1alpha1', 'desktopsessions') - watchesBefore;
  const changedAt: bigint[] = [];
  for (const name of names) {
    changedAt.push(process.hrtime.bigint());
    server.setStatus('sessions.desktop.io', 'v1alpha1', 'desktopsessions', 'desktop-sessions', name, { phase: SessionPhase.PROVISIONING, progress: 60, message: 'Starting Windows' });
  }
  while (received.some((r) => !r.some((e) => e.progress === 60))) await new Promise((r) => setTimeout(r, 5));
  const delivery = received.map((r, i) => Number(r.find((e) => e.progress === 60)!.at - changedAt[i]) / 1e6).sort((a, b) => a - b);
  const dpct = (q: number) => delivery[Math.min(delivery.length - 1, Math.floor(q * delivery.length))];
  for (const r of requestsOpen) r.destroy();
  streamAgent.destroy();

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
    controllerNodeFlags: nodeFlags.join(' '),
    controllerCgroup: cgroup ?? null,
    controllerHeapLimitMiB: heapLimitMiB,
    controllerPeakHeapTotalMiB: peakHeapTotalMiB,
    controllerPeakExternalMiB: peakExternalMiB,
    ...(heapAfterGcMiB !== undefined ? { controllerHeapAfterGcMiB: heapAfterGcMiB } : {}),
    apiRequests: requests,
    broker: { requests: latencies.length, rps: 50, p50Ms: +pct(0.5).toFixed(2), p99Ms: +pct(0.99).toFixed(2), maxMs: +latencies[latencies.length - 1].toFixed(2) },
    eventStreams: { streams: streamUsers.length, allOpenMs: +allOpenMs.toFixed(1), brokerWatches, deliveryP50Ms: +dpct(0.5).toFixed(2), deliveryP99Ms: +dpct(0.99).toFixed(2), deliveryMaxMs: +delivery[delivery.length - 1].toFixed(2) },
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  process.exit(0);
}

main().catch((error) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
