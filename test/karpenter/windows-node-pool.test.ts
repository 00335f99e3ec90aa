import { Duration, Size, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Testing } from 'cdk8s';
import { IEksCluster } from '../../constructs/common/eks-cluster';
import {
  CapacityType,
  ConsolidationPolicy,
  DisruptionReason,
  KarpenterDuration,
  TaintEffect,
} from '../../constructs/karpenter/node-pool-types';
import { WindowsAmi } from '../../constructs/karpenter/windows-ami';
import { WindowsNodePool, WindowsNodePoolProps } from '../../constructs/karpenter/windows-node-pool';
import { WindowsVersion } from '../../constructs/karpenter/windows-version';
import { FastLaunchWindowsAmi } from '../../constructs/windows-ami/fast-launch-windows-ami';
import { KubernetesObject, kubernetesObjectsOf, validateKubernetesObjects } from '../support/kubernetes-schemas';
import {
  FakeKarpenter,
  ofKind,
  SAMPLE_SECURITY_GROUP_ID,
  stackWithV1Cluster,
  stackWithV2Cluster,
  withSampleSecurityGroupId,
} from './windows-test-support';

/** Shapes read back from synthesized objects (only the fields the tests look at). */
interface NodeClassSpec {
  role: string;
  amiFamily?: string;
  amiSelectorTerms: Array<Record<string, string>>;
  subnetSelectorTerms: Array<{ id?: string; tags?: Record<string, string> }>;
  securityGroupSelectorTerms: Array<{ id?: string; name?: string; tags?: Record<string, string> }>;
  metadataOptions: Record<string, unknown>;
  blockDeviceMappings: Array<{ deviceName: string; ebs: Record<string, unknown> }>;
  tags?: Record<string, string>;
  kubelet?: unknown;
}
interface NodePoolSpec {
  template: {
    metadata?: { labels?: Record<string, string> };
    spec: {
      nodeClassRef: Record<string, string>;
      requirements: Array<{ key: string; operator: string; values: string[] }>;
      taints: Array<Record<string, string>>;
      expireAfter: string;
    };
  };
  disruption: { consolidationPolicy: string; consolidateAfter: string; budgets: Array<Record<string, unknown>> };
  limits: Record<string, number | string>;
  weight?: number;
}

function nodeClassOf(objects: readonly KubernetesObject[]): KubernetesObject & { spec: NodeClassSpec } {
  const found = ofKind(objects, 'EC2NodeClass');
  expect(found).toHaveLength(1);
  return found[0] as KubernetesObject & { spec: NodeClassSpec };
}

function nodePoolOf(objects: readonly KubernetesObject[]): KubernetesObject & { spec: NodePoolSpec } {
  const found = ofKind(objects, 'NodePool');
  expect(found).toHaveLength(1);
  return found[0] as KubernetesObject & { spec: NodePoolSpec };
}

/** Logical ids of the kubectl manifests whose objects include `kind`. */
function manifestsWithKind(template: Template, kind: string): Array<{ DependsOn?: string[] }> {
  const resources = template.findResources('Custom::AWSCDK-EKS-KubernetesResource');
  return Object.values(resources).filter((r) => JSON.stringify(r.Properties.Manifest).includes(`\\"kind\\":\\"${kind}\\"`));
}

