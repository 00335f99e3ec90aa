// The README's SDK snippet (type-checked by `npm test`). Run against a cluster with
// `npx ts-node --transpile-only examples/sessions-sdk/usage.ts alice@example.com`.
import { DesktopSessions, DisconnectAction, SessionLimitExceededError, SessionPhase, desktopStopped } from 'eks-windows-desktops/sdk';

async function main(userId: string): Promise<void> {
  const sessions = await DesktopSessions.connect(); // in-cluster, or ~/.kube/config
  try {
    // Stop (not end) the VM when the user stays away; resume() starts it again.
    const session = await sessions.create({ userId, desktopClass: 'windows11', size: 'medium', timeouts: { maxUserDurationSeconds: 4 * 3600 }, onDisconnect: DisconnectAction.STOP });
    if (desktopStopped(session)) await sessions.resume(session.metadata.name);
    const ready = new Promise<void>((resolve) => {
      void sessions.watch(session.metadata.name, (s) => {
        console.log(s?.status?.phase, s?.status?.progress, s?.status?.message);
        if (s?.status?.phase === SessionPhase.READY) resolve();
      }).then((watch) => ready.then(() => watch.stop()));
    });
    await ready;
    console.log(await sessions.usage(userId, new Date(Date.now() - 30 * 86_400_000), new Date()));
  } catch (error) {
    if (error instanceof SessionLimitExceededError) console.error(`already running: ${error.activeSessions.join(', ')}`);
    else throw error;
  } finally {
    sessions.close();
  }
}

void main(process.argv[2] ?? 'alice@example.com');
