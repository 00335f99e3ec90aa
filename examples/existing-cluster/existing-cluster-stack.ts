import { KubectlV35Layer } from '@aws-cdk/lambda-layer-kubectl-v35';
import { Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks';
import { Construct } from 'constructs';
import { Karpenter, WindowsClusterSupport, WindowsRuntimeClasses, WindowsVersion } from 'eks-windows-desktops';

/**
 * An application that already has its own VPC and an `aws-eks` (v1) cluster — as every
 * eks-blueprints user does — and adds Karpenter plus a Windows Server 2022 pool with this
 * library. The cluster keeps the v1 default authentication mode (`CONFIG_MAP`), so Karpenter
 * maps its node roles in aws-auth instead of creating access entries.
 */
export class ExistingClusterStack extends Stack {
  public readonly cluster: eks.Cluster;
  public readonly karpenter: Karpenter;

  constructor(scope: Construct, id: string, props: StackProps & { readonly availabilityZones: string[] }) {
    super(scope, id, props);

    // --- what the application already had -------------------------------------------------
    const vpc = new ec2.Vpc(this, 'Vpc', {
      availabilityZones: props.availabilityZones,
      natGateways: 1,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC },
        { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      ],
    });
    const clusterName = 'existing-cluster';
    this.cluster = new eks.Cluster(this, 'Cluster', {
      clusterName,
      vpc,
      version: eks.KubernetesVersion.V1_35,
      kubectlLayer: new KubectlV35Layer(this, 'KubectlLayer'),
      defaultCapacity: 2,
    });

    // --- what this library adds ------------------------------------------------------------
    // Windows IPAM on the VPC CNI add-on, the VPC resource controller policy, and the subnet
    // tags Karpenter discovers subnets by (the literal name: see karpenterDiscoveryName).
    new WindowsClusterSupport(this, 'WindowsSupport', {
      cluster: this.cluster,
      clusterRole: this.cluster.role,
      karpenterDiscoveryName: clusterName,
    });
    this.karpenter = new Karpenter(this, 'Karpenter', {
      cluster: this.cluster,
      kubernetesVersion: '1.35',
    });
    this.karpenter.addWindowsNodePool('Windows2022', {
      windowsVersion: WindowsVersion.WINDOWS_2022,
    });
    new WindowsRuntimeClasses(this, 'RuntimeClasses', {
      cluster: this.cluster,
      windowsVersions: [WindowsVersion.WINDOWS_2022],
    });
  }
}
