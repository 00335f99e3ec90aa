/**
 * Child process of `bench-sessions.ts`: one controller replica against the given API server,
 * so its memory is measured alone. Prints its peak RSS (VmHWM) when told to stop.
 */
import * as fs from 'fs';
import { getHeapStatistics } from 'v8';
import { DesktopSessionController } from '../constructs/sessions/controller/desktop-session-controller';
import { KubernetesClient } from '../constructs/sessions/runtime/kubernetes-client';

async function main(): Promise<void> {
  const client = await KubernetesClient.connect({ server: process.argv[2], token: 'bench' });
  const controller = new DesktopSessionController({ client, namespace: 'desktop-sessions', pollIntervalMs: 1000, identity: 'bench', workers: Number(process.argv[3] ?? 16) });
  await controller.start();
  // Where the memory is at its peak: V8's heap (young + old generation) or outside it.
  const peak = { heapTotal: 0, external: 0 };
  setInterval(() => {
    const m = process.memoryUsage();
    peak.heapTotal = Math.max(peak.heapTotal, m.heapTotal);
    peak.external = Math.max(peak.external, m.external);
  }, 50).unref();
  process.stdin.on('data', () => {
    const hwm = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    // With --expose-gc (BENCH_CONTROLLER_NODE_FLAGS), also the live heap after a full collection.
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    const heapAfterGcMiB = gc ? Math.round(process.memoryUsage().heapUsed / 1048576) : undefined;
    process.stdout.write(`${JSON.stringify({ peakRssMiB: hwm ? Number(hwm[1]) / 1024 : process.resourceUsage().maxRSS / 1024, heapAfterGcMiB, heapLimitMiB: Math.round(getHeapStatistics().heap_size_limit / 1048576), peakHeapTotalMiB: Math.round(peak.heapTotal / 1048576), peakExternalMiB: Math.round(peak.external / 1048576) })}\n`);
    void controller.stop().then(() => process.exit(0));
  });
  process.stdout.write('started\n');
}
void main();
