import { Duration, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as cdk8s from 'cdk8s';
import { Construct, IDependable } from 'constructs';
import { acknowledgeAwsSolutions } from '../common/acknowledge';
import { IDesktopCertificateAuthority } from '../certificates/desktop-certificate-authority';
import { createServiceAccountRole, dependOnAlbController, IEksCluster, requireOidcProvider } from '../common/eks-cluster';
import { CfnFargateProfile } from 'aws-cdk-lib/aws-eks';
import * as eksv1 from 'aws-cdk-lib/aws-eks';
import * as eksv2 from 'aws-cdk-lib/aws-eks-v2';
import { parseArn, validateEc2Id } from '../common/aws-ids';
import { maxCronIntervalDays } from '../common/cron';
import { claimUnique } from '../common/uniqueness';
import {
  checkProps, isArrayOf, isBoolean, isConstruct, isInstanceOf, isNumber, isShape, isString, required,
  describeValue, validateDns1123Label, validateInteger, validateOwnedNamespace,
} from '../common/validate';
import { reportsConstructPath, ValidationError } from '../common/validation-error';
import { EXTERNAL_SECRETS_CHART_REPOSITORY, EXTERNAL_SECRETS_CHART_VERSION } from '../common/versions';
import { GUACD_PORT, RDP_PORT } from '../common/well-known';
import { GuacamoleAuthentication } from './guacamole-authentication';
import { DRIVE_PATH, GuacamoleChart } from './guacamole-chart';
import { GuacamoleDatabase, GuacamoleDatabaseProps } from './guacamole-database';
import { GuacamoleSso, validateDomainPrefix } from './guacamole-sso';
import { validateCpu, validateCron, validateIpv4Cidr, validateMemory, validatePattern, validatePublicHostname } from './private/validation';
import { GuacamoleConnectionPolicy } from './rdp-connection';

/**
 * Database options of the gateway: everything of {@link GuacamoleDatabaseProps} but the VPC.
 */
export interface GuacamoleDatabaseOptions extends Omit<GuacamoleDatabaseProps, 'vpc'> {}

/**
 * Properties of {@link GuacamoleGateway}.
 */
export interface GuacamoleGatewayProps {
  /**
   * The cluster (from `aws-eks` or `aws-eks-v2`). It needs a kubectl handler, an OpenID Connect
   * provider (IRSA), the AWS Load Balancer Controller, and Fargate profiles for `namespace`
   * and, with `installExternalSecrets`, for `externalSecretsNamespace`.
   */
  readonly cluster: IEksCluster;

  /**
   * VPC of the database and security groups.
   * @default - the cluster's VPC
   */
  readonly vpc?: ec2.IVpc;

  /**
   * Host name users open, e.g. `desktops.example.com`. Point it at the load balancer (DNS is
   * not managed here); the certificate must cover it.
   */
  readonly hostname: string;

  /**
   * ACM certificate of the HTTPS listener (`arn:aws:acm:<region>:<account>:certificate/<id>`).
   */
  readonly certificateArn: string;

  /**
   * Namespace of the gateway's pods; a Fargate profile must select it.
   * @default 'guacamole'
   */
  readonly namespace?: string;

  /**
   * Internet-facing load balancer (public subnets) instead of an internal one. With Cognito
   * sign-in, an internal load balancer still needs outbound HTTPS to Cognito (NAT).
   * @default false
   */
  readonly internetFacing?: boolean;

  /**
   * IPv4 CIDR blocks allowed to reach the load balancer (ports 80 and 443).
   * @default - ['0.0.0.0/0'] when internet-facing, the VPC CIDR when internal
   */
  readonly allowedCidrs?: string[];

  /**
   * Load balancer idle timeout: 1 to 4000 seconds. RDP sessions idle for longer than this
   * are cut, so keep it long.
   * @default Duration.seconds(3600)
   * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-load-balancer-attributes.html
   */
  readonly idleTimeout?: Duration;

  /**
   * TLS security policy of the HTTPS listener.
   * @default 'ELBSecurityPolicy-TLS13-1-2-2021-06'
   */
  readonly sslPolicy?: string;

  /**
   * WAFv2 web ACL (regional) to associate with the load balancer.
   * @default - none
   */
  readonly wafWebAclArn?: string;

  /**
   * IngressClass of the AWS Load Balancer Controller.
   * @default 'alb'
   */
  readonly ingressClassName?: string;

  /**
   * How users sign in.
   * @default GuacamoleAuthentication.cognito()
   */
  readonly authentication?: GuacamoleAuthentication;

  /**
   * Ask for a TOTP code inside Guacamole as well (independent of Cognito MFA).
   * @default false
   */
  readonly totp?: boolean;

  /**
   * Guacamole usernames made administrators (with Cognito: the user's `sub`, the value of
   * `x-amzn-oidc-identity`; with OpenID: the username claim). They sign in through SSO only:
   * no administrator has a password, and the well-known default administrator is never
   * created.
   * @default - no administrator: connections come from the session service only
   */
  readonly adminUsers?: string[];

  /**
   * Web app replicas (1 to 20). More than one turns on load balancer stickiness.
   * @default 2
   */
  readonly webReplicas?: number;

  /**
   * guacd replicas (1 to 50).
   * @default 2
   */
  readonly guacdReplicas?: number;

  /**
   * CPU of each web app pod (request = limit).
   * @default '1'
   */
  readonly webCpu?: string;

  /**
   * Memory of each web app pod (request = limit).
   * @default '2Gi'
   */
  readonly webMemory?: string;

  /**
   * CPU of each guacd pod (request = limit). guacd encodes the remote display: size it for
   * the sessions per pod.
   * @default '2'
   */
  readonly guacdCpu?: string;

  /**
   * Memory of each guacd pod (request = limit).
   * @default '4Gi'
   */
  readonly guacdMemory?: string;

  /**
   * Options of the Aurora PostgreSQL database.
   * @default - Serverless v2, one reader, 30-day rotation
   */
  readonly database?: GuacamoleDatabaseOptions;

  /**
   * Record sessions (every connection) to `recordingFileSystem`.
   * @default - true when `recordingFileSystem` is given, false otherwise
   */
  readonly sessionRecording?: boolean;

  /**
   * EFS file system that stores recordings, through an access point the gateway creates
   * (`/guacamole-recordings`, UID/GID 1000). Its mount targets must be in the cluster's VPC.
   * @default - no recording storage
   */
  readonly recordingFileSystem?: efs.IFileSystem;

  /**
   * How long recordings are kept (whole days, at least one); a CronJob deletes older ones.
   * @default Duration.days(30)
   */
  readonly recordingRetention?: Duration;

  /**
   * Cron schedule (UTC) of the recording prune CronJob.
   * @default '17 3 * * *'
   */
  readonly recordingPruneSchedule?: string;

  /**
   * Allow connections to enable copying from the desktop to the browser.
   * @default false
   */
  readonly allowClipboardCopy?: boolean;

  /**
   * Allow connections to enable pasting from the browser into the desktop.
   * @default false
   */
  readonly allowClipboardPaste?: boolean;

  /**
   * Allow connections to enable a virtual drive and file transfer (files live in a scratch
   * volume of the guacd pod and disappear with it).
   * @default false
   */
  readonly allowDriveRedirection?: boolean;

  /**
   * Install the External Secrets Operator (Helm chart `EXTERNAL_SECRETS_CHART_VERSION`). Turn
   * off when the cluster already runs it (serving `external-secrets.io/v1`).
   * @default true
   */
  readonly installExternalSecrets?: boolean;

  /**
   * Namespace of the External Secrets Operator; a Fargate profile must select it.
   * @default 'external-secrets'
   */
  readonly externalSecretsNamespace?: string;

  /**
   * How often External Secrets copies the secrets from Secrets Manager (1 minute to 1 day).
   * @default Duration.hours(1)
   */
  readonly secretsRefreshInterval?: Duration;

  /**
   * Cron schedule (UTC) of the rolling restart of the web app that picks up rotated database
   * credentials. It must run more often than the rotation period (see the database's
   * `rotationDays`); each run reconnects the sessions of the restarted pods, so pick a quiet
   * hour.
   * @default '0 4 * * 0' (Sundays 04:00)
   */
  readonly credentialRestartSchedule?: string;

  /**
   * Security groups of the hosts of the desktops (KubeVirt VM nodes or RDP hosts). Each gets
   * an ingress rule for RDP (TCP 3389) from the gateway's pod security group.
   * @default - the cluster security group
   */
  readonly desktopSecurityGroupIds?: string[];

  /**
   * The internal CA of the desktops' RDP certificates (`DesktopCertificateAuthority`). guacd
   * trusts it, and only it, for RDP (OpenSSL's `SSL_CERT_FILE`, which FreeRDP's certificate
   * check reads), so `RdpCertificateValidation.verified()` connections to desktops with
   * certificates from it succeed, chain and host name checked. Node desktops of this gateway
   * take it as their `certificateAuthority`.
   * @default - guacd trusts the public CAs of its image, which never sign a desktop: only
   * trust on first use, fingerprints or ignored certificates connect
   */
  readonly rdpCertificateAuthority?: IDesktopCertificateAuthority;

  /**
   * Something the Kubernetes objects must wait for, e.g. `DesktopCluster.systemReady`
   * (CoreDNS, load balancer controller and CSI drivers running).
   * @default - no extra dependency
   */
  readonly clusterReady?: IDependable;
}

/** Helm values this construct sets on the `external-secrets` chart (present in its values.yaml). */
interface ExternalSecretsValues {
  readonly installCRDs: boolean;
  /** The chart's default 10250 is the Fargate kubelet's port: the webhook would never start. */
  readonly webhook: { readonly port: number };
  /**
   * No cluster-wide right to mint tokens for every service account: the Guacamole chart
   * grants it for `guacamole-secrets` only.
   */
  readonly rbac: { readonly serviceAccountTokenCreate: boolean };
}

/** Release name of the operator; the chart names its controller's service account after it. */
const EXTERNAL_SECRETS_RELEASE = 'external-secrets';

const WAF_ACL_ARN = /^arn:aws[a-z-]*:wafv2:[a-z0-9-]+:\d{12}:regional\/webacl\/[A-Za-z0-9_-]+\/[A-Za-z0-9-]+$/;
const SSL_POLICY = /^ELBSecurityPolicy-[A-Za-z0-9-]+$/;

/**
 * A production-shaped Apache Guacamole 1.6 gateway on EKS: guacd and the web app on Fargate
 * behind an HTTPS Application Load Balancer with single sign-on, an Aurora PostgreSQL
 * connection database with rotated credentials, optional session recording on EFS, and
 * per-session connections handed over as encrypted JSON.
 *
 * Security model:
 * - HTTPS only (HTTP redirects); the ALB authenticates every request with Cognito (default)
 *   and passes the user's `sub` in `x-amzn-oidc-identity`, which Guacamole trusts. Only the
 *   ALB's security group may reach the web app's port (security groups for pods), so no one
 *   else can send that header.
 * - No password or key is in any template or manifest: database passwords and the JSON key
 *   are generated in Secrets Manager and copied into Kubernetes Secrets by the External
 *   Secrets Operator, through an IRSA role that reads those three secrets only. The
 *   well-known default administrator is never created.
 * - Connections: the session service signs and encrypts, per session, a JSON document that
 *   lists the user's desktop connection ({@link RdpConnection}, {@link encryptGuacamoleJsonAuth})
 *   with the key in `jsonAuthSecret`, and sends the user to `url` + `?data=<...>`.
 *
 * @see https://guacamole.apache.org/doc/gug/
 */
@reportsConstructPath
export class GuacamoleGateway extends Construct {
  /** The cluster the gateway runs in. */
  public readonly cluster: IEksCluster;
  /** Namespace of the gateway's pods. */
  public readonly namespace: string;
  /** Host name users open. */
  public readonly hostname: string;
  /** Address of the web app, e.g. `https://desktops.example.com/guacamole/`. */
  public readonly url: string;
  /** The connection database. */
  public readonly database: GuacamoleDatabase;
  /** The Cognito user pool, domain and ALB client (with Cognito sign-in). */
  public readonly sso?: GuacamoleSso;
  /** The 128-bit key (32 hex digits) that signs and encrypts JSON authentication. */
  public readonly jsonAuthSecret: secretsmanager.ISecret;
  /** Security group of the Guacamole pods. */
  public readonly podSecurityGroup: ec2.ISecurityGroup;
  /** Security group of the load balancer. */
  public readonly loadBalancerSecurityGroup: ec2.ISecurityGroup;
  /** IRSA role External Secrets uses to read the gateway's secrets. */
  public readonly secretsRole: iam.IRole;
  /** EFS access point of the recordings (with recording). */
  public readonly recordingAccessPoint?: efs.IAccessPoint;
  /** What connections may do ({@link RdpConnection.parameters} checks against it). */
  public readonly connectionPolicy: GuacamoleConnectionPolicy;
  /** The CA guacd trusts for desktop certificates, if any. */
  public readonly rdpCertificateAuthority?: IDesktopCertificateAuthority;
  /** The cdk8s chart of the Kubernetes objects. */
  public readonly chart: GuacamoleChart;
  /** The construct that applies the chart (add dependencies to it). */
  public readonly manifest: Construct;

  constructor(scope: Construct, id: string, props: GuacamoleGatewayProps) {
    super(scope, id);
    checkProps('GuacamoleGateway', props, GATEWAY_PROP_TYPES);

    // ---- defaults -------------------------------------------------------------------------
    const cluster = props.cluster;
    const vpc = props.vpc ?? cluster.vpc;
    const namespace = props.namespace ?? 'guacamole';
    const internetFacing = props.internetFacing ?? false;
    const allowedCidrs = props.allowedCidrs ?? (internetFacing ? ['0.0.0.0/0'] : [vpc.vpcCidrBlock]);
    const idleTimeoutSeconds = (props.idleTimeout ?? Duration.seconds(3600)).toSeconds();
    const sslPolicy = props.sslPolicy ?? 'ELBSecurityPolicy-TLS13-1-2-2021-06';
    const authentication = props.authentication ?? GuacamoleAuthentication.cognito();
    const cognitoOptions = authentication.cognitoOptions;
    const domainPrefix = cognitoOptions?.domainPrefix ?? props.hostname.toLowerCase().replace(/\./g, '-').slice(0, 63);
    const sessionTimeoutSeconds = (cognitoOptions?.sessionTimeout ?? Duration.hours(8)).toSeconds();
    const adminUsers = props.adminUsers ?? [];
    const webReplicas = props.webReplicas ?? 2;
    const guacdReplicas = props.guacdReplicas ?? 2;
    const webCpu = props.webCpu ?? '1';
    const webMemory = props.webMemory ?? '2Gi';
    const guacdCpu = props.guacdCpu ?? '2';
    const guacdMemory = props.guacdMemory ?? '4Gi';
    const sessionRecording = props.sessionRecording ?? props.recordingFileSystem !== undefined;
    const retentionDays = (props.recordingRetention ?? Duration.days(30)).toDays({ integral: false });
    const pruneSchedule = props.recordingPruneSchedule ?? '17 3 * * *';
    const installExternalSecrets = props.installExternalSecrets ?? true;
    const externalSecretsNamespace = props.externalSecretsNamespace ?? 'external-secrets';
    const refreshSeconds = (props.secretsRefreshInterval ?? Duration.hours(1)).toSeconds();
    const restartSchedule = props.credentialRestartSchedule ?? '0 4 * * 0';
    const desktopSecurityGroupIds = props.desktopSecurityGroupIds ?? [cluster.clusterSecurityGroupId];

    // ---- validation -----------------------------------------------------------------------
    validatePublicHostname('GuacamoleGateway.hostname', props.hostname);
    validateCertificateArn('GuacamoleGateway.certificateArn', props.certificateArn, Stack.of(this).region);
    validateDns1123Label('GuacamoleGateway.namespace', namespace);
    // The chart creates the namespace, so removing the gateway would delete it.
    validateOwnedNamespace('GuacamoleGateway.namespace', namespace, true);
    for (const cidr of allowedCidrs) validateIpv4Cidr('GuacamoleGateway.allowedCidrs', cidr);
    if (allowedCidrs.length === 0) {
      throw new ValidationError('GuacamoleGateway.allowedCidrs', 'is empty; list at least one CIDR block that may reach the load balancer.');
    }
    validateInteger('GuacamoleGateway.idleTimeout', idleTimeoutSeconds, 1, 4000);
    validatePattern('GuacamoleGateway.sslPolicy', sslPolicy, SSL_POLICY, 'an ELB security policy name; use e.g. "ELBSecurityPolicy-TLS13-1-2-2021-06"');
    if (props.wafWebAclArn !== undefined) {
      validatePattern('GuacamoleGateway.wafWebAclArn', props.wafWebAclArn, WAF_ACL_ARN,
        'a regional WAFv2 web ACL ARN; use arn:aws:wafv2:<region>:<account>:regional/webacl/<name>/<id>');
    }
    validateDns1123Label('GuacamoleGateway.ingressClassName', props.ingressClassName ?? 'alb');
    if (cognitoOptions !== undefined) {
      if (cognitoOptions.domainPrefix === undefined) {
        try {
          validateDomainPrefix('GuacamoleGateway.authentication.domainPrefix', domainPrefix);
        } catch {
          throw new ValidationError('GuacamoleGateway.authentication.domainPrefix', `the default Cognito domain prefix "${domainPrefix}" (from the host name) is not accepted by Cognito; pass GuacamoleAuthentication.cognito({ domainPrefix: '...' }).`);
        }
      } else {
        validateDomainPrefix('GuacamoleGateway.authentication.domainPrefix', domainPrefix);
      }
      validateInteger('GuacamoleGateway.authentication.sessionTimeout', sessionTimeoutSeconds, 1, 604800);
    }
    for (const user of adminUsers) {
      if (!Token.isUnresolved(user) && (user.trim().length === 0 || user.length > 128 || /[\r\n]/.test(user))) {
        throw new ValidationError('GuacamoleGateway.adminUsers', `"${user}" is not a Guacamole username; use 1 to 128 characters on one line (with Cognito, the user's sub).`);
      }
      // With Cognito the ALB passes the user's `sub` (x-amzn-oidc-identity) as the username.
      if (cognitoOptions !== undefined && !Token.isUnresolved(user) && user.includes('@')) {
        throw new ValidationError('GuacamoleGateway.adminUsers', `"${user}" is an e-mail address, but with Cognito sign-in a Guacamole username is the user's Cognito sub (a UUID such as "9a1b2c3d-1111-2222-3333-444455556666"); list the sub (aws cognito-idp admin-get-user shows it).`);
      }
    }
    validateInteger('GuacamoleGateway.webReplicas', webReplicas, 1, 20);
    validateInteger('GuacamoleGateway.guacdReplicas', guacdReplicas, 1, 50);
    validateCpu('GuacamoleGateway.webCpu', webCpu);
    validateMemory('GuacamoleGateway.webMemory', webMemory);
    validateCpu('GuacamoleGateway.guacdCpu', guacdCpu);
    validateMemory('GuacamoleGateway.guacdMemory', guacdMemory);
    if (sessionRecording && props.recordingFileSystem === undefined) {
      throw new ValidationError('GuacamoleGateway.recordingFileSystem', 'sessionRecording is true but no file system stores the recordings; pass recordingFileSystem (e.g. DesktopCluster.efsFileSystem) or set sessionRecording: false.');
    }
    if (sessionRecording) {
      if (!Token.isUnresolved(retentionDays) && (!Number.isInteger(retentionDays) || retentionDays < 1)) {
        throw new ValidationError('GuacamoleGateway.recordingRetention', `${retentionDays} days is not a whole number of days ≥ 1; use e.g. Duration.days(30).`);
      }
      validateCron('GuacamoleGateway.recordingPruneSchedule', pruneSchedule);
    }
    validateDns1123Label('GuacamoleGateway.externalSecretsNamespace', externalSecretsNamespace);
    validateInteger('GuacamoleGateway.secretsRefreshInterval', refreshSeconds, 60, 86400);
    validateCron('GuacamoleGateway.credentialRestartSchedule', restartSchedule);
    // Multi-user rotation keeps the previous password valid for one more period only: the web
    // app, which reads the password at start, must restart within every rotation period.
    const rotationDays = props.database?.rotationDays ?? 30;
    const restartDays = Token.isUnresolved(restartSchedule) ? 0 : maxCronIntervalDays(restartSchedule);
    if (!Token.isUnresolved(rotationDays) && restartDays > rotationDays) {
      throw new ValidationError('GuacamoleGateway.credentialRestartSchedule', `"${restartSchedule}" restarts the web app up to ${restartDays} days apart, but database.rotationDays is ${rotationDays}: after the second rotation the running pods' password no longer works. Restart at least every ${rotationDays} days (e.g. "0 4 * * *") or rotate less often (database.rotationDays ≥ ${Math.ceil(restartDays)}).`);
    }
    desktopSecurityGroupIds.forEach((sg, i) => validateEc2Id(`GuacamoleGateway.desktopSecurityGroupIds[${i}]`, sg, 'sg'));
    validateGatewayCluster(cluster, installExternalSecrets ? [namespace, externalSecretsNamespace] : [namespace]);
    // The chart creates its namespace; the operator is one Helm release per cluster.
    claimUnique(cluster, 'Namespace', namespace, this, 'GuacamoleGateway.namespace',
      'Only one construct may create (and, when removed, delete) a namespace: give each gateway its own namespace.');
    if (installExternalSecrets) {
      claimUnique(cluster, 'Helm release', `${externalSecretsNamespace}/${EXTERNAL_SECRETS_RELEASE}`, this, 'GuacamoleGateway.installExternalSecrets',
        'The External Secrets Operator is installed once per cluster: set installExternalSecrets: false on the second gateway.');
    }
    requireOidcProvider('GuacamoleGateway.cluster', cluster);

    // ---- network --------------------------------------------------------------------------
    const podSecurityGroup = new ec2.SecurityGroup(this, 'PodSecurityGroup', {
      vpc,
      description: 'Guacamole pods (security groups for pods): web app from the load balancer, guacd from the web app',
      allowAllOutbound: true,
    });
    podSecurityGroup.addIngressRule(podSecurityGroup, ec2.Port.tcp(GUACD_PORT), 'guacd from the Guacamole web app');
    const clusterSecurityGroup = ec2.SecurityGroup.fromSecurityGroupId(this, 'ClusterSecurityGroup', cluster.clusterSecurityGroupId, { mutable: true });
    // The pods do not carry the cluster security group (members of it may reach each other on
    // every port, which would let any pod send the identity header to the web app), so the
    // few flows Fargate pods need with the control plane and CoreDNS are opened one by one.
    podSecurityGroup.addIngressRule(clusterSecurityGroup, ec2.Port.tcp(10250), 'kubelet API from the control plane (logs, exec)');
    clusterSecurityGroup.addIngressRule(podSecurityGroup, ec2.Port.tcp(443), 'Kubernetes API from the Guacamole pods');
    clusterSecurityGroup.addIngressRule(podSecurityGroup, ec2.Port.udp(53), 'DNS from the Guacamole pods');
    clusterSecurityGroup.addIngressRule(podSecurityGroup, ec2.Port.tcp(53), 'DNS from the Guacamole pods');
    desktopSecurityGroupIds.forEach((sgId, i) => {
      const target = sgId === cluster.clusterSecurityGroupId ? clusterSecurityGroup
        : ec2.SecurityGroup.fromSecurityGroupId(this, `DesktopSecurityGroup${i}`, sgId, { mutable: true });
      target.addIngressRule(podSecurityGroup, ec2.Port.tcp(RDP_PORT), 'RDP from guacd');
    });

    const loadBalancerSecurityGroup = new ec2.SecurityGroup(this, 'LoadBalancerSecurityGroup', {
      vpc,
      description: `Guacamole load balancer of ${props.hostname}: HTTPS (and HTTP redirect) from the allowed CIDRs`,
      allowAllOutbound: false,
    });
    for (const cidr of allowedCidrs) {
      loadBalancerSecurityGroup.addIngressRule(ec2.Peer.ipv4(cidr), ec2.Port.tcp(443), 'HTTPS');
      loadBalancerSecurityGroup.addIngressRule(ec2.Peer.ipv4(cidr), ec2.Port.tcp(80), 'HTTP (redirected to HTTPS)');
    }
    podSecurityGroup.connections.allowFrom(loadBalancerSecurityGroup, ec2.Port.tcp(8080), 'Guacamole web app from the load balancer only');
    if (cognitoOptions !== undefined) {
      // The authenticate action calls Cognito's token and user-info endpoints from the ALB.
      loadBalancerSecurityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'Cognito endpoints (authenticate action)');
    }

    // ---- database, secrets, sign-in -------------------------------------------------------
    this.database = new GuacamoleDatabase(this, 'Database', { ...props.database, vpc });
    this.database.connections.allowDefaultPortFrom(podSecurityGroup, 'PostgreSQL from the Guacamole pods');

    this.jsonAuthSecret = new secretsmanager.Secret(this, 'JsonAuthSecret', {
      description: `Guacamole ${props.hostname}: 128-bit key (32 hex digits) of encrypted JSON authentication`,
      generateSecretString: {
        passwordLength: 32,
        excludeUppercase: true,
        excludePunctuation: true,
        includeSpace: false,
        // What remains is 0-9 and a-f: a hexadecimal key.
        excludeCharacters: 'ghijklmnopqrstuvwxyz',
      },
    });

    acknowledgeAwsSolutions(this.jsonAuthSecret, {
      'AwsSolutions-SMG4': 'Rotating the JSON-auth key invalidates every sign-in link in flight; rotate it deliberately (new secret value, then roll the web pods).',
    });
    acknowledgeAwsSolutions(this.database, {
      'AwsSolutions-RDS6': 'Guacamole\'s JDBC module signs in with a password: IAM database authentication is not supported by it. The password is generated and rotated by Secrets Manager.',
      'AwsSolutions-IAM4': 'The RDS enhanced monitoring role carries the AWS-managed AmazonRDSEnhancedMonitoringRole policy, as RDS documents; AWS keeps it in step with the service.',
    });
    if (allowedCidrs.includes('0.0.0.0/0')) {
      acknowledgeAwsSolutions(loadBalancerSecurityGroup, {
        'AwsSolutions-EC23': 'An internet-facing gateway: the ALB admits only HTTPS (and redirects HTTP), authenticates every request with Cognito before it reaches Guacamole, and can be limited with `allowedCidrs`.',
      });
    }

    if (cognitoOptions !== undefined) {
      this.sso = new GuacamoleSso(this, 'Sso', {
        hostname: props.hostname,
        domainPrefix,
        mfa: cognitoOptions.mfa,
        threatProtection: cognitoOptions.threatProtection,
        removalPolicy: cognitoOptions.removalPolicy,
      });
    }

    // External Secrets assumes this role with a token of the `guacamole-secrets` service account.
    const secretsRole = createServiceAccountRole(this, 'SecretsRole', cluster, namespace, 'guacamole-secrets');
    this.database.appSecret.grantRead(secretsRole);
    this.database.masterSecret.grantRead(secretsRole);
    this.jsonAuthSecret.grantRead(secretsRole);

    // ---- recordings -----------------------------------------------------------------------
    let recording: { fileSystemId: string; accessPointId: string; retentionDays: number; pruneSchedule: string } | undefined;
    if (sessionRecording && props.recordingFileSystem !== undefined) {
      const fileSystem = props.recordingFileSystem;
      this.recordingAccessPoint = new efs.AccessPoint(this, 'RecordingsAccessPoint', {
        fileSystem,
        path: '/guacamole-recordings',
        // guacd runs as 1000 and writes; the web app (1001) reads through the same identity.
        posixUser: { uid: '1000', gid: '1000' },
        createAcl: { ownerUid: '1000', ownerGid: '1000', permissions: '750' },
      });
      fileSystem.connections.allowDefaultPortFrom(podSecurityGroup, 'NFS from the Guacamole pods');
      recording = { fileSystemId: fileSystem.fileSystemId, accessPointId: this.recordingAccessPoint.accessPointId, retentionDays, pruneSchedule };
    }

    // ---- Kubernetes -----------------------------------------------------------------------
    let externalSecrets: Construct | undefined;
    if (installExternalSecrets) {
      const values: ExternalSecretsValues = { installCRDs: true, webhook: { port: 9443 }, rbac: { serviceAccountTokenCreate: false } };
      externalSecrets = cluster.addHelmChart(`${id}-external-secrets`, {
        chart: 'external-secrets',
        repository: EXTERNAL_SECRETS_CHART_REPOSITORY,
        version: EXTERNAL_SECRETS_CHART_VERSION,
        namespace: externalSecretsNamespace,
        release: EXTERNAL_SECRETS_RELEASE,
        createNamespace: true,
        // The webhook must answer before the SecretStore and ExternalSecrets are applied.
        wait: true,
        timeout: Duration.minutes(15),
        values: { ...values },
      });
      if (props.clusterReady !== undefined) externalSecrets.node.addDependency(props.clusterReady);
      // Its webhook Service is created through the ALB controller's Service webhook.
      dependOnAlbController(externalSecrets, cluster);
    }

    this.connectionPolicy = {
      allowClipboardCopy: props.allowClipboardCopy ?? false,
      allowClipboardPaste: props.allowClipboardPaste ?? false,
      allowDriveRedirection: props.allowDriveRedirection ?? false,
      recordSessions: sessionRecording,
      drivePath: DRIVE_PATH,
    };

    const rdpCa = props.rdpCertificateAuthority;
    if (rdpCa !== undefined && (typeof rdpCa !== 'object' || rdpCa === null || typeof rdpCa.issuerName !== 'string' || rdpCa.issuerKind !== 'ClusterIssuer')) {
      throw new ValidationError('GuacamoleGateway.rdpCertificateAuthority', `is ${describeValue(rdpCa)}; use a DesktopCertificateAuthority.`, this);
    }

    this.chart = new GuacamoleChart(new cdk8s.App(), 'Guacamole', {
      namespace,
      hostname: props.hostname,
      certificateArn: props.certificateArn,
      internetFacing,
      albSecurityGroupId: loadBalancerSecurityGroup.securityGroupId,
      podSecurityGroupId: podSecurityGroup.securityGroupId,
      idleTimeoutSeconds,
      sslPolicy,
      wafWebAclArn: props.wafWebAclArn,
      ingressClassName: props.ingressClassName ?? 'alb',
      cognito: this.sso !== undefined ? {
        userPoolArn: this.sso.userPool.userPoolArn,
        userPoolClientId: this.sso.userPoolClient.userPoolClientId,
        userPoolDomain: this.sso.domainPrefix,
        sessionTimeoutSeconds,
      } : undefined,
      openId: authentication.openIdOptions,
      totp: props.totp ?? false,
      adminUsers,
      webReplicas,
      guacdReplicas,
      webResources: { cpu: webCpu, memory: webMemory },
      guacdResources: { cpu: guacdCpu, memory: guacdMemory },
      database: {
        hostname: this.database.hostname,
        port: this.database.port,
        databaseName: this.database.databaseName,
        appUsername: this.database.appUsername,
        appSecretArn: this.database.appSecret.secretArn,
        masterSecretArn: this.database.masterSecret.secretArn,
      },
      jsonAuthSecretArn: this.jsonAuthSecret.secretArn,
      region: Stack.of(this).region,
      secretsRoleArn: secretsRole.roleArn,
      secretsRefreshInterval: `${refreshSeconds}s`,
      externalSecretsServiceAccount: installExternalSecrets ? { namespace: externalSecretsNamespace, name: EXTERNAL_SECRETS_RELEASE } : undefined,
      credentialRestartSchedule: restartSchedule,
      recording,
      driveRedirection: this.connectionPolicy.allowDriveRedirection,
      // Its own certificate only carries the root in `ca.crt`; lifetime as the root's renewal window.
      rdpTrust: props.rdpCertificateAuthority !== undefined ? { issuerName: props.rdpCertificateAuthority.issuerName, duration: '2160h' } : undefined,
    });

    // ---- attributes -----------------------------------------------------------------------
    this.cluster = cluster;
    this.namespace = namespace;
    this.hostname = props.hostname;
    this.url = `https://${props.hostname}/guacamole/`;
    this.podSecurityGroup = podSecurityGroup;
    this.loadBalancerSecurityGroup = loadBalancerSecurityGroup;
    this.secretsRole = secretsRole;
    this.rdpCertificateAuthority = props.rdpCertificateAuthority;

    // ---- dependencies ---------------------------------------------------------------------
    this.manifest = cluster.addCdk8sChart(`${id}-manifests`, this.chart);
    // The schema Job needs the instances (not only the cluster resource the endpoint refers
    // to) and the attached secrets; the ExternalSecrets need the operator's CRDs and webhook.
    this.manifest.node.addDependency(this.database, secretsRole, this.jsonAuthSecret);
    if (this.recordingAccessPoint !== undefined) this.manifest.node.addDependency(this.recordingAccessPoint);
    if (externalSecrets !== undefined) this.manifest.node.addDependency(externalSecrets);
    if (props.clusterReady !== undefined) this.manifest.node.addDependency(props.clusterReady);
    // The trust anchor's Certificate needs cert-manager's CRDs and the issuer.
    if (props.rdpCertificateAuthority !== undefined) this.manifest.node.addDependency(props.rdpCertificateAuthority.ready);
    // Services and the Ingress go through the ALB controller's webhooks; on delete the
    // controller outlives the Ingress and removes the ALB.
    dependOnAlbController(this.manifest, cluster);
  }
}

