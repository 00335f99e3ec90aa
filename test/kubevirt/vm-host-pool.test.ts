import { ApiObject } from 'cdk8s';
import { CfnElement, Duration, Size, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { IEksCluster } from '../../constructs/common/eks-cluster';
import { CapacityType, KarpenterDuration, TaintEffect } from '../../constructs/karpenter/node-pool-types';
import {
  BARE_METAL_SIZES,
  NESTED_VIRTUALIZATION_FAMILIES,
  VmHostPool,
  VmHostPoolProps,
  VmHostVirtualization,
} from '../../constructs/kubevirt/vm-host-pool';
import { VmGuestLicensing } from '../../constructs/kubevirt/vm-guest-licensing';
import { KubernetesObject, kubernetesObjectsOf, validateKubernetesObjects } from '../support/kubernetes-schemas';
import {
  FakeKarpenter,
  single,
  stackWithV1Cluster,
  stackWithV2Cluster,
  synthChart,
  TEST_LICENSING,
} from './kubevirt-test-support';

interface NodeClassSpec {
  role: string;
  amiSelectorTerms: Array<Record<string, string>>;
  cpuOptions?: { nestedVirtualization?: string };
  subnetSelectorTerms: Array<{ tags?: Record<string, string> }>;
  securityGroupSelectorTerms: Array<{ id?: string }>;
  metadataOptions: Record<string, unknown>;
  blockDeviceMappings: Array<{ deviceName: string; ebs: Record<string, unknown> }>;
}
interface NodePoolSpec {
  template: {
    metadata: { labels: Record<string, string> };
    spec: {
      nodeClassRef: Record<string, string>;
      requirements: Array<{ key: string; operator: string; values: string[] }>;
      taints: Array<Record<string, string>>;
      expireAfter: string;
    };
  };
  disruption: { consolidationPolicy: string; consolidateAfter: string; budgets: Array<Record<string, unknown>> };
  limits: Record<string, number | string>;
}

function requirementsOf(pool: { spec: NodePoolSpec }): Record<string, string[]> {
  return Object.fromEntries(pool.spec.template.spec.requirements.map((r) => [r.key, r.values]));
}

describe('VmHostPool with defaults (nested virtualization, aws-eks-v2 cluster)', () => {
  let stack: Stack;
  let karpenter: FakeKarpenter;
  let pool: VmHostPool;
  let objects: KubernetesObject[];
  let template: Template;

  beforeAll(() => {
    // GIVEN
    const given = stackWithV2Cluster();
    stack = given.stack;
    karpenter = new FakeKarpenter(stack, 'Karpenter', { cluster: given.cluster });
    // WHEN
    pool = new VmHostPool(stack, 'VmHosts', { guestLicensing: TEST_LICENSING, karpenter });
    template = Template.fromStack(stack);
    objects = kubernetesObjectsOf(template).filter((o) => ['NodePool', 'EC2NodeClass', 'NodeOverlay'].includes(o.kind));
  });

  test('applies one EC2NodeClass, one NodePool and one NodeOverlay, valid against the Karpenter v1.14.1 CRDs', () => {
    // THEN
    expect(objects.map((o) => o.kind).sort()).toEqual(['EC2NodeClass', 'NodeOverlay', 'NodePool']);
    // The security group is the cluster's, a deploy-time reference (a sample id once extracted).
    const manifest = Object.values(template.findResources('Custom::AWSCDK-EKS-KubernetesResource'))
      .map((r) => JSON.stringify(r.Properties.Manifest)).find((m) => m.includes('EC2NodeClass'))!;
    expect(manifest).toMatch(/securityGroupSelectorTerms.{0,40}"Fn::GetAtt":\["Cluster[0-9A-F]+","ClusterSecurityGroupId"\]/);
    expect(validateKubernetesObjects(objects)).toEqual([]);
  });

  test('the chart validates too (GitOps path)', () => {
    const chartObjects = synthChart(pool.chart);
    expect(chartObjects).toHaveLength(3);
    const sampled = chartObjects.map((o) => (o.kind === 'EC2NodeClass'
      ? { ...o, spec: { ...(o.spec as NodeClassSpec), securityGroupSelectorTerms: [{ id: 'sg-0123456789abcdef0' }] } }
      : o));
    expect(validateKubernetesObjects(sampled)).toEqual([]);
  });

  test('EC2NodeClass: AL2023, nested virtualization on, Linux node role, discovery subnets, cluster SG', () => {
    const spec = single<{ spec: NodeClassSpec }>(objects, 'EC2NodeClass').spec;
    expect(spec.amiSelectorTerms).toEqual([{ alias: 'al2023@latest' }]);
    expect(spec.cpuOptions).toEqual({ nestedVirtualization: 'enabled' });
    expect(spec.subnetSelectorTerms).toEqual([{ tags: { 'karpenter.sh/discovery': 'TOKEN' } }]);
    expect(stack.resolve(pool.chart.nodeClass.toJson().spec.role)).toEqual({ Ref: stack.getLogicalId(karpenter.linuxNodeRole.node.defaultChild as CfnElement) });
  });

  test('EC2NodeClass: IMDSv2 only with hop limit 1, encrypted gp3 root volume on /dev/xvda', () => {
    const spec = single<{ spec: NodeClassSpec }>(objects, 'EC2NodeClass').spec;
    expect(spec.metadataOptions).toEqual({ httpEndpoint: 'enabled', httpProtocolIPv6: 'disabled', httpPutResponseHopLimit: 1, httpTokens: 'required' });
    expect(spec.blockDeviceMappings).toEqual([{
      deviceName: '/dev/xvda',
      ebs: { volumeType: 'gp3', volumeSize: '200Gi', encrypted: true, deleteOnTermination: true },
    }]);
  });

  test('NodePool: Linux amd64, on-demand, c8i/m8i/r8i, no size restriction', () => {
    const nodePool = single<{ spec: NodePoolSpec }>(objects, 'NodePool');
    expect(nodePool.metadata?.name).toBe('vm-hosts-nested');
    expect(requirementsOf(nodePool)).toEqual({
      'kubernetes.io/os': ['linux'],
      'kubernetes.io/arch': ['amd64'],
      'karpenter.sh/capacity-type': ['on-demand'],
      // Shared hardware, as the stated licensing basis allows.
      'karpenter.k8s.aws/instance-tenancy': ['default'],
      'karpenter.k8s.aws/instance-family': ['c8i', 'm8i', 'r8i'],
    });
    expect(nodePool.spec.template.spec.nodeClassRef).toEqual({ group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'vm-hosts-nested' });
  });

  test('NodePool: tainted for VM workloads only, labelled for KubeVirt placement', () => {
    const spec = single<{ spec: NodePoolSpec }>(objects, 'NodePool').spec;
    expect(spec.template.spec.taints).toEqual([{ key: 'desktop.io/vm-host', value: 'true', effect: 'NoSchedule' }]);
    expect(spec.template.metadata.labels).toEqual({
      'desktop.io/vm-host': 'true',
      'desktop.io/vm-host-virtualization': 'nested',
      // What every virt-launcher pod of a q35 VM selects (KubeVirt 1.9).
      'kubevirt.io/schedulable': 'true',
      'machine-type.node.kubevirt.io/q35': 'true',
    });
    expect(pool.placement).toEqual({
      nodeSelector: { 'desktop.io/vm-host': 'true' },
      toleratedTaints: [{ key: 'desktop.io/vm-host', value: 'true', effect: TaintEffect.NO_SCHEDULE }],
    });
  });

  test('NodePool: WhenEmpty consolidation, no forced expiry, limits', () => {
    const spec = single<{ spec: NodePoolSpec }>(objects, 'NodePool').spec;
    expect(spec.disruption).toEqual({ consolidationPolicy: 'WhenEmpty', consolidateAfter: '10m', budgets: [{ nodes: '10%' }] });
    expect(spec.template.spec.expireAfter).toBe('Never');
    expect(spec.limits).toEqual({ cpu: 400, memory: '1600Gi' });
  });

  test('is applied after the Karpenter controller (its CRDs)', () => {
    const manifests = template.findResources('Custom::AWSCDK-EKS-KubernetesResource');
    const [id] = Object.entries(manifests).find(([, r]) => JSON.stringify(r.Properties.Manifest).includes('NodePool'))!;
    const controllerId = Object.keys(template.findResources('Custom::AWSCDK-EKS-HelmChart'))[0];
    expect(manifests[id].DependsOn).toEqual(expect.arrayContaining([controllerId]));
  });

  test('warns about nothing by default', () => {
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('Spot'));
  });
});