describe('WindowsNodePool with defaults (aws-eks-v2 cluster)', () => {
  let stack: Stack;
  let cluster: IEksCluster;
  let karpenter: FakeKarpenter;
  let pool: WindowsNodePool;
  let chartObjects: KubernetesObject[];
  let template: Template;

  beforeAll(() => {
    // GIVEN
    ({ stack, cluster } = stackWithV2Cluster());
    karpenter = new FakeKarpenter(stack, 'Karpenter', { cluster });

    // WHEN
    pool = new WindowsNodePool(stack, 'Windows2022', { karpenter, windowsVersion: WindowsVersion.WINDOWS_2022 });
    chartObjects = Testing.synth(pool.chart) as KubernetesObject[];
    template = Template.fromStack(stack);
  });

  describe('chart', () => {
    test('has exactly one EC2NodeClass and one NodePool, valid against the Karpenter v1.14.1 schemas', () => {
      // THEN
      expect(chartObjects.map((o) => `${o.apiVersion}/${o.kind}`).sort()).toEqual(['karpenter.k8s.aws/v1/EC2NodeClass', 'karpenter.sh/v1/NodePool']);
      // The security group id is a deploy-time reference (checked below); the rest against the schema.
      expect(nodeClassOf(chartObjects).spec.securityGroupSelectorTerms).toEqual([{ id: cluster.clusterSecurityGroupId }]);
      expect(validateKubernetesObjects(withSampleSecurityGroupId(chartObjects, cluster.clusterSecurityGroupId))).toEqual([]);
    });

    test('the EC2NodeClass is named after the version and uses the Windows node role', () => {
      // THEN
      const nodeClass = nodeClassOf(chartObjects);
      expect(nodeClass.metadata?.name).toBe('windows-2022');
      expect(nodeClass.spec.role).toBe(karpenter.windowsNodeRole.roleName);
      expect(nodeClass.spec.role).not.toBe(karpenter.linuxNodeRole.roleName);
    });

    test('the EC2NodeClass selects the latest EKS optimized Windows 2022 AMI by alias', () => {
      // THEN
      const spec = nodeClassOf(chartObjects).spec;
      expect(spec.amiSelectorTerms).toEqual([{ alias: 'windows2022@latest' }]);
      expect(spec.amiFamily).toBeUndefined();
    });

    test('the EC2NodeClass selects discovery-tagged subnets and the cluster security group', () => {
      // THEN
      const spec = nodeClassOf(chartObjects).spec;
      expect(spec.subnetSelectorTerms).toEqual([{ tags: { 'karpenter.sh/discovery': cluster.clusterName } }]);
      expect(spec.securityGroupSelectorTerms).toEqual([{ id: cluster.clusterSecurityGroupId }]);
    });

    test('the EC2NodeClass enforces IMDSv2 with one hop', () => {
      // THEN
      expect(nodeClassOf(chartObjects).spec.metadataOptions).toEqual({
        httpEndpoint: 'enabled',
        httpProtocolIPv6: 'disabled',
        httpPutResponseHopLimit: 1,
        httpTokens: 'required',
      });
    });

    test('the EC2NodeClass has an encrypted 100 GiB gp3 root volume on /dev/sda1', () => {
      // THEN
      expect(nodeClassOf(chartObjects).spec.blockDeviceMappings).toEqual([{
        deviceName: '/dev/sda1',
        ebs: { volumeType: 'gp3', volumeSize: '100Gi', encrypted: true, deleteOnTermination: true },
      }]);
    });

    test('the EC2NodeClass has no tags and no kubelet overrides', () => {
      // THEN
      const spec = nodeClassOf(chartObjects).spec;
      expect(spec.tags).toBeUndefined();
      expect(spec.kubelet).toBeUndefined();
    });

    test('the NodePool references the EC2NodeClass with the v1 group and kind', () => {
      // THEN
      const nodePool = nodePoolOf(chartObjects);
      expect(nodePool.metadata?.name).toBe('windows-2022');
      expect(nodePool.spec.template.spec.nodeClassRef).toEqual({ group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'windows-2022' });
    });

    test('the NodePool requires Windows, amd64, the 2022 build, on-demand or spot, c/m/r of generation 6+', () => {
      // THEN
      expect(nodePoolOf(chartObjects).spec.template.spec.requirements).toEqual([
        { key: 'kubernetes.io/os', operator: 'In', values: ['windows'] },
        { key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] },
        { key: 'node.kubernetes.io/windows-build', operator: 'In', values: ['10.0.20348'] },
        { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand', 'spot'] },
        { key: 'karpenter.k8s.aws/instance-category', operator: 'In', values: ['c', 'm', 'r'] },
        { key: 'karpenter.k8s.aws/instance-generation', operator: 'Gt', values: ['5'] },
      ]);
    });

    test('the NodePool taints nodes os=windows:NoSchedule and sets no extra labels', () => {
      // THEN
      const spec = nodePoolOf(chartObjects).spec;
      expect(spec.template.spec.taints).toEqual([{ key: 'os', value: 'windows', effect: 'NoSchedule' }]);
      expect(spec.template.metadata).toBeUndefined();
    });

    test('the NodePool expires nodes after 720h, in the template spec (v1 location)', () => {
      // THEN
      const spec = nodePoolOf(chartObjects).spec;
      expect(spec.template.spec.expireAfter).toBe('720h');
      expect(spec).not.toHaveProperty('expireAfter');
      expect(spec.disruption).not.toHaveProperty('expireAfter');
    });

    test('the NodePool consolidates empty or underutilized nodes after 10m, 10% at a time', () => {
      // THEN
      expect(nodePoolOf(chartObjects).spec.disruption).toEqual({
        consolidationPolicy: 'WhenEmptyOrUnderutilized',
        consolidateAfter: '10m',
        budgets: [{ nodes: '10%' }],
      });
    });

    test('the NodePool is limited to 200 vCPUs and 800Gi and has no weight', () => {
      // THEN
      const spec = nodePoolOf(chartObjects).spec;
      expect(spec.limits).toEqual({ cpu: 200, memory: '800Gi' });
      expect(spec.weight).toBeUndefined();
    });
  });

  describe('attributes', () => {
    test('expose names, version, taint and node selector', () => {
      // THEN
      expect(pool.nodePoolName).toBe('windows-2022');
      expect(pool.nodeClassName).toBe('windows-2022');
      expect(pool.windowsVersion).toBe(WindowsVersion.WINDOWS_2022);
      expect(pool.taint).toEqual({ key: 'os', value: 'windows', effect: TaintEffect.NO_SCHEDULE });
      expect(pool.taints).toEqual([pool.taint]);
      expect(pool.nodeSelector).toEqual({
        'kubernetes.io/os': 'windows',
        'kubernetes.io/arch': 'amd64',
        'node.kubernetes.io/windows-build': '10.0.20348',
        'karpenter.sh/nodepool': 'windows-2022',
      });
      expect(pool.manifest).toBeDefined();
    });
  });

  describe('stack', () => {
    test('applies the objects through kubectl, valid against their schemas', () => {
      // WHEN
      const objects = kubernetesObjectsOf(template).filter((o) => o.apiVersion.startsWith('karpenter.'));

      // THEN
      expect(objects.map((o) => o.kind).sort()).toEqual(['EC2NodeClass', 'NodePool']);
      // Extracted deploy-time security group ids become a sample `sg-...` id (see kubernetesObjectsOf).
      expect(nodeClassOf(objects).spec.securityGroupSelectorTerms).toEqual([{ id: 'sg-0123456789abcdef0' }]);
      expect(validateKubernetesObjects(objects)).toEqual([]);
      expect(nodeClassOf(objects).spec.metadataOptions).toMatchObject({ httpTokens: 'required', httpPutResponseHopLimit: 1 });
      expect(nodeClassOf(objects).spec.blockDeviceMappings[0].ebs).toMatchObject({ encrypted: true });
    });

    test('the manifest references the cluster security group, cluster name and Windows node role', () => {
      // THEN
      const manifests = manifestsWithKind(template, 'NodePool');
      expect(manifests).toHaveLength(1);
      const manifest = JSON.stringify(manifests[0]);
      expect(manifest).toContain('"ClusterSecurityGroupId"');
      expect(manifest).toContain(JSON.stringify(stack.resolve(cluster.clusterName)));
      expect(manifest).toContain(JSON.stringify(stack.resolve(karpenter.windowsNodeRole.roleName)));
      expect(manifest).not.toContain(JSON.stringify(stack.resolve(karpenter.linuxNodeRole.roleName)));
    });

    test('the manifest is applied after the Karpenter controller (its CRDs)', () => {
      // THEN
      const controllers = Object.keys(template.findResources('Custom::AWSCDK-EKS-HelmChart'));
      expect(controllers).toHaveLength(1);
      const manifests = manifestsWithKind(template, 'NodePool');
      expect(manifests).toHaveLength(1);
      expect(manifests[0].DependsOn).toEqual(expect.arrayContaining([controllers[0]]));
    });
  });
});

