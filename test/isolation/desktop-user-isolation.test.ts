import { Size } from 'aws-cdk-lib';
import { Chart, Testing } from 'cdk8s';
import { DesktopKind, UserIsolationMode } from '../../constructs/isolation/desktop-user';
import {
  DesktopUserIsolation,
  DesktopUserIsolationProps,
  KubernetesObjectJson,
  renderDesktopUserObjects,
} from '../../constructs/isolation/desktop-user-isolation';
import { DesktopSize } from '../../constructs/kubevirt/desktop-size';
import { everyDesktopHost } from '../../constructs/kubevirt/kubevirt-install-chart';
import { kubernetesNameForUser } from '../../constructs/common/kubernetes-name';
import { coreTolerations } from '../../constructs/kubevirt/private/placement';
import { registerKubeVirtSchemas } from '../support/kubevirt-schemas';
import { karpenterCelViolations } from '../support/karpenter-cel';
import { validateKubernetesObjects } from '../support/kubernetes-schemas';
import { VmGuestLicensing } from '../../constructs/kubevirt/vm-guest-licensing';
import { VmHostPool } from '../../constructs/kubevirt/vm-host-pool';
import { FakeKarpenter, stackWithV2Cluster } from '../support/eks-fixtures';
import { clusterWithPools, GOLDEN_IMAGE, PoolsFixture } from './isolation-fixtures';
import { agentRunsOn, canLaunchFor, egressAllowed, Endpoint, ingressAllowed, PodPlacement } from './policy-semantics';

const ALICE = 'alice.smith@example.com';
const BOB = 'bob@example.com';
const alice = kubernetesNameForUser('test', ALICE);
const bob = kubernetesNameForUser('test', BOB);

let pools: PoolsFixture;
beforeAll(() => {
  registerKubeVirtSchemas();
  pools = clusterWithPools();
});

function render(props: Partial<DesktopUserIsolationProps> & { user: DesktopUserIsolationProps['user'] }): KubernetesObjectJson[] {
  return renderDesktopUserObjects({ goldenImage: GOLDEN_IMAGE, ...props });
}

function vmUser(id: string, isolation: UserIsolationMode, extra: Partial<DesktopUserIsolationProps> = {}): KubernetesObjectJson[] {
  const hostPlacement = isolation === UserIsolationMode.SHARED_POOL ? pools.userHosts.placement : pools.hosts.placement;
  return render({
    user: { id, isolation, group: 'desktop-users' },
    desktop: { goldenImage: GOLDEN_IMAGE },
    hostPlacement,
    dedicatedPoolTemplate: isolation === UserIsolationMode.DEDICATED_POOL ? pools.hosts.settings : undefined,
    ...extra,
  });
}

/** The fields of rendered objects the assertions read (their shapes are checked by the schemas). */
interface Rendered extends KubernetesObjectJson {
  readonly metadata: KubernetesObjectJson['metadata'] & { readonly labels?: Record<string, string> };
  readonly spec: {
    readonly hard: Record<string, unknown>;
    readonly limits: unknown;
    readonly template: {
      readonly metadata: { readonly labels: Record<string, string> };
      readonly spec: { readonly requirements: unknown[]; readonly taints: unknown[]; readonly nodeClassRef: unknown };
    };
  };
  readonly automountServiceAccountToken?: boolean;
  readonly roleRef?: { readonly name: string };
}

function find(objects: readonly KubernetesObjectJson[], kind: string, name?: string): Rendered {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  expect(found).toHaveLength(1);
  return found[0] as Rendered;
}

function desktopPlacement(objects: readonly KubernetesObjectJson[]): PodPlacement {
  return find(objects, 'VirtualMachine').spec.template.spec as unknown as PodPlacement;
}

function poolObjects(chartOwner: { chart: Chart }): KubernetesObjectJson[] {
  return Testing.synth(chartOwner.chart) as KubernetesObjectJson[];
}

