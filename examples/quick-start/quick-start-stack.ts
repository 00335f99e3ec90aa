import { Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { DesktopCluster, WindowsRuntimeClasses, WindowsVersion } from 'eks-windows-desktops';

/**
 * The smallest useful platform: a cluster with Karpenter and one Windows Server 2022 pool.
 * The README's "Using the constructs in your own app" snippet is this file.
 */
export class QuickStartStack extends Stack {
  constructor(scope: Construct, id: string, props: StackProps & { readonly availabilityZones: string[] }) {
    super(scope, id, props);

    const desktops = new DesktopCluster(this, 'Desktops', {
      clusterName: 'desktops',
      availabilityZones: props.availabilityZones,
    });
    const karpenter = desktops.addKarpenter('Karpenter');
    karpenter.addWindowsNodePool('Windows2022', { windowsVersion: WindowsVersion.WINDOWS_2022 });
    new WindowsRuntimeClasses(this, 'RuntimeClasses', {
      cluster: desktops.cluster,
      windowsVersions: [WindowsVersion.WINDOWS_2022],
      kubernetesVersion: desktops.kubernetesVersion,
    });
  }
}