describe('VmHostPool in bare-metal mode (aws-eks cluster)', () => {
  let objects: KubernetesObject[];

  beforeAll(() => {
    // GIVEN
    const { stack, cluster } = stackWithV1Cluster();
    const karpenter = new FakeKarpenter(stack, 'Karpenter', { cluster, version: '1.12.0' });
    // WHEN: metal works with a Karpenter that has no nested virtualization
    new VmHostPool(stack, 'Metal', { guestLicensing: TEST_LICENSING, karpenter, virtualization: VmHostVirtualization.BARE_METAL });
    objects = kubernetesObjectsOf(Template.fromStack(stack)).filter((o) => ['NodePool', 'EC2NodeClass'].includes(o.kind));
  });

  test('has its own EC2NodeClass without cpuOptions, and metal sizes only', () => {
    const nodeClass = single<{ spec: NodeClassSpec }>(objects, 'EC2NodeClass');
    expect(nodeClass.metadata?.name).toBe('vm-hosts-metal');
    expect(nodeClass.spec.cpuOptions).toBeUndefined();
    const nodePool = single<{ spec: NodePoolSpec }>(objects, 'NodePool');
    expect(requirementsOf(nodePool)['karpenter.k8s.aws/instance-family']).toEqual(['c7i', 'm7i', 'r7i']);
    expect(requirementsOf(nodePool)['karpenter.k8s.aws/instance-size']).toEqual([...BARE_METAL_SIZES]);
    expect(requirementsOf(nodePool)['karpenter.k8s.aws/instance-size']).toEqual(expect.arrayContaining(['metal', 'metal-24xl', 'metal-48xl']));
    expect(nodePool.spec.template.metadata.labels['desktop.io/vm-host-virtualization']).toBe('metal');
    expect(validateKubernetesObjects(objects)).toEqual([]);
  });
});

