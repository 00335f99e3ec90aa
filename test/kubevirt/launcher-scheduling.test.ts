import * as fs from 'fs';
import { Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as cdk8s from 'cdk8s';
import { Karpenter } from '../../constructs/karpenter/karpenter';
import { VmGuestLicensing } from '../../constructs/kubevirt/vm-guest-licensing';
import { VmHostPool, VmHostPoolProps, VmHostVirtualization } from '../../constructs/kubevirt/vm-host-pool';
import { VmHostPoolChart } from '../../constructs/kubevirt/vm-host-pool-chart';
import { DesktopSize } from '../../constructs/kubevirt/desktop-size';
import { WindowsDesktopVm, WindowsDesktopVmProps } from '../../constructs/kubevirt/windows-desktop-vm';
import { newStack, unknownValuePaths, upstreamChartValues, v2Cluster } from '../karpenter/karpenter-fixtures';
import { karpenterAdmissionProblems, NodeOverlayObject, NodePoolObject } from '../support/karpenter-admission';
import { karpenterCelViolations } from '../support/karpenter-cel';
import { KubeVirtClusterConfig, renderLauncherPod } from '../support/kubevirt-launcher';
import { helmReleasesOf, kubernetesObjectsOf, validateKubernetesObjects } from '../support/kubernetes-schemas';
import { referencePath } from '../support/reference';
import { FakeKarpenter, stackWithV2Cluster, synthChart, TEST_LICENSING } from './kubevirt-test-support';

/** The KubeVirt CR this library installs: no emulation, no feature gates. */
const LIBRARY_CONFIG: KubeVirtClusterConfig = { useEmulation: false, featureGates: [] };

const GOLDEN = { dataSourceName: 'windows11', namespace: 'golden-images' };

function desktop(props: Partial<WindowsDesktopVmProps> = {}) {
  const chart = new cdk8s.Chart(new cdk8s.App(), 'Desktops');
  new WindowsDesktopVm(chart, 'Desktop', { name: 'desktop', namespace: 'desktops', userId: 'alice@example.com', goldenImage: GOLDEN, ...props });
  return synthChart(chart).find((o) => o.kind === 'VirtualMachine') as unknown as Parameters<typeof renderLauncherPod>[0];
}

function poolObjects(chart: cdk8s.Chart): { pool: NodePoolObject; overlays: NodeOverlayObject[] } {
  const objects = synthChart(chart);
  return {
    pool: objects.find((o) => o.kind === 'NodePool') as unknown as NodePoolObject,
    overlays: objects.filter((o) => o.kind === 'NodeOverlay') as unknown as NodeOverlayObject[],
  };
}

function hostPool(props: Partial<VmHostPoolProps> = {}): VmHostPool {
  const given = stackWithV2Cluster();
  const karpenter = new FakeKarpenter(given.stack, 'Karpenter', { cluster: given.cluster });
  return new VmHostPool(given.stack, 'VmHosts', { guestLicensing: TEST_LICENSING, karpenter, ...props } as VmHostPoolProps);
}

describe('virt-launcher pods of desktop VMs on a VM host pool (KubeVirt 1.9 rendering, Karpenter 1.14 admission)', () => {
  test('a launcher pod selects and requests what KubeVirt 1.9 renders for a q35 virtio desktop', () => {
    // GIVEN a default Windows 11 desktop  WHEN its launcher pod is derived
    const pod = renderLauncherPod(desktop(), LIBRARY_CONFIG);
    // THEN
    expect(pod.nodeSelector).toEqual({
      'kubevirt.io/schedulable': 'true',
      'kubernetes.io/arch': 'amd64',
      'machine-type.node.kubevirt.io/q35': 'true',
      'desktop.io/vm-host': 'true',
    });
    expect(pod.affinity).toEqual([{ key: 'node-labeller.kubevirt.io/obsolete-host-model', operator: 'DoesNotExist' }]);
    expect(pod.requests).toEqual(expect.objectContaining({
      'cpu': 4,
      'devices.kubevirt.io/kvm': 1,
      'devices.kubevirt.io/tun': 1,
      'devices.kubevirt.io/vhost-net': 1,
    }));
  });

  test.each([
    ['nested, shared tenancy', {}],
    ['bare metal, shared tenancy', { virtualization: VmHostVirtualization.BARE_METAL }],
    ['bare metal, Dedicated Instances', { guestLicensing: VmGuestLicensing.dedicatedInstances() }],
  ])('%s: every desktop size is admitted by the pool', (_name, props) => {
    // GIVEN a pool and desktops of every size
    const { pool, overlays } = poolObjects(hostPool(props as Partial<VmHostPoolProps>).chart);
    for (const size of [DesktopSize.SMALL, DesktopSize.MEDIUM, DesktopSize.LARGE]) {
      // WHEN Karpenter weighs the desktop's launcher pod THEN it would launch a host
      expect(karpenterAdmissionProblems(renderLauncherPod(desktop({ size }), LIBRARY_CONFIG), pool, overlays, true)).toEqual([]);
    }
    // A Windows Server desktop without TPM or secure boot too.
    const server = desktop({ windows11: false, tpm: false, secureBoot: false, size: DesktopSize.SMALL });
    expect(karpenterAdmissionProblems(renderLauncherPod(server, LIBRARY_CONFIG), pool, overlays, true)).toEqual([]);
  });

  test('the NodeOverlay is valid against the Karpenter v1.14.1 CRD and selects its pool only', () => {
    const pool = hostPool();
    const overlay = synthChart(pool.chart).find((o) => o.kind === 'NodeOverlay')!;
    expect(validateKubernetesObjects([overlay])).toEqual([]);
    expect(overlay).toEqual(expect.objectContaining({
      apiVersion: 'karpenter.sh/v1alpha1',
      metadata: { name: 'vm-hosts-nested-kubevirt-devices' },
      spec: {
        requirements: [{ key: 'karpenter.sh/nodepool', operator: 'In', values: ['vm-hosts-nested'] }],
        capacity: { 'devices.kubevirt.io/kvm': '1000', 'devices.kubevirt.io/tun': '1000', 'devices.kubevirt.io/vhost-net': '1000' },
      },
    }));
  });

  test('the NodeOverlay meets the CRD\'s CEL rules (v1.14.1), checked one by one', () => {
    // The schema test above cannot run CEL; these are the CRD's x-kubernetes-validations of
    // NodeOverlay, each restated in TypeScript. The CRD must still contain them verbatim.
    const crd = referencePath('karpenter-provider-aws', 'v1.14.1', 'pkg', 'apis', 'crds', 'karpenter.sh_nodeoverlays.yaml');
    if (crd === undefined) return;
    const text = fs.readFileSync(crd, 'utf8');
    const rules = [
      "self.all(x, !(x in ['cpu', 'memory', 'ephemeral-storage', 'pods']))",
      'self in ["karpenter.sh/capacity-type", "karpenter.sh/nodepool"] || !self.find("^([^/]+)").endsWith("karpenter.sh")',
      'self != "kubernetes.io/hostname"',
      "self.all(x, x.operator == ''In'' ? x.values.size() != 0 : true)",
      "self.all(x, x.operator == ''NotIn'' ? x.values.size() != 0 : true)",
      "!has(self.price) || !has(self.priceAdjustment)",
    ];
    for (const rule of rules) expect(text).toContain(rule);
    // The shared helper restates them; the whole chart (NodePool, EC2NodeClass, NodeOverlay) keeps them.
    const objects = synthChart(hostPool({ guestLicensing: VmGuestLicensing.dedicatedInstances() }).chart);
    expect(objects.flatMap(karpenterCelViolations)).toEqual([]);
    // ...and the helper does catch a broken overlay.
    const overlay = objects.find((o) => o.kind === 'NodeOverlay')!;
    const broken = { ...overlay, spec: { requirements: [{ key: 'karpenter.sh/foo', operator: 'In', values: [] }], capacity: { cpu: '1' }, price: '1', priceAdjustment: '+1' } };
    expect(karpenterCelViolations(broken)).toHaveLength(4);
  });

  describe('the check can fail (what a pool without this fix gets)', () => {
    const props = (overrides: Partial<ConstructorParameters<typeof VmHostPoolChart>[2]>): ConstructorParameters<typeof VmHostPoolChart>[2] => ({
      nodePoolName: 'hosts', nodeClassName: 'hosts', nodeRoleName: 'role', nestedVirtualization: true, instanceFamilies: ['c8i'],
      capacityTypes: ['on-demand'], tenancy: 'default', subnetSelectorTerms: [{ tags: { a: 'b' } }], securityGroupSelectorTerms: [{ id: 'sg-0123456789abcdef0' }],
      rootVolumeSize: '200Gi', nodeLabels: { 'desktop.io/vm-host': 'true' }, taints: [{ key: 'desktop.io/vm-host', value: 'true', effect: 'NoSchedule' }],
      expireAfter: 'Never', consolidateAfter: '10m', budgets: [{ nodes: '10%' }], cpuLimit: 400, memoryLimit: '1600Gi', ...overrides,
    } as ConstructorParameters<typeof VmHostPoolChart>[2]);
    const pod = renderLauncherPod(desktop(), LIBRARY_CONFIG);

    test('a pool without KubeVirt\'s labels or device overlay leaves the desktop Pending', () => {
      const { pool, overlays } = poolObjects(new VmHostPoolChart(new cdk8s.App(), 'Old', props({})));
      const problems = karpenterAdmissionProblems(pod, pool, overlays, true);
      expect(problems).toHaveLength(5);
      expect(problems).toEqual(expect.arrayContaining([
        expect.stringContaining('label "kubevirt.io/schedulable" does not have known values'),
        expect.stringContaining('label "machine-type.node.kubevirt.io/q35" does not have known values'),
        expect.stringContaining('devices.kubevirt.io/kvm (1) is offered by no instance type'),
        expect.stringContaining('devices.kubevirt.io/tun (1) is offered by no instance type'),
        expect.stringContaining('devices.kubevirt.io/vhost-net (1) is offered by no instance type'),
      ]));
    });

    test('with the overlay but Karpenter\'s nodeOverlay gate off, the devices are still missing', () => {
      const { pool, overlays } = poolObjects(hostPool().chart);
      expect(karpenterAdmissionProblems(pod, pool, overlays, false)).toEqual(expect.arrayContaining([
        expect.stringMatching(/devices\.kubevirt\.io\/kvm .*settings\.featureGates\.nodeOverlay is off/),
      ]));
    });

    test('KubeVirt\'s HypervStrictCheck gate would add Hyper-V labels no pool promises', () => {
      const { pool, overlays } = poolObjects(hostPool().chart);
      const strict = renderLauncherPod(desktop(), { useEmulation: false, featureGates: ['HypervStrictCheck'] });
      expect(karpenterAdmissionProblems(strict, pool, overlays, true)).toEqual(expect.arrayContaining([
        expect.stringContaining('hyperv.node.kubevirt.io/synic'),
      ]));
    });
  });
});

describe('Karpenter feature gate for NodeOverlays', () => {
  function karpenterValues(stack: Stack): Record<string, unknown> {
    const release = helmReleasesOf(Template.fromStack(stack)).find((r) => r.chart === 'karpenter')!;
    return release.values;
  }

  test('a VM host pool turns on settings.featureGates.nodeOverlay in the controller\'s Helm values', () => {
    // GIVEN a Karpenter installed by this library  WHEN a VM host pool is added
    const stack = newStack();
    const karpenter = new Karpenter(stack, 'Karpenter', { cluster: v2Cluster(stack) });
    new VmHostPool(stack, 'VmHosts', { karpenter, guestLicensing: VmGuestLicensing.dedicatedInstances() });
    // THEN (the key exists in the v1.14.1 chart's values.yaml: settings.featureGates.nodeOverlay)
    expect((karpenterValues(stack).settings as Record<string, unknown>).featureGates).toEqual({ nodeOverlay: true });
    const upstream = upstreamChartValues();
    if (upstream !== undefined) expect(unknownValuePaths(karpenterValues(stack), upstream)).toEqual([]);
  });

  test('without VM host pools the gate stays at the chart default; gates given in helmValues are kept', () => {
    const stack = newStack();
    new Karpenter(stack, 'Karpenter', { cluster: v2Cluster(stack) });
    expect((karpenterValues(stack).settings as Record<string, unknown>).featureGates).toBeUndefined();
    const other = newStack();
    const karpenter = new Karpenter(other, 'Karpenter', { cluster: v2Cluster(other), helmValues: { settings: { featureGates: { nodeRepair: true } } } });
    new VmHostPool(other, 'VmHosts', { karpenter, guestLicensing: VmGuestLicensing.dedicatedInstances() });
    expect((karpenterValues(other).settings as Record<string, unknown>).featureGates).toEqual({ nodeRepair: true, nodeOverlay: true });
  });

  test('a Karpenter installed elsewhere gets a warning to set the gate', () => {
    const pool = hostPool();
    Annotations.fromStack(Stack.of(pool)).hasWarning('*', Match.stringLikeRegexp('settings\\.featureGates\\.nodeOverlay=true'));
  });

  test('NodeOverlays reach the cluster through the pool\'s manifest', () => {
    const pool = hostPool();
    const kinds = kubernetesObjectsOf(Template.fromStack(Stack.of(pool))).map((o) => o.kind);
    expect(kinds).toContain('NodeOverlay');
  });
});
