import { CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as cdk8s from 'cdk8s';
import { k8s } from 'cdk8s-plus-29';
import { Construct } from 'constructs';
import { DesktopCluster } from '../constructs/cluster/desktop-cluster';
import { parseArn } from '../constructs/common/aws-ids';
import { checkProps, isArrayOf, isString, required } from '../constructs/common/validate';
import { reportsConstructPath } from '../constructs/common/validation-error';
import { Karpenter } from '../constructs/karpenter/karpenter';
import { WarmCapacity } from '../constructs/karpenter/warm-capacity';
import { WindowsAmi } from '../constructs/karpenter/windows-ami';
import { WindowsNodePool } from '../constructs/karpenter/windows-node-pool';
import { WindowsRuntimeClasses } from '../constructs/karpenter/windows-runtime-classes';
import { WindowsVersion } from '../constructs/karpenter/windows-version';
import { DesktopCertificateAuthority } from '../constructs/certificates/desktop-certificate-authority';
import { GuacamoleGateway } from '../constructs/guacamole/guacamole-gateway';
import { RdpConnection } from '../constructs/guacamole/rdp-connection';
import { DesktopSize } from '../constructs/kubevirt/desktop-size';
import { GoldenImage } from '../constructs/kubevirt/golden-image';
import { GoldenImageSource } from '../constructs/kubevirt/golden-image-source';
import { KubeVirt } from '../constructs/kubevirt/kubevirt';
import { VmGuestLicensing } from '../constructs/kubevirt/vm-guest-licensing';
import { VmHostPool } from '../constructs/kubevirt/vm-host-pool';
import { RunStrategy, WindowsDesktopVm } from '../constructs/kubevirt/windows-desktop-vm';
import { NodeDesktopIsolation } from '../constructs/node-desktops/node-desktop-isolation';
import { NodeDesktops } from '../constructs/node-desktops/node-desktops';
import { FastLaunchWindowsAmi } from '../constructs/windows-ami/fast-launch-windows-ami';
import { DesktopKind } from '../constructs/sessions/api';
import { DesktopClassObject } from '../constructs/sessions/desktop-class';
import { DesktopSessionService } from '../constructs/sessions/desktop-session-service';
import { PAUSE_IMAGE } from '../constructs/common/versions';
import { UserIsolationMode } from '../constructs/isolation/desktop-user';
import { DesktopUsers } from '../constructs/isolation/desktop-users';

/**
 * Props of the reference stack.
 */
export interface WindowsDesktopsStackProps extends StackProps {
  /**
   * Availability zones of the new VPC (three). Given explicitly so synthesis needs no lookup.
   * @default - three zones looked up for the stack's account and region
   */
  readonly availabilityZones?: string[];
  /**
   * Name of the EKS cluster.
   * @default 'windows-desktops'
   */
  readonly clusterName?: string;
  /**
   * ARNs of IAM roles that get cluster-admin access through access entries.
   * @default - none: only the CloudFormation deployer's role is cluster admin
   */
  readonly adminRoleArns?: string[];
  /**
   * CIDRs allowed to reach a public API endpoint. Empty keeps the endpoint private.
   * @default - private endpoint only
   */
  readonly publicEndpointCidrs?: string[];
  /**
   * Host name users open in the browser (its DNS record must point at the gateway's ALB).
   */
  readonly gatewayHostname: string;
  /**
   * ARN of the ACM certificate for `gatewayHostname`, in the stack's region.
   */
  readonly gatewayCertificateArn: string;
  /**
   * Licensing basis of the Windows guests on the VM hosts. The sample desktop is Windows 11,
   * which needs the customer's own licenses (per-user Windows VDA E3/E5) on hardware dedicated
   * to the customer, hence the default. See the README section "Licensing of VM desktops".
   * @default VmGuestLicensing.dedicatedInstances() - bare-metal Dedicated Instances
   */
  readonly vmGuestLicensing?: VmGuestLicensing;
}

/** Namespace of the sample desktop VM. */
const DESKTOP_NAMESPACE = 'desktops';
/** Namespace of the session controller, the broker and the DesktopSessions. */
const SESSIONS_NAMESPACE = 'desktop-sessions';

/**
 * The reference platform: every capability on. `bin/app.ts` deploys it; tests and snapshots
 * synthesize it.
 */
@reportsConstructPath
export class WindowsDesktopsStack extends Stack {
  /** The EKS cluster with its VPC, Fargate profiles and add-ons. */
  public readonly desktopCluster: DesktopCluster;
  /** Karpenter v1, on Fargate. */
  public readonly karpenter: Karpenter;
  /** One Karpenter pool per Windows Server version: 2019 on the EKS-optimized alias, 2022 on a Fast Launch AMI. */
  public readonly windowsPools: WindowsNodePool[];
  /** Image Builder pipeline of the Windows 2022 Fast Launch AMI, with the warm-capacity pause image pre-pulled. */
  public readonly windows2022Ami: FastLaunchWindowsAmi;
  /** One desktop-sized slot kept warm on the Windows 2022 pool. */
  public readonly warmCapacity: WarmCapacity;
  /** Linux KVM hosts for desktop VMs (bare-metal Dedicated Instances unless `vmGuestLicensing` says otherwise). */
  public readonly vmHosts: VmHostPool;
  /** ECR repository the golden Windows 11 image is pushed to (the sample desktop is cloned from it). */
  public readonly goldenImageRepository: ecr.Repository;
  /** KVM hosts of one user each, from one pool (user label declared with `Exists`). */
  public readonly userHosts: VmHostPool;
  /** Two users per isolation mode, each with a namespace, quota, policies, pool and halted VM desktop. */
  public readonly users: DesktopUsers;
  /** KubeVirt + CDI, installed at deploy time from their pinned releases. */
  public readonly kubevirt: KubeVirt;
  /** The desktop VM template: a halted Windows 11 VM cloned from the golden image. */
  public readonly desktopTemplate: WindowsDesktopVm;
  /** cert-manager and the CA that signs the node desktops' RDP certificates (guacd trusts it). */
  public readonly certificateAuthority: DesktopCertificateAuthority;
  /** Apache Guacamole browser gateway behind an HTTPS ALB with Cognito sign-in. */
  public readonly gateway: GuacamoleGateway;
  /** RuntimeClasses `windows-2019` and `windows-2022`. */
  public readonly runtimeClasses: WindowsRuntimeClasses;
  /** Desktop sessions: CRDs, controller and sign-in broker (at `/portal/` on the gateway's host). */
  public readonly sessions: DesktopSessionService;
  /** Node desktops with a NodePool per user (two example users). */
  public readonly dedicatedNodeDesktops: NodeDesktops;
  /** Node desktops from one shared pool with one warm node (two example users). */
  public readonly sharedNodeDesktops: NodeDesktops;

  constructor(scope: Construct, id: string, props: WindowsDesktopsStackProps) {
    super(scope, id, props);
    // The props come from cdk.json context: check their runtime types, and the role ARNs
    // before aws-cdk-lib's `Role.fromRoleArn` refuses them without naming the prop.
    checkProps('WindowsDesktopsStack', props, {
      availabilityZones: isArrayOf(isString("'us-east-1a'"), "['us-east-1a', 'us-east-1b', 'us-east-1c']"),
      clusterName: isString("'windows-desktops'"),
      adminRoleArns: isArrayOf(isString("'arn:aws:iam::123456789012:role/Admin'"), "['arn:aws:iam::123456789012:role/Admin']"),
      publicEndpointCidrs: isArrayOf(isString("'203.0.113.0/24'"), "['203.0.113.0/24']"),
      gatewayHostname: required(isString("'desktops.example.com'")),
      gatewayCertificateArn: required(isString("'arn:aws:acm:us-east-1:123456789012:certificate/...'")),
    }, { refuseMisspelled: false });
    (props.adminRoleArns ?? []).forEach((arn, i) => parseArn(`WindowsDesktopsStack.adminRoleArns[${i}]`, arn, 'iam', 'arn:aws:iam::123456789012:role/Admin'));

    this.desktopCluster = new DesktopCluster(this, 'Desktops', {
      clusterName: props.clusterName ?? 'windows-desktops',
      availabilityZones: props.availabilityZones,
      publicEndpointCidrs: props.publicEndpointCidrs,
      adminRoles: (props.adminRoleArns ?? []).map((arn, i) => iam.Role.fromRoleArn(this, `Admin${i}`, arn, { mutable: false })),
      efsCsi: true,
      // The gateway, the operator that syncs its secrets, cert-manager and the session service run on Fargate.
      systemNamespaces: ['guacamole', 'external-secrets', 'cert-manager', SESSIONS_NAMESPACE],
    });

    this.karpenter = this.desktopCluster.addKarpenter('Karpenter');

    const windows2019 = this.karpenter.addWindowsNodePool('Windows2019', { windowsVersion: WindowsVersion.WINDOWS_2019 });

    // Windows 2022 nodes boot from a weekly-rebuilt AMI with the workload images of this stack
    // already in containerd. The EKS-optimized AMI caches the Server Core base image itself;
    // the pause image of the warm-capacity placeholders is what this stack adds.
    // Fast Launch is enabled on the AMI, but Karpenter sends explicit block device mappings,
    // which EC2 reportedly serves from the AMI's own snapshot instead of the pre-provisioned
    // ones (README: "Fast Launch and Karpenter").
    this.windows2022Ami = new FastLaunchWindowsAmi(this, 'Windows2022Ami', {
      vpc: this.desktopCluster.vpc,
      name: 'windows-2022-desktops',
      windowsVersion: WindowsVersion.WINDOWS_2022,
      kubernetesVersion: this.desktopCluster.kubernetesVersion,
      prePulledImages: [PAUSE_IMAGE],
    });
    const windows2022 = this.karpenter.addWindowsNodePool('Windows2022', {
      windowsVersion: WindowsVersion.WINDOWS_2022,
      ami: WindowsAmi.fromFastLaunchAmi(this.windows2022Ami),
    });
    this.windowsPools = [windows2019, windows2022];
    this.warmCapacity = new WarmCapacity(this, 'Windows2022Warm', { pool: windows2022, replicas: 1, slotCpu: '2', slotMemory: '8Gi' });
    const versions = this.windowsPools.map((pool) => pool.windowsVersion);

    this.runtimeClasses = new WindowsRuntimeClasses(this, 'RuntimeClasses', {
      cluster: this.desktopCluster.cluster,
      windowsVersions: versions,
      kubernetesVersion: this.desktopCluster.kubernetesVersion,
    });

    // Full Windows desktops: KubeVirt VMs on Linux KVM hosts (Windows containers have no GUI).
    this.vmHosts = new VmHostPool(this, 'VmHosts', {
      karpenter: this.karpenter,
      guestLicensing: props.vmGuestLicensing ?? VmGuestLicensing.dedicatedInstances(),
    });
    // No vmStateStorageClass: the cluster's default class (gp3) then holds TPM/EFI state with
    // ReadWriteOnce; naming the class would make KubeVirt ask EBS for ReadWriteMany.
    this.kubevirt = new KubeVirt(this, 'KubeVirt', {
      cluster: this.desktopCluster.cluster,
      hostPool: this.vmHosts,
    });
    // One host per user for isolated users, under the same licensing basis as the other VM hosts.
    this.userHosts = new VmHostPool(this, 'UserHosts', { karpenter: this.karpenter, guestLicensing: this.vmHosts.guestLicensing, perUserHosts: true });
    const desktops = new cdk8s.Chart(new cdk8s.App(), 'Desktops');
    new k8s.KubeNamespace(desktops, 'Namespace', { metadata: { name: DESKTOP_NAMESPACE } });
    // The golden image comes from a repository of this stack; until an image is pushed there
    // (README: "Golden images"), CDI retries the import and the sample desktop stays halted.
    this.goldenImageRepository = new ecr.Repository(this, 'GoldenImageRepository', {
      repositoryName: 'golden/windows11',
      imageScanOnPush: true,
      imageTagMutability: ecr.TagMutability.IMMUTABLE,
      encryption: ecr.RepositoryEncryption.KMS,
      lifecycleRules: [{ description: 'Keep the last 5 golden images', maxImageCount: 5 }],
    });
    const windows11 = new GoldenImage(desktops, 'Windows11', {
      name: 'windows11',
      source: GoldenImageSource.registry(this.goldenImageRepository.repositoryUriForTag('2026-11')),
      cloneNamespaces: [DESKTOP_NAMESPACE],
    });
    this.desktopTemplate = new WindowsDesktopVm(desktops, 'SampleDesktop', {
      name: 'sample-desktop',
      namespace: DESKTOP_NAMESPACE,
      userId: 'sample@example.com',
      goldenImage: windows11,
      size: DesktopSize.MEDIUM,
      runStrategy: RunStrategy.HALTED,
      sysprepSecretName: 'sample-desktop-sysprep',
    });
    const desktopsManifest = this.kubevirt.addCdk8sChart('Desktops', desktops);

    // Per-user isolation: two users with a host each from the shared per-user pool, two with a
    // NodePool of their own. Desktops stay halted until a session starts them.
    this.users = new DesktopUsers(this, 'Users', {
      cluster: this.desktopCluster.cluster,
      users: [
        { id: 'alice@example.com', displayName: 'Alice', isolation: UserIsolationMode.SHARED_POOL },
        { id: 'bob@example.com', displayName: 'Bob', isolation: UserIsolationMode.SHARED_POOL },
        { id: 'carol@example.com', displayName: 'Carol', isolation: UserIsolationMode.DEDICATED_POOL },
        { id: 'dave@example.com', displayName: 'Dave', isolation: UserIsolationMode.DEDICATED_POOL },
      ],
      goldenImage: windows11,
      vmDesktop: { runStrategy: RunStrategy.HALTED },
      sharedPool: this.userHosts,
      dedicatedPoolTemplate: this.vmHosts,
      kubevirt: this.kubevirt,
    });
    // The clone bindings go into the golden image's namespace, which the desktops chart creates.
    this.users.node.addDependency(desktopsManifest);

    // The internal CA of desktop RDP certificates: node desktops present a certificate for
    // their session Service's name, and guacd verifies it against this CA.
    this.certificateAuthority = new DesktopCertificateAuthority(this, 'DesktopCertificates', {
      cluster: this.desktopCluster.cluster,
      clusterReady: this.desktopCluster.systemReady,
    });

    // Browser access: Guacamole on Fargate, Cognito at the ALB, recordings on EFS.
    this.gateway = new GuacamoleGateway(this, 'Gateway', {
      rdpCertificateAuthority: this.certificateAuthority,
      cluster: this.desktopCluster.cluster,
      vpc: this.desktopCluster.vpc,
      hostname: props.gatewayHostname,
      certificateArn: props.gatewayCertificateArn,
      internetFacing: true,
      recordingFileSystem: this.desktopCluster.efsFileSystem,
      clusterReady: this.desktopCluster.systemReady,
      // The session broker's Ingress joins this group (one load balancer, one sign-in).
      ingressGroupName: 'desktops',
    });

    // Node desktops: each user's desktop is a whole Windows Server 2022 node (Desktop
    // Experience), reached through the gateway. Sessions are created at run time by the session
    // controller; their RDP certificates come from the gateway's CA (so connections verify
    // chain and Service name); the pools exist from deploy time and cost nothing until a session starts
    // (except the shared pool's one warm node).
    this.dedicatedNodeDesktops = new NodeDesktops(this, 'DedicatedNodeDesktops', {
      karpenter: this.karpenter,
      name: 'desktops-dedicated',
      isolation: NodeDesktopIsolation.nodePoolPerUser(),
      rdpClientSecurityGroup: this.gateway.podSecurityGroup,
      users: [{ userId: 'alice@example.com' }, { userId: 'bob@example.com', instanceTypes: ['m7i.xlarge', 'm6i.xlarge'] }],
    });
    this.sharedNodeDesktops = new NodeDesktops(this, 'SharedNodeDesktops', {
      karpenter: this.karpenter,
      name: 'desktops-shared',
      isolation: NodeDesktopIsolation.sharedPool({ maxDesktops: 50 }),
      rdpClientSecurityGroup: this.gateway.podSecurityGroup,
      warmDesktops: 1,
      users: [{ userId: 'carol@example.com' }, { userId: 'dave@example.com' }],
    });

    // Sessions: a signed-in user opens https://<host>/portal/ and gets a Windows 11 VM desktop.
    this.sessions = new DesktopSessionService(this, 'Sessions', {
      gateway: this.gateway,
      namespace: SESSIONS_NAMESPACE,
      desktopClass: 'windows11',
      clusterReady: this.desktopCluster.systemReady,
      // Sessions of Node classes get a node of the shared pool (per-user NodePools exist only
      // for the users listed at synth time); its local accounts sign in without a password prompt.
      nodeDesktops: this.sharedNodeDesktops,
    });
    const classes = new cdk8s.Chart(new cdk8s.App(), 'DesktopClasses');
    new DesktopClassObject(classes, 'Windows11', {
      name: 'windows11',
      kind: DesktopKind.VM,
      goldenImage: { namespace: DESKTOP_NAMESPACE, name: windows11.dataSourceName },
      allowedSizes: ['small', 'medium', 'large'],
      sessionsPerUser: 1,
      // Sample price table (yours to maintain: no price lookups); VM desktops share hosts, so
      // this is a per-desktop share of a c8i.2xlarge host.
      prices: [{ instanceType: 'c8i.2xlarge', capacityType: 'on-demand', hourlyPrice: 0.2 }],
    });
    // A whole Windows Server 2022 node per session (SDK: desktopClass 'windows-server-2022').
    new DesktopClassObject(classes, 'WindowsServer2022', {
      name: 'windows-server-2022',
      kind: DesktopKind.NODE,
      // What the pool's nodes run (informational: the pool's EC2NodeClass decides).
      ami: `/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-EKS_Optimized-${this.desktopCluster.kubernetesVersion}/image_id`,
      allowedSizes: ['medium'],
      // A node desktop is the user's own node: one at a time.
      sessionsPerUser: 1,
      // Sample price (yours to maintain: no price lookups) of one of the pool's instance types.
      prices: [{ instanceType: 'm7i.large', capacityType: 'on-demand', hourlyPrice: 0.193 }],
    });
    this.desktopCluster.cluster.addCdk8sChart('DesktopClasses', classes).node.addDependency(this.sessions.manifest);
    // Connections are handed out per session (encrypted JSON auth); this is the one to the
    // sample desktop, as the session SDK will build it. It holds no credentials.
    const sampleConnection = RdpConnection.toKubeVirtDesktop({
      name: 'Sample desktop',
      serviceName: this.desktopTemplate.rdpServiceName,
      namespace: DESKTOP_NAMESPACE,
    });

    new CfnOutput(this, 'GatewayUrl', { value: this.gateway.url });
    new CfnOutput(this, 'SessionPortalUrl', { value: this.sessions.url });
    new CfnOutput(this, 'SampleDesktopConnection', { value: JSON.stringify(sampleConnection.toJsonConnection(this.gateway.connectionPolicy)) });
    const aliceConnection = this.dedicatedNodeDesktops.rdpConnectionFor('alice@example.com', { name: 'Alice\'s desktop' });
    new CfnOutput(this, 'SampleNodeDesktopConnection', { value: JSON.stringify(aliceConnection.toJsonConnection(this.gateway.connectionPolicy)) });

  }
}