describe('VmHostPool options', () => {
  test('customized pool renders every option', () => {
    // GIVEN
    const { stack, cluster } = stackWithV2Cluster();
    const karpenter = new FakeKarpenter(stack, 'Karpenter', { cluster });
    const key = new kms.Key(stack, 'Key');
    // WHEN
    const pool = new VmHostPool(stack, 'VmHosts', {
      guestLicensing: TEST_LICENSING,
      karpenter,
      name: 'desktops',
      instanceFamilies: ['m8i', 'm8i-flex'],
      capacityTypes: [CapacityType.ON_DEMAND, CapacityType.SPOT],
      rootVolumeSize: Size.gibibytes(300),
      rootVolumeEncryptionKey: key,
      expireAfter: KarpenterDuration.of(Duration.days(30)),
      consolidateAfter: KarpenterDuration.of(Duration.minutes(30)),
      labels: { 'example.com/team': 'desktops' },
      additionalTaints: [{ key: 'example.com/gpu', effect: TaintEffect.NO_SCHEDULE }],
      tags: { CostCenter: 'vdi' },
      weight: 10,
    });
    const objects = synthChart(pool.chart);
    // THEN
    const nodeClass = single<{ spec: NodeClassSpec & { tags: Record<string, string> } }>(objects, 'EC2NodeClass');
    expect(nodeClass.spec.blockDeviceMappings[0].ebs).toEqual(expect.objectContaining({ volumeSize: '300Gi', encrypted: true, kmsKeyID: expect.any(String) }));
    expect(stack.resolve(pool.chart.nodeClass.toJson().spec.blockDeviceMappings[0].ebs.kmsKeyID)).toEqual({ 'Fn::GetAtt': [stack.getLogicalId(key.node.defaultChild as CfnElement), 'Arn'] });
    expect(nodeClass.spec.tags).toEqual({ 'CostCenter': 'vdi', 'desktop.io/guest-licensing': 'Linux guests only (test fixture)' });
    const nodePool = single<{ spec: NodePoolSpec & { weight: number } }>(objects, 'NodePool');
    expect(requirementsOf(nodePool)['karpenter.k8s.aws/instance-family']).toEqual(['m8i', 'm8i-flex']);
    expect(requirementsOf(nodePool)['karpenter.sh/capacity-type']).toEqual(['on-demand', 'spot']);
    expect(nodePool.spec.template.spec.expireAfter).toBe('720h');
    expect(nodePool.spec.disruption.consolidateAfter).toBe('30m');
    expect(nodePool.spec.weight).toBe(10);
    expect(pool.placement.toleratedTaints).toEqual([
      { key: 'desktop.io/vm-host', value: 'true', effect: 'NoSchedule' },
      { key: 'example.com/gpu', effect: 'NoSchedule' },
    ]);
    // Spot gets a warning: an interruption stops the desktops.
    Annotations.fromStack(stack).hasWarning('*', Match.stringLikeRegexp('allows Spot capacity'));
  });
});

