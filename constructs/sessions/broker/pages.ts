import { DesktopSession, SessionPhase } from '../api';

/** Server-rendered pages of the sign-in broker: plain HTML, no script, readable without styles. */

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]!));
}

const STYLE = `
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem; color: #1b1b1b; background: #fff; }
  h1 { font-size: 1.5rem; }
  progress { width: 100%; height: 1.25rem; }
  button, .button { font: inherit; padding: .5rem 1rem; margin: .25rem .5rem .25rem 0; border: 2px solid #1b1b1b; border-radius: 4px; background: #fff; color: #1b1b1b; cursor: pointer; text-decoration: none; display: inline-block; }
  button.primary, .button.primary { background: #0b5cad; border-color: #0b5cad; color: #fff; }
  :focus-visible { outline: 3px solid #f5a623; outline-offset: 2px; }
  .warning { border-left: 4px solid #b35900; padding: .5rem 1rem; background: #fff4e5; }
  table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: .25rem .5rem; border-bottom: 1px solid #ccc; }
  form { display: inline; }
`;

export function page(title: string, body: string, options: { refreshSeconds?: number } = {}): string {
  const refresh = options.refreshSeconds !== undefined ? `<meta http-equiv="refresh" content="${options.refreshSeconds}">` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">${refresh}
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><main>${body}</main></body></html>`;
}

export function progressPage(session: DesktopSession): string {
  const status = session.status ?? {};
  const progress = status.progress ?? 0;
  return page('Starting your desktop', `
<h1>Starting your desktop</h1>
<p id="message" role="status" aria-live="polite">${escapeHtml(status.message ?? 'Waiting for a desktop')}</p>
<label for="progress">Progress</label>
<progress id="progress" max="100" value="${progress}">${progress}%</progress>
<p>This page refreshes by itself and opens your desktop when it is ready. It usually takes a few minutes.</p>
<form method="post" action="end"><button type="submit">Cancel</button></form>`, { refreshSeconds: 2 });
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
