import * as cdk8s from 'cdk8s';
import { Testing } from 'cdk8s';
import { kubernetesNameForUser } from '../../constructs/common/kubernetes-name';
import { NodeDesktopIsolationMode } from '../../constructs/node-desktops/node-desktop-isolation';
import { NodeDesktopNodePool, userNodePoolProps } from '../../constructs/node-desktops/node-desktop-node-pool';
import { NodeDesktopSession, SESSION_CONTAINER, sessionName, sessionPasswordSecretName, USER_PRESENCE_CONTAINER } from '../../constructs/node-desktops/node-desktop-session';
import { renderSessionScript, SessionAccountKind, userPresenceProbeCommand } from '../../constructs/node-desktops/session-script';
import { KubernetesObject, validateKubernetesObjects } from '../support/kubernetes-schemas';
import { scanForSecrets } from '../support/secret-scan';
import { karpenterCelViolations } from '../support/karpenter-cel';
import { ofKind, sampleTemplate } from './node-desktops-fixtures';

interface PodSpec {
  nodeSelector: Record<string, string>;
  tolerations: Array<Record<string, string>>;
  hostNetwork: boolean;
  securityContext: { windowsOptions: { hostProcess: boolean; runAsUserName: string } };
  automountServiceAccountToken: boolean;
  affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: Array<{ labelSelector: { matchLabels: Record<string, string> }; topologyKey: string }> } };
  containers: Array<{ command: string[]; args: string[]; env: Array<{ name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string } } }> }>;
}

function render(build: (chart: cdk8s.Chart) => void): KubernetesObject[] {
  // A bare cdk8s chart: no CDK app, no stack (as the session controller renders it).
  const chart = new cdk8s.Chart(new cdk8s.App(), 'session');
  build(chart);
  return Testing.synth(chart) as KubernetesObject[];
}

