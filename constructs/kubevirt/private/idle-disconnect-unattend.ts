import { DOMImplementation, XMLSerializer } from '@xmldom/xmldom';

/**
 * Remote Desktop's "Set time limit for active but idle Remote Desktop Services sessions" policy:
 * `MaxIdleTime` (REG_DWORD, milliseconds) under this key. When it passes, Windows disconnects
 * the idle RDP session (it does not log the user off unless "end session when time limits are
 * reached" is also set), which is what WorkSpaces Pools' idle disconnect timeout does.
 */
export const RDS_POLICY_KEY = 'HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services';
export const MAX_IDLE_TIME_VALUE = 'MaxIdleTime';

const UNATTEND_NS = 'urn:schemas-microsoft-com:unattend';
const WCM_NS = 'http://schemas.microsoft.com/WMIConfig/2002/State';

/** The `reg.exe` command that sets the idle limit (for answer files written by hand). */
export function maxIdleTimeCommand(idleSeconds: number): string {
  return `reg.exe add "${RDS_POLICY_KEY}" /v ${MAX_IDLE_TIME_VALUE} /t REG_DWORD /d ${idleSeconds * 1000} /f`;
}

/**
 * A Windows answer file whose specialize pass sets the idle limit (Microsoft-Windows-Deployment
 * `RunSynchronous`, which runs as SYSTEM during specialize of a generalized image). Built as a
 * DOM and serialized, so nothing is spliced into markup by hand.
 */
export function idleDisconnectUnattendXml(idleSeconds: number): string {
  const doc = new DOMImplementation().createDocument(UNATTEND_NS, 'unattend', null);
  const el = (parent: { appendChild(n: unknown): unknown }, name: string, attributes: Record<string, string> = {}, text?: string) => {
    const e = doc.createElementNS(UNATTEND_NS, name);
    for (const [k, v] of Object.entries(attributes)) {
      if (k.startsWith('wcm:')) e.setAttributeNS(WCM_NS, k, v); else e.setAttribute(k, v);
    }
    if (text !== undefined) e.appendChild(doc.createTextNode(text));
    parent.appendChild(e);
    return e;
  };
  const root = doc.documentElement!;
  const settings = el(root, 'settings', { pass: 'specialize' });
  const component = el(settings, 'component', {
    name: 'Microsoft-Windows-Deployment', processorArchitecture: 'amd64', publicKeyToken: '31bf3856ad364e35', language: 'neutral', versionScope: 'nonSxS',
  });
  const run = el(component, 'RunSynchronous');
  const command = el(run, 'RunSynchronousCommand', { 'wcm:action': 'add' });
  el(command, 'Order', {}, '1');
  el(command, 'Description', {}, 'Disconnect idle Remote Desktop sessions');
  el(command, 'Path', {}, maxIdleTimeCommand(idleSeconds));
  return `<?xml version="1.0" encoding="utf-8"?>\n${new XMLSerializer().serializeToString(doc)}\n`;
}