const DURATION = (example: string) => isInstanceOf(Duration, `an aws-cdk-lib Duration, e.g. ${example}`);

/** Runtime types of `GuacamoleGatewayProps` (values from cdk.json arrive as anything). */
const GATEWAY_PROP_TYPES = {
  cluster: required(isConstruct('an EKS cluster')),
  vpc: isConstruct('an ec2.IVpc'),
  hostname: required(isString("'desktops.example.com'")),
  certificateArn: required(isString("'arn:aws:acm:us-east-1:123456789012:certificate/...'")),
  namespace: isString("'guacamole'"),
  internetFacing: isBoolean(),
  allowedCidrs: isArrayOf(isString("'203.0.113.0/24'"), "['203.0.113.0/24']"),
  idleTimeout: DURATION('Duration.hours(1)'),
  sslPolicy: isString("'ELBSecurityPolicy-TLS13-1-2-2021-06'"),
  wafWebAclArn: isString("'arn:aws:wafv2:...'"),
  ingressClassName: isString("'alb'"),
  authentication: isInstanceOf(GuacamoleAuthentication, 'GuacamoleAuthentication.cognito() or GuacamoleAuthentication.openId({...})'),
  totp: isBoolean(),
  adminUsers: isArrayOf(isString("'9a1b2c3d-1111-2222-3333-444455556666'"), "['<Cognito sub>']"),
  webReplicas: isNumber('2'),
  guacdReplicas: isNumber('2'),
  webCpu: isString("'1'"),
  webMemory: isString("'2Gi'"),
  guacdCpu: isString("'2'"),
  guacdMemory: isString("'4Gi'"),
  // GuacamoleDatabase checks the rest of its props (and misspellings) itself.
  database: isShape({ rotationDays: isNumber('30') }, '{ rotationDays: 30 }', { refuseMisspelled: false }),
  sessionRecording: isBoolean(),
  recordingFileSystem: isConstruct('an efs.IFileSystem'),
  recordingRetention: DURATION('Duration.days(30)'),
  recordingPruneSchedule: isString("'17 3 * * *'"),
  allowClipboardCopy: isBoolean(),
  allowClipboardPaste: isBoolean(),
  allowDriveRedirection: isBoolean(),
  installExternalSecrets: isBoolean(),
  externalSecretsNamespace: isString("'external-secrets'"),
  secretsRefreshInterval: DURATION('Duration.hours(1)'),
  credentialRestartSchedule: isString("'0 4 * * 0'"),
  desktopSecurityGroupIds: isArrayOf(isString("'sg-0123456789abcdef0'"), "['sg-0123456789abcdef0']"),
  clusterReady: isShape({}, 'desktopCluster.systemReady'),
  // Checked in the constructor (a DesktopCertificateAuthority or fromIssuerName()).
  rdpCertificateAuthority: () => undefined,
};