describe('NodeDesktopSession in a bare cdk8s chart (shared pool)', () => {
  const template = sampleTemplate(NodeDesktopIsolationMode.SHARED_POOL);
  const alice = kubernetesNameForUser('t', 'alice@example.com');
  let objects: KubernetesObject[];
  let pod: KubernetesObject & { spec: PodSpec };

  beforeAll(() => {
    // GIVEN / WHEN
    objects = render((chart) => new NodeDesktopSession(chart, 'Alice', { template, userId: 'alice@example.com' }));
    pod = ofKind(objects, 'Pod')[0] as KubernetesObject & { spec: PodSpec };
  });

  test('renders one Pod and one Service, valid against the Kubernetes 1.34 schemas', () => {
    // THEN
    expect(objects.map((o) => o.kind).sort()).toEqual(['Pod', 'Service']);
    expect(validateKubernetesObjects(objects)).toEqual([]);
  });

  test('is named after the user (DNS-1035 label) in the pool namespace', () => {
    // THEN
    expect(pod.metadata?.name).toBe(`nd-${alice}`);
    expect(sessionName('alice@example.com')).toBe(`nd-${alice}`);
    expect(pod.metadata?.namespace).toBe('desktops');
    expect(ofKind(objects, 'Service')[0].metadata?.name).toBe(`nd-${alice}`);
  });

  test('is a HostProcess pod as SYSTEM on the host network, without a service account token', () => {
    // THEN
    expect(pod.spec.hostNetwork).toBe(true);
    expect(pod.spec.securityContext.windowsOptions).toEqual({ hostProcess: true, runAsUserName: 'NT AUTHORITY\\SYSTEM' });
    expect(pod.spec.automountServiceAccountToken).toBe(false);
  });

  test('is ready once the script has marked the desktop ready, probed cheaply with cmd.exe', () => {
    // THEN
    const container = (pod.spec as unknown as { containers: Array<{ readinessProbe: { exec: { command: string[] } }; resources: Record<string, Record<string, string>> }> }).containers[0];
    expect(container.readinessProbe.exec.command).toEqual(['cmd.exe', '/c', 'if exist C:\\ProgramData\\desktop-session\\ready (exit 0) else (exit 1)']);
    expect(container.resources).toEqual({ requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } });
  });

  test('carries karpenter.sh/do-not-disrupt', () => {
    // THEN
    expect((pod.metadata as { annotations: Record<string, string> }).annotations).toEqual({ 'karpenter.sh/do-not-disrupt': 'true' });
  });

  test('selects its user\'s node and Windows build, tolerates Windows and the pool\'s desktop taint only', () => {
    // THEN
    expect(pod.spec.nodeSelector).toEqual({
      'kubernetes.io/os': 'windows',
      'kubernetes.io/arch': 'amd64',
      'node.kubernetes.io/windows-build': '10.0.20348',
      'desktop.io/user-id': alice,
    });
    expect(pod.spec.tolerations).toEqual([
      { key: 'os', operator: 'Equal', value: 'windows', effect: 'NoSchedule' },
      { key: 'desktop.io/node-desktop', operator: 'Equal', value: 'shared-desktops', effect: 'NoSchedule' },
    ]);
  });

  test('refuses a node that already runs a session (one desktop per node)', () => {
    // THEN
    expect(pod.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution).toEqual([
      { labelSelector: { matchLabels: { 'desktop.io/component': 'node-desktop-session' } }, topologyKey: 'kubernetes.io/hostname' },
    ]);
  });

  test('runs the rendered script with -EncodedCommand', () => {
    // THEN
    const args = pod.spec.containers[0].args;
    expect(pod.spec.containers[0].command).toEqual(['powershell.exe']);
    expect(args.slice(0, -1)).toEqual(['-NoLogo', '-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-EncodedCommand']);
    expect(Buffer.from(args[args.length - 1], 'base64').toString('utf16le')).toBe(renderSessionScript({ account: SessionAccountKind.LOCAL }));
  });

  test('takes the password from a Secret, never from the manifest', () => {
    // THEN
    const env = pod.spec.containers[0].env;
    expect(env.find((e) => e.name === 'DESKTOP_USER_PASSWORD')).toEqual({
      name: 'DESKTOP_USER_PASSWORD',
      valueFrom: { secretKeyRef: { name: `nd-${alice}-password`, key: 'password' } },
    });
    expect(sessionPasswordSecretName('alice@example.com')).toBe(`nd-${alice}-password`);
    expect(env.find((e) => e.name === 'DESKTOP_USER_NAME')).toEqual({ name: 'DESKTOP_USER_NAME', value: 'desktop' });
    expect(env.find((e) => e.name === 'DESKTOP_RDP_SOURCES')).toEqual({ name: 'DESKTOP_RDP_SOURCES', value: '10.0.0.0/16' });
    expect(scanForSecrets(objects)).toEqual([]);
    expect(ofKind(objects, 'Secret')).toEqual([]);
  });

  test('the Service is ClusterIP on 3389 and selects only this user\'s session of this pool', () => {
    // THEN
    const service = ofKind(objects, 'Service')[0] as KubernetesObject & { spec: { type: string; selector: Record<string, string>; ports: Array<Record<string, unknown>> } };
    expect(service.spec.type).toBe('ClusterIP');
    expect(service.spec.ports).toEqual([{ name: 'rdp', port: 3389, targetPort: 3389, protocol: 'TCP' }]);
    expect(service.spec.selector).toEqual({ 'app.kubernetes.io/part-of': 'shared-desktops', 'desktop.io/component': 'node-desktop-session', 'desktop.io/user-id': alice });
  });

  test('the Service publishes the address before the pod is Ready: the pod is Ready only while the user is logged on', () => {
    // THEN
    const service = ofKind(objects, 'Service')[0] as KubernetesObject & { spec: { publishNotReadyAddresses?: boolean } };
    expect(service.spec.publishNotReadyAddresses).toBe(true);
  });

  test('a second HostProcess container, user-presence, is ready iff the desktop user has a Windows session (quser exit code), with no token', () => {
    // THEN
    const containers = (pod.spec as unknown as { containers: Array<{ name: string; image: string; env: Array<{ name: string; value?: string; valueFrom?: unknown }>; readinessProbe: { exec: { command: string[] }; periodSeconds: number; timeoutSeconds: number; failureThreshold: number }; resources: Record<string, Record<string, string>> }> }).containers;
    expect(containers.map((c) => c.name)).toEqual([SESSION_CONTAINER, USER_PRESENCE_CONTAINER]);
    const presence = containers[1];
    expect(presence.image).toBe(containers[0].image);
    expect(presence.readinessProbe.exec.command).toEqual(userPresenceProbeCommand());
    // One slow PowerShell start is no log-off: 10 s to answer, three misses in a row.
    expect(presence.readinessProbe).toMatchObject({ periodSeconds: 10, timeoutSeconds: 10, failureThreshold: 3 });
    // It knows the user's name and nothing else: no password, no API token (the pod mounts none).
    expect(presence.env).toEqual([{ name: 'DESKTOP_USER_NAME', value: 'desktop' }]);
    expect(pod.spec.automountServiceAccountToken).toBe(false);
    expect(presence.resources).toEqual({ requests: { cpu: '10m', memory: '64Mi' }, limits: { cpu: '500m', memory: '256Mi' } });
  });

  test('no idle limit on the desktop by default: DESKTOP_MAX_IDLE_TIME_MS is not set', () => {
    // THEN
    expect(pod.spec.containers[0].env.map((e) => e.name)).not.toContain('DESKTOP_MAX_IDLE_TIME_MS');
  });
});