describe('VmHostPool bad input', () => {
  let cluster: IEksCluster;
  let stack: Stack;
  let karpenter: FakeKarpenter;
  let count = 0;

  beforeAll(() => {
    const given = stackWithV2Cluster();
    stack = given.stack;
    cluster = given.cluster;
    karpenter = new FakeKarpenter(stack, 'Karpenter', { cluster });
  });

  const make = (props: Partial<VmHostPoolProps>, k?: FakeKarpenter) => () =>
    new VmHostPool(stack, `Pool${count++}`, { guestLicensing: TEST_LICENSING, karpenter: k ?? karpenter, ...props } as VmHostPoolProps);

  test('nested virtualization with a Karpenter that lacks it', () => {
    const old = new FakeKarpenter(stack, 'OldKarpenter', { cluster, version: '1.12.3' });
    expect(make({}, old)).toThrow(/VmHostPool\.karpenter\.version: is '1\.12\.3'; nested virtualization .* needs Karpenter 1\.13\.0 or later\. Upgrade Karpenter, or set virtualization: VmHostVirtualization\.BARE_METAL/);
  });

  test('a Karpenter before the v1 API', () => {
    const old = new FakeKarpenter(stack, 'V0Karpenter', { cluster, version: '0.37.0' });
    expect(make({ virtualization: VmHostVirtualization.BARE_METAL }, old)).toThrow(/VmHostPool\.karpenter\.version: is '0\.37\.0'; .*Karpenter 1\.0/);
  });

  test('an instance family without nested virtualization', () => {
    expect(make({ instanceFamilies: ['c8i', 'm7i'] })).toThrow(/VmHostPool\.instanceFamilies\[1\]: "m7i" does not support EC2 nested virtualization.*no \/dev\/kvm.*c8i, m8i, r8i.*"m7i" has bare-metal sizes: use it with virtualization: VmHostVirtualization\.BARE_METAL/);
  });

  test('an instance family that cannot run KVM at all', () => {
    expect(make({ instanceFamilies: ['t3'] })).toThrow(/VmHostPool\.instanceFamilies\[0\]: "t3" does not support EC2 nested virtualization/);
    expect(make({ virtualization: VmHostVirtualization.BARE_METAL, instanceFamilies: ['t3'] })).toThrow(/VmHostPool\.instanceFamilies\[0\]: "t3" has no x86-64 bare-metal sizes, so its nodes cannot run KVM/);
    expect(make({ virtualization: VmHostVirtualization.BARE_METAL, instanceFamilies: ['c7g'] })).toThrow(/"c7g" has no x86-64 bare-metal sizes/);
  });

  test('empty or repeated instance families', () => {
    expect(make({ instanceFamilies: [] })).toThrow(/VmHostPool\.instanceFamilies: is empty/);
    expect(make({ instanceFamilies: ['c8i', 'c8i'] })).toThrow(/VmHostPool\.instanceFamilies: lists a family twice/);
  });

  test('invalid names', () => {
    expect(make({ name: 'VM_Hosts' })).toThrow(/VmHostPool\.name: "VM_Hosts" is not a valid Kubernetes name/);
  });

  test('root volume too small or fractional', () => {
    expect(make({ rootVolumeSize: Size.gibibytes(20) })).toThrow(/VmHostPool\.rootVolumeSize: is 20 GiB; VM hosts need 50 GiB to 16384 GiB/);
    expect(make({ rootVolumeSize: Size.mebibytes(51300) })).toThrow(/VmHostPool\.rootVolumeSize: is .* GiB; give whole GiB/);
  });

  test('labels the pool sets itself', () => {
    expect(make({ labels: { 'desktop.io/vm-host': 'false' } })).toThrow(/VmHostPool\.labels: sets "desktop\.io\/vm-host", which the pool sets itself/);
  });

  test('a taint that repeats the VM host taint', () => {
    expect(make({ additionalTaints: [{ key: 'desktop.io/vm-host', value: 'x', effect: TaintEffect.NO_SCHEDULE }] })).toThrow(/VmHostPool\.additionalTaints\[0\]: taint "desktop\.io\/vm-host:NoSchedule" is already set/);
  });

  test('limits', () => {
    expect(make({ cpuLimit: 0 })).toThrow(/VmHostPool\.cpuLimit: is 0/);
    expect(make({ memoryLimit: Size.gibibytes(0) })).toThrow(/VmHostPool\.memoryLimit: is 0 GiB/);
    expect(make({ capacityTypes: [] })).toThrow(/VmHostPool\.capacityTypes: is empty/);
  });

  test('the documented family list matches the EC2 nested virtualization families', () => {
    expect([...NESTED_VIRTUALIZATION_FAMILIES]).toEqual(['c8i', 'm8i', 'r8i', 'c8i-flex', 'm8i-flex', 'r8i-flex']);
  });
});