describe('WindowsNodePool on an aws-eks (v1) cluster', () => {
  let template: Template;

  beforeAll(() => {
    // GIVEN
    const { stack, cluster } = stackWithV1Cluster();
    const karpenter = new FakeKarpenter(stack, 'Karpenter', { cluster });

    // WHEN
    new WindowsNodePool(stack, 'Windows2019', { karpenter, windowsVersion: WindowsVersion.WINDOWS_2019 });
    template = Template.fromStack(stack);
  });

  test('applies a valid EC2NodeClass and NodePool for the 2019 build', () => {
    // WHEN
    const objects = kubernetesObjectsOf(template).filter((o) => o.apiVersion.startsWith('karpenter.'));

    // THEN
    expect(objects).toHaveLength(2);
    expect(validateKubernetesObjects(objects)).toEqual([]);
    expect(nodeClassOf(objects).spec.amiSelectorTerms).toEqual([{ alias: 'windows2019@latest' }]);
    expect(nodePoolOf(objects).spec.template.spec.requirements).toContainEqual({ key: 'node.kubernetes.io/windows-build', operator: 'In', values: ['10.0.17763'] });
  });

  test('the manifest is applied after the Karpenter controller', () => {
    // THEN
    const controllers = Object.keys(template.findResources('Custom::AWSCDK-EKS-HelmChart'));
    expect(controllers).toHaveLength(1);
    const manifests = manifestsWithKind(template, 'NodePool');
    expect(manifests).toHaveLength(1);
    expect(manifests[0].DependsOn).toEqual(expect.arrayContaining([controllers[0]]));
  });
});

