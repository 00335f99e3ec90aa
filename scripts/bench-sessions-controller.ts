/**
 * Child process of `bench-sessions.ts`: one controller replica against the given API server,
 * so its memory is measured alone. Prints its peak RSS (VmHWM) when told to stop.
 */
import * as fs from 'fs';
import { DesktopSessionController } from '../constructs/sessions/controller/desktop-session-controller';
import { KubernetesClient } from '../constructs/sessions/runtime/kubernetes-client';

async function main(): Promise<void> {
  const client = await KubernetesClient.connect({ server: process.argv[2], token: 'bench' });
  const controller = new DesktopSessionController({ client, namespace: 'desktop-sessions', pollIntervalMs: 1000, identity: 'bench', workers: Number(process.argv[3] ?? 16) });
  await controller.start();
  process.stdin.on('data', () => {
    const hwm = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    process.stdout.write(`${JSON.stringify({ peakRssMiB: hwm ? Number(hwm[1]) / 1024 : process.resourceUsage().maxRSS / 1024 })}\n`);
    void controller.stop().then(() => process.exit(0));
  });
  process.stdout.write('started\n');
}
void main();
