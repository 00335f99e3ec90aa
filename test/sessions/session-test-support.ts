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