describe('VmHostPool with perUserHosts (one host per user from one pool)', () => {
  let pool: VmHostPool;
  let objects: KubernetesObject[];

  beforeAll(() => {
    // GIVEN
    const given = stackWithV2Cluster();
    const karpenter = new FakeKarpenter(given.stack, 'Karpenter', { cluster: given.cluster });
    // WHEN
    pool = new VmHostPool(given.stack, 'UserHosts', { guestLicensing: TEST_LICENSING, karpenter, perUserHosts: true });
    objects = synthChart(pool.chart);
  });

  test('declares the user label with operator Exists and taints hosts dedicated-user:NoSchedule, schema-valid', () => {
    const nodePool = single<{ spec: NodePoolSpec }>(objects, 'NodePool');
    expect(nodePool.metadata?.name).toBe('vm-hosts-nested-per-user');
    expect(nodePool.spec.template.spec.requirements).toContainEqual({ key: 'desktop.io/user-id', operator: 'Exists' });
    expect(nodePool.spec.template.spec.taints).toEqual([
      { key: 'desktop.io/vm-host', value: 'true', effect: 'NoSchedule' },
      { key: 'dedicated-user', effect: 'NoSchedule' },
    ]);
    // (The EC2NodeClass holds deploy-time ids here; the stack-level tests validate it with samples.)
    expect(validateKubernetesObjects(objects.filter((o) => o.kind === 'NodePool'))).toEqual([]);
  });

  test('placement tolerates the per-user taint with Exists; settings carry the per-pod label key', () => {
    expect(pool.perUserHosts).toBe(true);
    expect(pool.placement.toleratedTaints).toContainEqual({ key: 'dedicated-user', effect: TaintEffect.NO_SCHEDULE });
    expect(pool.settings.perPodLabelKey).toBe('desktop.io/user-id');
  });

  test('the user label is reserved', () => {
    const given = stackWithV2Cluster();
    const karpenter = new FakeKarpenter(given.stack, 'Karpenter', { cluster: given.cluster });
    expect(() => new VmHostPool(given.stack, 'Hosts', { guestLicensing: TEST_LICENSING, karpenter, labels: { 'desktop.io/user-id': 'x' } }))
      .toThrow(/VmHostPool\.labels: sets "desktop\.io\/user-id", which the pool sets itself/);
  });
});

test('objects added to VmHostPool.chart after it was handed over fail synthesis', () => {
  const given = stackWithV2Cluster();
  const karpenter = new FakeKarpenter(given.stack, 'Karpenter', { cluster: given.cluster });
  const pool = new VmHostPool(given.stack, 'Hosts', { guestLicensing: TEST_LICENSING, karpenter });
  new ApiObject(pool.chart, 'Late', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'late' } });
  expect(() => Template.fromStack(given.stack)).toThrow(/VmHostPool\.chart: 1 construct\(s\) were added to chart VmHostPool after it was handed over/);
});

