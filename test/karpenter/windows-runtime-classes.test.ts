import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Testing } from 'cdk8s';
import { IEksCluster } from '../../constructs/common/eks-cluster';
import { WindowsRuntimeClasses } from '../../constructs/karpenter/windows-runtime-classes';
import { WINDOWS_RUNTIME_HANDLER, WindowsRuntimeClassesChart } from '../../constructs/karpenter/windows-runtime-classes-chart';
import { WindowsVersion } from '../../constructs/karpenter/windows-version';
import { KubernetesObject, kubernetesObjectsOf, validateKubernetesObjects } from '../support/kubernetes-schemas';
import { ofKind, stackWithV1Cluster, stackWithV2Cluster } from './windows-test-support';

interface RuntimeClassObject extends KubernetesObject {
  handler: string;
  scheduling: { nodeSelector: Record<string, string>; tolerations: Array<Record<string, string>> };
}

describe('WindowsRuntimeClassesChart', () => {
  let objects: RuntimeClassObject[];

  beforeAll(() => {
    // GIVEN / WHEN
    const chart = new WindowsRuntimeClassesChart(Testing.app(), 'Test', { windowsVersions: [...WindowsVersion.ALL] });
    objects = Testing.synth(chart) as RuntimeClassObject[];
  });

  test('has one valid node.k8s.io/v1 RuntimeClass per version', () => {
    // THEN
    expect(objects.map((o) => `${o.apiVersion}/${o.kind}/${o.metadata?.name}`)).toEqual([
      'node.k8s.io/v1/RuntimeClass/windows-2019',
      'node.k8s.io/v1/RuntimeClass/windows-2022',
      'node.k8s.io/v1/RuntimeClass/windows-2025',
    ]);
    expect(validateKubernetesObjects(objects)).toEqual([]);
  });

  test('uses the containerd process-isolation handler', () => {
    // THEN
    expect(WINDOWS_RUNTIME_HANDLER).toBe('runhcs-wcow-process');
    expect(objects.map((o) => o.handler)).toEqual(['runhcs-wcow-process', 'runhcs-wcow-process', 'runhcs-wcow-process']);
  });

  test.each([
    ['windows-2019', '10.0.17763'],
    ['windows-2022', '10.0.20348'],
    ['windows-2025', '10.0.26100'],
  ])('%s selects Windows amd64 nodes of build %s and tolerates the Windows taint', (name, build) => {
    // THEN
    const runtimeClass = objects.find((o) => o.metadata?.name === name);
    expect(runtimeClass?.scheduling).toEqual({
      nodeSelector: {
        'kubernetes.io/os': 'windows',
        'kubernetes.io/arch': 'amd64',
        'node.kubernetes.io/windows-build': build,
      },
      tolerations: [{ key: 'os', operator: 'Equal', value: 'windows', effect: 'NoSchedule' }],
    });
  });
});

describe('WindowsRuntimeClasses on an aws-eks-v2 cluster', () => {
  let runtimeClasses: WindowsRuntimeClasses;
  let template: Template;

  beforeAll(() => {
    // GIVEN
    const { stack, cluster } = stackWithV2Cluster();

    // WHEN
    runtimeClasses = new WindowsRuntimeClasses(stack, 'RuntimeClasses', {
      cluster,
      windowsVersions: [WindowsVersion.WINDOWS_2022, WindowsVersion.WINDOWS_2025],
      kubernetesVersion: '1.35',
    });
    template = Template.fromStack(stack);
  });

  test('applies one valid RuntimeClass per version', () => {
    // WHEN
    const objects = ofKind(kubernetesObjectsOf(template), 'RuntimeClass');

    // THEN
    expect(objects.map((o) => o.metadata?.name)).toEqual(['windows-2022', 'windows-2025']);
    expect(validateKubernetesObjects(objects)).toEqual([]);
  });

  test('exposes the names, the chart and the manifest', () => {
    // THEN
    expect(runtimeClasses.runtimeClassNames).toEqual(['windows-2022', 'windows-2025']);
    expect(Testing.synth(runtimeClasses.chart)).toHaveLength(2);
    expect(runtimeClasses.manifest).toBeDefined();
  });
});

describe('WindowsRuntimeClasses on an aws-eks (v1) cluster', () => {
  test('applies one valid RuntimeClass per version', () => {
    // GIVEN
    const { stack, cluster } = stackWithV1Cluster();

    // WHEN
    new WindowsRuntimeClasses(stack, 'RuntimeClasses', { cluster, windowsVersions: [WindowsVersion.WINDOWS_2019, WindowsVersion.WINDOWS_2022] });
    const objects = ofKind(kubernetesObjectsOf(Template.fromStack(stack)), 'RuntimeClass');

    // THEN
    expect(objects.map((o) => o.metadata?.name)).toEqual(['windows-2019', 'windows-2022']);
    expect(validateKubernetesObjects(objects)).toEqual([]);
  });
});

describe('WindowsRuntimeClasses rejects bad input', () => {
  let stack: Stack;
  let cluster: IEksCluster;
  let count = 0;

  beforeAll(() => {
    ({ stack, cluster } = stackWithV2Cluster());
  });

  function runtimeClasses(windowsVersions: WindowsVersion[], kubernetesVersion?: string): WindowsRuntimeClasses {
    count++;
    return new WindowsRuntimeClasses(stack, `RuntimeClasses${count}`, { cluster, windowsVersions, kubernetesVersion });
  }

  test('no versions', () => {
    expect(() => runtimeClasses([])).toThrow(/WindowsRuntimeClasses\.windowsVersions: is empty; give at least one/);
  });

  test('a version listed twice', () => {
    expect(() => runtimeClasses([WindowsVersion.WINDOWS_2022, WindowsVersion.WINDOWS_2019, WindowsVersion.of('2022')]))
      .toThrow(/WindowsRuntimeClasses\.windowsVersions: lists Windows Server 2022 twice \(2022, 2019, 2022\)/);
  });

  test('Windows 2025 without a Kubernetes version', () => {
    expect(() => runtimeClasses([WindowsVersion.WINDOWS_2025]))
      .toThrow(/WindowsRuntimeClasses\.kubernetesVersion: is unknown, but Windows Server 2025 nodes need Kubernetes ≥ 1\.35\. Set `kubernetesVersion`/);
  });

  test('Windows 2025 on Kubernetes 1.34', () => {
    expect(() => runtimeClasses([WindowsVersion.WINDOWS_2025], '1.34'))
      .toThrow(/WindowsRuntimeClasses\.kubernetesVersion: is '1\.34', but Windows Server 2025 nodes need Kubernetes ≥ 1\.35/);
  });

  test('Windows 2019 and 2022 need no Kubernetes version', () => {
    expect(() => runtimeClasses([WindowsVersion.WINDOWS_2019, WindowsVersion.WINDOWS_2022])).not.toThrow();
  });
});

describe('WindowsRuntimeClasses in a stack of its own', () => {
  test('can target a cluster defined in another stack of the same app', () => {
    // GIVEN
    const { stack, cluster } = stackWithV2Cluster();
    const other = new Stack(stack.node.root as App, 'Other');

    // WHEN
    new WindowsRuntimeClasses(other, 'RuntimeClasses', { cluster, windowsVersions: [WindowsVersion.WINDOWS_2022] });

    // THEN: the manifest is created beside the cluster, where its kubectl handler lives.
    expect(ofKind(kubernetesObjectsOf(Template.fromStack(stack)), 'RuntimeClass').map((o) => o.metadata?.name)).toEqual(['windows-2022']);
  });
});