describe('objects of one VM desktop user', () => {
  const modes = [UserIsolationMode.SHARED_POOL, UserIsolationMode.DEDICATED_POOL, UserIsolationMode.SHARED_HOSTS];

  test.each(modes)('every object is valid against its upstream schema (%s)', (mode) => {
    // WHEN
    const objects = vmUser(ALICE, mode, { allowedEgress: [{ cidr: '10.0.0.0/16', tcpPorts: [389, 636], udpPorts: [53] }] });
    // THEN
    const kinds = objects.map((o) => o.kind);
    expect(kinds[0]).toBe('Namespace');
    expect(new Set(kinds)).toEqual(new Set([
      'Namespace', 'ResourceQuota', 'LimitRange', 'ServiceAccount', 'NetworkPolicy', 'RoleBinding',
      'VirtualMachine', 'PersistentVolumeClaim', 'Service', ...(mode === UserIsolationMode.DEDICATED_POOL ? ['NodePool', 'NodeOverlay'] : []),
    ]));
    expect(validateKubernetesObjects(objects)).toEqual([]);
  });

  test('a node desktop user gets the namespace and policies, privileged Pod Security, no VM objects', () => {
    const objects = render({ user: { id: ALICE, desktopKind: DesktopKind.NODE } });
    expect(validateKubernetesObjects(objects)).toEqual([]);
    expect(objects.map((o) => o.kind)).not.toContain('VirtualMachine');
    expect(objects.filter((o) => o.kind === 'RoleBinding')).toEqual([]);
    expect(find(objects, 'Namespace').metadata.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'privileged',
      'desktop.io/desktop-kind': 'node',
    });
  });

  test('the namespace is named by the collision-free mapping, labelled and annotated with the exact id', () => {
    const ns = find(vmUser(ALICE, UserIsolationMode.SHARED_POOL), 'Namespace');
    expect(ns.metadata).toEqual({
      name: alice,
      labels: {
        'desktop.io/user-id': alice,
        'desktop.io/desktop-kind': 'vm',
        'pod-security.kubernetes.io/enforce': 'baseline',
        'pod-security.kubernetes.io/audit': 'baseline',
        'pod-security.kubernetes.io/warn': 'baseline',
      },
      annotations: { 'desktop.io/user-id': ALICE },
    });
  });

  test('every namespaced object lives in the user namespace, except the clone binding in the image namespace', () => {
    const objects = vmUser(ALICE, UserIsolationMode.DEDICATED_POOL);
    const elsewhere = objects.filter((o) => o.metadata.namespace !== alice && !['Namespace', 'NodePool', 'NodeOverlay'].includes(o.kind));
    expect(elsewhere.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`)).toEqual([`RoleBinding/desktop-images/windows11-clone-${alice}`]);
  });

  test('the quota fits one desktop of the user size (4 vCPU / 8 GiB, 64 GiB root, 50 GiB user disk)', () => {
    const quota = find(vmUser(ALICE, UserIsolationMode.SHARED_POOL), 'ResourceQuota');
    expect(quota.spec.hard).toEqual({
      'count/virtualmachines.kubevirt.io': 1,
      'requests.cpu': 5,
      'requests.memory': '10Gi',
      'requests.storage': '193Gi',
      'persistentvolumeclaims': 4,
      'services': 2,
      'services.loadbalancers': 0,
      'services.nodeports': 0,
    });
  });

  test('the quota follows the desktop size and an explicit quota', () => {
    const objects = render({ user: { id: ALICE, size: DesktopSize.LARGE }, quota: { desktops: 2 } });
    expect(find(objects, 'ResourceQuota').spec.hard).toMatchObject({
      'count/virtualmachines.kubevirt.io': 2, 'requests.cpu': 18, 'requests.memory': '36Gi', 'persistentvolumeclaims': 8,
    });
  });

  test('the limit range sets default requests, no default limit (virt-launcher must not get one), and caps a claim', () => {
    const limits = find(vmUser(ALICE, UserIsolationMode.SHARED_POOL), 'LimitRange');
    expect(limits.spec.limits).toEqual([
      { type: 'Container', defaultRequest: { cpu: '100m', memory: '128Mi' } },
      { type: 'PersistentVolumeClaim', max: { storage: '71Gi' } },
    ]);
  });

  test('no token automount; the group gets view in the namespace; the namespace (only) may clone the golden image', () => {
    const objects = vmUser(ALICE, UserIsolationMode.SHARED_POOL);
    expect(find(objects, 'ServiceAccount').automountServiceAccountToken).toBe(false);
    expect(find(objects, 'RoleBinding', 'desktop-user')).toMatchObject({
      roleRef: { kind: 'ClusterRole', name: 'view' },
      subjects: [{ kind: 'Group', name: 'desktop-users' }],
    });
    expect(find(objects, 'RoleBinding', `windows11-clone-${alice}`)).toMatchObject({
      metadata: { namespace: 'desktop-images' },
      roleRef: { kind: 'Role', name: 'windows11-clone' },
      subjects: [{ kind: 'ServiceAccount', name: 'default', namespace: alice }],
    });
  });
});

describe('network policy semantics', () => {
  const objects = () => [...vmUser(ALICE, UserIsolationMode.SHARED_POOL), ...vmUser(BOB, UserIsolationMode.SHARED_POOL)];
  const desktop = (ns: string): Endpoint => ({ namespace: ns, namespaceLabels: { 'kubernetes.io/metadata.name': ns }, podLabels: { 'desktop.io/vm': 'desktop', 'kubevirt.io': 'virt-launcher' } });
  const guacd: Endpoint = { namespace: 'guacamole', namespaceLabels: { 'kubernetes.io/metadata.name': 'guacamole' }, podLabels: { 'app.kubernetes.io/name': 'guacd', 'app.kubernetes.io/instance': 'guacamole-guacd' } };
  const web: Endpoint = { namespace: 'guacamole', namespaceLabels: { 'kubernetes.io/metadata.name': 'guacamole' }, podLabels: { 'app.kubernetes.io/name': 'guacamole' } };
  const fakeGuacd: Endpoint = { namespace: 'other', namespaceLabels: { 'kubernetes.io/metadata.name': 'other' }, podLabels: { 'app.kubernetes.io/name': 'guacd' } };
  const coreDns: Endpoint = { namespace: 'kube-system', namespaceLabels: { 'kubernetes.io/metadata.name': 'kube-system' }, podLabels: { 'k8s-app': 'kube-dns' } };

  test('only guacd in the gateway namespace reaches RDP 3389, and nothing else', () => {
    const o = objects();
    expect(ingressAllowed(o, guacd, desktop(alice), 3389)).toBe(true);
    expect(ingressAllowed(o, guacd, desktop(alice), 3389, 'UDP')).toBe(false);
    expect(ingressAllowed(o, guacd, desktop(alice), 22)).toBe(false);
    expect(ingressAllowed(o, web, desktop(alice), 3389)).toBe(false);
    expect(ingressAllowed(o, fakeGuacd, desktop(alice), 3389)).toBe(false);
    expect(ingressAllowed(o, desktop(bob), desktop(alice), 3389)).toBe(false);
    expect(ingressAllowed(o, { ip: '203.0.113.7' }, desktop(alice), 3389)).toBe(false);
  });

  test('default deny: a pod of the user namespace itself cannot reach the desktop', () => {
    expect(ingressAllowed(objects(), { ...desktop(alice), podLabels: { app: 'x' } }, desktop(alice), 3389)).toBe(false);
  });

  test('egress: DNS to CoreDNS only, nothing else by default', () => {
    const o = objects();
    expect(egressAllowed(o, desktop(alice), coreDns, 53, 'UDP')).toBe(true);
    expect(egressAllowed(o, desktop(alice), coreDns, 53, 'TCP')).toBe(true);
    expect(egressAllowed(o, desktop(alice), coreDns, 443)).toBe(false);
    expect(egressAllowed(o, desktop(alice), { ...coreDns, podLabels: { app: 'other' } }, 53, 'UDP')).toBe(false);
    expect(egressAllowed(o, desktop(alice), { ip: '8.8.8.8' }, 53, 'UDP')).toBe(false);
    expect(egressAllowed(o, desktop(alice), desktop(bob), 3389)).toBe(false);
    expect(egressAllowed(o, desktop(alice), { ip: '52.1.2.3' }, 443)).toBe(false);
  });

  test('egress the administrator allows, and no more', () => {
    const o = vmUser(ALICE, UserIsolationMode.SHARED_POOL, { allowedEgress: [{ cidr: '10.0.0.0/16', tcpPorts: [389] }] });
    expect(egressAllowed(o, desktop(alice), { ip: '10.0.4.5' }, 389)).toBe(true);
    expect(egressAllowed(o, desktop(alice), { ip: '10.0.4.5' }, 445)).toBe(false);
    expect(egressAllowed(o, desktop(alice), { ip: '10.1.4.5' }, 389)).toBe(false);
  });

  test('the golden image reaches CDI upload server pods on 8443 for host-assisted clones, nothing else', () => {
    const o = objects();
    const source: Endpoint = { namespace: 'desktop-images', namespaceLabels: { 'kubernetes.io/metadata.name': 'desktop-images' }, podLabels: { 'cdi.kubevirt.io': 'cdi-clone-source' } };
    const upload: Endpoint = { namespace: alice, namespaceLabels: {}, podLabels: { 'cdi.kubevirt.io': 'cdi-upload-server' } };
    expect(ingressAllowed(o, source, upload, 8443)).toBe(true);
    expect(ingressAllowed(o, source, desktop(alice), 8443)).toBe(false);
    expect(ingressAllowed(o, source, desktop(alice), 3389)).toBe(false);
  });
});

describe('placement: a desktop lands only on its user hosts', () => {
  test('shared pool: the pool declares the user label with Exists; each desktop selects its own value', () => {
    const pool = find(poolObjects(pools.userHosts), 'NodePool');
    expect(pool.spec.template.spec.requirements).toContainEqual({ key: 'desktop.io/user-id', operator: 'Exists' });
    const aliceDesktop = desktopPlacement(vmUser(ALICE, UserIsolationMode.SHARED_POOL));
    expect(aliceDesktop.nodeSelector).toEqual({ 'desktop.io/vm-host': 'true', 'desktop.io/user-id': alice });
    expect(canLaunchFor(pool, aliceDesktop)).toBe(true);
    // Not on the ordinary pool (no user label there), and a host launched for Alice carries her value only.
    expect(canLaunchFor(find(poolObjects(pools.hosts), 'NodePool'), aliceDesktop)).toBe(false);
    const aliceHost = { ...pool, spec: { ...pool.spec, template: { ...pool.spec.template, metadata: { labels: { ...pool.spec.template.metadata.labels, 'desktop.io/user-id': alice } } } } };
    expect(canLaunchFor(aliceHost, desktopPlacement(vmUser(BOB, UserIsolationMode.SHARED_POOL)))).toBe(false);
  });

  test('shared pool: its hosts are tainted, so pods that do not select a user stay off', () => {
    const pool = find(poolObjects(pools.userHosts), 'NodePool');
    expect(pool.spec.template.spec.taints).toContainEqual({ key: 'dedicated-user', effect: 'NoSchedule' });
    expect(canLaunchFor(pool, { nodeSelector: { 'desktop.io/vm-host': 'true' }, tolerations: coreTolerations(pools.hosts.placement) })).toBe(false);
  });

  test('dedicated pool: the user NodePool (same EC2NodeClass) takes only that user desktop', () => {
    const aliceObjects = vmUser(ALICE, UserIsolationMode.DEDICATED_POOL);
    const bobObjects = vmUser(BOB, UserIsolationMode.DEDICATED_POOL);
    const alicePool = find(aliceObjects, 'NodePool');
    expect(alicePool.metadata.name).toBe(alice);
    expect(alicePool.spec.template.spec.nodeClassRef).toEqual({ group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'vm-hosts-nested' });
    expect(alicePool.spec.template.spec.taints).toContainEqual({ key: 'dedicated-user', value: alice, effect: 'NoSchedule' });
    expect(alicePool.spec.limits).toEqual({ cpu: 12, memory: '32Gi' });
    // Karpenter learns of KubeVirt's devices per NodePool: the user's pool has its own overlay.
    const overlay = find(aliceObjects, 'NodeOverlay') as unknown as { spec: { requirements: unknown[]; capacity: Record<string, string> } };
    expect(overlay.spec.requirements).toEqual([{ key: 'karpenter.sh/nodepool', operator: 'In', values: [alice] }]);
    expect(overlay.spec.capacity).toEqual((find(poolObjects(pools.hosts), 'NodeOverlay') as unknown as { spec: { capacity: unknown } }).spec.capacity);
    expect(canLaunchFor(alicePool, desktopPlacement(aliceObjects))).toBe(true);
    expect(canLaunchFor(alicePool, desktopPlacement(bobObjects))).toBe(false);
    expect(canLaunchFor(find(bobObjects, 'NodePool'), desktopPlacement(aliceObjects))).toBe(false);
    // Nor on the shared per-user pool or the ordinary pool.
    expect(canLaunchFor(find(poolObjects(pools.userHosts), 'NodePool'), desktopPlacement(aliceObjects))).toBe(false);
    expect(canLaunchFor(find(poolObjects(pools.hosts), 'NodePool'), desktopPlacement(aliceObjects))).toBe(false);
  });

  test('virt-handler (KubeVirt workloads placement) runs on every desktop host, whatever its per-user taint', () => {
    const handler = everyDesktopHost(pools.hosts.placement);
    const tolerations = coreTolerations(handler);
    expect(tolerations).toContainEqual({ key: 'dedicated-user', operator: 'Exists', effect: 'NoSchedule' });
    const dedicated = find(vmUser(ALICE, UserIsolationMode.DEDICATED_POOL), 'NodePool');
    for (const pool of [find(poolObjects(pools.hosts), 'NodePool'), find(poolObjects(pools.userHosts), 'NodePool'), dedicated]) {
      expect(agentRunsOn(pool, { ...handler.nodeSelector }, tolerations)).toBe(true);
    }
    // Without the fix it would not run on per-user hosts.
    expect(agentRunsOn(dedicated, { ...pools.hosts.placement.nodeSelector }, coreTolerations(pools.hosts.placement))).toBe(false);
  });
});

describe('the construct in a bare cdk8s chart (no CDK stack)', () => {
  test('renders the same objects as renderDesktopUserObjects', () => {
    const chart = new Chart(Testing.app(), 'Users');
    new DesktopUserIsolation(chart, 'Alice', { user: { id: ALICE }, goldenImage: GOLDEN_IMAGE });
    const fromChart = Testing.synth(chart) as KubernetesObjectJson[];
    const rendered = render({ user: { id: ALICE } });
    const key = (o: KubernetesObjectJson) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    expect(fromChart.map(key).sort()).toEqual(rendered.map(key).sort());
  });
});

describe('bad input', () => {
  test('an unmappable id names the prop and the fix', () => {
    expect(() => render({ user: { id: ' alice@example.com' } })).toThrow(/DesktopUserIsolation\.user\.id: .*leading or trailing white space/);
    expect(() => render({ user: { id: 42 as unknown as string } })).toThrow(/DesktopUserIsolation\.user\.id: is the number 42, not a string/);
  });

  test('a quota below one desktop is refused with the minimum', () => {
    expect(() => render({ user: { id: ALICE }, quota: { cpu: 2 } })).toThrow(/DesktopUserIsolation\.quota\.cpu: is 2, below what one VM desktop of 4 vCPU \/ 8 GiB needs \(5 vCPUs\); give at least 5/);
    expect(() => render({ user: { id: ALICE }, quota: { memoryGiB: 8 } })).toThrow(/quota\.memoryGiB: is 8, below .*give at least 10/);
    expect(() => render({ user: { id: ALICE }, quota: { desktops: 0 } })).toThrow(/quota\.desktops: is 0, below .*give at least 1/);
    expect(() => render({ user: { id: ALICE }, quota: { storageGiB: '100' as unknown as number } })).toThrow(/quota\.storageGiB: is "100"; give a whole number/);
  });

  test('a mode the desktop kind does not support', () => {
    expect(() => render({ user: { id: ALICE, desktopKind: DesktopKind.NODE, isolation: UserIsolationMode.SHARED_HOSTS } }))
      .toThrow(/user\.isolation: is 'shared-hosts', which node desktops do not support.*Use UserIsolationMode\.SHARED_POOL/);
    expect(() => render({ user: { id: ALICE, isolation: 'per-user' as UserIsolationMode } })).toThrow(/user\.isolation: is "per-user"; use one of 'dedicated-pool', 'shared-pool', 'shared-hosts'/);
  });

  test('a dedicated-pool VM user without a template pool, a desktop without placement, a bad egress CIDR', () => {
    expect(() => render({ user: { id: ALICE, isolation: UserIsolationMode.DEDICATED_POOL } })).toThrow(/dedicatedPoolTemplate: is missing for "alice\.smith@example\.com"/);
    expect(() => render({ user: { id: ALICE }, desktop: { goldenImage: GOLDEN_IMAGE } })).toThrow(/hostPlacement: is missing/);
    expect(() => render({ user: { id: ALICE }, allowedEgress: [{ cidr: '10.0.0.0' }] })).toThrow(/allowedEgress\[0\]\.cidr: is "10\.0\.0\.0"; give an IPv4 CIDR/);
    expect(() => render({ user: { id: ALICE }, allowedEgress: [{ cidr: '10.0.0.0/8', tcpPorts: [70000] }] })).toThrow(/allowedEgress\[0\]\.tcpPorts\[0\]: got 70000/);
    expect(() => render({ user: { id: ALICE }, goldenImage: undefined })).toThrow(/goldenImage: is missing for VM desktop user/);
  });

  test('a desktop size of the wrong type', () => {
    expect(() => render({ user: { id: ALICE, size: { vcpus: 4, memoryGiB: 8 } as unknown as DesktopSize } })).toThrow(/user\.size: is an object .*give a DesktopSize/);
  });
});

test('fixture: a dedicated pool desktop uses the root disk size given', () => {
  const objects = vmUser(ALICE, UserIsolationMode.DEDICATED_POOL, { desktop: { goldenImage: GOLDEN_IMAGE, rootDiskSize: Size.gibibytes(100) } });
  expect(find(objects, 'ResourceQuota').spec.hard['requests.storage']).toBe('271Gi');
});

test('bad gateway labels and group role', () => {
  expect(() => render({ user: { id: ALICE }, gateway: { podLabels: { 'app name': 'guacd' } } })).toThrow(/DesktopUserIsolation\.gateway\.podLabels/);
  expect(() => render({ user: { id: ALICE }, groupRole: 'a/b' })).toThrow(/DesktopUserIsolation\.groupRole: is "a\/b"; give the name of a ClusterRole/);
  expect(render({ user: { id: ALICE, group: 'g' }, groupRole: 'system:aggregate-to-view' }).some((o) => o.kind === 'RoleBinding' && (o as Rendered).roleRef?.name === 'system:aggregate-to-view')).toBe(true);
});

test("per-user NodePools keep Karpenter 1.14.1's CEL rules (which the JSON schema does not check)", () => {
  const nodePools = [
    find(vmUser(ALICE, UserIsolationMode.DEDICATED_POOL), 'NodePool'),
    find(poolObjects(pools.userHosts), 'NodePool'),
  ];
  expect(nodePools.flatMap((pool) => karpenterCelViolations(pool as never))).toEqual([]);
  // The helper does find a broken one.
  const broken = { ...nodePools[0], spec: { ...nodePools[0].spec, template: { ...nodePools[0].spec.template, metadata: { labels: { 'karpenter.sh/nodepool': 'x' } } } } };
  expect(karpenterCelViolations(broken as never)).not.toEqual([]);
});

test('a dedicated pool copied from a bare-metal template has room for one metal host', () => {
  // GIVEN a template pool of metal hosts on Dedicated Instances
  const { stack, cluster } = stackWithV2Cluster();
  const karpenter = new FakeKarpenter(stack, 'Karpenter', { cluster });
  const metal = new VmHostPool(stack, 'Metal', { karpenter, guestLicensing: VmGuestLicensing.dedicatedInstances() });
  // WHEN
  const pool = find(render({ user: { id: ALICE, isolation: UserIsolationMode.DEDICATED_POOL }, dedicatedPoolTemplate: metal.settings }), 'NodePool');
  // THEN: the smallest metal host (96 vCPUs) fits, and the tenancy requirement is kept
  expect(pool.spec.limits).toEqual({ cpu: 192, memory: '1536Gi' });
  expect(pool.spec.template.spec.requirements).toContainEqual({ key: 'karpenter.k8s.aws/instance-tenancy', operator: 'In', values: ['dedicated'] });
});
