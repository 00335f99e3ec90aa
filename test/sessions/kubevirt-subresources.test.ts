import { VMI_SUBRESOURCES, VM_SUBRESOURCES } from '../../constructs/sessions/resources';
import { KubernetesApiError, KubernetesClient } from '../../constructs/sessions/runtime/kubernetes-client';
import { FakeKubeApiServer } from '../support/fake-kube-api-server';
import { startApi, vmRequests } from './session-test-support';

/**
 * The fake API server's virt-api subresources over real HTTP with the runtime client, against
 * what virt-api 1.9.0 does (pkg/virt-api/rest/lifecycle.go, subresource.go).
 */
describe('KubeVirt start / stop / userlist on the fake API server', () => {
  let server: FakeKubeApiServer;
  let client: KubernetesClient;
  const ns = 'alice';

  beforeEach(async () => {
    ({ server, client } = await startApi());
  });
  afterEach(async () => {
    client.close();
    await server.stop();
  });

  const vm = (name: string, runStrategy: string) => server.createObject('kubevirt.io', 'v1', 'virtualmachines', { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine', metadata: { name, namespace: ns }, spec: { runStrategy } });
  const vmi = (name: string, phase: string, agent = false) => server.createObject('kubevirt.io', 'v1', 'virtualmachineinstances', {
    apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name, namespace: ns },
    status: { phase, conditions: agent ? [{ type: 'AgentConnected', status: 'True' }] : [] },
  });
  const put = (name: string, action: 'start' | 'stop') => client.putSubresource(VM_SUBRESOURCES(ns), name, action);
  const code = async (p: Promise<unknown>) => { try { await p; return 202; } catch (e) { return (e as KubernetesApiError).code; } };

  test('Manual: start and stop become state change requests; a second start while one is pending is refused', async () => {
    vm('desk', 'Manual');
    await put('desk', 'start');
    expect(vmRequests(server, ns, 'desk')).toEqual([{ action: 'Start' }]);
    expect(server.get('kubevirt.io', 'v1', 'virtualmachines', ns, 'desk')?.spec).toEqual({ runStrategy: 'Manual' });
    expect(await code(put('desk', 'start'))).toBe(500);
    // Stop without a running instance: 409 (VM is not running).
    expect(await code(put('desk', 'stop'))).toBe(409);
    const instance = vmi('desk', 'Running');
    server.setStatus('kubevirt.io', 'v1', 'virtualmachines', ns, 'desk', { ready: true });
    expect(await code(put('desk', 'start'))).toBe(409); // already running
    await put('desk', 'stop');
    expect(vmRequests(server, ns, 'desk')).toEqual([{ action: 'Stop', uid: instance.metadata.uid }]);
    expect(server.requests).toContain(`PUT /apis/subresources.kubevirt.io/v1/namespaces/${ns}/virtualmachines/desk/stop`);
  });

  test('Always and Halted: start/stop rewrite spec.runStrategy; Always refuses start', async () => {
    vm('always', 'Always');
    expect(await code(put('always', 'start'))).toBe(409);
    await put('always', 'stop');
    expect(server.get('kubevirt.io', 'v1', 'virtualmachines', ns, 'always')?.spec).toEqual({ runStrategy: 'Halted' });
    await put('always', 'start');
    expect(server.get('kubevirt.io', 'v1', 'virtualmachines', ns, 'always')?.spec).toEqual({ runStrategy: 'Always' });
    expect(await code(put('missing', 'start'))).toBe(404);
  });

  test('userlist: 409 unless the VMI runs with its guest agent connected; then the users the test set', async () => {
    const list = () => client.getSubresource<{ items: Array<{ userName: string }> }>(VMI_SUBRESOURCES(ns), 'desk', 'userlist');
    expect(await code(list())).toBe(404);
    vmi('desk', 'Running', false);
    expect(await code(list())).toBe(409);
    server.setStatus('kubevirt.io', 'v1', 'virtualmachineinstances', ns, 'desk', { phase: 'Running', conditions: [{ type: 'AgentConnected', status: 'True' }] });
    expect(await list()).toEqual({ items: [] });
    server.setGuestUsers(ns, 'desk', [{ userName: 'alice', domain: 'DESK', loginTime: 1.5 }]);
    expect(await list()).toEqual({ items: [{ userName: 'alice', domain: 'DESK', loginTime: 1.5 }] });
  });
});

describe('the DesktopSession schema on the fake API server', () => {
  test('refuses an unknown onDisconnect or onLogoff action (422)', async () => {
    const { server, client } = await startApi();
    try {
      const ref = { group: 'sessions.desktop.io', version: 'v1alpha1', plural: 'desktopsessions', namespace: 'desktop-sessions' };
      const body = (spec: Record<string, unknown>) => ({ apiVersion: 'sessions.desktop.io/v1alpha1', kind: 'DesktopSession', metadata: { name: `s-${Object.values(spec).join('-').toLowerCase()}` }, spec: { userId: 'alice', desktopClass: 'win11', size: 'small', maxUserDurationSeconds: 3600, disconnectTimeoutSeconds: 600, idleDisconnectTimeoutSeconds: 0, ...spec } });
      await expect(client.create(ref, body({ onDisconnect: 'Hibernate' }), 'test')).rejects.toMatchObject({ code: 422 });
      await expect(client.create(ref, body({ onLogoff: 'Restart' }), 'test')).rejects.toMatchObject({ code: 422 });
      await expect(client.create(ref, body({ onDisconnect: 'Stop', onLogoff: 'Keep' }), 'test')).resolves.toBeDefined();
    } finally {
      client.close();
      await server.stop();
    }
  });
});
