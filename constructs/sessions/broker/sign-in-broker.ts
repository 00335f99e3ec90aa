import * as http from 'http';
import { AddressInfo } from 'net';
import { Gauge, Histogram, Registry } from 'prom-client';
import { encryptGuacamoleJsonAuth } from '../../guacamole/json-auth';
import { RdpCertificateValidation } from '../../guacamole/rdp-certificate-validation';
import { GuacamoleConnectionPolicy, RdpConnection, RdpSecurityMode } from '../../guacamole/rdp-connection';
import { isWindowsAccountName, WINDOWS_ACCOUNT_RULE } from '../../common/windows-account';
import { DEFAULT_LOCAL_USER_NAME, sessionPasswordSecretName } from '../../node-desktops/session-names';
import { ACTIVE_PHASES, DesktopSession, SessionPhase } from '../api';
import { guacamoleConnectionName } from '../controller/connection-signals';
import { refFor } from '../resources';
import { KubernetesObject } from '../runtime/kubernetes-client';
import { DesktopSessions, desktopStopped, resumeRequested } from '../sdk/desktop-sessions';
import { DesktopSessionError } from '../sdk/errors';
import { IdentityVerifier, VerifiedIdentity } from './identity';
import { adminPage, messagePage, PROGRESS_SCRIPT_SOURCE, progressPage, sessionEvent, sessionPage } from './pages';
import { SessionStatusHub } from './session-status-hub';

/** Header the ALB fills with its signed identity token after authentication. */
export const ALB_IDENTITY_TOKEN_HEADER = 'x-amzn-oidc-data';

export interface SignInBrokerOptions {
  readonly sessions: DesktopSessions;
  readonly verifier: IdentityVerifier;
  /** Class of the sessions the broker starts. */
  readonly desktopClass: string;
  /** Guacamole's URL as users reach it, e.g. `https://desktops.example.com/guacamole/`. */
  readonly guacamoleUrl: string;
  /** The JSON auth key (32 hex digits), read from the gateway's secret. */
  readonly jsonAuthKeyHex: string;
  /** What the gateway allows. @default - nothing beyond the connection */
  readonly connectionPolicy?: GuacamoleConnectionPolicy;
  /**
   * How guacd checks the desktop's RDP certificate (a sysprepped Windows presents a self-signed one).
   * @default RdpCertificateValidation.trustOnFirstUse() - every session's desktop has a host name of its own
   */
  readonly certificateValidation?: RdpCertificateValidation;
  /** @default RdpSecurityMode.NLA (Guacamole asks for the Windows credentials) */
  readonly rdpSecurity?: RdpSecurityMode;
  /** User ids (`sub`) allowed on the admin page. @default - none */
  readonly adminUserIds?: readonly string[];
  /** How long the JSON auth token is accepted. @default 60 */
  readonly tokenLifetimeSeconds?: number;
  /** Added by the Extend button. @default 3600 */
  readonly extendSeconds?: number;
  /** Path prefix the broker is served under on the shared ALB, e.g. `/portal`. @default '' (the root) */
  readonly basePath?: string;
  /**
   * How long one event stream (`GET /events`) stays open before the server closes it; the page's
   * `EventSource` reconnects, and the reconnect is verified again like any request (a sign-in
   * that expired meanwhile is refused). @default 300
   */
  readonly eventStreamMaxSeconds?: number;
  /** Interval of the keep-alive comment on open event streams (below the ALB's 60 s idle timeout). @default 20 */
  readonly eventStreamHeartbeatSeconds?: number;
  /**
   * The node-desktop pool whose desktops sessions of Node classes get (sessions whose desktop
   * is in its namespace): how their certificates are checked and, with local accounts, their
   * sign-in.
   * @default - no node desktops: every desktop is treated as a VM desktop
   */
  readonly nodeDesktops?: NodeDesktopConnections;
  /**
   * Claim of the identity token that holds the user's Windows account name in the directory
   * (sAMAccountName), e.g. `custom:samaccountname`: the broker puts it into every session it
   * starts (`spec.windowsAccount`), as node-desktop pools that join a directory need. When set,
   * a sign-in without the claim, or with a value that is not a valid account name, gets an
   * error page and no session.
   * @default - none: sessions are started without a Windows account (fine for VM desktops and
   * local-account node desktops; directory pools' sessions fail with `WindowsAccountRequired`)
   */
  readonly windowsAccountClaim?: string;
}

