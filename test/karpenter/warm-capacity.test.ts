import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Testing } from 'cdk8s';
import { IEksCluster } from '../../constructs/common/eks-cluster';
import { TaintEffect } from '../../constructs/karpenter/node-pool-types';
import { WarmCapacity, WarmCapacityProps } from '../../constructs/karpenter/warm-capacity';
import { WindowsNodePool } from '../../constructs/karpenter/windows-node-pool';
import { WindowsVersion } from '../../constructs/karpenter/windows-version';
import { KubernetesObject, kubernetesObjectsOf, validateKubernetesObjects } from '../support/kubernetes-schemas';
import { FakeKarpenter, ofKind, stackWithV2Cluster } from './windows-test-support';

interface PlaceholderSpec {
  replicas: number;
  template: {
    spec: {
      priorityClassName: string;
      nodeSelector: Record<string, string>;
      tolerations: Array<Record<string, string>>;
      containers: Array<{ image: string; resources: { requests: Record<string, string> } }>;
    };
  };
}

/** Logical ids of the kubectl manifests whose objects include `kind`. */
function manifestsWithKind(template: Template, kind: string): Array<{ DependsOn?: string[] }> {
  return Object.values(template.findResources('Custom::AWSCDK-EKS-KubernetesResource'))
    .filter((r) => JSON.stringify(r.Properties.Manifest).includes(`\\"kind\\":\\"${kind}\\"`));
}

describe('WarmCapacity on a Windows 2022 pool', () => {
  let stack: Stack;
  let pool: WindowsNodePool;
  let warm: WarmCapacity;
  let template: Template;
  let chartObjects: KubernetesObject[];

  beforeAll(() => {
    // GIVEN
    let cluster: IEksCluster;
    ({ stack, cluster } = stackWithV2Cluster());
    const karpenter = new FakeKarpenter(stack, 'Karpenter', { cluster });
    pool = new WindowsNodePool(stack, 'Pool', {
      karpenter,
      windowsVersion: WindowsVersion.WINDOWS_2022,
      additionalTaints: [{ key: 'example.com/desktops', effect: TaintEffect.NO_EXECUTE }],
    });

    // WHEN
    warm = new WarmCapacity(stack, 'Warm', { pool, slotCpu: '2', slotMemory: '8Gi' });
    chartObjects = Testing.synth(warm.chart) as KubernetesObject[];
    template = Template.fromStack(stack);
  });

  test('the chart\'s objects are valid against the Kubernetes schemas', () => {
    // THEN
    expect(chartObjects.map((o) => o.kind)).toEqual(['Namespace', 'PriorityClass', 'Deployment']);
    expect(validateKubernetesObjects(chartObjects)).toEqual([]);
  });

  test('defaults: one slot, priority -10, pause 3.10.2, named after the pool', () => {
    // THEN
    const [deployment] = ofKind(chartObjects, 'Deployment');
    const spec = deployment.spec as PlaceholderSpec;
    expect(deployment.metadata).toMatchObject({ name: 'windows-2022-warm', namespace: 'windows-2022-warm' });
    expect(spec.replicas).toBe(1);
    expect(spec.template.spec.priorityClassName).toBe('windows-2022-warm');
    expect(spec.template.spec.containers[0].image).toBe('registry.k8s.io/pause:3.10.2');
    expect(spec.template.spec.containers[0].resources.requests).toEqual({ cpu: '2', memory: '8Gi' });
    expect(ofKind(chartObjects, 'PriorityClass')[0]).toMatchObject({ value: -10, preemptionPolicy: 'Never' });
    expect(warm).toMatchObject({ deploymentName: 'windows-2022-warm', namespace: 'windows-2022-warm', priorityClassName: 'windows-2022-warm', replicas: 1 });
  });

  test('placeholders select the pool\'s nodes and tolerate each of its taints', () => {
    // THEN
    const spec = (ofKind(chartObjects, 'Deployment')[0].spec as PlaceholderSpec).template.spec;
    expect(spec.nodeSelector).toEqual(pool.nodeSelector);
    expect(spec.nodeSelector['karpenter.sh/nodepool']).toBe('windows-2022');
    expect(spec.tolerations).toEqual([
      { key: 'os', operator: 'Equal', value: 'windows', effect: 'NoSchedule' },
      { key: 'example.com/desktops', operator: 'Exists', effect: 'NoExecute' },
    ]);
  });

  test('the objects are applied through the pool\'s cluster, after the pool', () => {
    // THEN
    const objects = kubernetesObjectsOf(template).filter((o) => o.metadata?.name === 'windows-2022-warm');
    expect(objects.map((o) => o.kind)).toEqual(['Namespace', 'PriorityClass', 'Deployment']);
    expect(validateKubernetesObjects(objects)).toEqual([]);
    const [warmManifest] = manifestsWithKind(template, 'PriorityClass');
    const poolManifests = Object.entries(template.findResources('Custom::AWSCDK-EKS-KubernetesResource'))
      .filter(([, r]) => JSON.stringify(r.Properties.Manifest).includes('\\"kind\\":\\"NodePool\\"'))
      .map(([id]) => id);
    expect(poolManifests).toHaveLength(1);
    expect(warmManifest.DependsOn).toEqual(expect.arrayContaining(poolManifests));
  });
});

