import * as blueprints from '@aws-quickstart/eks-blueprints';
import { App, Stack } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks';
import { WindowsVersion } from 'eks-windows-desktops';
import { WindowsClusterSupportAddOn, WindowsKarpenterAddOn, WindowsRuntimeClassesAddOn } from 'eks-windows-desktops/blueprints';

/** Name of the blueprint's cluster, also its Karpenter discovery tag. */
export const BLUEPRINT_CLUSTER_NAME = 'blueprint-desktops';

/**
 * An eks-blueprints cluster (an `aws-eks` v1 cluster, in the default `CONFIG_MAP` mode) with
 * this library's add-ons: Windows support, Karpenter with a Windows Server 2022 pool, and the
 * pool's RuntimeClass.
 *
 * No other add-ons: eks-blueprints' core add-ons with `"auto"` versions and its legacy Karpenter
 * add-on reach the network at synth time; `WindowsKarpenterAddOn` replaces the latter and needs
 * no network.
 */
export function buildBlueprintWithWindowsPools(app: App, id: string): Stack {
  return blueprints.EksBlueprint.builder()
    .name(BLUEPRINT_CLUSTER_NAME)
    .version(eks.KubernetesVersion.V1_35)
    .addOns(
      new WindowsClusterSupportAddOn({ karpenterDiscoveryName: BLUEPRINT_CLUSTER_NAME }),
      new WindowsKarpenterAddOn({
        windowsNodePools: [{ id: 'Windows2022', windowsVersion: WindowsVersion.WINDOWS_2022 }],
      }),
      new WindowsRuntimeClassesAddOn({ windowsVersions: [WindowsVersion.WINDOWS_2022] }),
    )
    .build(app, id);
}