describe('VmHostPool guest licensing (a typed choice, no silent default)', () => {
  const { stack, cluster } = stackWithV2Cluster();
  const karpenter = new FakeKarpenter(stack, 'Karpenter', { cluster });
  let count = 0;
  const make = (props: Record<string, unknown>, k: FakeKarpenter = karpenter) => () =>
    // Each pool its own NodePool name: the cluster refuses two of one name.
    new VmHostPool(stack, `Licensed${count}`, { karpenter: k, name: `licensed-${count++}`, ...props } as unknown as VmHostPoolProps);

  test('missing, or given as plain JSON, it fails and names both choices', () => {
    expect(make({})).toThrow(/Licensed\d+: VmHostPool\.guestLicensing: is missing; choose the guests' licensing basis explicitly: VmGuestLicensing\.dedicatedInstances\(\) .* VmGuestLicensing\.sharedTenancy/);
    expect(make({ guestLicensing: { tenancy: 'default' } })).toThrow(/VmHostPool\.guestLicensing: is \{"tenancy":"default"\}/);
  });

  test('a shared-tenancy basis must be stated in words', () => {
    expect(() => VmGuestLicensing.sharedTenancy('ok')).toThrow(/VmGuestLicensing\.sharedTenancy\.basis: "ok" does not state a licensing basis.*Windows 10\/11 guests need VmGuestLicensing\.dedicatedInstances\(\)/);
    expect(() => VmGuestLicensing.sharedTenancy(42 as unknown as string)).toThrow(/VmGuestLicensing\.sharedTenancy\.basis: is 42/);
  });

  test('Dedicated Instances: tenancy requirement, bare metal by default, basis tagged on the hosts', () => {
    const pool = make({ guestLicensing: VmGuestLicensing.dedicatedInstances() })();
    const objects = synthChart(pool.chart);
    const nodePool = single<{ spec: NodePoolSpec }>(objects, 'NodePool');
    expect(requirementsOf(nodePool)['karpenter.k8s.aws/instance-tenancy']).toEqual(['dedicated']);
    expect(requirementsOf(nodePool)['karpenter.k8s.aws/instance-size']).toEqual([...BARE_METAL_SIZES]);
    expect(pool.virtualization).toBe(VmHostVirtualization.BARE_METAL);
    expect(single<{ spec: NodeClassSpec & { tags: Record<string, string> } }>(objects, 'EC2NodeClass').spec.tags).toEqual({ 'desktop.io/guest-licensing': 'customer licenses on EC2 Dedicated Instances' });
  });

  test('Dedicated Instances with nested virtualization (undocumented by EC2) warn', () => {
    const pool = make({ guestLicensing: VmGuestLicensing.dedicatedInstances(), virtualization: VmHostVirtualization.NESTED })();
    Annotations.fromStack(stack).hasWarning(`/${pool.node.path}`, Match.stringLikeRegexp('Dedicated Instances with nested virtualization'));
  });

  test('Dedicated Instances need Karpenter 1.9, NodeOverlays Karpenter 1.7', () => {
    const old = new FakeKarpenter(stack, 'Karpenter18', { cluster, version: '1.8.2' });
    expect(make({ guestLicensing: VmGuestLicensing.dedicatedInstances() }, old)).toThrow(/VmHostPool\.karpenter\.version: is '1\.8\.2'; Dedicated Instances .* need Karpenter 1\.9\.0 or later/);
    // A shared basis on Karpenter 1.8 (no tenancy key in its CRDs) leaves the requirement out.
    const shared18 = make({ guestLicensing: TEST_LICENSING, virtualization: VmHostVirtualization.BARE_METAL }, old)();
    expect(requirementsOf(single<{ spec: NodePoolSpec }>(synthChart(shared18.chart), 'NodePool'))['karpenter.k8s.aws/instance-tenancy']).toBeUndefined();
    const older = new FakeKarpenter(stack, 'Karpenter16', { cluster, version: '1.6.0' });
    expect(make({ guestLicensing: TEST_LICENSING, virtualization: VmHostVirtualization.BARE_METAL }, older)).toThrow(/VmHostPool\.karpenter\.version: is '1\.6\.0'; .*NodeOverlay, which needs Karpenter 1\.7\.0 or later/);
  });
});