/** How the broker connects users to the desktops of a node-desktop pool. */
export interface NodeDesktopConnections {
  /** Namespace of the pool (its session Services and password Secrets). */
  readonly namespace: string;
  /**
   * The pool uses local accounts: the broker reads the session's password from its Secret
   * (`sessionPasswordSecretName(userId)`) and puts user name and password into the encrypted
   * connection, so Guacamole signs the user in (NLA) without a password prompt. The password is
   * never logged nor shown on a page; it travels only inside the encrypted, short-lived token.
   * @default false - users type their credentials (directory pools: their domain password)
   */
  readonly localAccounts?: boolean;
  /**
   * Windows account name of local-account desktops.
   * @default 'desktop' - the local account every node-desktop session creates
   */
  readonly windowsUserName?: string;
  /**
   * How guacd checks a node desktop's RDP certificate. Trust on first use does not fit: a
   * user's next session answers under the same Service name from a new node with a new
   * certificate, which a guacd that pinned the previous one refuses.
   * @default RdpCertificateValidation.verified() - the pool's CA issues each session a certificate for its Service name
   */
  readonly certificateValidation?: RdpCertificateValidation;
}

/** The session's Secret has no password yet (the controller creates it before the desktop starts). */
class DesktopCredentialsMissing extends Error {}

/** The identity token lacks the Windows account claim, or its value is no account name. */
class WindowsAccountClaimInvalid extends Error {}

/**
 * The sign-in broker: behind the ALB's sign-in, it verifies the identity token, gets the user's
 * session (or starts one), shows progress while the desktop starts and sends the user into
 * Guacamole with an encrypted JSON auth token for exactly their desktop.
 */
export class SignInBroker {
  public readonly registry = new Registry();
  private readonly latency = new Histogram({ name: 'desktop_broker_request_seconds', help: 'Broker response time.', labelNames: ['route'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1], registers: [this.registry] });
  private readonly streams = new Gauge({ name: 'desktop_broker_event_streams', help: 'Open progress event streams.', registers: [this.registry] });
  /** One watch on the sessions for all event streams of this process. */
  public readonly hub: SessionStatusHub;
  private server?: http.Server;
  private readonly base: string;

