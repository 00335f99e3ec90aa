import { kubernetesNameForUser } from '../../constructs/common/kubernetes-name';
import { DEDICATED_USER_TAINT_KEY, USER_LABEL, WARM_CLAIMED_BY_LABEL, WARM_SLOT_CLASS_LABEL } from '../../constructs/common/well-known';
import { NodeOverlay, NodePool } from '../../constructs/imports/karpenter.sh';
import { kubevirtDeviceCapacity, kubevirtHostLabels } from '../../constructs/kubevirt/kubevirt-host-requirements';
import { DEFAULT_VM_HOST_PLACEMENT, VM_HOST_LABEL } from '../../constructs/kubevirt/vm-host-placement';
import { renderWarmPlaceholder } from '../../constructs/sessions/controller/warm-slots';
import { VmHostPoolChartProps, vmHostDeviceOverlayProps, vmHostNodePoolProps } from '../../constructs/kubevirt/vm-host-pool-chart';
import { DesktopSession, IsolationMode, SessionPhase } from '../../constructs/sessions/api';
import { DesktopSessionController } from '../../constructs/sessions/controller/desktop-session-controller';
import { CLASS_RESOURCE, DEFAULT_WARM_NAMESPACE, SESSION_RESOURCE, WARM_PRIORITY_CLASS } from '../../constructs/sessions/resources';
import { KubernetesClient, KubernetesObject } from '../../constructs/sessions/runtime/kubernetes-client';
import { DesktopSessions } from '../../constructs/sessions/sdk/desktop-sessions';
import { FakeKubeApiServer, KubeObject } from '../support/fake-kube-api-server';
import { karpenterAdmissionProblems, NodeOverlayObject, NodePoolObject } from '../support/karpenter-admission';
import { karpenterCelViolations } from '../support/karpenter-cel';
import { parseQuantity, renderLauncherPod } from '../support/kubevirt-launcher';
import { schemasAvailable, validateKubernetesObjects } from '../support/kubernetes-schemas';
import { NAMESPACE, TestClock, createClass, eventually, startApi, windows11Class } from './session-test-support';

jest.setTimeout(30_000);

const alice = 'alice@example.com';
const bob = 'bob@example.com';
const aliceNs = kubernetesNameForUser('userId', alice);
const bobNs = kubernetesNameForUser('userId', bob);
const VM = ['kubevirt.io', 'v1', 'virtualmachines'] as const;
const TIMEOUTS = { maxUserDurationSeconds: 3600, disconnectTimeoutSeconds: 600, idleDisconnectTimeoutSeconds: 0 };

/** A VM host pool's settings as `VmHostPool` resolves them for nested-virtualization hosts. */
const TEMPLATE: VmHostPoolChartProps = {
  nodePoolName: 'vm-hosts-nested', nodeClassName: 'vm-hosts-nested', nodeRoleName: 'role', nestedVirtualization: true, instanceFamilies: ['c8i', 'm8i'],
  capacityTypes: ['on-demand'], tenancy: 'default', subnetSelectorTerms: [{ tags: { 'karpenter.sh/discovery': 'desktops' } }], securityGroupSelectorTerms: [{ id: 'sg-0123456789abcdef0' }],
  rootVolumeSize: '200Gi', nodeLabels: { ...kubevirtHostLabels(), [VM_HOST_LABEL]: 'true' }, taints: [{ key: VM_HOST_LABEL, value: 'true', effect: 'NoSchedule' } as VmHostPoolChartProps['taints'][number]],
  expireAfter: 'Never', consolidateAfter: '10m', budgets: [{ nodes: '10%' }], cpuLimit: 400, memoryLimit: '1600Gi', weight: 10, deviceCapacity: kubevirtDeviceCapacity(),
};