describe('WarmCapacity with business hours on a Windows 2025 pool', () => {
  let warm: WarmCapacity;
  let objects: KubernetesObject[];

  beforeAll(() => {
    // GIVEN
    const { stack, cluster } = stackWithV2Cluster();
    const karpenter = new FakeKarpenter(stack, 'Karpenter', { cluster, kubernetesVersion: '1.35' });
    const pool = new WindowsNodePool(stack, 'Pool', { karpenter, windowsVersion: WindowsVersion.WINDOWS_2025, name: 'desktops-2025' });

    // WHEN
    warm = new WarmCapacity(stack, 'Warm', {
      pool,
      slotCpu: '1500m',
      slotMemory: '6Gi',
      replicas: 3,
      name: 'desktops-warm',
      namespace: 'desktops',
      createNamespace: false,
      priority: -100,
      runtimeClassName: 'windows-2025',
      scaleSchedules: WarmCapacity.businessHours({ replicas: 6, offHoursReplicas: 1, startHour: 6, endHour: 20 }),
      timeZone: 'America/New_York',
      scalerNamespace: 'ops',
      scalerImage: 'registry.k8s.io/kubectl:v1.35.1',
    });
    objects = Testing.synth(warm.chart) as KubernetesObject[];
  });

  test('every object is valid against its schema', () => {
    // THEN
    expect(objects.map((o) => o.kind)).toEqual(['PriorityClass', 'Deployment', 'ServiceAccount', 'Role', 'RoleBinding', 'CronJob', 'CronJob']);
    expect(validateKubernetesObjects(objects)).toEqual([]);
  });

  test('business hours become two CronJobs in the time zone', () => {
    // THEN
    const cronJobs = ofKind(objects, 'CronJob');
    expect(cronJobs.map((c) => c.spec)).toEqual([
      expect.objectContaining({ schedule: '0 6 * * 1-5', timeZone: 'America/New_York' }),
      expect.objectContaining({ schedule: '0 20 * * 1-5', timeZone: 'America/New_York' }),
    ]);
    expect(JSON.stringify(cronJobs)).toContain('--replicas=6');
    expect(JSON.stringify(cronJobs)).toContain('--replicas=1');
    expect(cronJobs.every((c) => c.metadata?.namespace === 'ops')).toBe(true);
  });

  test('the placeholders use the 2025 build, the priority and the RuntimeClass', () => {
    // THEN
    const [deployment] = ofKind(objects, 'Deployment');
    expect(JSON.stringify(deployment)).toContain('"node.kubernetes.io/windows-build":"10.0.26100"');
    expect(JSON.stringify(deployment)).toContain('"runtimeClassName":"windows-2025"');
    expect(ofKind(objects, 'PriorityClass')[0]).toMatchObject({ metadata: { name: 'desktops-warm' }, value: -100 });
    expect((deployment.spec as PlaceholderSpec).replicas).toBe(3);
  });
});

