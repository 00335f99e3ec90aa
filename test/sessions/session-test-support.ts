import { NodeDesktopIsolationMode } from '../../constructs/node-desktops/node-desktop-isolation';
import { SESSION_CONTAINER, USER_PRESENCE_CONTAINER } from '../../constructs/node-desktops/node-desktop-session';
import { NodeDesktopSessionTemplate } from '../../constructs/node-desktops/node-desktop-session-template';
import { SESSION_TEMPLATE_KEY, sessionTemplateConfigMapName } from '../../constructs/node-desktops/node-desktops-chart';
import { SessionAccountKind } from '../../constructs/node-desktops/session-script';
import { FakeKubeApiServer } from '../support/fake-kube-api-server';
import { DesktopClass, DesktopKind, IsolationMode, SESSIONS_API } from '../../constructs/sessions/api';
import { CLASS_RESOURCE } from '../../constructs/sessions/resources';
import { KubernetesClient, KubernetesObject } from '../../constructs/sessions/runtime/kubernetes-client';
import { renderSessionCrds } from '../../constructs/sessions/session-crds';

export const NAMESPACE = 'desktop-sessions';

/** A fake API server serving the session CRDs, and a client connected to it. */
export async function startApi(): Promise<{ server: FakeKubeApiServer; client: KubernetesClient; url: string }> {
  const server = new FakeKubeApiServer();
  for (const crd of renderSessionCrds()) server.registerCrd(crd);
  const url = await server.start();
  try {
    const client = await KubernetesClient.connect({ server: url, token: 'test-token' });
    return { server, client, url };
  } catch (error) {
    await server.stop(); // never leave a listening server behind (jest would not exit)
    throw error;
  }
}

export function windows11Class(overrides: Partial<DesktopClass['spec']> = {}, name = 'win11'): DesktopClass {
  return {
    apiVersion: SESSIONS_API,
    kind: 'DesktopClass',
    metadata: { name },
    spec: {
      kind: DesktopKind.VM,
      isolation: IsolationMode.SHARED_POOL,
      goldenImage: { namespace: 'golden-images', name: 'windows11' },
      allowedSizes: ['small', 'medium'],
      sessionsPerUser: 1,
      currency: 'USD',
      prices: [{ instanceType: 'c8i.2xlarge', capacityType: 'on-demand', hourlyPrice: 0.5 }],
      ...overrides,
    },
  };
}

export async function createClass(client: KubernetesClient, cls: DesktopClass = windows11Class()): Promise<void> {
  await client.create(CLASS_RESOURCE, cls as unknown as KubernetesObject, 'test');
}

