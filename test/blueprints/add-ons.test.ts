import * as blueprints from '@aws-quickstart/eks-blueprints';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as eks from 'aws-cdk-lib/aws-eks';
import {
  PortainerAddOn,
  WindowsClusterSupportAddOn,
  WindowsKarpenterAddOn,
  WindowsRuntimeClassesAddOn,
} from '../../constructs/blueprints';
import { WindowsClusterSupport } from '../../constructs/cluster/windows-cluster-support';
import { Karpenter } from '../../constructs/karpenter/karpenter';
import { WindowsRuntimeClasses } from '../../constructs/karpenter/windows-runtime-classes';
import { WindowsVersion } from '../../constructs/karpenter/windows-version';
import { Portainer } from '../../constructs/portainer/portainer';
import { projectApp } from '../support/app';
import { helmReleasesOf, kubernetesObjectsOf } from '../support/kubernetes-schemas';

const NAME = 'addon-desktops';
const VERSIONS = [WindowsVersion.WINDOWS_2022, WindowsVersion.WINDOWS_2025];
const CERTIFICATE = 'arn:aws:acm:us-east-1:111122223333:certificate/00000000-0000-0000-0000-000000000000';

function builder(): blueprints.BlueprintBuilder {
  return blueprints.EksBlueprint.builder().name(NAME).version(eks.KubernetesVersion.V1_35);
}

/** The blueprint built with this library's add-ons. */
function withAddOns(): { stack: Stack } {
  const karpenter = new WindowsKarpenterAddOn({
    replicas: 1,
    windowsNodePools: [
      { id: 'Windows2022', windowsVersion: WindowsVersion.WINDOWS_2022 },
      { id: 'Windows2025', windowsVersion: WindowsVersion.WINDOWS_2025, name: 'win-2025' },
    ],
  });
  const stack = builder()
    .addOns(
      new WindowsClusterSupportAddOn({ karpenterDiscoveryName: NAME }),
      karpenter,
      new WindowsRuntimeClassesAddOn({ windowsVersions: VERSIONS }),
      new PortainerAddOn({ certificateArn: CERTIFICATE }),
    )
    .build(projectApp(), 'Blueprint');
  return { stack };
}

/** The same blueprint without add-ons, with the plain constructs added afterwards. */
function withPlainConstructs(): Stack {
  const stack = builder().build(projectApp(), 'Blueprint');
  const cluster = stack.getClusterInfo().cluster;
  new WindowsClusterSupport(stack, 'WindowsSupport', {
    cluster,
    clusterRole: (cluster as eks.Cluster).role,
    karpenterDiscoveryName: NAME,
  });
  const karpenter = new Karpenter(stack, 'Karpenter', { cluster, kubernetesVersion: '1.35', replicas: 1 });
  karpenter.addWindowsNodePool('Windows2022', { windowsVersion: WindowsVersion.WINDOWS_2022 });
  karpenter.addWindowsNodePool('Windows2025', { windowsVersion: WindowsVersion.WINDOWS_2025, name: 'win-2025' });
  new WindowsRuntimeClasses(stack, 'RuntimeClasses', { cluster, windowsVersions: VERSIONS, kubernetesVersion: '1.35' });
  new Portainer(stack, 'Portainer', { cluster, certificateArn: CERTIFICATE });
  return stack;
}

describe('eks-blueprints add-ons', () => {
  let addOns: Template;
  let plain: Template;
  let addOnStack: Stack;

  beforeAll(() => {
    // GIVEN one blueprint built with the add-ons and one with the plain constructs
    const built = withAddOns();
    addOnStack = built.stack;
    addOns = Template.fromStack(built.stack);
    plain = Template.fromStack(withPlainConstructs());
  });

  test('give the same Kubernetes objects as the plain constructs', () => {
    const objects = kubernetesObjectsOf(addOns);
    expect(objects.filter((o) => o.kind === 'NodePool').map((o) => o.metadata?.name)).toEqual(['windows-2022', 'win-2025']);
    expect(objects.filter((o) => o.kind === 'RuntimeClass').map((o) => o.metadata?.name)).toEqual(['windows-2022', 'windows-2025']);
    expect(objects.filter((o) => o.kind === 'Deployment').map((o) => o.metadata?.name)).toEqual(['portainer']);
    expect(objects).toEqual(kubernetesObjectsOf(plain));
  });

  test('give the same Helm releases and AWS resources as the plain constructs', () => {
    expect(helmReleasesOf(addOns)).toEqual(helmReleasesOf(plain));
    expect(addOns.toJSON()).toEqual(plain.toJSON());
  });

  test('leave the Karpenter construct at its documented id, with the blueprint\'s Kubernetes version', () => {
    const karpenter = addOnStack.node.findChild('Karpenter');
    expect(karpenter).toBeInstanceOf(Karpenter);
    expect((karpenter as Karpenter).kubernetesVersion).toBe('1.35');
  });

  test('pass the blueprint\'s Kubernetes version on, so impossible combinations fail at synth', () => {
    // WHEN a Windows Server 2025 pool is asked of a 1.34 blueprint (2025 needs EKS 1.35)
    const build = () => blueprints.EksBlueprint.builder().name(NAME).version(eks.KubernetesVersion.V1_34)
      .addOns(new WindowsKarpenterAddOn({ windowsNodePools: [{ id: 'Windows2025', windowsVersion: WindowsVersion.WINDOWS_2025 }] }))
      .build(projectApp(), 'Blueprint');
    // THEN synthesis fails naming the Kubernetes version
    expect(build).toThrow(/is '1\.34', but Windows Server 2025 nodes need Kubernetes ≥ 1\.35/);
  });
});