describe('WindowsNodePool with every default overridden', () => {
  let stack: Stack;
  let key: kms.Key;
  let pool: WindowsNodePool;
  let objects: KubernetesObject[];

  beforeAll(() => {
    // GIVEN
    let cluster: IEksCluster;
    ({ stack, cluster } = stackWithV2Cluster());
    const karpenter = new FakeKarpenter(stack, 'Karpenter', { cluster });
    key = new kms.Key(stack, 'Key');

    // WHEN
    pool = new WindowsNodePool(stack, 'Apps', {
      karpenter,
      windowsVersion: WindowsVersion.WINDOWS_2019,
      name: 'apps-2019',
      ami: WindowsAmi.alias(),
      capacityTypes: [CapacityType.ON_DEMAND],
      instanceCategories: ['m', 't'],
      minInstanceGeneration: 7,
      cpuLimit: 64,
      memoryLimit: Size.gibibytes(256),
      expireAfter: KarpenterDuration.NEVER,
      consolidationPolicy: ConsolidationPolicy.WHEN_EMPTY,
      consolidateAfter: KarpenterDuration.of(Duration.seconds(90)),
      disruptionBudgets: [
        { nodes: '0', schedule: '0 9 * * mon-fri', duration: Duration.hours(8), reasons: [DisruptionReason.UNDERUTILIZED, DisruptionReason.DRIFTED] },
        { nodes: '2' },
      ],
      weight: 50,
      rootVolumeSize: Size.gibibytes(200),
      rootVolumeEncryptionKey: key,
      subnetSelectorTerms: [{ id: 'subnet-0123456789abcdef0' }, { tags: { 'kubernetes.io/role/internal-elb': '1' } }],
      securityGroupSelectorTerms: [{ id: SAMPLE_SECURITY_GROUP_ID }, { name: 'windows-nodes' }, { tags: { 'example.com/windows': '*' } }],
      labels: { 'example.com/team': 'apps' },
      additionalTaints: [{ key: 'example.com/dedicated', value: 'apps', effect: TaintEffect.NO_EXECUTE }],
      tags: { CostCenter: '1234' },
    });
    objects = Testing.synth(pool.chart) as KubernetesObject[];
  });

  test('every object is valid against its schema', () => {
    // THEN
    expect(objects).toHaveLength(2);
    expect(validateKubernetesObjects(objects)).toEqual([]);
  });

  test('name applies to both objects and the node class reference', () => {
    // THEN
    expect(nodeClassOf(objects).metadata?.name).toBe('apps-2019');
    expect(nodePoolOf(objects).metadata?.name).toBe('apps-2019');
    expect(nodePoolOf(objects).spec.template.spec.nodeClassRef.name).toBe('apps-2019');
    expect(pool.nodePoolName).toBe('apps-2019');
    expect(pool.nodeClassName).toBe('apps-2019');
    expect(pool.nodeSelector['karpenter.sh/nodepool']).toBe('apps-2019');
  });

  test('the EC2NodeClass takes the subnets, security groups, volume, key and tags', () => {
    // THEN
    const spec = nodeClassOf(objects).spec;
    expect(spec.amiSelectorTerms).toEqual([{ alias: 'windows2019@latest' }]);
    expect(spec.subnetSelectorTerms).toEqual([{ id: 'subnet-0123456789abcdef0' }, { tags: { 'kubernetes.io/role/internal-elb': '1' } }]);
    expect(spec.securityGroupSelectorTerms).toEqual([{ id: SAMPLE_SECURITY_GROUP_ID }, { name: 'windows-nodes' }, { tags: { 'example.com/windows': '*' } }]);
    expect(spec.blockDeviceMappings).toEqual([{
      deviceName: '/dev/sda1',
      ebs: { volumeType: 'gp3', volumeSize: '200Gi', encrypted: true, kmsKeyID: key.keyArn, deleteOnTermination: true },
    }]);
    expect(spec.tags).toEqual({ CostCenter: '1234' });
  });

  test('the NodePool takes the requirements, labels and taints', () => {
    // THEN
    const template = nodePoolOf(objects).spec.template;
    expect(template.spec.requirements).toEqual([
      { key: 'kubernetes.io/os', operator: 'In', values: ['windows'] },
      { key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] },
      { key: 'node.kubernetes.io/windows-build', operator: 'In', values: ['10.0.17763'] },
      { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] },
      { key: 'karpenter.k8s.aws/instance-category', operator: 'In', values: ['m', 't'] },
      { key: 'karpenter.k8s.aws/instance-generation', operator: 'Gt', values: ['6'] },
    ]);
    expect(template.metadata).toEqual({ labels: { 'example.com/team': 'apps' } });
    expect(template.spec.taints).toEqual([
      { key: 'os', value: 'windows', effect: 'NoSchedule' },
      { key: 'example.com/dedicated', value: 'apps', effect: 'NoExecute' },
    ]);
    expect(pool.taints).toHaveLength(2);
  });

  test('the NodePool takes expiry, consolidation, budgets, limits and weight', () => {
    // THEN
    const spec = nodePoolOf(objects).spec;
    expect(spec.template.spec.expireAfter).toBe('Never');
    expect(spec.disruption).toEqual({
      consolidationPolicy: 'WhenEmpty',
      consolidateAfter: '90s',
      budgets: [
        { nodes: '0', schedule: '0 9 * * mon-fri', duration: '8h', reasons: ['Underutilized', 'Drifted'] },
        { nodes: '2' },
      ],
    });
    expect(spec.limits).toEqual({ cpu: 64, memory: '256Gi' });
    expect(spec.weight).toBe(50);
  });

  test('durations render in the largest whole unit', () => {
    // GIVEN
    const cluster = stackWithV2Cluster();
    const karpenter = new FakeKarpenter(cluster.stack, 'Karpenter', { cluster: cluster.cluster });

    // WHEN
    const days = new WindowsNodePool(cluster.stack, 'Days', {
      karpenter,
      windowsVersion: WindowsVersion.WINDOWS_2022,
      expireAfter: KarpenterDuration.of(Duration.days(14)),
      consolidateAfter: KarpenterDuration.of(Duration.seconds(0)),
      disruptionBudgets: [{ nodes: '1', schedule: '@daily', duration: Duration.minutes(90) }],
    });
    const spec = nodePoolOf(Testing.synth(days.chart) as KubernetesObject[]).spec;

    // THEN
    expect(spec.template.spec.expireAfter).toBe('336h');
    expect(spec.disruption.consolidateAfter).toBe('0s');
    expect(spec.disruption.budgets).toEqual([{ nodes: '1', schedule: '@daily', duration: '90m' }]);
  });
});