/** Polls `check` every 20 ms until it returns a value other than undefined/false (or fails after `ms`). */
export async function eventually<T>(check: () => T | undefined | false | Promise<T | undefined | false>, ms = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A clock tests move by hand. */
export class TestClock {
  private t = Date.parse('2026-11-29T10:00:00Z');
  public now = (): Date => new Date(this.t);
  public advance(seconds: number): void {
    this.t += seconds * 1000;
  }
}

/** A node-desktop pool's session template as `NodeDesktops.sessionTemplate` resolves it (shared pool, local accounts unless overridden). */
export function nodeDesktopTemplate(overrides: Partial<NodeDesktopSessionTemplate> = {}): NodeDesktopSessionTemplate {
  return {
    poolName: 'win2022',
    nodeClassName: 'win2022',
    isolationMode: NodeDesktopIsolationMode.SHARED_POOL,
    windowsBuild: '10.0.20348',
    capacityTypes: ['on-demand'],
    instanceTypes: ['m7i.xlarge'],
    expireAfter: '12h',
    consolidateAfter: '1m',
    namespace: 'node-desktops',
    hostProcessImage: 'mcr.microsoft.com/oss/kubernetes/windows-host-process-containers-base-image:v1.0.0',
    script: { account: SessionAccountKind.LOCAL },
    rdpSources: '10.0.0.0/16',
    environment: {},
    sessionCpu: '100m',
    sessionMemory: '128Mi',
    ...overrides,
  };
}

/** A Node DesktopClass `name` and the pool's template ConfigMap, as the NodeDesktops chart installs it. */
export async function installNodeDesktopPool(client: KubernetesClient, template: NodeDesktopSessionTemplate, name = 'win2022', classOverrides: Partial<DesktopClass['spec']> = {}): Promise<void> {
  await createClass(client, windows11Class({ kind: DesktopKind.NODE, goldenImage: undefined, ami: '/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-EKS_Optimized-1.33/image_id', ...classOverrides }, name));
  await client.create({ group: '', version: 'v1', plural: 'configmaps', namespace: template.namespace }, {
    apiVersion: 'v1', kind: 'ConfigMap',
    metadata: { name: sessionTemplateConfigMapName(template.poolName), namespace: template.namespace },
    data: { [SESSION_TEMPLATE_KEY]: JSON.stringify(template) },
  } as KubernetesObject, 'test');
}

/** A session pod's status as the kubelet reports it: Running, the session container ready or not, the user-presence container's readiness (the user's Windows session). */
export function sessionPodStatus(sessionReady: boolean, userLoggedOn: boolean): Record<string, unknown> {
  const running = { running: { startedAt: '2026-11-29T10:00:00Z' } };
  return {
    phase: 'Running',
    // The pod is Ready only when both containers are: with nobody logged on it is not.
    conditions: [{ type: 'Ready', status: sessionReady && userLoggedOn ? 'True' : 'False' }],
    containerStatuses: [
      { name: SESSION_CONTAINER, ready: sessionReady, state: running },
      { name: USER_PRESENCE_CONTAINER, ready: userLoggedOn, state: running },
    ],
  };
}

/** The Node a test's desktops land on, labelled as Karpenter labels its nodes. */
export const DESKTOP_NODE = 'ip-10-0-1-5.ec2.internal';

export function addNode(server: FakeKubeApiServer, name = DESKTOP_NODE, instanceType = 'c8i.2xlarge', capacityType = 'on-demand'): void {
  server.createObject('', 'v1', 'nodes', {
    apiVersion: 'v1', kind: 'Node',
    metadata: { name, labels: { 'node.kubernetes.io/instance-type': instanceType, 'karpenter.sh/capacity-type': capacityType, 'kubernetes.io/os': 'linux' } },
  });
}

type Vm = { spec?: { runStrategy?: string }; status?: { stateChangeRequests?: Array<{ action: string; uid?: string }> } };

/** The state change requests virt-api left on a VM (what the controller's start/stop calls became). */
export function vmRequests(server: FakeKubeApiServer, ns: string, name: string): Array<{ action: string; uid?: string }> {
  return (server.get('kubevirt.io', 'v1', 'virtualmachines', ns, name) as Vm | undefined)?.status?.stateChangeRequests ?? [];
}

/**
 * Plays virt-controller for a Manual VM whose start was requested: the VMI runs on `node` with
 * the guest agent connected, the VM reports ready, and the request is consumed.
 */
export function runVm(server: FakeKubeApiServer, ns: string, name: string, node = DESKTOP_NODE): void {
  const requests = vmRequests(server, ns, name);
  if (requests[requests.length - 1]?.action !== 'Start') throw new Error(`VM ${ns}/${name} has no start request (${JSON.stringify(requests)})`);
  server.deleteObject('kubevirt.io', 'v1', 'virtualmachineinstances', ns, name);
  server.createObject('kubevirt.io', 'v1', 'virtualmachineinstances', {
    apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name, namespace: ns },
    status: { phase: 'Running', nodeName: node, conditions: [{ type: 'Ready', status: 'True' }, { type: 'AgentConnected', status: 'True' }] },
  });
  server.setStatus('kubevirt.io', 'v1', 'virtualmachines', ns, name, { ready: true, printableStatus: 'Running', created: true });
}

/** Plays virt-controller for a stop request: the VMI is gone, the VM is Stopped. */
export function haltVm(server: FakeKubeApiServer, ns: string, name: string): void {
  const requests = vmRequests(server, ns, name);
  if (requests[0]?.action !== 'Stop') throw new Error(`VM ${ns}/${name} has no stop request (${JSON.stringify(requests)})`);
  server.deleteObject('kubevirt.io', 'v1', 'virtualmachineinstances', ns, name);
  server.setStatus('kubevirt.io', 'v1', 'virtualmachines', ns, name, { ready: false, printableStatus: 'Stopped' });
}

/** Sets the guest agent's connection condition of a running VMI (false: the agent is gone). */
export function setAgentConnected(server: FakeKubeApiServer, ns: string, name: string, connected: boolean): void {
  const conditions = [{ type: 'Ready', status: 'True' }, ...(connected ? [{ type: 'AgentConnected', status: 'True' }] : [])];
  server.setStatus('kubevirt.io', 'v1', 'virtualmachineinstances', ns, name, { phase: 'Running', nodeName: DESKTOP_NODE, conditions });
}
