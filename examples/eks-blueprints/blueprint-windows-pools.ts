import * as blueprints from '@aws-quickstart/eks-blueprints';
import { App, Stack } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks';
import { WindowsClusterSupport } from '../../constructs/cluster/windows-cluster-support';
import { Karpenter } from '../../constructs/karpenter/karpenter';
import { WindowsRuntimeClasses } from '../../constructs/karpenter/windows-runtime-classes';
import { WindowsVersion } from '../../constructs/karpenter/windows-version';

/** Name of the blueprint's cluster, also its Karpenter discovery tag. */
export const BLUEPRINT_CLUSTER_NAME = 'blueprint-desktops';

/**
 * An eks-blueprints cluster (an `aws-eks` v1 cluster, in the default `CONFIG_MAP` mode) with
 * this library's Karpenter and a Windows Server 2022 pool added afterwards.
 *
 * The blueprint is built without add-ons: eks-blueprints' core add-ons with `"auto"` versions
 * and its legacy Karpenter add-on reach the network at synth time; this library's `Karpenter`
 * replaces the latter and needs no network.
 */
export function buildBlueprintWithWindowsPools(app: App, id: string): Stack {
  const stack = blueprints.EksBlueprint.builder()
    .name(BLUEPRINT_CLUSTER_NAME)
    .version(eks.KubernetesVersion.V1_35)
    .build(app, id);
  const cluster = stack.getClusterInfo().cluster;

  new WindowsClusterSupport(stack, 'WindowsSupport', {
    cluster,
    clusterRole: cluster instanceof eks.Cluster ? cluster.role : undefined,
    karpenterDiscoveryName: BLUEPRINT_CLUSTER_NAME,
  });
  const karpenter = new Karpenter(stack, 'Karpenter', { cluster, kubernetesVersion: '1.35' });
  karpenter.addWindowsNodePool('Windows2022', { windowsVersion: WindowsVersion.WINDOWS_2022 });
  new WindowsRuntimeClasses(stack, 'RuntimeClasses', { cluster, windowsVersions: [WindowsVersion.WINDOWS_2022] });
  return stack;
}