/**
 * Fails unless `arn` is an ACM certificate ARN in the load balancer's region: an ALB can only
 * use certificates of its own region, and the controller would fail to create it at run time.
 */
function validateCertificateArn(prop: string, arn: string, region: string): void {
  const example = `arn:aws:acm:${Token.isUnresolved(region) ? 'us-east-1' : region}:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789`;
  const parts = parseArn(prop, arn, 'acm', example);
  if (parts === undefined) return;
  if (!/^certificate\/[A-Za-z0-9-]+$/.test(parts.resource)) {
    throw new ValidationError(prop, `"${arn}" is not an ACM certificate ARN (its resource is "${parts.resource}"); give e.g. "${example}".`);
  }
  if (!Token.isUnresolved(region) && parts.region !== region) {
    throw new ValidationError(prop, `"${arn}" is a certificate in ${parts.region}, but the load balancer is in ${region}; an ALB uses certificates of its own region only. Request or import the certificate in ${region} (CloudFront's us-east-1 certificates do not apply here).`);
  }
}

/**
 * Fails when a cluster defined in this app cannot run the gateway: its pods run on Fargate
 * (so each namespace needs a Fargate profile) and its Ingress needs the AWS Load Balancer
 * Controller. Imported clusters are not checked: their profiles and add-ons are not visible.
 */
