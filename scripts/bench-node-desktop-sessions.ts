/**
 * Benchmark: how fast the node-desktop session renderers run, as the session controller calls
 * them (a bare cdk8s chart per session: Pod + Service, and a per-user NodePool).
 *
 *   npx ts-node --transpile-only scripts/bench-node-desktop-sessions.ts [count]
 */
import * as cdk8s from 'cdk8s';
import { NodeDesktopIsolationMode } from '../constructs/node-desktops/node-desktop-isolation';
import { NodeDesktopNodePool, userNodePoolProps } from '../constructs/node-desktops/node-desktop-node-pool';
import { NodeDesktopSession } from '../constructs/node-desktops/node-desktop-session';
import { NodeDesktopSessionTemplate } from '../constructs/node-desktops/node-desktop-session-template';
import { SessionAccountKind } from '../constructs/node-desktops/session-script';

const COUNT = Number(process.argv[2] ?? 1000);
const template: NodeDesktopSessionTemplate = {
  poolName: 'desktops', nodeClassName: 'desktops', isolationMode: NodeDesktopIsolationMode.NODE_POOL_PER_USER,
  windowsBuild: '10.0.20348', capacityTypes: ['on-demand'], instanceTypes: ['m7i.large'], expireAfter: '12h', consolidateAfter: '1m',
  namespace: 'desktops', hostProcessImage: 'mcr.microsoft.com/oss/kubernetes/windows-host-process-containers-base-image:v1.0.0',
  script: { account: SessionAccountKind.LOCAL }, rdpSources: '10.0.0.0/16', environment: {}, sessionCpu: '100m', sessionMemory: '256Mi',
};

let bytes = 0;
const start = process.hrtime.bigint();
for (let i = 0; i < COUNT; i++) {
  const userId = `user${i}@example.com`;
  const chart = new cdk8s.Chart(new cdk8s.App(), 'session');
  new NodeDesktopNodePool(chart, 'Pool', userNodePoolProps(template, userId));
  new NodeDesktopSession(chart, 'Session', { template, userId });
  bytes += JSON.stringify(chart.toJson()).length;
}
const ms = Number(process.hrtime.bigint() - start) / 1e6;
console.log(`${COUNT} sessions (NodePool + Pod + Service) rendered in ${ms.toFixed(0)} ms: ${(COUNT / (ms / 1000)).toFixed(0)} per second, ${(bytes / COUNT / 1024).toFixed(1)} KiB of JSON each`);
