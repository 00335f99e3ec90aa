import { Aws, Fn, Names, Stack, Tags, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as efs from 'aws-cdk-lib/aws-efs';
import { CfnAddon } from 'aws-cdk-lib/aws-eks';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as cdk8s from 'cdk8s';
import { Construct, DependencyGroup, IDependable } from 'constructs';
import { acknowledgeAwsSolutions, acknowledgeControlTower } from '../common/acknowledge';
import { limitGrantsToAwsServices } from '../common/kms-policy';
import { createServiceAccountRole } from '../common/eks-cluster';
import { claimUnique } from '../common/uniqueness';
import {
  checkProps, isArrayOf, isBoolean, isConstruct, isEnumMember, isInstanceOf, isNumber, isShape, isString, PropCheck, required,
  validateDns1123Label, validateInteger, validateKubernetesVersion, validateNonEmpty,
} from '../common/validate';
import { reportsConstructPath, ValidationError } from '../common/validation-error';
import { DEFAULT_KUBERNETES_VERSION, EKS_ADDON_VERSIONS } from '../common/versions';
import { Karpenter, KarpenterOptions } from '../karpenter/karpenter';
import { validateIpv4Cidr } from '../common/cidr';
import { BUNDLED_KUBECTL_VERSIONS, bundledKubectlLayer } from './private/kubectl-layer';
import { StorageClassesChart } from './storage-classes-chart';
import { KARPENTER_DISCOVERY_TAG } from './windows-cluster-support';
import { WindowsManagedNodeGroup, WindowsManagedNodeGroupOptions } from './windows-managed-node-group';
import { addWarning } from '../common/warnings';

/** Namespace of the Karpenter controller (on Fargate). */
const KARPENTER_NAMESPACE = 'karpenter';
/** Namespace of CoreDNS, the load balancer controller and the CSI controllers (on Fargate). */
const KUBE_SYSTEM_NAMESPACE = 'kube-system';
/** EKS quota: Fargate profiles per cluster. Two are taken by karpenter and kube-system. */
const MAX_FARGATE_PROFILES = 10;
/** EKS rule for cluster names (AWS::EKS::Cluster `Name`). */
const CLUSTER_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
/** EKS add-on build versions look like `v1.21.1-eksbuild.1`. */
const ADDON_VERSION = /^v\d+\.\d+\.\d+-eksbuild\.\d+$/;

/**
 * EKS managed add-on versions, one optional field per add-on the `DesktopCluster` installs.
 * Look versions up with `aws eks describe-addon-versions --kubernetes-version <v> --addon-name <name>`.
 */
export interface EksAddonVersions {
  /**
   * `vpc-cni` version.
   * @default - `EKS_ADDON_VERSIONS.vpcCni` on the default Kubernetes version, else EKS's default
   */
  readonly vpcCni?: string;
  /**
   * `coredns` version.
   * @default - `EKS_ADDON_VERSIONS.coreDns` on the default Kubernetes version, else EKS's default
   */
  readonly coreDns?: string;
  /**
   * `kube-proxy` version.
   * @default - `EKS_ADDON_VERSIONS.kubeProxy` on the default Kubernetes version, else EKS's default
   */
  readonly kubeProxy?: string;
  /**
   * `eks-pod-identity-agent` version.
   * @default - `EKS_ADDON_VERSIONS.podIdentityAgent` on the default Kubernetes version, else EKS's default
   */
  readonly podIdentityAgent?: string;
  /**
   * `aws-ebs-csi-driver` version.
   * @default - `EKS_ADDON_VERSIONS.ebsCsi` on the default Kubernetes version, else EKS's default
   */
  readonly ebsCsi?: string;
  /**
   * `aws-efs-csi-driver` version (only with `efsCsi`).
   * @default - `EKS_ADDON_VERSIONS.efsCsi` on the default Kubernetes version, else EKS's default
   */
  readonly efsCsi?: string;
  /**
   * `aws-mountpoint-s3-csi-driver` version (only with `mountpointS3Csi`).
   * @default - `EKS_ADDON_VERSIONS.mountpointS3Csi` on the default Kubernetes version, else EKS's default
   */
  readonly mountpointS3Csi?: string;
}

/**
 * Options of the Mountpoint for Amazon S3 CSI driver.
 *
 * The driver mounts buckets on Linux nodes only (no Windows support) and provisions statically:
 * each volume is a PersistentVolume naming its bucket, with `storageClassName: ""`.
 */
export interface MountpointS3CsiOptions {
  /** Buckets the driver may read and write (and no others). */
  readonly buckets: s3.IBucket[];
}

/**
 * Properties of {@link DesktopCluster}.
 */
export interface DesktopClusterProps {
  /**
   * VPC of the cluster. It needs private subnets with egress (NAT or equivalent) in at least two
   * zones: nodes, Fargate pods, the control plane ENIs and the kubectl handler all run there.
   * Its private subnets are tagged `karpenter.sh/discovery=<clusterName>` and
   * `kubernetes.io/role/internal-elb=1`, its public subnets `kubernetes.io/role/elb=1` (only
   * subnets defined in this CDK app can be tagged; imported ones get a warning).
   * @default - a new VPC (10.0.0.0/16) over three zones with public /24 and private /18 subnets,
   *   NAT gateways and flow logs to CloudWatch Logs
   */
  readonly vpc?: ec2.IVpc;

  /**
   * Zones of the new VPC (ignored with `vpc`; at least two). EKS rejects a few zones for the
   * control plane (e.g. `use1-az3`): pin the zones when the default picks one of them.
   * @default - the first three zones of the region, resolved at deploy time (no lookup)
   */
  readonly availabilityZones?: string[];

  /**
   * NAT gateways of the new VPC (only without `vpc`; from 1 to the number of zones). One per
   * zone keeps each zone's egress (image pulls, AWS APIs) independent of the others; a single
   * gateway costs less (about a third) but every zone loses egress when its zone fails.
   * @default - one per zone (3)
   */
  readonly natGateways?: number;

  /**
   * Name of the EKS cluster: 1 to 100 letters, digits, `-` and `_`, starting with a letter or
   * digit. The Karpenter subnet discovery tag carries it, so it is fixed at synth time.
   * @default - a name derived from the stack name and construct path (unique per stack)
   */
  readonly clusterName?: string;

  /**
   * Kubernetes version.
   * @default - `DEFAULT_KUBERNETES_VERSION` (1.35)
   */
  readonly kubernetesVersion?: eks.KubernetesVersion;

  /**
   * Lambda layer with `kubectl` and `helm` for the cluster's kubectl handler, which applies every
   * manifest and Helm chart. Required for versions without a bundled layer.
   * @default - `KubectlV35Layer` for 1.35, `KubectlV34Layer` for 1.34
   */
  readonly kubectlLayer?: lambda.ILayerVersion;

  /**
   * IPv4 CIDR blocks allowed to reach a public API endpoint. A non-empty list turns the endpoint
   * to public-and-private; nodes and pods keep using the private endpoint. An empty list keeps it
   * private (it never means "open to all": list `0.0.0.0/0` for that, which is warned about).
   * @default - private endpoint only: reach the API from inside the VPC (VPN, bastion, CI runner)
   * @see https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html
   */
  readonly publicEndpointCidrs?: string[];

  /**
   * Control plane log types sent to CloudWatch Logs.
   * @default - all five: api, audit, authenticator, controllerManager, scheduler
   */
  readonly clusterLogging?: eks.ClusterLoggingTypes[];

  /**
   * KMS key for envelope encryption of Kubernetes secrets.
   * @default - a new key with yearly rotation
   */
  readonly secretsEncryptionKey?: kms.IKey;

  /**
   * IAM roles granted `AmazonEKSClusterAdminPolicy` through EKS access entries. Besides these,
   * the principal that deploys the stack (the CloudFormation execution role) is cluster admin
   * (`bootstrapClusterCreatorAdminPermissions`), so more access can be granted by a later deploy.
   * @default - none
   */
  readonly adminRoles?: iam.IRole[];

  /**
   * More namespaces whose pods run on Fargate (one Fargate profile each, at most 8), e.g. the
   * gateway's. `karpenter` and `kube-system` always do.
   * @default - none
   */
  readonly systemNamespaces?: string[];

  /**
   * EKS managed add-on versions, overriding the pins of `EKS_ADDON_VERSIONS`.
   * @default - the pins for the default Kubernetes version; for other versions, EKS's default
   */
  readonly addonVersions?: EksAddonVersions;

  /**
   * Install the AWS Load Balancer Controller (v2.x chart for controller v3.2.2, the newest that
   * aws-cdk-lib's `aws-eks-v2` has built in). It runs on Fargate in `kube-system`.
   * @default true
   */
  readonly albController?: boolean;

  /**
   * Install the EFS CSI driver with an encrypted EFS file system and an `efs` StorageClass.
   * EFS volumes serve Linux pods only: the EFS CSI driver does not support Windows.
   * @default false
   */
  readonly efsCsi?: boolean;

  /**
   * Install the Mountpoint for Amazon S3 CSI driver for these buckets (Linux pods only).
   * @default - not installed
   */
  readonly mountpointS3Csi?: MountpointS3CsiOptions;

  /**
   * KMS key that encrypts the EBS volumes of the default StorageClass; the EBS CSI controller
   * is granted what it needs on it.
   * @default - the account's AWS managed `aws/ebs` key
   */
  readonly volumeEncryptionKey?: kms.IKey;

  /**
   * A Windows managed node group, for teams that do not run Karpenter.
   * @default - none (Karpenter provides the Windows nodes)
   */
  readonly windowsManagedNodeGroup?: WindowsManagedNodeGroupOptions;
}

/**
 * An EKS cluster ready for Windows desktops: private nodes, system pods on Fargate, Windows
 * support switched on, and Karpenter's prerequisites in place.
 *
 * - Network: private API endpoint by default, nodes in private subnets tagged for Karpenter
 *   discovery, VPC flow logs.
 * - Compute: no Auto Mode (it has no Windows support) and no default node group. Fargate runs
 *   the `karpenter` and `kube-system` namespaces (CoreDNS, the load balancer controller, the CSI
 *   controllers); Karpenter, wired later, or a Windows managed node group runs the rest.
 * - Windows: VPC CNI Windows IPAM, `AmazonEKSVPCResourceController` on the cluster role, the EBS
 *   CSI node DaemonSet for Windows.
 * - Security: secrets envelope encryption, all control plane logs, IRSA for the CSI controllers
 *   (Pod Identity does not work on Fargate), encrypted default StorageClass.
 *
 * Karpenter can be installed once {@link systemReady} is: CoreDNS must run before it.
 */
@reportsConstructPath
export class DesktopCluster extends Construct {
  /** The EKS cluster. */
  public readonly cluster: eks.Cluster;
  /** The cluster's VPC. */
  public readonly vpc: ec2.IVpc;
  /** Name of the EKS cluster (a plain string known at synth time). */
  public readonly clusterName: string;
  /** Kubernetes version, e.g. "1.35". */
  public readonly kubernetesVersion: string;
  /** Key that encrypts Kubernetes secrets. */
  public readonly secretsEncryptionKey: kms.IKey;
  /** Fargate profiles: `karpenter`, `kube-system`, then one per system namespace. */
  public readonly fargateProfiles: eks.FargateProfile[];
  /** Namespace in which Karpenter must be installed (it has a Fargate profile). */
  public readonly karpenterNamespace: string;
  /** The `vpc-cni` add-on (Windows IPAM on): Windows nodes must come after it. */
  public readonly vpcCni: CfnAddon;
  /** The `coredns` add-on, running on Fargate. */
  public readonly coreDns: CfnAddon;
  /** The `aws-ebs-csi-driver` add-on. */
  public readonly ebsCsiDriver: CfnAddon;
  /** Name of the default (EBS gp3, encrypted) StorageClass. */
  public readonly storageClassName: string;
  /** Name of the EFS StorageClass, with `efsCsi`. */
  public readonly efsStorageClassName?: string;
  /** The EFS file system, with `efsCsi`. */
  public readonly efsFileSystem?: efs.FileSystem;
  /** The Windows managed node group, with `windowsManagedNodeGroup`. */
  public readonly windowsNodeGroup?: WindowsManagedNodeGroup;
  /** Done when CoreDNS runs and the Karpenter Fargate profile exists: install Karpenter after it. */
  public readonly systemReady: IDependable;

  constructor(scope: Construct, id: string, props: DesktopClusterProps = {}) {
    super(scope, id);
    checkProps('DesktopCluster', props, DESKTOP_CLUSTER_PROP_TYPES);
    if (props.kubernetesVersion !== undefined) validateKubernetesVersion('DesktopCluster.kubernetesVersion', props.kubernetesVersion.version);

    // ---- defaults -------------------------------------------------------------------------
    const kubernetesVersion = props.kubernetesVersion ?? eks.KubernetesVersion.of(DEFAULT_KUBERNETES_VERSION);
    const version = kubernetesVersion.version;
    const clusterName = props.clusterName
      ?? Names.uniqueResourceName(this, { maxLength: 100, separator: '-', allowedSpecialCharacters: '-_' });
    const availabilityZones = props.availabilityZones ?? [0, 1, 2].map((i) => Fn.select(i, Fn.getAzs()));
    const natGateways = props.natGateways ?? availabilityZones.length;
    const clusterLogging = props.clusterLogging ?? [
      eks.ClusterLoggingTypes.API,
      eks.ClusterLoggingTypes.AUDIT,
      eks.ClusterLoggingTypes.AUTHENTICATOR,
      eks.ClusterLoggingTypes.CONTROLLER_MANAGER,
      eks.ClusterLoggingTypes.SCHEDULER,
    ];
    const publicEndpointCidrs = props.publicEndpointCidrs ?? [];
    const systemNamespaces = props.systemNamespaces ?? [];
    const adminRoles = props.adminRoles ?? [];
    const albController = props.albController ?? true;
    const efsCsi = props.efsCsi ?? false;
    // The pins were checked for the default Kubernetes version only (kube-proxy and CoreDNS
    // follow the Kubernetes minor version); elsewhere EKS picks its default for the cluster.
    const pinned = version === DEFAULT_KUBERNETES_VERSION;
    const addonVersion = (key: keyof EksAddonVersions): string | undefined =>
      props.addonVersions?.[key] ?? (pinned ? EKS_ADDON_VERSIONS[key] : undefined);

    // ---- validation -----------------------------------------------------------------------
    if (!Token.isUnresolved(clusterName) && (clusterName.length > 100 || !CLUSTER_NAME.test(clusterName))) {
      throw new ValidationError('DesktopCluster.clusterName', `"${clusterName}" is not a valid EKS cluster name; use 1 to 100 letters, digits, '-' and '_', starting with a letter or digit.`);
    }
    if (props.kubectlLayer === undefined && !BUNDLED_KUBECTL_VERSIONS.includes(version)) {
      throw new ValidationError('DesktopCluster.kubectlLayer', `no kubectl layer is bundled for Kubernetes ${version} (bundled: ${BUNDLED_KUBECTL_VERSIONS.join(', ')}); pass \`kubectlLayer\`, e.g. a KubectlV${version.split('.')[1]}Layer from @aws-cdk/lambda-layer-kubectl-v${version.split('.')[1]}.`);
    }
    if (props.vpc !== undefined) {
      if (props.natGateways !== undefined) {
        throw new ValidationError('DesktopCluster.natGateways', 'only applies to the VPC this construct creates; configure NAT on the VPC passed as `vpc` instead, or drop `natGateways`.');
      }
      if (props.availabilityZones !== undefined) {
        throw new ValidationError('DesktopCluster.availabilityZones', 'only applies to the VPC this construct creates; drop `availabilityZones` when passing `vpc`.');
      }
    } else {
      if (availabilityZones.length < 2) {
        throw new ValidationError('DesktopCluster.availabilityZones', `got ${availabilityZones.length} zone(s); EKS needs subnets in at least two zones, list two or more.`);
      }
      // Private subnets with egress need at least one NAT gateway; more than one per zone is waste.
      validateInteger('DesktopCluster.natGateways', natGateways, 1, availabilityZones.length);
    }
    if (publicEndpointCidrs.length > 0) {
      publicEndpointCidrs.forEach((cidr, i) => validateIpv4Cidr(`DesktopCluster.publicEndpointCidrs[${i}]`, cidr));
      if (publicEndpointCidrs.includes('0.0.0.0/0')) {
        addWarning(this, 'publicEndpointFromAnywhere',
          'publicEndpointCidrs contains 0.0.0.0/0: the Kubernetes API endpoint is reachable from the whole internet. List your own CIDR blocks instead.');
      }
    }
    const seen = new Set<string>([KARPENTER_NAMESPACE, KUBE_SYSTEM_NAMESPACE]);
    systemNamespaces.forEach((namespace, i) => {
      const prop = `DesktopCluster.systemNamespaces[${i}]`;
      validateDns1123Label(prop, namespace);
      if (seen.has(namespace)) {
        const why = namespace === KARPENTER_NAMESPACE || namespace === KUBE_SYSTEM_NAMESPACE ? 'always has a Fargate profile' : 'is listed twice';
        throw new ValidationError(prop, `"${namespace}" ${why}; remove it from systemNamespaces.`);
      }
      seen.add(namespace);
    });
    if (seen.size > MAX_FARGATE_PROFILES) {
      throw new ValidationError('DesktopCluster.systemNamespaces', `${systemNamespaces.length} namespaces need ${seen.size} Fargate profiles, over the EKS quota of ${MAX_FARGATE_PROFILES}; list at most ${MAX_FARGATE_PROFILES - 2}.`);
    }
    for (const [key, value] of Object.entries(props.addonVersions ?? {})) {
      if (typeof value === 'string' && !Token.isUnresolved(value) && !ADDON_VERSION.test(value)) {
        throw new ValidationError(`DesktopCluster.addonVersions.${key}`, `"${value}" is not an EKS add-on version; use the form "v1.2.3-eksbuild.1" (see aws eks describe-addon-versions).`);
      }
    }
    const installed: Array<keyof EksAddonVersions> = ['vpcCni', 'kubeProxy', 'podIdentityAgent', 'coreDns', 'ebsCsi',
      ...(efsCsi ? ['efsCsi' as const] : []), ...(props.mountpointS3Csi !== undefined ? ['mountpointS3Csi' as const] : [])];
    const unpinned = installed.filter((key) => addonVersion(key) === undefined);
    if (unpinned.length > 0) {
      addWarning(this, 'unpinnedAddons',
        `EKS add-on versions are pinned for Kubernetes ${DEFAULT_KUBERNETES_VERSION} only; on ${version}, ${unpinned.join(', ')} get EKS's default version, which can change between deployments. Set them in addonVersions.`);
    }
    if (props.mountpointS3Csi !== undefined) {
      validateNonEmpty('DesktopCluster.mountpointS3Csi.buckets', props.mountpointS3Csi.buckets, 'list the buckets the driver may mount, or omit mountpointS3Csi.');
    }

    // ---- network --------------------------------------------------------------------------
    this.vpc = props.vpc ?? new ec2.Vpc(this, 'Vpc', {
      availabilityZones,
      natGateways,
      subnetConfiguration: [
        // Public subnets hold only NAT gateways (Elastic IPs) and the gateway's ALB: nothing
        // launched there gets a public address by itself.
        { name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
        // Pods take VPC addresses (VPC CNI, Windows IPAM included): give the private side room.
        { name: 'Private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 18 },
      ],
      flowLogs: {
        FlowLogs: { destination: ec2.FlowLogDestination.toCloudWatchLogs(this.createFlowLogGroup()), trafficType: ec2.FlowLogTrafficType.ALL },
      },
    });
    this.tagSubnets(this.vpc.privateSubnets, 'private', { [KARPENTER_DISCOVERY_TAG]: clusterName, 'kubernetes.io/role/internal-elb': '1' });
    this.tagSubnets(this.vpc.publicSubnets, 'public', { 'kubernetes.io/role/elb': '1' });

    // ---- cluster --------------------------------------------------------------------------
    this.secretsEncryptionKey = props.secretsEncryptionKey ?? new kms.Key(this, 'SecretsKey', {
      description: `Envelope encryption of Kubernetes secrets in EKS cluster ${clusterName}`,
      enableKeyRotation: true,
    });
    if (this.secretsEncryptionKey instanceof kms.Key && props.secretsEncryptionKey === undefined) limitGrantsToAwsServices(this.secretsEncryptionKey);
    const kubectlLayer = props.kubectlLayer ?? bundledKubectlLayer(this, 'KubectlLayer', version)!;
    // `onlyFrom()` with no CIDR blocks would mean open to all: an empty list stays private.
    const endpointAccess = publicEndpointCidrs.length > 0
      ? eks.EndpointAccess.PUBLIC_AND_PRIVATE.onlyFrom(...publicEndpointCidrs)
      : eks.EndpointAccess.PRIVATE;

    this.cluster = new eks.Cluster(this, 'Resource', {
      clusterName,
      version: kubernetesVersion,
      vpc: this.vpc,
      // Control plane ENIs in the private subnets only.
      vpcSubnets: [{ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }],
      endpointAccess,
      // Auto Mode runs no Windows nodes; Fargate and Karpenter carry the load instead.
      defaultCapacityType: eks.DefaultCapacityType.NODEGROUP,
      defaultCapacity: 0,
      // The managed add-ons below are the only copies: nothing self-managed to conflict with.
      bootstrapSelfManagedAddons: false,
      clusterLogging,
      secretsEncryptionKey: this.secretsEncryptionKey,
      kubectlProviderOptions: { kubectlLayer },
      albController: albController ? { version: eks.AlbControllerVersion.V3_2_2 } : undefined,
    });
    // Windows pods get their IP addresses from the VPC resource controller in the control plane.
    this.cluster.role.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonEKSVPCResourceController'));

    adminRoles.forEach((role, i) => {
      this.cluster.grantAccess(`AdminRole${i}`, role.roleArn, [
        eks.AccessPolicy.fromAccessPolicyName('AmazonEKSClusterAdminPolicy', { accessScopeType: eks.AccessScopeType.CLUSTER }),
      ]);
    });

    // ---- Fargate ----------------------------------------------------------------------------
    // Profiles are created one after another (aws-eks-v2 chains them); pods on Fargate land in
    // the private subnets.
    const profile = (namespace: string) => this.cluster.addFargateProfile(namespace, {
      fargateProfileName: namespace,
      selectors: [{ namespace }],
      vpc: this.vpc,
      subnetSelection: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
    });
    const karpenterProfile = profile(KARPENTER_NAMESPACE);
    const kubeSystemProfile = profile(KUBE_SYSTEM_NAMESPACE);
    const fargateProfiles = [karpenterProfile, kubeSystemProfile, ...systemNamespaces.map(profile)];

    // ---- EKS managed add-ons ----------------------------------------------------------------
    // Windows nodes need the VPC CNI's Windows IPAM (a string "true", as the add-on schema wants).
    claimUnique(this.cluster, 'EKS add-on', 'vpc-cni', this, 'DesktopCluster', VPC_CNI_FIX);
    // Its network policy agent enforces the per-user namespaces' NetworkPolicies (without it
    // they are accepted and ignored).
    this.vpcCni = this.addAddon('VpcCni', 'vpc-cni', addonVersion('vpcCni'), { enableWindowsIpam: 'true', enableNetworkPolicy: 'true' });
    this.addAddon('KubeProxy', 'kube-proxy', addonVersion('kubeProxy'));
    // The cluster creates this add-on lazily (and would again if someone asked for it): use its
    // copy and pin it, rather than adding a second add-on of the same name.
    const podIdentityAgent = this.cluster.eksPodIdentityAgent!.node.defaultChild as CfnAddon;
    podIdentityAgent.addonVersion = addonVersion('podIdentityAgent');
    podIdentityAgent.resolveConflicts = 'OVERWRITE';
    // CoreDNS on Fargate through the add-on's own setting: a compute-type patch would be undone
    // by the add-on manager.
    this.coreDns = this.addAddon('CoreDns', 'coredns', addonVersion('coreDns'), { computeType: 'Fargate' });

    // The EBS CSI controller runs on Fargate, where only IRSA provides AWS credentials.
    const ebsCsiRole = createServiceAccountRole(this, 'EbsCsiControllerRole', this.cluster, KUBE_SYSTEM_NAMESPACE, 'ebs-csi-controller-sa');
    ebsCsiRole.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonEBSCSIDriverPolicy'));
    if (props.volumeEncryptionKey !== undefined) grantEbsVolumeKey(ebsCsiRole, props.volumeEncryptionKey);
    // `node.enableWindows` adds the node DaemonSet for Windows, off by default: Windows pods
    // cannot mount EBS volumes without it.
    this.ebsCsiDriver = this.addAddon('EbsCsiDriver', 'aws-ebs-csi-driver', addonVersion('ebsCsi'), { node: { enableWindows: true } }, ebsCsiRole);

    let efsCsiDriver: CfnAddon | undefined;
    if (efsCsi) {
      const efsSecurityGroup = new ec2.SecurityGroup(this, 'EfsSecurityGroup', {
        vpc: this.vpc,
        description: `EFS mount targets of EKS cluster ${clusterName}: NFS from the cluster security group only`,
        allowAllOutbound: false,
      });
      efsSecurityGroup.addIngressRule(ec2.Peer.securityGroupId(this.cluster.clusterSecurityGroupId), ec2.Port.tcp(2049), 'NFS from the EKS cluster security group');
      this.efsFileSystem = new efs.FileSystem(this, 'FileSystem', {
        vpc: this.vpc,
        vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
        securityGroup: efsSecurityGroup,
        encrypted: true,
        // The CSI driver mounts without IAM authorization (over TLS, through one access point
        // per volume); a policy denying anonymous clients would make every mount fail. The
        // security group limits who can reach the mount targets.
        allowAnonymousAccess: true,
        // Recordings are evidence: AWS Backup's default plan covers the file system.
        enableAutomaticBackups: true,
      });
      // Only the controller calls the EFS API (access points). The node DaemonSet needs AWS
      // credentials only for the `iam` mount option, which the `efs` StorageClass does not use.
      const efsCsiRole = createServiceAccountRole(this, 'EfsCsiControllerRole', this.cluster, KUBE_SYSTEM_NAMESPACE, 'efs-csi-controller-sa');
      efsCsiRole.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonEFSCSIDriverPolicy'));
      // Fargate refuses privileged containers; the controller needs privilege only to delete
      // access point root directories, which stays off (kubernetes-sigs/aws-efs-csi-driver#1100).
      efsCsiDriver = this.addAddon('EfsCsiDriver', 'aws-efs-csi-driver', addonVersion('efsCsi'),
        { controller: { containerSecurityContext: { privileged: false } } }, efsCsiRole);
    }

    if (props.mountpointS3Csi !== undefined) {
      const s3CsiRole = createServiceAccountRole(this, 'MountpointS3CsiRole', this.cluster, KUBE_SYSTEM_NAMESPACE, 's3-csi-driver-sa');
      grantMountpointBuckets(s3CsiRole, props.mountpointS3Csi.buckets);
      this.addAddon('MountpointS3CsiDriver', 'aws-mountpoint-s3-csi-driver', addonVersion('mountpointS3Csi'), undefined, s3CsiRole);
    }

    // ---- storage classes --------------------------------------------------------------------
    const storageClasses = new StorageClassesChart(new cdk8s.App(), 'StorageClasses', {
      ebsKmsKeyId: props.volumeEncryptionKey?.keyArn,
      efsFileSystemId: this.efsFileSystem?.fileSystemId,
    });
    const storageClassesManifest = this.cluster.addCdk8sChart('StorageClasses', storageClasses);

    // ---- Windows managed node group ---------------------------------------------------------
    if (props.windowsManagedNodeGroup !== undefined) {
      this.windowsNodeGroup = new WindowsManagedNodeGroup(this, 'WindowsNodeGroup', {
        ...props.windowsManagedNodeGroup,
        cluster: this.cluster,
        kubernetesVersion: version,
      });
    }

    // ---- attributes -------------------------------------------------------------------------
    this.clusterName = clusterName;
    this.kubernetesVersion = version;
    this.fargateProfiles = fargateProfiles;
    this.karpenterNamespace = KARPENTER_NAMESPACE;
    this.storageClassName = storageClasses.ebsStorageClassName;
    this.efsStorageClassName = storageClasses.efsStorageClassName;
    this.systemReady = new DependencyGroup(this.coreDns, karpenterProfile);

    // ---- dependencies -----------------------------------------------------------------------
    // Pods of these add-ons run on Fargate in kube-system: their profile must exist first, or
    // the add-on reports itself degraded.
    this.coreDns.node.addDependency(kubeSystemProfile);
    this.ebsCsiDriver.node.addDependency(kubeSystemProfile);
    efsCsiDriver?.node.addDependency(kubeSystemProfile);
    // The controller resolves AWS API names through CoreDNS.
    this.cluster.albController?.node.addDependency(this.coreDns);
    storageClassesManifest.node.addDependency(this.ebsCsiDriver);
    if (efsCsiDriver !== undefined) storageClassesManifest.node.addDependency(efsCsiDriver);
    // Windows nodes must find Windows IPAM switched on when they join.
    this.windowsNodeGroup?.node.addDependency(this.vpcCni);

    const reasons = {
      'AwsSolutions-IAM4': 'EKS documents AWS-managed policies for the cluster role (AmazonEKSClusterPolicy, AmazonEKSVPCResourceController for Windows IPAM), Fargate pod execution, worker nodes and the EBS/EFS CSI controllers; the kubectl handler uses the Lambda basic/VPC execution policies. AWS keeps them in step with the services.',
      'AwsSolutions-IAM5': 'The AWS Load Balancer Controller policy is upstream\'s (load balancers and target groups are named at run time and scoped by tags); the kubectl handler may invoke only its own function versions.',
      'AwsSolutions-L1': 'The kubectl handler and its provider framework are aws-cdk-lib\'s; their runtime moves with aws-cdk-lib, not with this library.',
    };
    acknowledgeAwsSolutions(this, reasons);
    this.acknowledgeLambdaPlacement();
    // aws-cdk-lib creates the ALB controller at stack level, outside this construct.
    if (this.cluster.albController) acknowledgeAwsSolutions(this.cluster.albController, reasons);
  }

  /**
   * AWS Control Tower CT.LAMBDA.PR.3 wants every function in a VPC. The kubectl handler is in
   * the cluster's private subnets with the cluster security group, which the rule cannot
   * recognize (a `Fn::GetAtt` of the cluster, not a security group of the template); the
   * singleton providers aws-cdk-lib adds at stack level only call AWS APIs.
   */
  private acknowledgeLambdaPlacement(): void {
    const kubectlProvider = this.cluster.node.tryFindChild('KubectlProvider');
    if (kubectlProvider !== undefined) {
      acknowledgeControlTower(kubectlProvider, {
        lambda_inside_vpc_check: 'The kubectl handler runs in the cluster\'s private subnets with the EKS cluster security group (a Fn::GetAtt of the cluster, which the rule does not recognize as a security group).',
      });
    }
    const stack = Stack.of(this);
    const restrictDefaultSg = stack.node.tryFindChild('Custom::VpcRestrictDefaultSGCustomResourceProvider');
    if (restrictDefaultSg !== undefined) {
      acknowledgeControlTower(restrictDefaultSg, {
        lambda_inside_vpc_check: 'aws-cdk-lib\'s provider that removes the default security group\'s rules calls only the EC2 API, during deployment.',
      });
    }
  }

  /**
   * The VPC flow logs' log group, encrypted with a key of its own (AWS Control Tower
   * CT.CLOUDWATCH.PR.3): flow logs show who talks to which desktop.
   */
  private createFlowLogGroup(): logs.LogGroup {
    const key = new kms.Key(this, 'FlowLogsKey', {
      description: 'Encryption of the desktop VPC flow logs',
      enableKeyRotation: true,
    });
    // CloudWatch Logs encrypts with the key on behalf of this account's log groups only.
    key.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'AllowCloudWatchLogs',
      principals: [new iam.ServicePrincipal(`logs.${Aws.REGION}.amazonaws.com`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      conditions: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:*` } },
    }));
    limitGrantsToAwsServices(key);
    const logGroup = new logs.LogGroup(this, 'FlowLogsLogGroup', { encryptionKey: key });
    // The key policy must exist before the log group asks to use the key.
    logGroup.node.addDependency(key);
    return logGroup;
  }

  /**
   * Installs Karpenter into this cluster's Fargate-backed `karpenter` namespace.
   *
   * The controller is installed once CoreDNS runs (it resolves AWS endpoints through it) and
   * the `karpenter` Fargate profile exists, and after the VPC CNI add-on has switched Windows
   * IPAM on, so that no node it launches joins a cluster unready for it.
   *
   * @param id  construct id of the Karpenter installation (a child of this construct)
   * @param options  Karpenter settings; `namespace` must stay the Fargate-profiled `karpenter`
   */
  public addKarpenter(id: string, options: KarpenterOptions = {}): Karpenter {
    if (options.namespace !== undefined && options.namespace !== this.karpenterNamespace) {
      throw new ValidationError(`addKarpenter(${id}).namespace`, `"${options.namespace}" has no Fargate profile; leave it unset (it defaults to "${this.karpenterNamespace}") or install Karpenter with \`new Karpenter(...)\` and your own Fargate profile.`, this);
    }
    const karpenter = new Karpenter(this, id, {
      ...options,
      cluster: this.cluster,
      kubernetesVersion: this.kubernetesVersion,
      namespace: this.karpenterNamespace,
    });
    karpenter.controller.node.addDependency(this.systemReady, this.vpcCni);
    return karpenter;
  }

  /** Adds an EKS managed add-on; `OVERWRITE` lets the add-on win over edits made in the cluster. */
  private addAddon(id: string, addonName: string, addonVersion: string | undefined,
    configuration?: Record<string, unknown>, serviceAccountRole?: iam.IRole): CfnAddon {
    return new CfnAddon(this, id, {
      clusterName: this.cluster.clusterName,
      addonName,
      addonVersion,
      resolveConflicts: 'OVERWRITE',
      configurationValues: configuration !== undefined ? JSON.stringify(configuration) : undefined,
      serviceAccountRoleArn: serviceAccountRole?.roleArn,
    });
  }

  /** Tags subnets defined in this app; warns about imported ones, which cannot be tagged. */
  private tagSubnets(subnets: ec2.ISubnet[], kind: string, tags: Record<string, string>): void {
    const untagged: string[] = [];
    for (const subnet of subnets) {
      if (ec2.Subnet.isVpcSubnet(subnet)) {
        for (const [key, value] of Object.entries(tags)) Tags.of(subnet).add(key, value);
      } else {
        untagged.push(Token.isUnresolved(subnet.subnetId) ? '(unknown id)' : subnet.subnetId);
      }
    }
    if (untagged.length > 0) {
      addWarning(this, `untagged${kind === 'private' ? 'Private' : 'Public'}Subnets`,
        `Cannot tag imported ${kind} subnets ${untagged.join(', ')}: add the tags ${Object.entries(tags).map(([k, v]) => `${k}=${v}`).join(', ')} to them yourself (Karpenter and load balancers find subnets by them).`);
    }
  }
}

/** How to fix a second `vpc-cni` add-on on one cluster (shared with WindowsClusterSupport). */
export const VPC_CNI_FIX = 'A cluster holds one add-on of a name: a DesktopCluster already installs vpc-cni with Windows IPAM on, so give WindowsClusterSupport manageVpcCni: false (or leave WindowsClusterSupport out: DesktopCluster does all it does).';

const ROLE: PropCheck = isConstruct('an IAM role (iam.IRole)');
const ADDON_VERSION_TYPE = isString("'v1.21.1-eksbuild.1'");

/** Runtime types of `DesktopClusterProps` (values from cdk.json arrive as anything). */
const DESKTOP_CLUSTER_PROP_TYPES: Record<string, PropCheck> = {
  vpc: isConstruct('an ec2.IVpc, e.g. ec2.Vpc.fromLookup(...) or new ec2.Vpc(...)'),
  availabilityZones: isArrayOf(isString("'us-east-1a'"), "['us-east-1a', 'us-east-1b', 'us-east-1c']"),
  natGateways: isNumber('3'),
  clusterName: isString("'desktops'"),
  kubernetesVersion: isInstanceOf(eks.KubernetesVersion, "eks.KubernetesVersion.of('1.35') (aws-eks-v2)"),
  kubectlLayer: isConstruct('a lambda.ILayerVersion, e.g. new KubectlV35Layer(this, \'Kubectl\')'),
  publicEndpointCidrs: isArrayOf(isString("'203.0.113.0/24'"), "['203.0.113.0/24']"),
  clusterLogging: isArrayOf(isEnumMember(eks.ClusterLoggingTypes as unknown as Record<string, string>, 'eks.ClusterLoggingTypes'), '[eks.ClusterLoggingTypes.AUDIT]'),
  secretsEncryptionKey: isConstruct('a kms.IKey'),
  adminRoles: isArrayOf(ROLE, "[iam.Role.fromRoleName(this, 'Admin', 'Admin')]"),
  systemNamespaces: isArrayOf(isString("'guacamole'"), "['guacamole']"),
  addonVersions: isShape({
    vpcCni: ADDON_VERSION_TYPE, coreDns: ADDON_VERSION_TYPE, kubeProxy: ADDON_VERSION_TYPE, podIdentityAgent: ADDON_VERSION_TYPE,
    ebsCsi: ADDON_VERSION_TYPE, efsCsi: ADDON_VERSION_TYPE, mountpointS3Csi: ADDON_VERSION_TYPE,
  }, "{ vpcCni: 'v1.21.1-eksbuild.1' }"),
  albController: isBoolean(),
  efsCsi: isBoolean(),
  mountpointS3Csi: isShape({ buckets: required(isArrayOf(isConstruct('an s3.IBucket'), '[bucket]')) }, '{ buckets: [bucket] }'),
  volumeEncryptionKey: isConstruct('a kms.IKey'),
  windowsManagedNodeGroup: isShape({}, "{ windowsVersion: '2022' }"),
};

/** What the EBS CSI controller needs to create and attach volumes encrypted with `key`. */
function grantEbsVolumeKey(role: iam.IRole, key: kms.IKey): void {
  key.grantEncryptDecrypt(role);
  key.grant(role, 'kms:DescribeKey');
  // Grants let EC2 use the key for the volume on the controller's behalf, and nothing else.
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['kms:CreateGrant', 'kms:ListGrants', 'kms:RevokeGrant'],
    resources: [key.keyArn],
    conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
  }));
}

/** Mountpoint's documented permissions, limited to `buckets`. */
function grantMountpointBuckets(role: iam.IRole, buckets: s3.IBucket[]): void {
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['s3:ListBucket'],
    resources: buckets.map((b) => b.bucketArn),
  }));
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:DeleteObject'],
    resources: buckets.map((b) => b.arnForObjects('*')),
  }));
  for (const bucket of buckets) bucket.encryptionKey?.grantEncryptDecrypt(role);
}