describe('WindowsNodePool for Windows Server 2025', () => {
  test('works with Karpenter 1.14.1 on Kubernetes 1.35', () => {
    // GIVEN
    const { stack, cluster } = stackWithV2Cluster();
    const karpenter = new FakeKarpenter(stack, 'Karpenter', { cluster, version: '1.14.1', kubernetesVersion: '1.35' });

    // WHEN
    const pool = new WindowsNodePool(stack, 'Windows2025', { karpenter, windowsVersion: WindowsVersion.WINDOWS_2025 });
    const objects = Testing.synth(pool.chart) as KubernetesObject[];

    // THEN
    expect(objects).toHaveLength(2);
    expect(validateKubernetesObjects(withSampleSecurityGroupId(objects, cluster.clusterSecurityGroupId))).toEqual([]);
    expect(pool.nodePoolName).toBe('windows-2025');
    expect(nodeClassOf(objects).spec.amiSelectorTerms).toEqual([{ alias: 'windows2025@latest' }]);
    expect(nodePoolOf(objects).spec.template.spec.requirements).toContainEqual({ key: 'node.kubernetes.io/windows-build', operator: 'In', values: ['10.0.26100'] });
  });
});

describe('WindowsNodePool rejects bad input', () => {
  let stack: Stack;
  let cluster: IEksCluster;
  let karpenter: FakeKarpenter;
  let count = 0;

  beforeAll(() => {
    ({ stack, cluster } = stackWithV2Cluster());
    karpenter = new FakeKarpenter(stack, 'Karpenter', { cluster });
  });

  /** Builds a Windows 2022 pool with `props` on the shared stack. */
  function pool(props: Partial<WindowsNodePoolProps>): WindowsNodePool {
    count++;
    return new WindowsNodePool(stack, `Pool${count}`, { karpenter, windowsVersion: WindowsVersion.WINDOWS_2022, ...props });
  }

  /** A Karpenter stand-in with other versions on the shared stack. */
  function otherKarpenter(version: string, kubernetesVersion: string | null): FakeKarpenter {
    count++;
    return new FakeKarpenter(stack, `Karpenter${count}`, { cluster, version, kubernetesVersion });
  }

  test('an unknown Windows version', () => {
    expect(() => pool({ windowsVersion: WindowsVersion.of('2016') })).toThrow(/windowsVersion: "2016" is not a supported Windows Server version/);
  });

  test('Windows 2025 on Kubernetes 1.34', () => {
    expect(() => pool({ windowsVersion: WindowsVersion.WINDOWS_2025, karpenter: otherKarpenter('1.14.1', '1.34') }))
      .toThrow(/WindowsNodePool\.karpenter\.kubernetesVersion: is '1\.34', but Windows Server 2025 nodes need Kubernetes ≥ 1\.35/);
  });

  test('Windows 2025 with Karpenter 1.8.0', () => {
    expect(() => pool({ windowsVersion: WindowsVersion.WINDOWS_2025, karpenter: otherKarpenter('1.8.0', '1.35') }))
      .toThrow(/WindowsNodePool\.karpenter\.version: is '1\.8\.0', but Windows Server 2025 nodes need Karpenter ≥ 1\.9\.0/);
  });

  test('Windows 2025 with an unknown Kubernetes version', () => {
    expect(() => pool({ windowsVersion: WindowsVersion.WINDOWS_2025, karpenter: otherKarpenter('1.14.1', null) }))
      .toThrow(/WindowsNodePool\.karpenter\.kubernetesVersion: is unknown.*Set `kubernetesVersion`.*on `Karpenter`/);
  });

  test('Windows 2022 with an unknown Kubernetes version is fine', () => {
    expect(() => pool({ karpenter: otherKarpenter('1.14.1', null) })).not.toThrow();
  });

  test('a pre-v1 Karpenter', () => {
    expect(() => pool({ karpenter: otherKarpenter('0.37.0', '1.35') })).toThrow(/WindowsNodePool\.karpenter\.version: is '0\.37\.0'; this node pool uses the Karpenter v1 API/);
  });

  test.each<[string, Partial<WindowsNodePoolProps>, RegExp]>([
    ['invalid name', { name: 'Windows_Pool' }, /WindowsNodePool\.name: "Windows_Pool" is not a valid Kubernetes name/],
    ['too long name', { name: 'w'.repeat(64) }, /WindowsNodePool\.name: "w{64}"/],
    ['empty capacity types', { capacityTypes: [] }, /WindowsNodePool\.capacityTypes: is empty; allow CapacityType\.ON_DEMAND, CapacityType\.SPOT or both/],
    ['duplicate capacity types', { capacityTypes: [CapacityType.SPOT, CapacityType.SPOT] }, /WindowsNodePool\.capacityTypes: lists a capacity type twice/],
    ['empty instance categories', { instanceCategories: [] }, /WindowsNodePool\.instanceCategories: is empty/],
    ['bad instance category', { instanceCategories: ['m', 'C5'] }, /WindowsNodePool\.instanceCategories\[1\]: "C5" is not an instance category/],
    ['instance generation 0', { minInstanceGeneration: 0 }, /WindowsNodePool\.minInstanceGeneration: got 0/],
    ['cpu limit 0', { cpuLimit: 0 }, /WindowsNodePool\.cpuLimit: is 0; give a whole number of vCPUs greater than 0/],
    ['negative cpu limit', { cpuLimit: -8 }, /WindowsNodePool\.cpuLimit: is -8/],
    ['fractional cpu limit', { cpuLimit: 1.5 }, /WindowsNodePool\.cpuLimit: is 1\.5/],
    ['memory limit 0', { memoryLimit: Size.gibibytes(0) }, /WindowsNodePool\.memoryLimit: is 0 GiB; give more than 0/],
    ['memory limit in part GiB', { memoryLimit: Size.mebibytes(1536) }, /WindowsNodePool\.memoryLimit: is 1\.5 GiB; give whole GiB/],
    ['root volume 20 GiB', { rootVolumeSize: Size.gibibytes(20) }, /WindowsNodePool\.rootVolumeSize: is 20 GiB; Windows nodes need 50 GiB to 16384 GiB/],
    ['root volume 20 TiB', { rootVolumeSize: Size.tebibytes(20) }, /WindowsNodePool\.rootVolumeSize: is 20480 GiB/],
    ['weight 0', { weight: 0 }, /WindowsNodePool\.weight: got 0; use a whole number from 1 to 100/],
    ['weight 101', { weight: 101 }, /WindowsNodePool\.weight: got 101/],
    ['expiry of 0', { expireAfter: KarpenterDuration.of(Duration.seconds(0)) }, /WindowsNodePool\.expireAfter: is 0; give a positive duration/],
    ['expiry in part seconds', { expireAfter: KarpenterDuration.of(Duration.millis(1500)) }, /WindowsNodePool\.expireAfter: is 1 second 500 millis; Karpenter durations are whole seconds/],
    ['no budgets', { disruptionBudgets: [] }, /WindowsNodePool\.disruptionBudgets: has 0 budgets; give 1 to 50/],
    ['budget of 150%', { disruptionBudgets: [{ nodes: '150%' }] }, /WindowsNodePool\.disruptionBudgets\[0\]\.nodes: "150%" is not a node count or percentage/],
    ['budget schedule without duration', { disruptionBudgets: [{ nodes: '0', schedule: '@daily' }] }, /WindowsNodePool\.disruptionBudgets\[0\]: sets only one of 'schedule' and 'duration'/],
    ['budget with a bad schedule', { disruptionBudgets: [{ nodes: '0', schedule: 'every day', duration: Duration.hours(1) }] }, /WindowsNodePool\.disruptionBudgets\[0\]\.schedule: "every day" is not a valid Karpenter disruption budget schedule/],
    ['budget window in seconds', { disruptionBudgets: [{ nodes: '0', schedule: '@daily', duration: Duration.seconds(90) }] }, /WindowsNodePool\.disruptionBudgets\[0\]\.duration: is 1 minute 30 seconds; budget windows are whole minutes/],
    ['budget reason twice', { disruptionBudgets: [{ nodes: '1', reasons: [DisruptionReason.EMPTY, DisruptionReason.EMPTY] }] }, /WindowsNodePool\.disruptionBudgets\[0\]\.reasons: lists a reason twice/],
    ['label in kubernetes.io', { labels: { 'node-role.kubernetes.io/windows': 'true' } }, /WindowsNodePool\.labels: label "node-role\.kubernetes\.io\/windows" uses a domain reserved/],
    ['label in karpenter.sh', { labels: { 'karpenter.sh/team': 'a' } }, /WindowsNodePool\.labels: label "karpenter\.sh\/team" uses a domain reserved/],
    ['label in karpenter.k8s.aws', { labels: { 'karpenter.k8s.aws/team': 'a' } }, /WindowsNodePool\.labels: label "karpenter\.k8s\.aws\/team" uses a domain reserved/],
    ['malformed label key', { labels: { 'bad key': 'a' } }, /WindowsNodePool\.labels: "bad key" is not a valid key/],
    ['malformed label value', { labels: { 'example.com/team': 'a b' } }, /WindowsNodePool\.labels\["example\.com\/team"\]: "a b" is not a valid label value/],
    ['taint duplicating the Windows taint', { additionalTaints: [{ key: 'os', value: 'linux', effect: TaintEffect.NO_SCHEDULE }] }, /WindowsNodePool\.additionalTaints\[0\]: taint "os:NoSchedule" is already set/],
    ['malformed taint key', { additionalTaints: [{ key: '-bad', effect: TaintEffect.NO_EXECUTE }] }, /WindowsNodePool\.additionalTaints\[0\]\.key: "-bad" is not a valid key/],
    ['empty taint value', { additionalTaints: [{ key: 'example.com/x', value: '', effect: TaintEffect.NO_EXECUTE }] }, /WindowsNodePool\.additionalTaints\[0\]\.value: is empty/],
    ['reserved cluster tag', { tags: { 'kubernetes.io/cluster/other': 'owned' } }, /WindowsNodePool\.tags: tag key "kubernetes\.io\/cluster\/other" is set by Karpenter or EKS/],
    ['reserved Karpenter tag', { tags: { 'karpenter.sh/nodepool': 'x' } }, /WindowsNodePool\.tags: tag key "karpenter\.sh\/nodepool" is set by Karpenter or EKS/],
    ['aws: tag', { tags: { 'aws:cloudformation:stack-name': 'x' } }, /WindowsNodePool\.tags: tag key "aws:cloudformation:stack-name"/],
    ['no subnet terms', { subnetSelectorTerms: [] }, /WindowsNodePool\.subnetSelectorTerms: has 0 terms; give 1 to 30 subnet selector terms/],
    ['subnet term with id and tags', { subnetSelectorTerms: [{ id: 'subnet-0abc', tags: { a: 'b' } }] }, /WindowsNodePool\.subnetSelectorTerms\[0\]: sets 2 of 'id' and 'tags'; set exactly one/],
    ['malformed subnet id', { subnetSelectorTerms: [{ id: 'sub-123' }] }, /WindowsNodePool\.subnetSelectorTerms\[0\]\.id: "sub-123" is not a subnet id/],
    ['subnet term with empty tag value', { subnetSelectorTerms: [{ tags: { a: '' } }] }, /WindowsNodePool\.subnetSelectorTerms\[0\]\.tags: tag "a"="" has an empty key or value/],
    ['empty security group term', { securityGroupSelectorTerms: [{}] }, /WindowsNodePool\.securityGroupSelectorTerms\[0\]: sets 0 of 'id', 'name' and 'tags'/],
    ['security group term with no tags', { securityGroupSelectorTerms: [{ tags: {} }] }, /WindowsNodePool\.securityGroupSelectorTerms\[0\]\.tags: has 0 tags; give 1 to 20/],
    ['malformed security group id', { securityGroupSelectorTerms: [{ id: 'group-1' }] }, /WindowsNodePool\.securityGroupSelectorTerms\[0\]\.id: "group-1" is not a security group id/],
  ])('%s', (_name, props, error) => {
    expect(() => pool(props)).toThrow(error);
  });
});

