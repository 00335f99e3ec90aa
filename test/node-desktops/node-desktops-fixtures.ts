import { NodeDesktopIsolationMode } from '../../constructs/node-desktops/node-desktop-isolation';
import { NodeDesktopSessionTemplate } from '../../constructs/node-desktops/node-desktop-session-template';
import { SessionAccountKind } from '../../constructs/node-desktops/session-script';
import { KubernetesObject } from '../support/kubernetes-schemas';

/** A session template as the session controller would be given it (plain values, no tokens). */
export function sampleTemplate(mode: NodeDesktopIsolationMode, overrides: Partial<NodeDesktopSessionTemplate> = {}): NodeDesktopSessionTemplate {
  return {
    poolName: mode === NodeDesktopIsolationMode.SHARED_POOL ? 'shared-desktops' : 'own-desktops',
    nodeClassName: 'desktops',
    isolationMode: mode,
    windowsBuild: '10.0.20348',
    capacityTypes: ['on-demand'],
    instanceTypes: ['m7i.large'],
    expireAfter: '12h',
    consolidateAfter: '1m',
    namespace: 'desktops',
    hostProcessImage: 'mcr.microsoft.com/oss/kubernetes/windows-host-process-containers-base-image:v1.0.0',
    script: { account: SessionAccountKind.LOCAL },
    rdpSources: '10.0.0.0/16',
    environment: {},
    sessionCpu: '100m',
    sessionMemory: '256Mi',
    ...overrides,
  };
}

/** Objects of one kind. */
export function ofKind(objects: readonly KubernetesObject[], kind: string): KubernetesObject[] {
  return objects.filter((o) => o.kind === kind);
}