  constructor(private readonly options: SignInBrokerOptions) {
    this.hub = new SessionStatusHub({ sessions: options.sessions });
    new URL(options.guacamoleUrl); // fails early on a malformed URL
    this.base = (options.basePath ?? '').replace(/\/+$/, '');
    if (this.base !== '' && !/^\/[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*$/.test(this.base)) throw new Error(`basePath "${options.basePath}" must look like /portal`);
  }

  public async listen(port = 0, host = '0.0.0.0'): Promise<string> {
    this.server = http.createServer((req, res) => { void this.handle(req, res); });
    this.server.keepAliveTimeout = 65_000; // longer than the ALB's idle timeout
    await new Promise<void>((resolve) => this.server!.listen(port, host, resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  public async close(): Promise<void> {
    await this.hub.close();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://broker');
    if (this.base !== '' && url.pathname === this.base) return redirectTo(res, `${this.base}/`);
    const path = this.base !== '' && url.pathname.startsWith(`${this.base}/`) ? url.pathname.slice(this.base.length) : url.pathname;
    const route = `${req.method} ${path}`;
    const end = this.latency.startTimer({ route: KNOWN_ROUTES.has(route) ? route : 'other' });
    try {
      if (path === '/healthz') return send(res, 200, 'ok', 'text/plain');
      let identity: VerifiedIdentity;
      try {
        identity = await this.options.verifier.verify(headerValue(req, ALB_IDENTITY_TOKEN_HEADER));
      } catch (error) {
        return send(res, 401, messagePage('Sign-in could not be verified', `Sign in again through the desktop portal. (${(error as Error).message})`));
      }
      if (req.method === 'POST' && !sameOrigin(req)) return send(res, 403, messagePage('Request refused', 'This action must come from the desktop portal itself.'));
      switch (route) {
        case 'GET /': return await this.home(identity, res);
        case 'GET /session': return await this.sessionView(identity, res);
        case 'GET /api/session': return await this.sessionJson(identity, res);
        case 'GET /events': return await this.events(identity, req, res);
        case 'GET /connect': return await this.connect(identity, res);
        case 'POST /start': return await this.start(identity, res);
        case 'POST /extend': return await this.extend(identity, res);
        case 'POST /end': return await this.endOwn(identity, res);
        case 'GET /admin': return await this.admin(identity, res);
        case 'POST /admin/end': return await this.adminEnd(identity, req, res);
        default: return send(res, 404, messagePage('Not found', 'There is nothing here.'));
      }
    } catch (error) {
      if (error instanceof DesktopCredentialsMissing) return send(res, 503, messagePage('Your desktop is not ready yet', 'Its sign-in is still being prepared; try again in a moment.', { label: 'Try again', path: '/' }));
      if (error instanceof WindowsAccountClaimInvalid) return send(res, 403, messagePage('Your desktop could not be started', error.message));
      const message = error instanceof DesktopSessionError ? error.message : 'Something went wrong; try again in a moment.';
      return send(res, error instanceof DesktopSessionError ? 409 : 500, messagePage('Your desktop could not be started', message, { label: 'Try again', path: '/start' }));
    } finally {
      end();
    }
  }

  /** 303 to a path of the broker (under its base path) or to an absolute URL. */
  private redirect(res: http.ServerResponse, location: string): void {
    redirectTo(res, location.startsWith('/') ? `${this.base}${location}` : location);
  }

  private async current(identity: VerifiedIdentity): Promise<DesktopSession | undefined> {
    const name = DesktopSessions.sessionName(identity.userId, this.options.desktopClass);
    return this.options.sessions.client.tryGet<DesktopSession>({ group: 'sessions.desktop.io', version: 'v1alpha1', plural: 'desktopsessions', namespace: this.options.sessions.namespace }, name);
  }

  /** The user's session, or a new one; progress until it is ready, then into Guacamole. */
  private async home(identity: VerifiedIdentity, res: http.ServerResponse): Promise<void> {
    let session = await this.current(identity);
    const phase = session?.status?.phase ?? SessionPhase.PENDING;
    if (!session || phase === SessionPhase.ENDED) session = await this.createOwn(identity);
    // Start on connect: coming back to a stopped desktop starts it.
    if (desktopStopped(session)) session = await this.options.sessions.resume(session.metadata.name);
    return this.render(session, res, true);
  }

  private async sessionView(identity: VerifiedIdentity, res: http.ServerResponse): Promise<void> {
    const session = await this.current(identity);
    if (!session) return this.redirect(res, '/');
    return this.render(session, res, false);
  }

  private render(session: DesktopSession, res: http.ServerResponse, enterWhenReady: boolean): void {
    const phase = session.status?.phase ?? SessionPhase.PENDING;
    switch (phase) {
      case SessionPhase.PENDING:
      case SessionPhase.PROVISIONING:
        return sendProgress(res, session);
      case SessionPhase.READY:
      case SessionPhase.CONNECTED:
      case SessionPhase.DISCONNECTED:
        if (resumeRequested(session)) return sendProgress(res, session);
        return enterWhenReady ? this.redirect(res, '/connect') : send(res, 200, sessionPage(session, new Date()));
      case SessionPhase.FAILED:
        return send(res, 200, messagePage('Your desktop could not be started', session.status?.message ?? 'The desktop failed to start.', { label: 'Try again', path: '/start' }));
      default:
        return send(res, 200, messagePage('Your session has ended', session.status?.message ?? 'The session ended.', { label: 'Start a new desktop', path: '/start' }));
    }
  }

  private async sessionJson(identity: VerifiedIdentity, res: http.ServerResponse): Promise<void> {
    const session = await this.current(identity);
    if (!session) return send(res, 404, JSON.stringify({ error: 'no session' }), 'application/json');
    const { phase, progress, message, expiresAt, expiryWarningAt } = session.status ?? {};
    return send(res, 200, JSON.stringify({ name: session.metadata.name, phase: phase ?? SessionPhase.PENDING, progress: progress ?? 0, message, expiresAt, expiryWarningAt }), 'application/json');
  }

  /**
   * Server-sent events of the user's own session (the name comes from the verified identity,
   * never from the request): `event: session` with phase, progress, message and, once the
   * session is past provisioning, the `location` the page opens. The stream ends after that
   * event, or after `eventStreamMaxSeconds` (the browser reconnects and is verified again).
   */
  private async events(identity: VerifiedIdentity, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const name = DesktopSessions.sessionName(identity.userId, this.options.desktopClass);
    let open = false;
    let fromWatch: { session: DesktopSession | undefined } | undefined;
    let heartbeat: NodeJS.Timeout | undefined;
    let deadline: NodeJS.Timeout | undefined;
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      clearInterval(heartbeat);
      clearTimeout(deadline);
      unsubscribe();
      this.streams.dec();
      res.end();
    };
    const write = (session: DesktopSession | undefined): void => {
      if (finished) return;
      const event = sessionEvent(session);
      res.write(`event: session\ndata: ${JSON.stringify(event)}\n\n`);
      if (event.location !== undefined) finish();
    };
    // Listen first, then read: a change between the read and the first event is not lost.
    const unsubscribe = await this.hub.subscribe(name, (session) => { if (open) write(session); else fromWatch = { session }; });
    let initial: DesktopSession | undefined;
    try {
      initial = await this.current(identity);
    } catch (error) {
      unsubscribe();
      throw error;
    }
    this.streams.inc();
    res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/event-stream; charset=utf-8', 'x-accel-buffering': 'no' });
    res.write('retry: 2000\n\n');
    open = true;
    req.on('close', finish);
    heartbeat = setInterval(() => res.write(': keep-alive\n\n'), (this.options.eventStreamHeartbeatSeconds ?? 20) * 1000);
    deadline = setTimeout(finish, (this.options.eventStreamMaxSeconds ?? 300) * 1000);
    write(fromWatch ? fromWatch.session : initial);
  }

  /** Sends a user with a ready desktop into Guacamole with a short-lived token for exactly that desktop. */
  private async connect(identity: VerifiedIdentity, res: http.ServerResponse): Promise<void> {
    const session = await this.current(identity);
    const status = session?.status;
    // A stopped desktop is started from the home page first (its progress page comes back here when Ready).
    if (!session || !status?.rdpEndpoint || !ACTIVE_PHASES.includes(status.phase ?? SessionPhase.PENDING) || status.phase === SessionPhase.PROVISIONING || desktopStopped(session)) return this.redirect(res, '/');
    const [host, port] = splitEndpoint(status.rdpEndpoint);
    const connection = new RdpConnection({
      name: guacamoleConnectionName(session.metadata.name),
      hostname: host,
      port,
      security: this.options.rdpSecurity ?? RdpSecurityMode.NLA,
      certificateValidation: this.isNodeDesktop(session)
        ? this.options.nodeDesktops!.certificateValidation ?? RdpCertificateValidation.verified()
        : this.options.certificateValidation ?? RdpCertificateValidation.trustOnFirstUse(),
      ...await this.localAccountCredentials(session),
    });
    const token = encryptGuacamoleJsonAuth({
      username: identity.userId,
      expires: Date.now() + (this.options.tokenLifetimeSeconds ?? 60) * 1000,
      connections: { [connection.name]: connection.toJsonConnection(this.options.connectionPolicy) },
    }, this.options.jsonAuthKeyHex);
    const target = new URL(this.options.guacamoleUrl);
    target.searchParams.set('data', token);
    return this.redirect(res, target.toString());
  }

  /**
   * User name and password of a local-account node desktop, from the session's Secret in the
   * pool's namespace; nothing for other desktops. Read on each connect, never cached or logged.
   */
  private async localAccountCredentials(session: DesktopSession): Promise<{ username?: string; password?: string }> {
    const pool = this.options.nodeDesktops;
    if (pool === undefined || !this.isNodeDesktop(session) || !(pool.localAccounts ?? false)) return {};
    const secret = await this.options.sessions.client.tryGet<KubernetesObject & { data?: Record<string, string> }>(
      refFor('v1', 'Secret', pool.namespace), sessionPasswordSecretName(session.spec.userId));
    const encoded = secret?.data?.password;
    if (encoded === undefined || encoded === '') throw new DesktopCredentialsMissing();
    return { username: pool.windowsUserName ?? DEFAULT_LOCAL_USER_NAME, password: Buffer.from(encoded, 'base64').toString('utf8') };
  }

  /** Whether the session's desktop is one of the node-desktop pool's. */
  private isNodeDesktop(session: DesktopSession): boolean {
    return this.options.nodeDesktops !== undefined && session.status?.desktopNamespace === this.options.nodeDesktops.namespace;
  }

  private async start(identity: VerifiedIdentity, res: http.ServerResponse): Promise<void> {
    await this.createOwn(identity);
    return this.redirect(res, '/');
  }

  /** Starts (or gets) the user's session, with their Windows account when the broker reads one. */
  private async createOwn(identity: VerifiedIdentity): Promise<DesktopSession> {
    const windowsAccount = this.windowsAccountOf(identity);
    return this.options.sessions.create({ userId: identity.userId, desktopClass: this.options.desktopClass, ...(windowsAccount !== undefined ? { windowsAccount } : {}) });
  }

  /** The account from `windowsAccountClaim`, checked before any session is created. */
  private windowsAccountOf(identity: VerifiedIdentity): string | undefined {
    const claim = this.options.windowsAccountClaim;
    if (claim === undefined) return undefined;
    const value = identity.claims?.[claim];
    if (value === undefined) throw new WindowsAccountClaimInvalid(`Your sign-in does not say which Windows account is yours (claim "${claim}" is missing). Ask your administrator to set it for your user.`);
    // The value is the user's own directory attribute: never echoed, only the rule.
    if (!isWindowsAccountName(value)) throw new WindowsAccountClaimInvalid(`Your sign-in's Windows account (claim "${claim}") is not a valid account name: ${WINDOWS_ACCOUNT_RULE}. Ask your administrator to correct it.`);
    return value;
  }

  private async extend(identity: VerifiedIdentity, res: http.ServerResponse): Promise<void> {
    const session = await this.current(identity);
    if (session) await this.options.sessions.extend(session.metadata.name, this.options.extendSeconds ?? 3600);
    return this.redirect(res, '/session');
  }

  private async endOwn(identity: VerifiedIdentity, res: http.ServerResponse): Promise<void> {
    const session = await this.current(identity);
    if (session) await this.options.sessions.end(session.metadata.name);
    return this.redirect(res, '/session');
  }

  private isAdmin(identity: VerifiedIdentity): boolean {
    return (this.options.adminUserIds ?? []).includes(identity.userId);
  }

  private async admin(identity: VerifiedIdentity, res: http.ServerResponse): Promise<void> {
    if (!this.isAdmin(identity)) return send(res, 403, messagePage('Not allowed', 'Only administrators see all sessions.'));
    const all = await this.options.sessions.list();
    return send(res, 200, adminPage(all.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))));
  }

  private async adminEnd(identity: VerifiedIdentity, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (!this.isAdmin(identity)) return send(res, 403, messagePage('Not allowed', 'Only administrators end other users\' sessions.'));
    const form = new URLSearchParams(await readBody(req));
    const name = form.get('session');
    if (name) await this.options.sessions.end(name);
    return this.redirect(res, '/admin');
  }
}

/** The progress page, with the CSP that lets its one script (by hash) follow the event stream. */
function sendProgress(res: http.ServerResponse, session: DesktopSession): void {
  send(res, 200, progressPage(session), undefined, { 'content-security-policy': `${CSP}; script-src ${PROGRESS_SCRIPT_SOURCE}; connect-src 'self'` });
}

const KNOWN_ROUTES = new Set(['GET /', 'GET /session', 'GET /api/session', 'GET /events', 'GET /connect', 'POST /start', 'POST /extend', 'POST /end', 'GET /admin', 'POST /admin/end']);

function headerValue(req: http.IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** A state-changing request must come from the broker's own pages (the ALB's session cookie rides along cross-site). */
function sameOrigin(req: http.IncomingMessage): boolean {
  const site = headerValue(req, 'sec-fetch-site');
  if (site !== undefined) return site === 'same-origin';
  const origin = headerValue(req, 'origin');
  const host = headerValue(req, 'host');
  return origin !== undefined && host !== undefined && new URL(origin).host === host;
}

function splitEndpoint(endpoint: string): [string, number] {
  const i = endpoint.lastIndexOf(':');
  return [endpoint.slice(0, i), Number(endpoint.slice(i + 1))];
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => { size += c.length; if (size > 16_384) req.destroy(); else chunks.push(c); });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
const SECURITY_HEADERS = {
  'content-security-policy': CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

function send(res: http.ServerResponse, code: number, body: string, type = 'text/html; charset=utf-8', headers: Record<string, string> = {}): void {
  res.writeHead(code, { ...SECURITY_HEADERS, 'content-type': type, ...headers });
  res.end(body);
}

function redirectTo(res: http.ServerResponse, location: string): void {
  res.writeHead(303, { ...SECURITY_HEADERS, location });
  res.end();
}
