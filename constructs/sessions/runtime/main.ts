import * as fs from 'fs';
import * as http from 'http';
import { Pool } from 'pg';
import { AlbIdentityVerifier } from '../broker/identity';
import { NodeDesktopConnections, SignInBroker } from '../broker/sign-in-broker';
import { RdpCertificateValidation } from '../../guacamole/rdp-certificate-validation';
import { DesktopKind } from '../api';
import { GuacamoleHistorySignals } from '../controller/connection-signals';
import { DesktopRenderer, KubeVirtDesktopRenderer } from '../controller/desktop-renderer';
import { DesktopSessionController } from '../controller/desktop-session-controller';
import { NodeDesktopRenderer } from '../controller/node-desktop-renderer';
import { DesktopSessions } from '../sdk/desktop-sessions';
import { NODE_DESKTOPS_ENV, NodeDesktopCertificateCheck, WINDOWS_ACCOUNT_CLAIM_ENV } from './environment';
import { KubernetesClient } from './kubernetes-client';

/**
 * Entry point of the session runtime image: `node main.js controller` or `node main.js broker`.
 * Settings come from the environment the install chart writes; secrets from mounted files.
 */

function env(name: string, fallback?: string): string {
  const value = process.env[name] ?? fallback;
  if (value === undefined || value === '') throw new Error(`environment variable ${name} is required`);
  return value;
}

function secretFile(name: string): string {
  return fs.readFileSync(env(name), 'utf8').trim();
}

async function controller(): Promise<void> {
  const client = await KubernetesClient.connect();
  const pool = new Pool({
    host: env('GUACAMOLE_DB_HOST'),
    port: Number(env('GUACAMOLE_DB_PORT', '5432')),
    database: env('GUACAMOLE_DB_NAME'),
    user: secretFile('GUACAMOLE_DB_USERNAME_FILE'),
    password: secretFile('GUACAMOLE_DB_PASSWORD_FILE'),
    ssl: { rejectUnauthorized: false },
    max: 2,
  });
  // Node desktops when the install chart names a pool: its template, as the pool's chart installed it.
  const renderers: Partial<Record<DesktopKind, DesktopRenderer>> = { [DesktopKind.VM]: new KubeVirtDesktopRenderer() };
  const poolNamespace = process.env[NODE_DESKTOPS_ENV.namespace];
  if (poolNamespace !== undefined && poolNamespace !== '') {
    renderers[DesktopKind.NODE] = await NodeDesktopRenderer.fromConfigMap(client, poolNamespace, env(NODE_DESKTOPS_ENV.pool));
  }
  const c = new DesktopSessionController({
    client,
    renderers,
    namespace: env('SESSIONS_NAMESPACE', 'desktop-sessions'),
    signals: new GuacamoleHistorySignals(pool),
    // The gateway's guacd pods carry GUACD_POD_LABELS; only their namespace is deployment-specific.
    gateway: { namespace: env('GATEWAY_NAMESPACE', 'guacamole') },
    identity: env('POD_NAME', `controller-${process.pid}`),
  });
  await c.start();
  serveOps(Number(env('METRICS_PORT', '9090')), async () => c.metrics.registry.metrics(), c.metrics.registry.contentType);
  process.on('SIGTERM', () => { void c.stop().then(() => pool.end()).then(() => process.exit(0)); });
}

async function broker(): Promise<void> {
  const sessions = await DesktopSessions.connect({ namespace: env('SESSIONS_NAMESPACE', 'desktop-sessions') });
  const b = new SignInBroker({
    sessions,
    verifier: new AlbIdentityVerifier({ albArn: env('ALB_ARN'), issuer: env('OIDC_ISSUER'), clientId: env('OIDC_CLIENT_ID') }),
    desktopClass: env('DESKTOP_CLASS'),
    guacamoleUrl: env('GUACAMOLE_URL'),
    jsonAuthKeyHex: secretFile('JSON_AUTH_KEY_FILE'),
    adminUserIds: (process.env.ADMIN_USER_IDS ?? '').split(',').filter((x) => x.length > 0),
    basePath: process.env.BASE_PATH ?? '',
    nodeDesktops: nodeDesktopConnections(),
    windowsAccountClaim: process.env[WINDOWS_ACCOUNT_CLAIM_ENV] || undefined,
  });
  await b.listen(Number(env('PORT', '8080')));
  serveOps(Number(env('METRICS_PORT', '9090')), async () => b.registry.metrics(), b.registry.contentType);
  process.on('SIGTERM', () => { void b.close().then(() => process.exit(0)); });
}

/** The broker's node-desktop settings, when the install chart names a pool. */
function nodeDesktopConnections(): NodeDesktopConnections | undefined {
  const namespace = process.env[NODE_DESKTOPS_ENV.namespace];
  if (namespace === undefined || namespace === '') return undefined;
  const check = env(NODE_DESKTOPS_ENV.certificates, NodeDesktopCertificateCheck.VERIFIED);
  if (!Object.values<string>(NodeDesktopCertificateCheck).includes(check)) throw new Error(`${NODE_DESKTOPS_ENV.certificates} is "${check}"; use ${Object.values(NodeDesktopCertificateCheck).join(' or ')}`);
  return {
    namespace,
    localAccounts: process.env[NODE_DESKTOPS_ENV.localAccounts] === 'true',
    certificateValidation: check === NodeDesktopCertificateCheck.VERIFIED ? RdpCertificateValidation.verified() : RdpCertificateValidation.trustOnFirstUse(),
  };
}

/** `/metrics` and `/healthz` on a port the ALB does not route to. */
function serveOps(port: number, metrics: () => Promise<string>, contentType: string): void {
  http.createServer((req, res) => {
    if (req.url === '/healthz') { res.writeHead(200); res.end('ok'); return; }
    if (req.url === '/metrics') {
      void metrics().then((body) => { res.writeHead(200, { 'content-type': contentType }); res.end(body); });
      return;
    }
    res.writeHead(404);
    res.end();
  }).listen(port);
}

const role = process.argv[2];
const run = role === 'controller' ? controller : role === 'broker' ? broker : undefined;
if (!run) {
  process.stderr.write('usage: main.js controller|broker\n');
  process.exit(2);
}
run().catch((error: unknown) => {
  process.stderr.write(`${JSON.stringify({ level: 'fatal', error: error instanceof Error ? error.message : String(error) })}\n`);
  process.exit(1);
});
