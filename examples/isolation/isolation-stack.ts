import { Size, Stack, StackProps } from 'aws-cdk-lib';
import * as cdk8s from 'cdk8s';
import { Construct } from 'constructs';
import { DeliveryMode, DesktopCluster, DesktopUser, DesktopUsers, GitOpsEngine, GoldenImage, UserIsolationMode } from 'eks-windows-desktops';
import { GoldenImageSource } from '../../constructs/kubevirt/golden-image-source';
import { KubeVirt } from '../../constructs/kubevirt/kubevirt';
import { VmGuestLicensing } from '../../constructs/kubevirt/vm-guest-licensing';
import { VmHostPool } from '../../constructs/kubevirt/vm-host-pool';
import { RunStrategy } from '../../constructs/kubevirt/windows-desktop-vm';

/** Props of the isolation example. */
export interface IsolationStackProps extends StackProps {
  readonly availabilityZones: string[];
  /** The users, each with a VM desktop on a host of their own. */
  readonly users: DesktopUser[];
  /** CloudFormation (up to 1,500 users) or GitOps (any number). */
  readonly delivery: DeliveryMode;
  /** Where GitOps files go. @default - cdk.out/gitops/... */
  readonly gitOpsDirectory?: string;
}

/**
 * VM desktops with per-user isolation: one host per user from one shared pool, each user in a
 * namespace of their own with quota, limit range and default-deny network policies.
 */
export class IsolationStack extends Stack {
  public readonly users: DesktopUsers;

  constructor(scope: Construct, id: string, props: IsolationStackProps) {
    super(scope, id, props);

    const desktops = new DesktopCluster(this, 'Desktops', { clusterName: 'desktops', availabilityZones: props.availabilityZones });
    const karpenter = desktops.addKarpenter('Karpenter');
    // Windows 10/11 guests on your own licenses need hardware dedicated to you (README:
    // "Licensing of VM desktops"). KubeVirt's control plane and the template of per-user pools.
    const guestLicensing = VmGuestLicensing.dedicatedInstances();
    const hosts = new VmHostPool(this, 'VmHosts', { karpenter, guestLicensing });
    // One host per user: the pool declares the user label with `Exists`. Dedicated Instances
    // default to bare metal, so each user gets a whole .metal host (c7i.metal-24xl: 96 vCPUs,
    // 192 GiB): the limits make room for every user's host at once.
    const userHosts = new VmHostPool(this, 'UserHosts', {
      karpenter,
      guestLicensing,
      perUserHosts: true,
      cpuLimit: 96 * (props.users.length + 1),
      memoryLimit: Size.gibibytes(384 * (props.users.length + 1)),
    });
    const kubevirt = new KubeVirt(this, 'KubeVirt', { cluster: desktops.cluster, hostPool: hosts });

    const images = new cdk8s.Chart(new cdk8s.App(), 'Images');
    const windows11 = new GoldenImage(images, 'Windows11', {
      name: 'windows11',
      source: GoldenImageSource.registry(`${this.account}.dkr.ecr.${this.region}.amazonaws.com/golden/windows11:2026-11`),
      // No namespace clones by default: DesktopUsers grants each user's namespace its own.
      cloneNamespaces: ['desktop-images'],
    });
    const imagesManifest = kubevirt.addCdk8sChart('Images', images);

    this.users = new DesktopUsers(this, 'Users', {
      cluster: desktops.cluster,
      users: props.users,
      goldenImage: windows11,
      vmDesktop: { runStrategy: RunStrategy.HALTED },
      sharedPool: userHosts,
      dedicatedPoolTemplate: hosts,
      kubevirt,
      delivery: props.delivery,
      gitOps: props.delivery === DeliveryMode.GITOPS
        ? { engine: GitOpsEngine.ARGO_CD, repositoryUrl: 'https://github.com/example/platform.git', repositoryPath: 'clusters/desktops/users', outputDirectory: props.gitOpsDirectory }
        : undefined,
    });
    this.users.node.addDependency(imagesManifest);
  }
}

/** `count` users `user00001@example.com`, ... with a host each from the shared pool. */
export function exampleUsers(count: number): DesktopUser[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `user${String(i + 1).padStart(5, '0')}@example.com`,
    group: 'desktop-users',
    isolation: UserIsolationMode.SHARED_POOL,
  }));
}