describe('WarmCapacity rejects bad input', () => {
  let stack: Stack;
  let pool: WindowsNodePool;
  let pool2025: WindowsNodePool;
  let count = 0;

  beforeAll(() => {
    let cluster: IEksCluster;
    ({ stack, cluster } = stackWithV2Cluster());
    const karpenter = new FakeKarpenter(stack, 'Karpenter', { cluster });
    pool = new WindowsNodePool(stack, 'Pool', { karpenter, windowsVersion: WindowsVersion.WINDOWS_2022 });
    pool2025 = new WindowsNodePool(stack, 'Pool2025', { karpenter, windowsVersion: WindowsVersion.WINDOWS_2025 });
  });

  function warm(props: Partial<WarmCapacityProps>): WarmCapacity {
    count++;
    return new WarmCapacity(stack, `Warm${count}`, { pool, slotCpu: '2', slotMemory: '8Gi', ...props });
  }

  test('a pool of another app (there is no such pool in this app)', () => {
    // GIVEN
    const other = stackWithV2Cluster();
    const otherPool = new WindowsNodePool(other.stack, 'Pool', { karpenter: new FakeKarpenter(other.stack, 'Karpenter', { cluster: other.cluster }), windowsVersion: WindowsVersion.WINDOWS_2022 });
    const stackOfThisApp = new Stack(new App(), 'Mine');

    // WHEN / THEN
    expect(() => new WarmCapacity(stackOfThisApp, 'Warm', { pool: otherPool, slotCpu: '2', slotMemory: '8Gi' }))
      .toThrow(/WarmCapacity\.pool: node pool "Test\/Pool" belongs to another CDK app/);
  });

  test('a pause image without a Windows Server 2025 variant on a 2025 pool', () => {
    expect(() => warm({ pool: pool2025, image: 'registry.k8s.io/pause:3.9' }))
      .toThrow(/WarmCapacity\.image: "registry\.k8s\.io\/pause:3\.9" has no Windows Server 2025 variant \(pause publishes one from 3\.10\.2\)/);
  });

  test('the same pause image is fine on a 2022 pool', () => {
    expect(() => warm({ image: 'registry.k8s.io/pause:3.9' })).not.toThrow();
  });

  test.each<[string, Partial<WarmCapacityProps>, RegExp]>([
    ['negative replicas', { replicas: -1 }, /WarmCapacity\.replicas: got -1; use a whole number from 0 to 1000/],
    ['fractional replicas', { replicas: 1.5 }, /WarmCapacity\.replicas: got 1\.5/],
    ['priority 0 (not below the default)', { priority: 0 }, /WarmCapacity\.priority: got 0; use a whole number from -2147483648 to -1/],
    ['a positive priority', { priority: 1000 }, /WarmCapacity\.priority: got 1000/],
    ['a malformed CPU', { slotCpu: 'two' }, /WarmCapacity\.slotCpu: "two" is not a positive CPU quantity/],
    ['zero CPU', { slotCpu: '0' }, /WarmCapacity\.slotCpu: "0" is not a positive CPU quantity/],
    ['a malformed memory', { slotMemory: '8GB' }, /WarmCapacity\.slotMemory: "8GB" is not a positive memory quantity/],
    ['an invalid name', { name: 'Warm_Pool' }, /WarmCapacity\.name: "Warm_Pool" is not a valid Kubernetes name/],
    ['a long name', { name: 'w'.repeat(41) }, /WarmCapacity\.name: "w{41}" is 41 characters long; use at most 40/],
    ['an invalid namespace', { namespace: 'Desktops' }, /WarmCapacity\.namespace: "Desktops" is not a valid Kubernetes name/],
    ['an empty image', { image: ' ' }, /WarmCapacity\.image: is empty/],
    ['a 6-field cron', { scaleSchedules: [{ schedule: '0 0 7 * * 1-5', replicas: 2 }] }, /WarmCapacity\.scaleSchedules\[0\]\.schedule: "0 0 7 \* \* 1-5" is not a valid Kubernetes CronJob schedule: it has 6 fields/],
    ['a time zone in the cron', { scaleSchedules: [{ schedule: 'CRON_TZ=UTC 0 7 * *', replicas: 2 }] }, /WarmCapacity\.scaleSchedules\[0\]\.schedule: .* it sets a time zone/],
    ['negative scheduled replicas', { scaleSchedules: [{ schedule: '@daily', replicas: -3 }] }, /WarmCapacity\.scaleSchedules\[0\]\.replicas: got -3/],
    ['a time zone without schedules', { timeZone: 'Europe/Berlin' }, /WarmCapacity\.timeZone: is set, but there are no scaleSchedules/],
    ['an invalid time zone', { scaleSchedules: [{ schedule: '@daily', replicas: 1 }], timeZone: 'Berlin time' }, /WarmCapacity\.timeZone: "Berlin time" is not an IANA time zone name/],
    ['an invalid RuntimeClass', { runtimeClassName: 'Windows 2022' }, /WarmCapacity\.runtimeClassName: "Windows 2022" is not a valid Kubernetes name/],
  ])('%s', (_name, props, error) => {
    expect(() => warm(props)).toThrow(error);
  });

  test.each([
    [{ replicas: 2, startHour: 24 }, /WarmCapacity\.businessHours\.startHour: got 24/],
    [{ replicas: 2, startHour: 8, endHour: 8 }, /WarmCapacity\.businessHours\.endHour: equals startHour \(8\)/],
  ])('businessHours(%p) is rejected', (options, error) => {
    expect(() => WarmCapacity.businessHours(options)).toThrow(error);
  });
});