describe('NodeDesktopSession idle timeout', () => {
  const template = sampleTemplate(NodeDesktopIsolationMode.SHARED_POOL);
  const sessionEnv = (idleDisconnectTimeoutSeconds?: number) => {
    const objects = render((chart) => new NodeDesktopSession(chart, 'S', { template, userId: 'alice@example.com', idleDisconnectTimeoutSeconds }));
    return (ofKind(objects, 'Pod')[0] as KubernetesObject & { spec: PodSpec }).spec.containers[0].env;
  };

  test('hands the session\'s idle timeout to the script in milliseconds (Windows\' MaxIdleTime)', () => {
    // WHEN / THEN
    expect(sessionEnv(900)).toContainEqual({ name: 'DESKTOP_MAX_IDLE_TIME_MS', value: '900000' });
    expect(sessionEnv(0).map((e) => e.name)).not.toContain('DESKTOP_MAX_IDLE_TIME_MS');
  });

  test('refuses a timeout that is not whole seconds or does not fit MaxIdleTime\'s 32-bit milliseconds', () => {
    // WHEN / THEN
    expect(() => sessionEnv(-1)).toThrow(/NodeDesktopSession\.idleDisconnectTimeoutSeconds: is -1; give whole seconds from 0 \(off\) to 4294967/);
    expect(() => sessionEnv(1.5)).toThrow(/idleDisconnectTimeoutSeconds: is 1\.5/);
    expect(() => sessionEnv(4_294_968)).toThrow(/idleDisconnectTimeoutSeconds/);
    expect(() => sessionEnv(4_294_967)).not.toThrow();
  });
});

describe('NodeDesktopSession and the user\'s NodePool in a bare chart (per-user pools)', () => {
  const template = sampleTemplate(NodeDesktopIsolationMode.NODE_POOL_PER_USER);
  const bob = kubernetesNameForUser('t', 'bob@example.com');
  let objects: KubernetesObject[];

  beforeAll(() => {
    // GIVEN / WHEN: what the controller creates for a user not listed at synth time.
    objects = render((chart) => {
      new NodeDesktopNodePool(chart, 'Pool', userNodePoolProps(template, 'bob@example.com'));
      new NodeDesktopSession(chart, 'Session', { template, userId: 'bob@example.com', windowsUserName: 'bob' });
    });
  });

  test('every object is valid against its schema and Karpenter\'s CEL rules', () => {
    // THEN
    expect(validateKubernetesObjects(objects)).toEqual([]);
    expect(objects.flatMap(karpenterCelViolations)).toEqual([]);
  });

  test('the pod selects the user\'s own NodePool and tolerates its dedicated-user taint', () => {
    // THEN
    const pod = ofKind(objects, 'Pod')[0] as KubernetesObject & { spec: PodSpec };
    expect(pod.spec.nodeSelector['karpenter.sh/nodepool']).toBe(`own-desktops-${bob}`);
    expect(pod.spec.tolerations).toContainEqual({ key: 'dedicated-user', operator: 'Equal', value: bob, effect: 'NoSchedule' });
    expect(ofKind(objects, 'NodePool')[0].metadata?.name).toBe(`own-desktops-${bob}`);
  });
});