describe('DesktopSession isolation at run time (fake API server)', () => {
  let server: FakeKubeApiServer;
  let client: KubernetesClient;
  let sessions: DesktopSessions;
  let controller: DesktopSessionController;
  const clock = new TestClock();

  beforeEach(async () => {
    ({ server, client } = await startApi());
    server.registerResource({ group: 'karpenter.sh', version: 'v1', plural: 'nodepools', kind: 'NodePool', namespaced: false, statusSubresource: true });
    server.registerResource({ group: 'karpenter.sh', version: 'v1alpha1', plural: 'nodeoverlays', kind: 'NodeOverlay', namespaced: false, statusSubresource: true });
    server.registerResource({ group: '', version: 'v1', plural: 'nodes', kind: 'Node', namespaced: false, statusSubresource: true });
    server.registerResource({ group: 'scheduling.k8s.io', version: 'v1', plural: 'priorityclasses', kind: 'PriorityClass', namespaced: false, statusSubresource: false });
    sessions = new DesktopSessions(client, NAMESPACE);
    controller = new DesktopSessionController({ client, namespace: NAMESPACE, pollIntervalMs: 50, now: clock.now, leaderElection: false });
  });

  afterEach(async () => {
    await controller.stop();
    client.close();
    await server.stop();
  });

  const get = (name: string) => sessions.get(name);
  async function provisioning(name: string): Promise<DesktopSession> {
    return eventually(async () => { const s = await get(name); return s.status?.phase === SessionPhase.PROVISIONING && s.status.desktopName ? s : undefined; }, 10_000, `${name} Provisioning`);
  }
  async function vmOf(name: string): Promise<KubeObject> {
    const s = await provisioning(name);
    return eventually(() => server.get(...VM, s.status!.desktopNamespace!, s.status!.desktopName!), 10_000, 'the VM');
  }
  const vmPlacement = (vm: KubeObject) => (vm.spec as { template: { spec: { nodeSelector: Record<string, string>; tolerations: Array<Record<string, string>> } } }).template.spec;
  /** Ends a session: its desktop first answers (Ready), then the user ends it. */
  async function end(name: string): Promise<void> {
    const s = await provisioning(name);
    server.setStatus(...VM, s.status!.desktopNamespace!, s.status!.desktopName!, { ready: true, printableStatus: 'Running' });
    await eventually(async () => (await get(name)).status?.phase === SessionPhase.READY, 10_000, `${name} Ready`);
    await sessions.end(name);
    await eventually(async () => (await get(name)).status?.phase === SessionPhase.ENDED, 10_000, `${name} Ended`);
  }

  test('a SharedPool VM desktop selects its user\'s own host, as the synth-time isolation places it', async () => {
    await createClass(client);
    await controller.start();
    const s = await sessions.create({ userId: alice, desktopClass: 'win11', size: 'small', timeouts: TIMEOUTS });
    const placement = vmPlacement(await vmOf(s.metadata.name));
    // The per-user host pool declares the user label with `Exists` and taints its hosts `dedicated-user` (no value).
    expect(placement.nodeSelector).toEqual({ [VM_HOST_LABEL]: 'true', [USER_LABEL]: aliceNs });
    expect(placement.tolerations).toEqual(expect.arrayContaining([{ key: DEDICATED_USER_TAINT_KEY, operator: 'Exists', effect: 'NoSchedule' }]));
  });

  test('the quota holds sessions of two classes of different sizes at once, and shrinks when one ends', async () => {
    await createClass(client); // small, medium: 4 vCPUs + 1, 8 GiB + 2
    await createClass(client, windows11Class({ allowedSizes: ['large'], sessionsPerUser: 2 }, 'win11-large')); // 2 × (8 + 1) vCPUs, 2 × (16 + 2) GiB
    await controller.start();
    const quota = () => server.get('', 'v1', 'resourcequotas', aliceNs, 'desktop-quota')?.spec as { hard: Record<string, string | number> } | undefined;
    const small = await sessions.create({ userId: alice, desktopClass: 'win11', size: 'small', timeouts: TIMEOUTS });
    await provisioning(small.metadata.name);
    expect(quota()?.hard).toMatchObject({ 'requests.cpu': 5, 'requests.memory': '10Gi', 'count/virtualmachines.kubevirt.io': 1 });

    const large = await sessions.create({ userId: alice, desktopClass: 'win11-large', size: 'large', timeouts: TIMEOUTS });
    await provisioning(large.metadata.name);
    // Both classes at once: the last class applied does not win.
    expect(quota()?.hard).toMatchObject({ 'requests.cpu': 5 + 18, 'requests.memory': `${10 + 36}Gi`, 'count/virtualmachines.kubevirt.io': 3, 'persistentvolumeclaims': 12 });

    await end(large.metadata.name);
    await eventually(() => quota()?.hard['requests.cpu'] === 5, 10_000, 'the quota re-applied for the remaining class');
    expect(quota()?.hard).toMatchObject({ 'requests.memory': '10Gi', 'count/virtualmachines.kubevirt.io': 1 });
  });

  test('a user with desktops of two golden images in one namespace may clone both (one clone binding per image)', async () => {
    await createClass(client);
    await createClass(client, windows11Class({ goldenImage: { namespace: 'golden-images', name: 'windows10' } }, 'win10'));
    await controller.start();
    await vmOf((await sessions.create({ userId: alice, desktopClass: 'win11', size: 'small', timeouts: TIMEOUTS })).metadata.name);
    await vmOf((await sessions.create({ userId: alice, desktopClass: 'win10', size: 'small', timeouts: TIMEOUTS })).metadata.name);
    const bindings = server.list('rbac.authorization.k8s.io', 'v1', 'rolebindings').filter((b) => b.metadata.namespace === 'golden-images');
    // A RoleBinding's roleRef cannot change: each image's clone Role has its own binding for the user's namespace.
    expect(bindings.map((b) => (b as unknown as { roleRef: { name: string } }).roleRef.name).sort()).toEqual(['windows10-clone', 'windows11-clone']);
    for (const b of bindings) expect(b).toMatchObject({ subjects: [{ kind: 'ServiceAccount', name: 'default', namespace: aliceNs }] });
  });

  test('a user with desktops of golden images in two namespaces keeps a clone-upload NetworkPolicy for each', async () => {
    await createClass(client);
    await createClass(client, windows11Class({ goldenImage: { namespace: 'more-images', name: 'windows10' } }, 'win10'));
    await controller.start();
    await vmOf((await sessions.create({ userId: alice, desktopClass: 'win11', size: 'small', timeouts: TIMEOUTS })).metadata.name);
    await vmOf((await sessions.create({ userId: alice, desktopClass: 'win10', size: 'small', timeouts: TIMEOUTS })).metadata.name);
    const from = server.list('networking.k8s.io', 'v1', 'networkpolicies').filter((p) => p.metadata.namespace === aliceNs && p.metadata.name.startsWith('allow-golden-image-clone'))
      .map((p) => (p.spec as { ingress: Array<{ from: Array<{ namespaceSelector: { matchLabels: Record<string, string> } }> }> }).ingress[0].from[0].namespaceSelector.matchLabels['kubernetes.io/metadata.name']);
    expect(from.sort()).toEqual(['golden-images', 'more-images']);
    expect(server.get('rbac.authorization.k8s.io', 'v1', 'rolebindings', 'more-images', `windows10-clone-${aliceNs}`)).toBeDefined();
  });

  describe('DedicatedPool: a NodePool of the user\'s own, derived from the class\'s template pool', () => {
    async function createTemplate(): Promise<void> {
      await client.create({ group: 'karpenter.sh', version: 'v1', plural: 'nodepools' }, NodePool.manifest(vmHostNodePoolProps(TEMPLATE)) as KubernetesObject, 'test');
      await client.create({ group: 'karpenter.sh', version: 'v1alpha1', plural: 'nodeoverlays' }, NodeOverlay.manifest(vmHostDeviceOverlayProps(TEMPLATE.nodePoolName, TEMPLATE.deviceCapacity!)) as KubernetesObject, 'test');
    }
    const dedicatedClass = () => windows11Class({ isolation: IsolationMode.DEDICATED_POOL, dedicatedPool: { nodePoolTemplate: TEMPLATE.nodePoolName }, sessionsPerUser: 2 }, 'win11-dedicated');

    test('is created for the user, passes Karpenter\'s checks, takes their desktops, and goes with their last session only', async () => {
      await createTemplate();
      await createClass(client, dedicatedClass());
      await controller.start();
      const first = await sessions.create({ userId: alice, desktopClass: 'win11-dedicated', size: 'medium', requestId: 'one', timeouts: TIMEOUTS });
      const vm = await vmOf(first.metadata.name);

      const pool = server.get('karpenter.sh', 'v1', 'nodepools', undefined, aliceNs)!;
      const overlay = server.get('karpenter.sh', 'v1alpha1', 'nodeoverlays', undefined, `${aliceNs}-kubevirt-devices`)!;
      expect(pool).toMatchObject({
        spec: {
          template: {
            metadata: { labels: { [USER_LABEL]: aliceNs, [VM_HOST_LABEL]: 'true' } },
            spec: { nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: TEMPLATE.nodeClassName }, taints: [{ key: VM_HOST_LABEL, value: 'true', effect: 'NoSchedule' }, { key: DEDICATED_USER_TAINT_KEY, value: aliceNs, effect: 'NoSchedule' }] },
          },
          // One or two medium desktops' hosts, not the template's fleet.
          limits: { cpu: 2 * 4 + 4, memory: `${2 * 8 + 16}Gi` },
        },
      });
      expect(pool.spec).not.toHaveProperty('weight');
      expect(overlay).toMatchObject({ spec: { requirements: [{ key: 'karpenter.sh/nodepool', operator: 'In', values: [aliceNs] }] } });
      expect([...karpenterCelViolations(pool), ...karpenterCelViolations(overlay)]).toEqual([]);
      if (schemasAvailable()) expect(validateKubernetesObjects([pool, overlay])).toEqual([]);

      // The desktop selects the user's label and tolerates only the user's taint value ...
      const placement = vmPlacement(vm);
      expect(placement.nodeSelector).toMatchObject({ [USER_LABEL]: aliceNs });
      expect(placement.tolerations).toEqual(expect.arrayContaining([{ key: DEDICATED_USER_TAINT_KEY, operator: 'Equal', value: aliceNs, effect: 'NoSchedule' }]));
      // ... and Karpenter would launch a host for its virt-launcher pod from the user's pool.
      const launcher = renderLauncherPod(vm as unknown as Parameters<typeof renderLauncherPod>[0], { useEmulation: false, featureGates: [] });
      expect(karpenterAdmissionProblems(launcher, pool as unknown as NodePoolObject, [overlay as unknown as NodeOverlayObject], true)).toEqual([]);

      // A second session of the same user shares the pool; ending the first keeps it.
      const second = await sessions.create({ userId: alice, desktopClass: 'win11-dedicated', size: 'medium', requestId: 'two', timeouts: TIMEOUTS });
      await vmOf(second.metadata.name);
      await end(first.metadata.name);
      await new Promise((r) => setTimeout(r, 200));
      expect(server.get('karpenter.sh', 'v1', 'nodepools', undefined, aliceNs)).toBeDefined();

      // The user's last session ends: their pool and overlay go; the template stays.
      await end(second.metadata.name);
      await eventually(() => server.get('karpenter.sh', 'v1', 'nodepools', undefined, aliceNs) === undefined, 10_000, 'the user pool deleted');
      expect(server.get('karpenter.sh', 'v1alpha1', 'nodeoverlays', undefined, `${aliceNs}-kubevirt-devices`)).toBeUndefined();
      expect(server.get('karpenter.sh', 'v1', 'nodepools', undefined, TEMPLATE.nodePoolName)).toBeDefined();
      expect(server.get('karpenter.sh', 'v1alpha1', 'nodeoverlays', undefined, `${TEMPLATE.nodePoolName}-kubevirt-devices`)).toBeDefined();
    });

    test('sessions of a shared and a dedicated class admitted at the same moment leave a quota that holds both', async () => {
      // The dedicated class's admission reads its template (an await) while the other class's admission runs.
      await createTemplate();
      await createClass(client);
      await createClass(client, dedicatedClass());
      await controller.start();
      const [one, two] = await Promise.all([
        sessions.create({ userId: alice, desktopClass: 'win11-dedicated', size: 'medium', timeouts: TIMEOUTS }),
        sessions.create({ userId: alice, desktopClass: 'win11', size: 'small', timeouts: TIMEOUTS }),
      ]);
      await Promise.all([provisioning(one.metadata.name), provisioning(two.metadata.name)]);
      // 1 × (4 + 1) vCPUs for win11, 2 × (4 + 1) for the dedicated class (medium, two per user).
      expect(server.get('', 'v1', 'resourcequotas', aliceNs, 'desktop-quota')?.spec).toMatchObject({ hard: { 'requests.cpu': 15, 'requests.memory': '30Gi' } });
    });

    test('a session deleted while Pending after its admission applied the user\'s pool (status write lost) releases the pool', async () => {
      await createTemplate();
      await createClass(client, dedicatedClass());
      // The status write that records the admission never lands (a crash in that window, as far as the status shows).
      server.failNext('PATCH', /desktopsessions\/[^/]+\/status$/, 500, 10_000);
      await controller.start();
      const s = await sessions.create({ userId: alice, desktopClass: 'win11-dedicated', size: 'medium', timeouts: TIMEOUTS });
      await eventually(() => server.get('karpenter.sh', 'v1', 'nodepools', undefined, aliceNs), 10_000, 'the user pool');
      expect((await get(s.metadata.name)).status?.desktopNamespace).toBeUndefined();
      // WHEN the session is deleted THEN the user's pool and overlay go with it (no other session of theirs needs it)
      await client.delete(SESSION_RESOURCE(NAMESPACE), s.metadata.name);
      await eventually(async () => (await sessions.list({ userId: alice })).length === 0, 10_000, 'the session released');
      expect(server.get('karpenter.sh', 'v1', 'nodepools', undefined, aliceNs)).toBeUndefined();
      expect(server.get('karpenter.sh', 'v1alpha1', 'nodeoverlays', undefined, `${aliceNs}-kubevirt-devices`)).toBeUndefined();
      expect(server.get('karpenter.sh', 'v1', 'nodepools', undefined, TEMPLATE.nodePoolName)).toBeDefined();
    });

    test('a session whose class was deleted while it ran releases the user\'s pool when it ends, not while another such session runs', async () => {
      await createTemplate();
      await createClass(client, dedicatedClass());
      await controller.start();
      const one = await sessions.create({ userId: alice, desktopClass: 'win11-dedicated', size: 'medium', requestId: 'one', timeouts: TIMEOUTS });
      const two = await sessions.create({ userId: alice, desktopClass: 'win11-dedicated', size: 'medium', requestId: 'two', timeouts: TIMEOUTS });
      for (const s of [one, two]) {
        const p = await provisioning(s.metadata.name);
        server.setStatus(...VM, p.status!.desktopNamespace!, p.status!.desktopName!, { ready: true, printableStatus: 'Running' });
        await eventually(async () => (await get(s.metadata.name)).status?.phase === SessionPhase.READY, 10_000, 'Ready');
      }
      // WHEN the class is deleted and the first session ends THEN the pool stays: the second may still run on it
      await client.delete(CLASS_RESOURCE, 'win11-dedicated');
      await eventually(async () => (await client.tryGet(CLASS_RESOURCE, 'win11-dedicated')) === undefined, 10_000, 'the class gone');
      await sessions.end(one.metadata.name);
      await eventually(async () => (await get(one.metadata.name)).status?.phase === SessionPhase.ENDED, 10_000, 'the first Ended');
      expect(server.get('karpenter.sh', 'v1', 'nodepools', undefined, aliceNs)).toBeDefined();
      // WHEN the last one ends THEN the pool and its overlay go
      await sessions.end(two.metadata.name);
      await eventually(async () => (await get(two.metadata.name)).status?.phase === SessionPhase.ENDED, 10_000, 'the second Ended');
      await eventually(() => server.get('karpenter.sh', 'v1', 'nodepools', undefined, aliceNs) === undefined, 10_000, 'the user pool deleted');
      expect(server.get('karpenter.sh', 'v1alpha1', 'nodeoverlays', undefined, `${aliceNs}-kubevirt-devices`)).toBeUndefined();
    });

    test('a class naming a NodePool that does not exist fails its sessions before anything is created', async () => {
      await createClass(client, dedicatedClass());
      await controller.start();
      const s = await sessions.create({ userId: alice, desktopClass: 'win11-dedicated', size: 'medium', timeouts: TIMEOUTS });
      const failed = await eventually(async () => { const x = await get(s.metadata.name); return x.status?.phase === SessionPhase.FAILED ? x : undefined; }, 10_000, 'Failed');
      expect(failed.status?.message).toMatch(/there is no NodePool "vm-hosts-nested"/);
      expect(failed.status?.conditions).toEqual([expect.objectContaining({ reason: 'IsolationRefused' })]);
      expect(server.get('', 'v1', 'namespaces', undefined, aliceNs)).toBeUndefined();
      expect(server.list('karpenter.sh', 'v1', 'nodepools')).toHaveLength(0);
    });
  });

  describe('warm slots (DesktopClass.spec.warmCount)', () => {
    const placeholders = () => server.list('', 'v1', 'pods', DEFAULT_WARM_NAMESPACE).filter((p) => p.metadata.deletionTimestamp === undefined);
    const unclaimed = () => placeholders().filter((p) => p.metadata.labels?.[WARM_CLAIMED_BY_LABEL] === undefined);
    const warmValue = (pod: KubeObject) => (pod.spec as { nodeSelector: Record<string, string> }).nodeSelector[USER_LABEL];

    /** What Karpenter and the scheduler would do: a host labelled with the placeholder's own user-label value, the pod Running on it. */
    async function schedule(pod: KubeObject, node: string): Promise<void> {
      await client.create({ group: '', version: 'v1', plural: 'nodes' }, { apiVersion: 'v1', kind: 'Node', metadata: { name: node, labels: { ...(pod.spec as { nodeSelector: Record<string, string> }).nodeSelector } } }, 'kubelet');
      await client.mergePatch({ group: '', version: 'v1', plural: 'pods', namespace: DEFAULT_WARM_NAMESPACE }, pod.metadata.name, { spec: { nodeName: node } }, 'scheduler');
      server.setStatus('', 'v1', 'pods', DEFAULT_WARM_NAMESPACE, pod.metadata.name, { phase: 'Running' });
    }

    test('are kept at warmCount, each on a host of its own, sized for the class\'s largest size', async () => {
      await createClass(client, windows11Class({ warmCount: 2 }));
      await controller.start();
      const pods = await eventually(() => (placeholders().length === 2 ? placeholders() : undefined), 10_000, 'two placeholders');
      expect(server.get('scheduling.k8s.io', 'v1', 'priorityclasses', undefined, WARM_PRIORITY_CLASS)).toMatchObject({ value: -10, preemptionPolicy: 'Never', globalDefault: false });
      for (const pod of pods) {
        expect(pod).toMatchObject({
          metadata: { labels: { [WARM_SLOT_CLASS_LABEL]: 'win11' } },
          spec: {
            priorityClassName: WARM_PRIORITY_CLASS,
            automountServiceAccountToken: false,
            nodeSelector: { [VM_HOST_LABEL]: 'true' },
            // medium, the class's largest (4 vCPUs, 8 GiB), with the overhead the user quota counts per desktop
            containers: [{ resources: { requests: { cpu: 5, memory: '10Gi' } } }],
          },
        });
        expect((pod.spec as { tolerations: unknown[] }).tolerations).toEqual(expect.arrayContaining([{ key: DEDICATED_USER_TAINT_KEY, operator: 'Exists', effect: 'NoSchedule' }]));
        // A user-label value no user has (user names are DNS labels, without dots).
        expect(warmValue(pod)).toMatch(/^warm\.[0-9a-f]{10}$/);
      }
      expect(new Set(pods.map(warmValue)).size).toBe(2);
      if (schemasAvailable()) expect(validateKubernetesObjects([renderWarmPlaceholder({ desktopClass: windows11Class(), namespace: DEFAULT_WARM_NAMESPACE, slot: 'abcdef0123', hostPlacement: DEFAULT_VM_HOST_PLACEMENT }) as KubeObject, server.get('scheduling.k8s.io', 'v1', 'priorityclasses', undefined, WARM_PRIORITY_CLASS)!])).toEqual([]);
      // Fewer slots: the excess goes.
      await client.mergePatch({ group: 'sessions.desktop.io', version: 'v1alpha1', plural: 'desktopclasses' }, 'win11', { spec: { warmCount: 1 } }, 'test');
      await eventually(() => placeholders().length === 1, 10_000, 'one placeholder');
    });

    test('an admitted session claims one ready slot atomically: its host is relabelled for the user, the slot replenished', async () => {
      await createClass(client, windows11Class({ warmCount: 2 }));
      await controller.start();
      const [ready, pending] = await eventually(() => (placeholders().length === 2 ? placeholders() : undefined), 10_000, 'two placeholders');
      await schedule(ready, 'ip-10-0-1-1');
      await eventually(async () => /desktop_warm_slots\{desktop_class="win11",state="available"\} 1/.test(await controller.metrics.registry.metrics()), 10_000, 'one available slot');

      // Two users at once, one ready slot: exactly one gets it.
      const [a, b] = await Promise.all([alice, bob].map((userId) => sessions.create({ userId, desktopClass: 'win11', size: 'medium', timeouts: TIMEOUTS })));
      const [sa, sb] = await Promise.all([provisioning(a.metadata.name), provisioning(b.metadata.name)]);
      const claims = [sa, sb].filter((s) => s.status?.warmClaim !== undefined);
      expect(claims).toHaveLength(1);
      const [winner] = claims;
      const winnerNs = winner.spec.userId === alice ? aliceNs : bobNs;
      expect(winner.status?.warmClaim).toEqual({ pod: ready.metadata.name, node: 'ip-10-0-1-1' });
      // The host is now the user's: the user's VM selects exactly what the host carries.
      const node = server.get('', 'v1', 'nodes', undefined, 'ip-10-0-1-1')!;
      expect(node.metadata.labels?.[USER_LABEL]).toBe(winnerNs);
      const vm = await vmOf(winner.metadata.name);
      for (const [key, value] of Object.entries(vmPlacement(vm).nodeSelector)) expect(node.metadata.labels?.[key]).toBe(value);
      // ... and its virt-launcher pod requests no more than the placeholder held on the host.
      const launcher = renderLauncherPod(vm as unknown as Parameters<typeof renderLauncherPod>[0], { useEmulation: false, featureGates: [] });
      const held = (ready.spec as { containers: Array<{ resources: { requests: Record<string, string | number> } }> }).containers[0].resources.requests;
      expect(launcher.requests.cpu).toBeLessThanOrEqual(parseQuantity(String(held.cpu)));
      expect(launcher.requests.memory).toBeLessThanOrEqual(parseQuantity(String(held.memory)));
      // The placeholder is gone (the desktop gets its room); the slot is replenished.
      expect(server.get('', 'v1', 'pods', DEFAULT_WARM_NAMESPACE, ready.metadata.name)).toBeUndefined();
      await eventually(() => unclaimed().length === 2 && unclaimed().some((p) => p.metadata.name === pending.metadata.name), 10_000, 'replenished');
      const metrics = await controller.metrics.registry.metrics();
      expect(metrics).toMatch(/desktop_warm_claims_total\{desktop_class="win11",result="claimed"\} 1/);
      expect(metrics).toMatch(/desktop_warm_claims_total\{desktop_class="win11",result="missed"\} 1/);
    });

    test('a placeholder claimed by a session that no longer waits is cleared and replaced (restart convergence)', async () => {
      await createClass(client, windows11Class({ warmCount: 1 }));
      await controller.start();
      const [pod] = await eventually(() => (placeholders().length === 1 ? placeholders() : undefined), 10_000, 'a placeholder');
      await client.mergePatch({ group: '', version: 'v1', plural: 'pods', namespace: DEFAULT_WARM_NAMESPACE }, pod.metadata.name, { metadata: { labels: { [WARM_CLAIMED_BY_LABEL]: 'uid-of-a-gone-session' } } }, 'test');
      await eventually(() => server.get('', 'v1', 'pods', DEFAULT_WARM_NAMESPACE, pod.metadata.name) === undefined, 10_000, 'the spent placeholder deleted');
      await eventually(() => unclaimed().length === 1, 10_000, 'a new placeholder');
    });

    test('are not kept for a DedicatedPool class (CEL refuses it; the controller too)', async () => {
      await createClass(client, windows11Class({ isolation: IsolationMode.DEDICATED_POOL, dedicatedPool: { nodePoolTemplate: 'x' }, warmCount: 2 }));
      await createClass(client, windows11Class({ warmCount: 1 }, 'win11-shared'));
      await controller.start();
      await eventually(() => placeholders().length === 1, 10_000, 'the shared class\'s placeholder');
      await new Promise((r) => setTimeout(r, 200));
      expect(placeholders().map((p) => p.metadata.labels?.[WARM_SLOT_CLASS_LABEL])).toEqual(['win11-shared']);
    });
  });
});
