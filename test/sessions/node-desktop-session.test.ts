import { kubernetesNameForUser } from '../../constructs/common/kubernetes-name';
import { SESSION_LABEL, USER_LABEL } from '../../constructs/common/well-known';
import { NodeDesktopIsolationMode } from '../../constructs/node-desktops/node-desktop-isolation';
import { NodeDesktopSessionTemplate } from '../../constructs/node-desktops/node-desktop-session-template';
import { SESSION_TEMPLATE_KEY } from '../../constructs/node-desktops/node-desktops-chart';
import { sessionName, sessionPasswordSecretName } from '../../constructs/node-desktops/node-desktop-session';
import { SessionAccountKind } from '../../constructs/node-desktops/session-script';
import { DesktopKind, SessionPhase } from '../../constructs/sessions/api';
import { DesktopSessionController } from '../../constructs/sessions/controller/desktop-session-controller';
import { KubeVirtDesktopRenderer } from '../../constructs/sessions/controller/desktop-renderer';
import { NodeDesktopRenderer } from '../../constructs/sessions/controller/node-desktop-renderer';
import { KubernetesClient } from '../../constructs/sessions/runtime/kubernetes-client';
import { DesktopSessions } from '../../constructs/sessions/sdk/desktop-sessions';
import { FakeKubeApiServer } from '../support/fake-kube-api-server';
import { NAMESPACE, createClass, eventually, startApi, windows11Class } from './session-test-support';

jest.setTimeout(30_000);

/** A node-desktop pool's session template as `NodeDesktops.sessionTemplate` resolves it (shared pool, local accounts). */
const TEMPLATE: NodeDesktopSessionTemplate = {
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
};

describe('Node-desktop sessions over the fake API server (NodeDesktopRenderer)', () => {
  let server: FakeKubeApiServer;
  let client: KubernetesClient;
  let sessions: DesktopSessions;
  let controller: DesktopSessionController;
  const userId = 'bob@example.com';
  const userNs = kubernetesNameForUser('userId', userId);
  const podName = sessionName(userId);
  const ns = TEMPLATE.namespace;

  beforeEach(async () => {
    ({ server, client } = await startApi());
    sessions = new DesktopSessions(client, NAMESPACE);
    await createClass(client, windows11Class({ kind: DesktopKind.NODE, goldenImage: undefined, ami: '/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-EKS_Optimized-1.33/image_id' }, 'win2022'));
    // The template as the NodeDesktops chart installs it: the controller reads it from the ConfigMap.
    await client.create({ group: '', version: 'v1', plural: 'configmaps', namespace: ns }, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'win2022-session-template', namespace: ns }, data: { [SESSION_TEMPLATE_KEY]: JSON.stringify(TEMPLATE) } } as never, 'test');
    const node = await NodeDesktopRenderer.fromConfigMap(client, ns, 'win2022');
    controller = new DesktopSessionController({ client, namespace: NAMESPACE, pollIntervalMs: 50, leaderElection: false, renderers: { [DesktopKind.VM]: new KubeVirtDesktopRenderer(), [DesktopKind.NODE]: node } });
    await controller.start();
  });

  afterEach(async () => {
    await controller.stop();
    client.close();
    await server.stop();
  });

  test('a Node-kind session gets its user isolation, session pod, Service and password Secret, is Ready when the pod is, and ends clean', async () => {
    const session = await sessions.create({ userId, desktopClass: 'win2022', size: 'medium' });
    const name = session.metadata.name;

    // THEN the session pod and its RDP Service are applied (NodeDesktopSession), labelled with the session
    const pod = await eventually(() => server.get('', 'v1', 'pods', ns, podName), 10_000, 'the session pod');
    expect(pod.metadata.labels).toMatchObject({ [USER_LABEL]: userNs, [SESSION_LABEL]: name, 'desktop.io/component': 'node-desktop-session' });
    expect(pod).toMatchObject({ spec: { nodeSelector: { [USER_LABEL]: userNs, 'node.kubernetes.io/windows-build': '10.0.20348' }, securityContext: { windowsOptions: { hostProcess: true } }, automountServiceAccountToken: false } });
    const service = server.get('', 'v1', 'services', ns, podName);
    expect(service).toMatchObject({ spec: { type: 'ClusterIP', selector: { [USER_LABEL]: userNs }, ports: [{ port: 3389 }] } });
    // The local account's password: a random one per session, in a Secret the pod reads, never rendered.
    const secret = server.get('', 'v1', 'secrets', ns, sessionPasswordSecretName(userId)) as unknown as { data: { password: string } };
    const password = Buffer.from(secret.data.password, 'base64').toString('utf8');
    expect(password.length).toBeGreaterThanOrEqual(32);
    expect(JSON.stringify(pod)).not.toContain(password);
    // The user's isolation for a node desktop: privileged Pod Security (HostProcess), quota with room for the session pod, default deny.
    expect(server.get('', 'v1', 'namespaces', undefined, userNs)?.metadata.labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'privileged' });
    expect(server.get('', 'v1', 'resourcequotas', userNs, 'desktop-quota')).toMatchObject({ spec: { hard: { pods: 4 } } });
    expect(server.get('networking.k8s.io', 'v1', 'networkpolicies', userNs, 'default-deny')).toBeDefined();

    // WHILE the pod is scheduled but not ready, the session is Provisioning with progress
    server.setStatus('', 'v1', 'pods', ns, podName, { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }] });
    expect((await sessions.get(name)).status?.phase).toBe(SessionPhase.PROVISIONING);

    // WHEN the fake pod reports Ready THEN the session is Ready with the Service's RDP endpoint
    server.setStatus('', 'v1', 'pods', ns, podName, { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] });
    const ready = await eventually(async () => { const s = await sessions.get(name); return s.status?.phase === SessionPhase.READY ? s : undefined; }, 15_000, 'Ready');
    expect(ready.status).toMatchObject({ desktopNamespace: ns, desktopName: podName, progress: 100, rdpEndpoint: `${podName}.${ns}.svc.cluster.local:3389` });

    // WHEN the user ends it THEN the pod, Service and Secret are deleted; the user's isolation stays
    await sessions.end(name);
    await eventually(async () => (await sessions.get(name)).status?.phase === SessionPhase.ENDED, 10_000, 'Ended');
    expect(server.get('', 'v1', 'pods', ns, podName)).toBeUndefined();
    expect(server.get('', 'v1', 'services', ns, podName)).toBeUndefined();
    expect(server.get('', 'v1', 'secrets', ns, sessionPasswordSecretName(userId))).toBeUndefined();
    expect(server.get('', 'v1', 'resourcequotas', userNs, 'desktop-quota')).toBeDefined();
  });

  test('a session pod that fails puts the session in Failed and deletes what was created', async () => {
    const session = await sessions.create({ userId, desktopClass: 'win2022', size: 'medium' });
    await eventually(() => server.get('', 'v1', 'pods', ns, podName), 10_000, 'the session pod');
    server.setStatus('', 'v1', 'pods', ns, podName, { phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: ephemeral-storage.' });
    const failed = await eventually(async () => { const s = await sessions.get(session.metadata.name); return s.status?.phase === SessionPhase.FAILED ? s : undefined; }, 15_000, 'Failed');
    expect(failed.status?.message).toMatch(/session pod failed: Evicted/);
    expect(server.get('', 'v1', 'pods', ns, podName)).toBeUndefined();
    expect(server.get('', 'v1', 'secrets', ns, sessionPasswordSecretName(userId))).toBeUndefined();
  });
});