function validateGatewayCluster(cluster: IEksCluster, namespaces: string[]): void {
  const isV2 = cluster instanceof eksv2.Cluster;
  if (!isV2 && !(cluster instanceof eksv1.Cluster)) return;
  if ((cluster as eksv2.Cluster | eksv1.Cluster).albController === undefined) {
    throw new ValidationError('GuacamoleGateway.cluster', `${cluster.node.path} has no AWS Load Balancer Controller, so the gateway's Ingress would never get a load balancer. Create the cluster with albController (DesktopCluster does by default).`);
  }
  // aws-eks (v1) creates Fargate profiles through a custom resource whose selectors are not visible.
  if (!isV2) return;
  const profiled = new Set<string>();
  for (const child of cluster.node.root.node.findAll()) {
    if (!(child instanceof CfnFargateProfile) || child.clusterName !== cluster.clusterName) continue;
    const selectors = Array.isArray(child.selectors) ? child.selectors : [];
    for (const selector of selectors as Array<{ namespace?: string }>) {
      if (typeof selector.namespace === 'string') profiled.add(selector.namespace);
    }
  }
  const missing = namespaces.filter((ns) => !Token.isUnresolved(ns) && !profiled.has(ns));
  if (missing.length > 0) {
    throw new ValidationError('GuacamoleGateway.namespace', `${missing.map((n) => `"${n}"`).join(' and ')} ha${missing.length === 1 ? 's' : 've'} no Fargate profile on ${cluster.node.path}, where the gateway's pods run; they would stay Pending. Add ${missing.length === 1 ? 'it' : 'them'} to DesktopCluster systemNamespaces (or cluster.addFargateProfile(...)).`);
  }
}
