import { createHash } from 'crypto';
import { DesktopSession, SessionPhase } from '../api';
import { desktopStopped } from '../sdk/desktop-sessions';

/**
 * Server-rendered pages of the sign-in broker: plain HTML, readable without styles. The progress
 * page carries one small inline script (allowed by its hash in the CSP) that follows the
 * session's event stream; without JavaScript the page refreshes itself instead.
 */

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]!));
}

const STYLE = `
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem; color: #1b1b1b; background: #fff; }
  h1 { font-size: 1.5rem; }
  progress { width: 100%; height: 1.25rem; }
  button, .button { font: inherit; padding: .5rem 1rem; margin: .25rem .5rem .25rem 0; border: 2px solid #1b1b1b; border-radius: 4px; background: #fff; color: #1b1b1b; cursor: pointer; text-decoration: none; display: inline-block; }
  button.primary, .button.primary { background: #0b5cad; border-color: #0b5cad; color: #fff; }
  :focus-visible { outline: 3px solid #1b1b1b; outline-offset: 2px; } /* 17:1 on the white page (the orange before was 1.9:1) */
  .warning { border-left: 4px solid #b35900; padding: .5rem 1rem; background: #fff4e5; }
  table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: .25rem .5rem; border-bottom: 1px solid #ccc; }
  form { display: inline; }
  .visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;

/**
 * Follows `events` (the broker's event stream of the user's session): updates the progress bar
 * and the live region, and opens `location` when the server names one (Ready → `connect`).
 * When the stream is refused for good (e.g. the sign-in expired), reloads the page, which goes
 * through the ALB's sign-in again.
 */
const PROGRESS_SCRIPT = `(function () {
  var bar = document.getElementById('progress');
  var message = document.getElementById('message');
  var source = new EventSource('events');
  source.addEventListener('session', function (event) {
    var s = JSON.parse(event.data);
    bar.value = s.progress;
    bar.textContent = s.progress + '%';
    if (message.textContent !== s.message) message.textContent = s.message;
    if (s.location) { source.close(); window.location.assign(s.location); }
  });
  source.addEventListener('error', function () {
    if (source.readyState === EventSource.CLOSED) setTimeout(function () { window.location.reload(); }, 5000);
  });
})();`;

/** CSP source that allows exactly the progress page's script. */
export const PROGRESS_SCRIPT_SOURCE = `'sha256-${createHash('sha256').update(PROGRESS_SCRIPT).digest('base64')}'`;

export function page(title: string, body: string, options: { noScriptRefreshSeconds?: number; script?: string } = {}): string {
  // Inside <noscript>, the refresh only happens where scripts do not run (the script follows the event stream).
  const refresh = options.noScriptRefreshSeconds !== undefined ? `<noscript><meta http-equiv="refresh" content="${options.noScriptRefreshSeconds}"></noscript>` : '';
  const script = options.script !== undefined ? `<script>${options.script}</script>` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">${refresh}
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><main>${body}</main>${script}</body></html>`;
}

export function progressPage(session: DesktopSession): string {
  const status = session.status ?? {};
  const progress = status.progress ?? 0;
  return page('Starting your desktop', `
<h1>Starting your desktop</h1>
<p id="message" role="status" aria-live="polite">${escapeHtml(status.message ?? 'Waiting for a desktop')}</p>
<label for="progress">Progress</label>
<progress id="progress" max="100" value="${progress}">${progress}%</progress>
<p>This page updates by itself and opens your desktop when it is ready. It usually takes a few minutes. <a href="./">Check now</a></p>
<form method="post" action="end"><button type="submit">Cancel</button></form>`, { noScriptRefreshSeconds: 2, script: PROGRESS_SCRIPT });
}

/** What the event stream sends: the progress page shows it, and opens `location` when set. */
export interface SessionEvent {
  readonly phase: string;
  readonly progress: number;
  readonly message: string;
  /** Where the page goes next (relative to the broker's root): `connect` when Ready, `session` when it ended or failed. */
  readonly location?: string;
}

export function sessionEvent(session: DesktopSession | undefined): SessionEvent {
  const status = session?.status ?? {};
  const phase = session ? status.phase ?? SessionPhase.PENDING : SessionPhase.ENDED;
  // A stopped desktop (onDisconnect: Stop) is not there to enter until it has started again.
  const location = phase === SessionPhase.PENDING || phase === SessionPhase.PROVISIONING || (session !== undefined && desktopStopped(session)) ? undefined
    : phase === SessionPhase.READY || phase === SessionPhase.CONNECTED || phase === SessionPhase.DISCONNECTED ? 'connect' : 'session';
  return { phase, progress: status.progress ?? 0, message: status.message ?? (session ? 'Waiting for a desktop' : 'The session ended.'), ...(location ? { location } : {}) };
}

export function sessionPage(session: DesktopSession, now: Date): string {
  const status = session.status ?? {};
  const expires = status.expiresAt ? new Date(status.expiresAt) : undefined;
  const minutes = expires ? Math.max(0, Math.round((expires.getTime() - now.getTime()) / 60_000)) : undefined;
  const warning = status.expiryWarningAt ? `<p class="warning" role="alert">Your session ends at ${escapeHtml(status.expiresAt ?? '')}. Save your work or extend it.</p>` : '';
  return page('Your desktop', `
<h1>Your desktop</h1>
${warning}
<dl><dt>State</dt><dd id="phase">${escapeHtml(status.phase ?? SessionPhase.PENDING)}</dd>
<dt>Ends</dt><dd>${expires ? `${escapeHtml(expires.toISOString())} (in about ${minutes} minutes)` : 'not yet known'}</dd></dl>
<a class="button primary" href="connect">Open desktop</a>
<form method="post" action="extend"><button type="submit">Extend by 1 hour</button></form>
<form method="post" action="end"><button type="submit">End session</button></form>`);
}

export function messagePage(title: string, message: string, action?: { label: string; path: string }): string {
  const button = action ? `<form method="post" action="${escapeHtml(action.path.replace(/^\//, ''))}"><button class="primary" type="submit">${escapeHtml(action.label)}</button></form>` : '';
  return page(title, `<h1>${escapeHtml(title)}</h1><p role="alert">${escapeHtml(message)}</p>${button}`);
}

export function adminPage(sessions: DesktopSession[]): string {
  const rows = sessions.map((s) => `<tr><td>${escapeHtml(s.metadata.name)}</td><td>${escapeHtml(s.spec.userId)}</td><td>${escapeHtml(s.spec.desktopClass)}</td>
<td>${escapeHtml(s.status?.phase ?? SessionPhase.PENDING)}</td><td>${escapeHtml(s.status?.expiresAt ?? '')}</td>
<td><form method="post" action="admin/end"><input type="hidden" name="session" value="${escapeHtml(s.metadata.name)}"><button type="submit" aria-label="End ${escapeHtml(s.metadata.name)}">End</button></form></td></tr>`).join('\n');
  return page('Desktop sessions', `<h1>Desktop sessions</h1>
<table><caption>All sessions</caption><thead><tr><th scope="col">Session</th><th scope="col">User</th><th scope="col">Class</th><th scope="col">State</th><th scope="col">Ends</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
<tbody>${rows}</tbody></table>`);
}