describe('NodeDesktopSession with a directory', () => {
  test('takes the join credentials from the join Secret and needs the sAMAccountName', () => {
    // GIVEN
    const template = sampleTemplate(NodeDesktopIsolationMode.SHARED_POOL, {
      script: { account: SessionAccountKind.DOMAIN },
      joinSecretName: 'domain-join',
      environment: { DESKTOP_DOMAIN_NAME: 'corp.example.com' },
    });
    // WHEN
    const objects = render((chart) => new NodeDesktopSession(chart, 'S', { template, userId: 'carol@example.com', windowsUserName: 'carol' }));
    // THEN
    const env = (ofKind(objects, 'Pod')[0] as KubernetesObject & { spec: PodSpec }).spec.containers[0].env;
    expect(env).toContainEqual({ name: 'DESKTOP_JOIN_PASSWORD', valueFrom: { secretKeyRef: { name: 'domain-join', key: 'password' } } });
    expect(env).toContainEqual({ name: 'DESKTOP_JOIN_USER', valueFrom: { secretKeyRef: { name: 'domain-join', key: 'username' } } });
    expect(env).toContainEqual({ name: 'DESKTOP_DOMAIN_NAME', value: 'corp.example.com' });
    expect(env.map((e) => e.name)).not.toContain('DESKTOP_USER_PASSWORD');
    expect(validateKubernetesObjects(objects)).toEqual([]);
    expect(() => render((chart) => new NodeDesktopSession(chart, 'S', { template, userId: 'carol@example.com' })))
      .toThrow(/NodeDesktopSession\.windowsUserName: is not set, but the pool uses a directory/);
  });
});

describe('NodeDesktopSession bad input', () => {
  const template = sampleTemplate(NodeDesktopIsolationMode.SHARED_POOL);
  test.each([
    ['an unmappable user id', { userId: ' alice' }, /NodeDesktopSession\.userId: user id " alice" has leading or trailing white space/],
    ['a user id of the wrong type', { userId: 42 as unknown as string }, /NodeDesktopSession\.userId: is the number 42, not a string/],
    ['a Windows name with a forbidden character', { userId: 'a@example.com', windowsUserName: 'a/b' }, /NodeDesktopSession\.windowsUserName: is "a\/b"/],
    ['a Windows name over 20 characters', { userId: 'a@example.com', windowsUserName: 'x'.repeat(21) }, /NodeDesktopSession\.windowsUserName/],
    ['a bad Secret name', { userId: 'a@example.com', passwordSecretName: 'Bad_Name' }, /NodeDesktopSession\.passwordSecretName: "Bad_Name" is not a valid Kubernetes object name/],
  ])('%s fails', (_what, props, message) => {
    // WHEN / THEN
    expect(() => render((chart) => new NodeDesktopSession(chart, 'S', { template, ...props }))).toThrow(message);
  });

  test('long user ids keep their hash in every name', () => {
    // GIVEN
    const longId = `${'a'.repeat(80)}@example.com`;
    // WHEN
    const name = sessionName(longId);
    const poolName = userNodePoolProps(sampleTemplate(NodeDesktopIsolationMode.NODE_POOL_PER_USER), longId).name;
    // THEN
    const hash = kubernetesNameForUser('t', longId).slice(-10);
    expect(name.length).toBeLessThanOrEqual(63);
    expect(name.endsWith(hash)).toBe(true);
    expect(poolName.length).toBeLessThanOrEqual(63);
    expect(poolName.endsWith(hash)).toBe(true);
  });
});