describe('WindowsNodePool on the AMIs of a FastLaunchWindowsAmi pipeline', () => {
  let stack: Stack;
  let cluster: IEksCluster;
  let karpenter: FakeKarpenter;
  let ami: FastLaunchWindowsAmi;
  let pool: WindowsNodePool;
  let objects: KubernetesObject[];

  beforeAll(() => {
    // GIVEN
    ({ stack, cluster } = stackWithV2Cluster());
    karpenter = new FakeKarpenter(stack, 'Karpenter', { cluster, kubernetesVersion: '1.35' });
    ami = new FastLaunchWindowsAmi(stack, 'Ami', {
      vpc: cluster.vpc,
      name: 'desktops-2022',
      windowsVersion: WindowsVersion.WINDOWS_2022,
      kubernetesVersion: '1.35',
      prePulledImages: ['mcr.microsoft.com/windows/servercore:ltsc2022'],
    });

    // WHEN
    pool = new WindowsNodePool(stack, 'Desktops', { karpenter, windowsVersion: WindowsVersion.WINDOWS_2022, ami: WindowsAmi.fromFastLaunchAmi(ami) });
    objects = Testing.synth(pool.chart) as KubernetesObject[];
  });

  test('the EC2NodeClass selects the pipeline\'s AMIs by their tags, with the Windows2022 family, valid against the Karpenter CRD', () => {
    // THEN
    const spec = nodeClassOf(objects).spec;
    expect(spec.amiSelectorTerms).toEqual([{ tags: { 'desktop.io/ami': 'desktops-2022', 'desktop.io/windows-build': '10.0.20348' } }]);
    expect(spec.amiSelectorTerms).toEqual([{ tags: ami.amiSelectorTags }]);
    // The CRD's CEL rule (not checked by the JSON schema): without an alias, amiFamily is required.
    expect(spec.amiFamily).toBe('Windows2022');
    expect(validateKubernetesObjects(withSampleSecurityGroupId(objects, cluster.clusterSecurityGroupId))).toEqual([]);
  });

  test('the pipeline tags every AMI with the selected tags', () => {
    // THEN
    const distribution = Object.values(Template.fromStack(stack).findResources('AWS::ImageBuilder::DistributionConfiguration'))[0];
    const amiTags = distribution.Properties.Distributions[0].AmiDistributionConfiguration.AmiTags as Record<string, string>;
    expect(amiTags).toEqual(expect.objectContaining(ami.amiSelectorTags));
  });

  test('the rest of the pool is unchanged: build requirement, IMDSv2, encrypted root volume', () => {
    // THEN
    expect(nodePoolOf(objects).spec.template.spec.requirements).toContainEqual({ key: 'node.kubernetes.io/windows-build', operator: 'In', values: ['10.0.20348'] });
    expect(nodeClassOf(objects).spec.metadataOptions).toMatchObject({ httpTokens: 'required' });
    expect(nodeClassOf(objects).spec.blockDeviceMappings[0].ebs).toMatchObject({ encrypted: true });
  });

  test('the pool exposes its Karpenter installation', () => {
    // THEN
    expect(pool.karpenter).toBe(karpenter);
  });

  test('an AMI with an older kubelet than the cluster is accepted (within the skew policy)', () => {
    // GIVEN
    const older = new FastLaunchWindowsAmi(stack, 'OlderAmi', { vpc: cluster.vpc, name: 'older', windowsVersion: WindowsVersion.WINDOWS_2022, kubernetesVersion: '1.34' });

    // WHEN / THEN
    expect(() => new WindowsNodePool(stack, 'OnOlder', { karpenter, name: 'on-older', windowsVersion: WindowsVersion.WINDOWS_2022, ami: WindowsAmi.fromFastLaunchAmi(older) })).not.toThrow();
  });

  test('an AMI of another Windows version is rejected, naming the prop', () => {
    // WHEN / THEN
    expect(() => new WindowsNodePool(stack, 'Mismatch', { karpenter, name: 'mismatch', windowsVersion: WindowsVersion.WINDOWS_2019, ami: WindowsAmi.fromFastLaunchAmi(ami) }))
      .toThrow(/WindowsNodePool\.ami: selects Windows Server 2022 AMIs \(build 10\.0\.20348\), but the pool runs Windows Server 2019/);
  });

  test('an AMI with a kubelet newer than the cluster is rejected', () => {
    // GIVEN
    const newer = new FastLaunchWindowsAmi(stack, 'NewerAmi', { vpc: cluster.vpc, name: 'newer', windowsVersion: WindowsVersion.WINDOWS_2022, kubernetesVersion: '1.36' });

    // WHEN / THEN
    expect(() => new WindowsNodePool(stack, 'OnNewer', { karpenter, name: 'on-newer', windowsVersion: WindowsVersion.WINDOWS_2022, ami: WindowsAmi.fromFastLaunchAmi(newer) }))
      .toThrow(/WindowsNodePool\.ami: selects AMIs with the kubelet of Kubernetes 1\.36, newer than the cluster's 1\.35/);
  });
});

describe('WindowsNodePool on AMIs selected by tags', () => {
  test('renders the tags and the family of the pool\'s version, valid against the Karpenter CRD', () => {
    // GIVEN
    const { stack, cluster } = stackWithV2Cluster();
    const karpenter = new FakeKarpenter(stack, 'Karpenter', { cluster });

    // WHEN
    const pool = new WindowsNodePool(stack, 'Pool', {
      karpenter,
      windowsVersion: WindowsVersion.WINDOWS_2019,
      ami: WindowsAmi.fromTags({ 'example.com/image': 'golden-2019', 'example.com/fast-launch': '*' }, WindowsVersion.WINDOWS_2019),
    });
    const objects = Testing.synth(pool.chart) as KubernetesObject[];

    // THEN
    const spec = nodeClassOf(objects).spec;
    expect(spec.amiSelectorTerms).toEqual([{ tags: { 'example.com/image': 'golden-2019', 'example.com/fast-launch': '*' } }]);
    expect(spec.amiFamily).toBe('Windows2019');
    expect(validateKubernetesObjects(withSampleSecurityGroupId(objects, cluster.clusterSecurityGroupId))).toEqual([]);
  });

  test('the default stays the alias, without a family', () => {
    // WHEN
    const selection = WindowsAmi.alias().bind(WindowsVersion.WINDOWS_2025, { prop: 'x', kubernetesVersion: '1.35' });

    // THEN
    expect(selection).toEqual({ amiSelectorTerms: [{ alias: 'windows2025@latest' }] });
  });

  test.each<[string, () => WindowsAmi, RegExp]>([
    ['no tags', () => WindowsAmi.fromTags({}, WindowsVersion.WINDOWS_2022), /WindowsAmi\.fromTags\(tags\): has 0 tags; give 1 to 20/],
    ['21 tags', () => WindowsAmi.fromTags(Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, 'v'])), WindowsVersion.WINDOWS_2022), /WindowsAmi\.fromTags\(tags\): has 21 tags/],
    ['an empty tag value', () => WindowsAmi.fromTags({ team: '' }, WindowsVersion.WINDOWS_2022), /WindowsAmi\.fromTags\(tags\): tag "team"="" has an empty key or value/],
  ])('fromTags() rejects %s', (_name, make, error) => {
    expect(make).toThrow(error);
  });

  test('a tag selection of another version is rejected by the pool, naming the prop', () => {
    // GIVEN
    const { stack, cluster } = stackWithV2Cluster();
    const karpenter = new FakeKarpenter(stack, 'Karpenter', { cluster });

    // WHEN / THEN
    expect(() => new WindowsNodePool(stack, 'Pool', { karpenter, windowsVersion: WindowsVersion.WINDOWS_2022, ami: WindowsAmi.fromTags({ a: 'b' }, WindowsVersion.WINDOWS_2025) }))
      .toThrow(/WindowsNodePool\.ami: selects Windows Server 2025 AMIs .* but the pool runs Windows Server 2022.*WindowsVersion\.WINDOWS_2025/);
  });
});
