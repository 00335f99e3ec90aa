import { Annotations, Duration, Names, Size, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as cdk8s from 'cdk8s';
import { Construct } from 'constructs';
import { checkProps, describeValue, isArrayOf, isBoolean, isConstruct, isInstanceOf, isNumber, isShape, isString, required, validateDns1123Label, validateInteger, validateNonEmpty, wholeGibibytes } from '../common/validate';
import { reportsConstructPath, ValidationError } from '../common/validation-error';
import { IDesktopCertificateAuthority } from '../certificates/desktop-certificate-authority';
import { HOST_PROCESS_IMAGE, PAUSE_IMAGE } from '../common/versions';
import { RDP_PORT } from '../common/well-known';
import { GuacamoleGateway } from '../guacamole/guacamole-gateway';
import { RdpConnection, RdpConnectionProps } from '../guacamole/rdp-connection';
import { IKarpenter } from '../karpenter/karpenter-reference';
import { CapacityType, KarpenterDuration, SubnetSelectorTerm } from '../karpenter/node-pool-types';
import { renderKarpenterDuration, renderSubnetSelectorTerms, validateNodeClassTags } from '../karpenter/private/node-pool-validation';
import { WindowsVersion } from '../karpenter/windows-version';
import { NodeDesktopAmi } from './node-desktop-ami';
import { NodeDesktopDirectory } from './node-desktop-directory';
import { NodeDesktopIsolation, NodeDesktopIsolationMode } from './node-desktop-isolation';
import { userNodePoolName } from './node-desktop-node-pool';
import { NodeDesktopProfiles, NodeDesktopProfilesKind } from './node-desktop-profiles';
import { sessionName } from './node-desktop-session';
import { NodeDesktopSessionTemplate } from './node-desktop-session-template';
import { NodeDesktopUser } from './node-desktop-user';
import { validateCidr, validateInstanceTypes, validateUsers } from './private/validation';
import { NodeDesktopsChart } from './node-desktops-chart';
import { NodeDesktopUserPoolsChart } from './node-desktop-user-pools-chart';
import { SESSION_SCRIPT_ENV, SessionAccountKind } from './session-script';
import { claimUnique } from '../common/uniqueness';
import { POOL_OPTION_TYPES } from '../karpenter/private/pool-settings';

/** Windows Server releases offered as desktops (Full EKS-optimized AMIs, current support). */
const DESKTOP_WINDOWS_YEARS = ['2022', '2025'];
/** Longest pool name: per-user NodePool names (`<pool>-<user name>`) must keep the user's hash. */
const MAX_POOL_NAME = 30;
/** Users per per-user NodePool manifest (about 1.4 kB of JSON each: 40 keep an update request (old and new) near 110 kB). */
const USER_POOLS_PER_MANIFEST = 40;
/** Most warm desktop nodes (each is a running instance paid by the hour). */
const MAX_WARM_DESKTOPS = 50;

/** TCP and UDP ports a domain member needs towards its domain controllers. */
const DIRECTORY_PORTS: Array<[string, ec2.Port]> = [
  ['DNS', ec2.Port.tcp(53)], ['DNS', ec2.Port.udp(53)],
  ['Kerberos', ec2.Port.tcp(88)], ['Kerberos', ec2.Port.udp(88)],
  ['RPC endpoint mapper', ec2.Port.tcp(135)],
  ['LDAP', ec2.Port.tcp(389)], ['LDAP', ec2.Port.udp(389)],
  ['SMB (SYSVOL, Netlogon)', ec2.Port.tcp(445)],
  ['Kerberos password change', ec2.Port.tcp(464)], ['Kerberos password change', ec2.Port.udp(464)],
  ['LDAPS', ec2.Port.tcp(636)],
  ['Global catalog', ec2.Port.tcpRange(3268, 3269)],
  ['RPC dynamic ports', ec2.Port.tcpRange(49152, 65535)],
];

/** What desktop nodes may reach besides the cluster. */
export interface NodeDesktopEgress {
  /**
   * HTTPS and HTTP to any address (through the VPC's NAT gateways): the EKS, ECR and S3
   * endpoints the node needs unless the VPC has endpoints for them, the session and placeholder
   * images (`mcr.microsoft.com`, `registry.k8s.io`; mirror them to ECR with `hostProcessImage`
   * and `placeholderImage` when this is off), and the web for users.
   * @default true
   */
  readonly internet?: boolean;
  /**
   * CIDRs of the domain controllers (AD ports: DNS, Kerberos, LDAP, SMB, RPC).
   * @default - the directory's DNS server addresses when a directory is set, else none
   */
  readonly directoryCidrs?: string[];
  /**
   * CIDRs of SMB file servers (FSx for Windows File Server), TCP 445.
   * @default - none
   */
  readonly fileShareCidrs?: string[];
}

/** Props of {@link NodeDesktops}. */
export interface NodeDesktopsProps {
  /** The Karpenter installation that launches the desktop nodes. */
  readonly karpenter: IKarpenter;

  /** Per-user isolation of the nodes: a NodePool per user, or one shared pool. */
  readonly isolation: NodeDesktopIsolation;

  /**
   * The security group of the gateway's guacd pods (`GuacamoleGateway.podSecurityGroup`): the
   * only source allowed to reach RDP on desktop nodes.
   */
  readonly rdpClientSecurityGroup: ec2.ISecurityGroup;

  /**
   * The internal CA that issues each session a certificate for its Service's DNS names
   * (`nd-<user>.<namespace>.svc.cluster.local`), which the session makes the RDP listener's
   * certificate, so that guacd verifies the desktop strictly (`rdpConnectionFor()` then uses
   * `RdpCertificateValidation.verified()`). The gateway must trust the same CA
   * (`GuacamoleGateway.rdpCertificateAuthority`).
   *
   * Without one, desktops present Windows' self-signed certificate, which strict verification
   * refuses and which trust on first use cannot pin (each new node answers under the same
   * Service name with a new certificate): `rdpConnectionFor()` then needs an explicit
   * `certificateValidation`.
   * @default - the `rdpCertificateAuthority` of the gateway whose pod security group is
   * `rdpClientSecurityGroup`, if that gateway is in this app; otherwise none
   */
  readonly certificateAuthority?: IDesktopCertificateAuthority;

  /**
   * Windows Server release of the desktops (2022 or 2025; 2025 needs Karpenter ≥ 1.9 and
   * Kubernetes ≥ 1.35).
   * @default WindowsVersion.WINDOWS_2022
   */
  readonly windowsVersion?: WindowsVersion;

  /**
   * Name of the pool: name of its EC2NodeClass and shared NodePool, prefix of per-user
   * NodePools, value of the `desktop.io/node-desktop` taint (1 to 30 characters, DNS-1123 label).
   * @default 'node-desktops'
   */
  readonly name?: string;

  /**
   * Namespace of the session pods and Services (created, Pod Security `privileged`: session pods
   * are HostProcess pods; users never get access to it).
   * @default - the pool's name
   */
  readonly namespace?: string;

  /**
   * Users known at synth time. In per-user mode each gets a NodePool; in both modes their ids
   * are checked (mappable, no duplicates) and `rdpConnectionFor()` knows them. Sessions of other
   * users are created at run time by the session controller (with `sessionTemplate`).
   * @default - none
   */
  readonly users?: NodeDesktopUser[];

  /**
   * AMI of the nodes, always Windows Server with Desktop Experience.
   * @default NodeDesktopAmi.eksOptimizedFull()
   */
  readonly ami?: NodeDesktopAmi;

  /**
   * Purchase option. `SPOT` needs `acceptSpotDataLoss: true`: a Spot interruption ends the
   * desktop with a two-minute notice, losing unsaved work and, without FSLogix profiles, every
   * file on the node.
   * @default CapacityType.ON_DEMAND
   */
  readonly capacityType?: CapacityType;

  /**
   * Confirms that Spot desktops may be interrupted with unsaved work lost.
   * @default false
   */
  readonly acceptSpotDataLoss?: boolean;

  /**
   * EC2 instance types of the desktops (x86-64; Karpenter picks the cheapest available).
   * @default ['m7i.large', 'm6i.large', 'm7a.large', 'm6a.large'] - 2 vCPUs, 8 GiB
   */
  readonly instanceTypes?: string[];

  /**
   * Hard limit of a session: the node's `expireAfter` (forceful in Karpenter v1, even with
   * `karpenter.sh/do-not-disrupt`).
   * @default Duration.hours(12)
   */
  readonly maxSessionDuration?: Duration;

  /**
   * How long an empty desktop node (its session pod deleted) lives before Karpenter removes it.
   * @default Duration.minutes(1)
   */
  readonly emptyNodeTtl?: Duration;

  /**
   * Pre-booted, unassigned desktop nodes (shared isolation only). A session claims one
   * (`claimWarmNode`) instead of waiting for a launch. Each is a running instance.
   * @default 0
   */
  readonly warmDesktops?: number;

  /**
   * Longest a warm node waits unclaimed: warm nodes expire after `maxSessionDuration` plus this,
   * so a session on a node claimed late still gets its full time. The session controller claims
   * only warm nodes younger than this.
   * @default Duration.hours(12)
   */
  readonly warmNodeMaxWait?: Duration;

  /**
   * The Active Directory users sign in with (needed for RDS SALs through License Manager and for
   * FSLogix on FSx).
   * @default - local accounts, one per node, password from a per-session Secret
   */
  readonly directory?: NodeDesktopDirectory;

  /**
   * RDS license servers for per-user licensing (an RDS SAL per user): the addresses of the
   * License Manager user-based subscriptions endpoint (`RdsLicenseServerEndpoint`). Needs a
   * directory and the Remote Desktop Session Host role in the AMI.
   * @default - no RDS licensing configured (Windows Server allows two administrative sessions)
   * @see https://docs.aws.amazon.com/license-manager/latest/userguide/user-based-subscriptions.html
   */
  readonly rdsLicenseServers?: string[];

  /**
   * Where profiles and files live.
   * @default NodeDesktopProfiles.ephemeral()
   */
  readonly profiles?: NodeDesktopProfiles;

  /**
   * What desktop nodes may reach besides the cluster.
   * @default - HTTPS/HTTP to the internet; the directory when set
   */
  readonly egress?: NodeDesktopEgress;

  /**
   * CIDRs that Windows Firewall on the node lets reach RDP (the security group already admits
   * only the gateway's pods; this is the second layer).
   * @default - the VPC's CIDR
   */
  readonly rdpSourceCidrs?: string[];

  /**
   * Image of the HostProcess session container (any image works: it runs the host's PowerShell).
   * @default - Microsoft's HostProcess base image (`versions.ts`: HOST_PROCESS_IMAGE)
   */
  readonly hostProcessImage?: string;

  /**
   * Pause image of the warm placeholders; it needs a variant for the nodes' Windows build.
   * @default - `registry.k8s.io/pause` (`versions.ts`: PAUSE_IMAGE)
   */
  readonly placeholderImage?: string;

  /**
   * Root volume size (gp3, encrypted), whole GiB from 60 to 16384.
   * @default Size.gibibytes(100)
   */
  readonly rootVolumeSize?: Size;

  /**
   * Customer managed key of the root volumes.
   * @default - the account's default EBS key
   */
  readonly rootVolumeEncryptionKey?: kms.IKey;

  /**
   * Subnets of the nodes.
   * @default - subnets tagged `karpenter.sh/discovery: <cluster name>`
   */
  readonly subnetSelectorTerms?: SubnetSelectorTerm[];

  /**
   * Tags of the instances and volumes.
   * @default - none beyond Karpenter's
   */
  readonly tags?: Record<string, string>;
}

/**
 * Node desktops: each user's Windows Server desktop is a whole EC2 instance with Desktop
 * Experience, launched by Karpenter for that user alone, prepared by a HostProcess session
 * pod, reached by the Guacamole gateway over RDP with NLA, and removed after the session.
 *
 * This construct creates the AWS side (a security group for desktop nodes: RDP from the
 * gateway's guacd pods only) and applies the Kubernetes side (`NodeDesktopsChart`: namespace,
 * EC2NodeClass, NodePools per user or shared, warm nodes). Sessions themselves are per-user
 * objects created at run time, never through CloudFormation: the session controller renders them
 * with `new NodeDesktopSession(chart, id, { template: nodeDesktops.sessionTemplate, userId })`
 * (and, in per-user mode for users not listed here, `new NodeDesktopNodePool(chart, id,
 * userNodePoolProps(template, userId))`) in a bare cdk8s Chart.
 */
@reportsConstructPath
export class NodeDesktops extends Construct {
  /** Name of the pool. */
  public readonly name: string;
  /** The Karpenter installation that launches the nodes. */
  public readonly karpenter: IKarpenter;
  /** Namespace of the sessions. */
  public readonly namespace: string;
  /** Windows Server release of the desktops. */
  public readonly windowsVersion: WindowsVersion;
  /** The isolation mode. */
  public readonly isolationMode: NodeDesktopIsolationMode;
  /** Security group of the desktop nodes. */
  public readonly nodeSecurityGroup: ec2.SecurityGroup;
  /** What every session shares: the input of the session renderers. */
  public readonly sessionTemplate: NodeDesktopSessionTemplate;
  /** The chart with the namespace, EC2NodeClass and NodePools (also usable for GitOps). */
  public readonly chart: NodeDesktopsChart;
  /** The Kubernetes manifest that applies `chart`. */
  public readonly manifest: Construct;
  /** The CA of the sessions' RDP certificates (none: Windows' self-signed certificates). */
  public readonly certificateAuthority?: IDesktopCertificateAuthority;
  /** Per-user NodePools (per-user mode), at most 40 users per chart. */
  public readonly userPoolCharts: NodeDesktopUserPoolsChart[];
  /** The manifests that apply `userPoolCharts`. */
  public readonly userPoolManifests: Construct[];

  private readonly users: Map<string, string>;

  constructor(scope: Construct, id: string, props: NodeDesktopsProps) {
    super(scope, id);
    const p = 'NodeDesktops';
    // Runtime types (values from cdk.json arrive as anything; null is never "the default").
    // Props whose value classes are checked below with their own fixes only refuse null here.
    const checkedBelow = () => undefined;
    checkProps(p, props, {
      karpenter: required(isConstruct('a Karpenter installation')),
      isolation: required(checkedBelow),
      rdpClientSecurityGroup: required(isConstruct('the ec2.ISecurityGroup of guacd (gateway.podSecurityGroup)')),
      windowsVersion: checkedBelow,
      name: isString("'node-desktops'"),
      namespace: isString("'node-desktops'"),
      users: checkedBelow,
      ami: checkedBelow,
      capacityType: checkedBelow,
      acceptSpotDataLoss: isBoolean(),
      instanceTypes: isArrayOf(isString("'m6i.xlarge'"), "['m6i.xlarge']"),
      maxSessionDuration: isInstanceOf(Duration, 'an aws-cdk-lib Duration, e.g. Duration.hours(12)'),
      emptyNodeTtl: isInstanceOf(Duration, 'an aws-cdk-lib Duration, e.g. Duration.minutes(5)'),
      warmDesktops: isNumber('2'),
      warmNodeMaxWait: isInstanceOf(Duration, 'an aws-cdk-lib Duration, e.g. Duration.hours(12)'),
      directory: checkedBelow,
      rdsLicenseServers: checkedBelow,
      profiles: checkedBelow,
      egress: isShape({}, '{ internet: false }'),
      rdpSourceCidrs: checkedBelow,
      hostProcessImage: checkedBelow,
      placeholderImage: checkedBelow,
      rootVolumeSize: POOL_OPTION_TYPES.rootVolumeSize,
      rootVolumeEncryptionKey: POOL_OPTION_TYPES.rootVolumeEncryptionKey,
      subnetSelectorTerms: POOL_OPTION_TYPES.subnetSelectorTerms,
      tags: POOL_OPTION_TYPES.tags,
      certificateAuthority: checkedBelow,
    });
    const karpenter = props.karpenter;
    const cluster = karpenter.cluster;

    // Defaults.
    const windowsVersion = props.windowsVersion ?? WindowsVersion.WINDOWS_2022;
    const name = props.name ?? 'node-desktops';
    const namespace = props.namespace ?? name;
    const isolation = props.isolation;
    const users = props.users ?? [];
    const ami = props.ami ?? NodeDesktopAmi.eksOptimizedFull();
    const capacityType = props.capacityType ?? CapacityType.ON_DEMAND;
    const instanceTypes = props.instanceTypes ?? ['m7i.large', 'm6i.large', 'm7a.large', 'm6a.large'];
    const warmDesktops = props.warmDesktops ?? 0;
    const profiles = props.profiles ?? NodeDesktopProfiles.ephemeral();
    const directory = props.directory;
    const rootVolumeSize = props.rootVolumeSize ?? Size.gibibytes(100);
    const rdpSourceCidrs = props.rdpSourceCidrs ?? [cluster.vpc.vpcCidrBlock];
    const maxSessionDuration = props.maxSessionDuration ?? Duration.hours(12);
    const warmNodeMaxWait = props.warmNodeMaxWait ?? Duration.hours(12);

    // Validation (every message carries this construct's path).
    const v = ValidationError.within(this, () => {
      if (!(windowsVersion instanceof WindowsVersion) || !DESKTOP_WINDOWS_YEARS.includes(windowsVersion.year)) {
        const what = windowsVersion instanceof WindowsVersion ? `${windowsVersion}` : describeValue(windowsVersion);
        throw new ValidationError(`${p}.windowsVersion`, `is ${what}; node desktops run Windows Server 2022 or 2025 with Desktop Experience. Use WindowsVersion.WINDOWS_2022 or WindowsVersion.WINDOWS_2025.`);
      }
      windowsVersion.checkSupportedBy(`${p}.karpenter`, karpenter);
      if (!(isolation instanceof NodeDesktopIsolation)) {
        throw new ValidationError(`${p}.isolation`, `is ${describeValue(isolation)}; use NodeDesktopIsolation.nodePoolPerUser() or NodeDesktopIsolation.sharedPool().`);
      }
      validateDns1123Label(`${p}.name`, name);
      if (name.length > MAX_POOL_NAME) {
        throw new ValidationError(`${p}.name`, `"${name}" has ${name.length} characters; use at most ${MAX_POOL_NAME}, so that per-user NodePool names keep the user's hash.`);
      }
      validateDns1123Label(`${p}.namespace`, namespace);
      if (capacityType !== CapacityType.ON_DEMAND && capacityType !== CapacityType.SPOT) {
        throw new ValidationError(`${p}.capacityType`, `is ${describeValue(capacityType)}; use CapacityType.ON_DEMAND or CapacityType.SPOT.`);
      }
      if (capacityType === CapacityType.SPOT && props.acceptSpotDataLoss !== true) {
        throw new ValidationError(`${p}.capacityType`, 'is CapacityType.SPOT, but acceptSpotDataLoss is not true; a Spot interruption ends the desktop with two minutes\' notice and loses unsaved work '
          + '(and every file when profiles are ephemeral). Set acceptSpotDataLoss: true to accept that, or use CapacityType.ON_DEMAND.');
      }
      validateInstanceTypes(`${p}.instanceTypes`, instanceTypes);
      validateInteger(`${p}.warmDesktops`, warmDesktops, 0, MAX_WARM_DESKTOPS);
      if (warmDesktops > 0 && isolation.mode !== NodeDesktopIsolationMode.SHARED_POOL) {
        throw new ValidationError(`${p}.warmDesktops`, `is ${warmDesktops}, but warm desktops need NodeDesktopIsolation.sharedPool(): a warm node cannot move into a user's own NodePool. Use the shared pool, or set warmDesktops: 0.`);
      }
      if (isolation.maxDesktops !== undefined) validateInteger(`${p}.isolation.maxDesktops`, isolation.maxDesktops, 1, 10000);
      if (directory !== undefined && !(directory instanceof NodeDesktopDirectory)) {
        throw new ValidationError(`${p}.directory`, `is ${describeValue(directory)}; use NodeDesktopDirectory.awsManagedMicrosoftAd({...}) or NodeDesktopDirectory.selfManagedAd({...}).`);
      }
      if (!(profiles instanceof NodeDesktopProfiles)) {
        throw new ValidationError(`${p}.profiles`, `is ${describeValue(profiles)}; use NodeDesktopProfiles.fsLogix({ share }) or NodeDesktopProfiles.ephemeral().`);
      }
      if (!(ami instanceof NodeDesktopAmi)) {
        throw new ValidationError(`${p}.ami`, `is ${describeValue(ami)}; use NodeDesktopAmi.eksOptimizedFull() or NodeDesktopAmi.fromFastLaunchAmi(ami).`);
      }
      directory?.validate(`${p}.directory`);
      profiles.validate(`${p}.profiles`);
      if (profiles.kind === NodeDesktopProfilesKind.FSLOGIX && directory === undefined) {
        throw new ValidationError(`${p}.profiles`, 'use FSLogix profiles on a share, which authorizes users by their directory identity, but no directory is set; set `directory` (AWS Managed Microsoft AD or self-managed AD), or use NodeDesktopProfiles.ephemeral().');
      }
      if (props.rdsLicenseServers !== undefined) {
        if (!Array.isArray(props.rdsLicenseServers)) {
          throw new ValidationError(`${p}.rdsLicenseServers`, `is ${describeValue(props.rdsLicenseServers)}; give a list of license server addresses.`);
        }
        validateNonEmpty(`${p}.rdsLicenseServers`, props.rdsLicenseServers, 'give the License Manager endpoint\'s license server addresses, or leave the prop unset.');
        if (directory === undefined) {
          throw new ValidationError(`${p}.rdsLicenseServers`, 'is set, but no directory is: RDS SALs from AWS License Manager user-based subscriptions are assigned to directory users. Set `directory`, or leave rdsLicenseServers unset.');
        }
        props.rdsLicenseServers.forEach((server, i) => {
          if (typeof server !== 'string' || (!Token.isUnresolved(server) && !/^[A-Za-z0-9.-]+$/.test(server))) {
            throw new ValidationError(`${p}.rdsLicenseServers[${i}]`, `is ${describeValue(server)}; give a DNS name or IP address of a license server.`);
          }
        });
      }
      for (const [prop, image] of [['hostProcessImage', props.hostProcessImage], ['placeholderImage', props.placeholderImage]] as const) {
        if (image !== undefined && (typeof image !== 'string' || (!Token.isUnresolved(image) && !/^[a-z0-9]([a-z0-9._-]*[a-z0-9])?(:\d+)?(\/[a-z0-9._-]+)*(:[\w][\w.-]{0,127}|@sha256:[a-f0-9]{64})$/.test(image)))) {
          throw new ValidationError(`${p}.${prop}`, `is ${describeValue(image)}; give an image reference with a tag or digest, e.g. "123456789012.dkr.ecr.us-east-1.amazonaws.com/pause:3.10.2".`);
        }
      }
      if (!Array.isArray(rdpSourceCidrs)) {
        throw new ValidationError(`${p}.rdpSourceCidrs`, `is ${describeValue(rdpSourceCidrs)}; give a list of CIDRs, e.g. ["10.0.0.0/16"].`);
      }
      validateNonEmpty(`${p}.rdpSourceCidrs`, rdpSourceCidrs, 'give the CIDRs of the gateway\'s subnets (default: the VPC\'s CIDR).');
      rdpSourceCidrs.forEach((cidr, i) => validateCidr(`${p}.rdpSourceCidrs[${i}]`, cidr));
      if (props.tags) validateNodeClassTags(`${p}.tags`, props.tags);
      const rootGib = wholeGibibytes(`${p}.rootVolumeSize`, rootVolumeSize);
      if (rootGib < 60 || rootGib > 16384) {
        throw new ValidationError(`${p}.rootVolumeSize`, `is ${rootGib} GiB; a Windows Server Full node needs 60 GiB to 16384 GiB (the Full AMI alone takes about 30), e.g. Size.gibibytes(100).`);
      }
      const userNames = validateUsers(`${p}.users`, users, isolation.mode);
      return {
        rootGib,
        userNames,
        amiSelection: ami.bind(`${p}.ami`, windowsVersion, karpenter.kubernetesVersion),
        expireAfter: renderKarpenterDuration(`${p}.maxSessionDuration`, KarpenterDuration.of(maxSessionDuration), false),
        warmNodeExpireAfter: warmDesktops > 0
          ? renderKarpenterDuration(`${p}.warmNodeMaxWait`, KarpenterDuration.of(maxSessionDuration.plus(warmNodeMaxWait)), false)
          : undefined,
        consolidateAfter: renderKarpenterDuration(`${p}.emptyNodeTtl`, KarpenterDuration.of(props.emptyNodeTtl ?? Duration.minutes(1)), true),
        subnetSelectorTerms: renderSubnetSelectorTerms(`${p}.subnetSelectorTerms`, props.subnetSelectorTerms ?? [{ tags: { 'karpenter.sh/discovery': cluster.clusterName } }]),
      };
    });

    this.users = v.userNames;

    // Two pools of one cluster must not share names (NodePools, EC2NodeClass, namespace, taint);
    // a user in two pools is allowed (two desktop classes) but worth a warning.
    for (const other of Stack.of(this).node.findAll()) {
      if (!(other instanceof NodeDesktops) || other === this || other.karpenter.cluster !== cluster) continue;
      if (other.name === name || other.namespace === namespace) {
        throw new ValidationError(`${p}.name`, `"${name}" (namespace "${namespace}") is already used by the node desktops at ${other.node.path} in the same cluster; give each NodeDesktops its own name and namespace.`, this);
      }
      const shared = other.userIds.filter((userId) => v.userNames.has(userId));
      if (shared.length > 0) {
        Annotations.of(this).addWarningV2('eks-windows-desktops:node-desktop-user-in-two-pools',
          `${shared.join(', ')} also ${shared.length === 1 ? 'has' : 'have'} node desktops at ${other.node.path}; each pool gives them a desktop node of its own.`);
      }
    }
    // The EC2NodeClass (and shared NodePool) take the pool's name: one of a name per cluster,
    // Windows node pools and VM host pools included.
    claimUnique(cluster, 'NodePool', name, this, `${p}.name`, 'The second EC2NodeClass and NodePool would replace the first at deploy time: give each pool its own `name`.');

    const certificateAuthority = this.resolveCertificateAuthority(props);

    // The desktop nodes' own security group: RDP from guacd only, the cluster, and the chosen egress.
    this.nodeSecurityGroup = this.createNodeSecurityGroup(props, directory);

    // What every session shares.
    const E = SESSION_SCRIPT_ENV;
    const environment: Record<string, string> = {};
    if (directory) {
      const d = directory.options;
      environment[E.domainName] = d.domainName;
      environment[E.domainNetBiosName] = d.netBiosName;
      environment[E.domainDnsServers] = d.dnsServers.join(',');
      if (d.organizationalUnit !== undefined) environment[E.domainOrganizationalUnit] = d.organizationalUnit;
    }
    if (profiles.kind === NodeDesktopProfilesKind.FSLOGIX) environment[E.profileShare] = profiles.share!;
    if (props.rdsLicenseServers !== undefined) environment[E.rdsLicenseServers] = props.rdsLicenseServers.join(',');
    this.sessionTemplate = {
      poolName: name,
      nodeClassName: name,
      isolationMode: isolation.mode,
      windowsBuild: windowsVersion.build,
      capacityTypes: [capacityType],
      instanceTypes: [...instanceTypes],
      expireAfter: v.expireAfter,
      warmNodeExpireAfter: v.warmNodeExpireAfter,
      consolidateAfter: v.consolidateAfter,
      namespace,
      hostProcessImage: props.hostProcessImage ?? HOST_PROCESS_IMAGE,
      script: {
        account: directory ? SessionAccountKind.DOMAIN : SessionAccountKind.LOCAL,
        organizationalUnit: directory?.options.organizationalUnit !== undefined,
        fsLogixProfileSizeMb: profiles.kind === NodeDesktopProfilesKind.FSLOGIX ? profiles.maxSizeGiB! * 1024 : undefined,
        rdsLicensing: props.rdsLicenseServers !== undefined,
      },
      rdpSources: rdpSourceCidrs.join(','),
      environment,
      joinSecretName: directory?.options.joinSecretName,
      sessionCpu: '100m',
      sessionMemory: '256Mi',
    };
    if (certificateAuthority !== undefined) {
      // Three session lengths: cert-manager renews at two thirds, so a session's certificate is
      // never renewed (or rotated) while the session runs. cert-manager's shortest is one hour.
      const hours = Math.max(1, Math.ceil(maxSessionDuration.toHours({ integral: false }) * 3));
      this.sessionTemplate = {
        ...this.sessionTemplate,
        script: { ...this.sessionTemplate.script, rdpCertificate: true },
        rdpCertificate: { issuerName: certificateAuthority.issuerName, duration: `${hours}h` },
      };
    }

    this.chart = new NodeDesktopsChart(new cdk8s.App(), 'NodeDesktops', {
      template: this.sessionTemplate,
      nodeRoleName: karpenter.windowsNodeRole.roleName,
      amiSelectorTerms: v.amiSelection.amiSelectorTerms,
      amiFamily: v.amiSelection.amiFamily,
      subnetSelectorTerms: v.subnetSelectorTerms,
      securityGroupSelectorTerms: [{ id: this.nodeSecurityGroup.securityGroupId }],
      rootVolumeSize: `${v.rootGib}Gi`,
      rootVolumeKmsKeyId: props.rootVolumeEncryptionKey?.keyArn,
      tags: props.tags ? { ...props.tags } : undefined,
      maxDesktops: isolation.maxDesktops ?? 1,
      warmDesktops,
      placeholderImage: props.placeholderImage ?? PAUSE_IMAGE,
      createNamespace: true,
    });
    this.manifest = cluster.addCdk8sChart(`NodeDesktops${Names.uniqueId(this)}`, this.chart);

    // Per-user NodePools, in chunks that keep each kubectl request far below CloudFormation's
    // 262,144-byte Lambda event limit (an update sends old and new manifests).
    this.userPoolCharts = [];
    this.userPoolManifests = [];
    if (isolation.mode === NodeDesktopIsolationMode.NODE_POOL_PER_USER) {
      for (let start = 0; start < users.length; start += USER_POOLS_PER_MANIFEST) {
        const chunk = users.slice(start, start + USER_POOLS_PER_MANIFEST)
          .map((u) => ({ userId: u.userId, instanceTypes: u.instanceTypes ? [...u.instanceTypes] : undefined }));
        const index = start / USER_POOLS_PER_MANIFEST;
        const chart = new NodeDesktopUserPoolsChart(new cdk8s.App(), `UserPools${index}`, { template: this.sessionTemplate, users: chunk });
        const manifest = cluster.addCdk8sChart(`NodeDesktops${Names.uniqueId(this)}UserPools${index}`, chart);
        // The EC2NodeClass first: a NodePool without its class is not ready.
        manifest.node.addDependency(this.manifest);
        this.userPoolCharts.push(chart);
        this.userPoolManifests.push(manifest);
      }
    }

    this.name = name;
    this.karpenter = karpenter;
    this.namespace = namespace;
    this.windowsVersion = windowsVersion;
    this.isolationMode = isolation.mode;

    this.manifest.node.addDependency(karpenter.controller);
    // Sessions (created later) need the issuer; a pool is ready only when its CA is.
    if (certificateAuthority !== undefined) this.manifest.node.addDependency(certificateAuthority.ready);
    this.certificateAuthority = certificateAuthority;
  }

  /** Ids of the users listed in `users`, in their order. */
  public get userIds(): string[] {
    return [...this.users.keys()];
  }

  /** Names of the per-user NodePools (per-user mode), in the order of `users`. */
  public get userNodePoolNames(): string[] {
    if (this.isolationMode !== NodeDesktopIsolationMode.NODE_POOL_PER_USER) return [];
    return [...this.users.keys()].map((userId) => userNodePoolName(this.sessionTemplate, userId));
  }

  /**
   * The gateway connection to `userId`'s desktop, through the session's Service. With a
   * `certificateAuthority` the certificate is verified strictly (chain to the CA, Service name);
   * without one `options.certificateValidation` (or `ignoreCert`) must say how, because
   * Windows' self-signed certificate passes no default check.
   */
  public rdpConnectionFor(userId: string, options: Omit<RdpConnectionProps, 'hostname'>): RdpConnection {
    if (this.certificateAuthority === undefined && options.certificateValidation === undefined && options.ignoreCert === undefined) {
      throw new ValidationError('NodeDesktops.rdpConnectionFor.certificateValidation', `is not set for "${userId}", and the pool has no certificateAuthority: its desktops present Windows' self-signed certificate, which `
        + 'verified() refuses and trustOnFirstUse() cannot pin (every new node answers under the same Service name). Give the pool and the gateway a DesktopCertificateAuthority '
        + '(NodeDesktops.certificateAuthority, GuacamoleGateway.rdpCertificateAuthority), or pass certificateValidation: RdpCertificateValidation.fingerprints([...]) or .ignore(reason).', this);
    }
    return RdpConnection.toNodeDesktop({ ...options, serviceName: sessionName(userId), namespace: this.namespace });
  }

  /**
   * The CA of the sessions' certificates: the given one, else the gateway's. A CA the gateway
   * does not trust would make every connection fail, so it is refused here.
   */
  private resolveCertificateAuthority(props: NodeDesktopsProps): IDesktopCertificateAuthority | undefined {
    const given = props.certificateAuthority;
    if (given !== undefined && (typeof given !== 'object' || typeof given.issuerName !== 'string' || given.issuerKind !== 'ClusterIssuer')) {
      throw new ValidationError('NodeDesktops.certificateAuthority', `is ${describeValue(given)}; use a DesktopCertificateAuthority.`, this);
    }
    const gateway = Stack.of(this).node.findAll()
      .find((c): c is GuacamoleGateway => c instanceof GuacamoleGateway && c.podSecurityGroup === props.rdpClientSecurityGroup);
    if (gateway === undefined) return given;
    const trusted = gateway.rdpCertificateAuthority;
    if (given !== undefined && trusted !== given) {
      throw new ValidationError('NodeDesktops.certificateAuthority', `is the CA at ${given.node.path}, but the gateway at ${gateway.node.path} (whose guacd pods reach these desktops) `
        + `${trusted === undefined ? 'trusts no desktop CA' : `trusts the CA at ${trusted.node.path}`}, so every connection would fail verification. `
        + 'Give the gateway the same CA (GuacamoleGateway.rdpCertificateAuthority), or leave certificateAuthority unset to use the gateway\'s.', this);
    }
    return given ?? trusted;
  }

  private createNodeSecurityGroup(props: NodeDesktopsProps, directory: NodeDesktopDirectory | undefined): ec2.SecurityGroup {
    const cluster = props.karpenter.cluster;
    const sg = new ec2.SecurityGroup(this, 'NodeSecurityGroup', {
      vpc: cluster.vpc,
      description: 'Node desktops: RDP from the gateway only',
      allowAllOutbound: false,
    });
    const clusterSg = ec2.SecurityGroup.fromSecurityGroupId(this, 'ClusterSecurityGroup', cluster.clusterSecurityGroupId, { mutable: true });
    sg.addIngressRule(props.rdpClientSecurityGroup, ec2.Port.tcp(RDP_PORT), 'RDP from the gateway\'s guacd pods');
    sg.addIngressRule(clusterSg, ec2.Port.tcp(10250), 'kubelet API from the control plane');
    sg.addEgressRule(clusterSg, ec2.Port.tcp(443), 'Kubernetes API');
    sg.addEgressRule(clusterSg, ec2.Port.tcp(53), 'Cluster DNS');
    sg.addEgressRule(clusterSg, ec2.Port.udp(53), 'Cluster DNS');
    clusterSg.addIngressRule(sg, ec2.Port.tcp(443), 'Kubernetes API from desktop nodes');
    clusterSg.addIngressRule(sg, ec2.Port.tcp(53), 'Cluster DNS from desktop nodes');
    clusterSg.addIngressRule(sg, ec2.Port.udp(53), 'Cluster DNS from desktop nodes');

    const egress = props.egress ?? {};
    if (egress.internet ?? true) {
      sg.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS (EKS, ECR, S3, web)');
      sg.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(80), 'HTTP (Windows Update, web)');
    }
    const directoryCidrs = egress.directoryCidrs ?? directory?.options.dnsServers.map((ip) => `${ip}/32`) ?? [];
    directoryCidrs.forEach((cidr, i) => {
      ValidationError.within(this, () => validateCidr(`NodeDesktops.egress.directoryCidrs[${i}]`, cidr));
      for (const [what, port] of DIRECTORY_PORTS) sg.addEgressRule(ec2.Peer.ipv4(cidr), port, `Directory: ${what}`);
    });
    (egress.fileShareCidrs ?? []).forEach((cidr, i) => {
      ValidationError.within(this, () => validateCidr(`NodeDesktops.egress.fileShareCidrs[${i}]`, cidr));
      sg.addEgressRule(ec2.Peer.ipv4(cidr), ec2.Port.tcp(445), 'SMB file shares (profiles)');
    });
    return sg;
  }
}
