import { Names, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as cdk8s from 'cdk8s';
import { Construct, IDependable } from 'constructs';
import { acknowledgeAwsSolutions } from '../common/acknowledge';
import { createServiceAccountRole, IEksCluster } from '../common/eks-cluster';
import { validateDns1123Label, validateDns1123Subdomain } from '../common/validate';
import { ValidationError } from '../common/validation-error';
import { PortainerChart } from './portainer-chart';

/**
 * What Portainer may do in the cluster: one of Kubernetes' built-in user-facing ClusterRoles,
 * bound to Portainer's service account.
 *
 * @see https://kubernetes.io/docs/reference/access-authn-authz/rbac/#user-facing-roles
 */
export enum PortainerClusterAccess {
  /** Read most objects (not Secrets): browse workloads and logs. */
  VIEW = 'view',
  /** Read and change most namespaced objects (not Roles or RoleBindings). */
  EDIT = 'edit',
  /** Everything: Portainer manages the cluster. Grant only with a reason. */
  CLUSTER_ADMIN = 'cluster-admin',
}

/** Props of `Portainer`. */
export interface PortainerProps {
  /** The cluster Portainer runs in and shows (from `aws-eks` or `aws-eks-v2`). */
  readonly cluster: IEksCluster;

  /**
   * ACM certificate of the load balancer's HTTPS listener (the only listener: the admin
   * password crosses it).
   */
  readonly certificateArn: string;

  /**
   * Namespace of Portainer. Its pods run on Fargate, so a Fargate profile must select it:
   * list it in `DesktopCluster.systemNamespaces`.
   * @default 'portainer'
   */
  readonly namespace?: string;

  /**
   * Host name the Ingress answers for.
   * @default - any host name that reaches the load balancer
   */
  readonly hostname?: string;

  /**
   * Put the load balancer on the internet instead of inside the VPC.
   * @default false
   */
  readonly internetFacing?: boolean;

  /**
   * TLS policy of the HTTPS listener.
   * @default 'ELBSecurityPolicy-TLS13-1-2-2021-06'
   */
  readonly sslPolicy?: string;

  /**
   * What Portainer's service account may do in the cluster.
   * @default PortainerClusterAccess.VIEW
   */
  readonly clusterAccess?: PortainerClusterAccess;

  /**
   * Secrets Manager secret holding the `admin` user's initial password as a plain string of
   * at least 12 characters (Portainer's minimum). Read once, at Portainer's first start.
   * @default - a generated 32-character secret
   */
  readonly adminPassword?: secretsmanager.ISecret;

  /**
   * EFS file system for Portainer's data (an access point `/portainer` is created on it). Its
   * mount targets must be in the cluster's VPC.
   * @default - a new encrypted file system in the cluster VPC's private subnets, retained when
   * the stack is deleted
   */
  readonly fileSystem?: efs.IFileSystem;

  /**
   * Something the Kubernetes objects must wait for, e.g. `DesktopCluster.systemReady`
   * (CoreDNS, load balancer controller and CSI drivers running): the load balancer
   * controller's webhooks reject Services and Ingresses until it runs.
   * @default - no extra dependency
   */
  readonly clusterReady?: IDependable;
}

/**
 * Portainer CE, the optional web management UI, on Fargate: data on EFS, an internal ALB
 * (HTTPS only) by default, the admin password from Secrets Manager (never in a template or
 * manifest), read-only access to the cluster unless asked otherwise.
 *
 * Needs the AWS Load Balancer Controller in the cluster (as for the Guacamole gateway) and a
 * Fargate profile for `namespace`.
 */
export class Portainer extends Construct {
  /** Secret with the admin password. */
  public readonly adminPassword: secretsmanager.ISecret;
  /** The file system holding Portainer's data. */
  public readonly fileSystem: efs.IFileSystem;
  /** Access point Portainer's volume mounts. */
  public readonly accessPoint: efs.AccessPoint;
  /** IRSA role of Portainer's service account (reads the admin password secret only). */
  public readonly serviceAccountRole: iam.IRole;
  /** The cdk8s chart with Portainer's objects (also usable for GitOps). */
  public readonly chart: PortainerChart;
  /** The manifest that applies `chart` to the cluster. */
  public readonly manifest: Construct;

  constructor(scope: Construct, id: string, props: PortainerProps) {
    super(scope, id);
    const namespace = props.namespace ?? 'portainer';
    const sslPolicy = props.sslPolicy ?? 'ELBSecurityPolicy-TLS13-1-2-2021-06';
    const clusterAccess = props.clusterAccess ?? PortainerClusterAccess.VIEW;

    ValidationError.within(this, () => {
      validateDns1123Label('Portainer.namespace', namespace);
      if (props.hostname !== undefined && !Token.isUnresolved(props.hostname)) validateDns1123Subdomain('Portainer.hostname', props.hostname);
    });
    if (!Token.isUnresolved(props.certificateArn) && !/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]+$/.test(props.certificateArn)) {
      throw new ValidationError('Portainer.certificateArn', `is ${JSON.stringify(props.certificateArn)}; give an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>).`, this);
    }
    if (!Object.values(PortainerClusterAccess).includes(clusterAccess)) {
      throw new ValidationError('Portainer.clusterAccess', `is ${JSON.stringify(clusterAccess)}; use PortainerClusterAccess.VIEW, EDIT or CLUSTER_ADMIN.`, this);
    }

    this.adminPassword = props.adminPassword ?? new secretsmanager.Secret(this, 'AdminPassword', {
      description: 'Initial password of the Portainer admin user',
      generateSecretString: { passwordLength: 32, excludePunctuation: true },
    });
    if (props.adminPassword === undefined) {
      acknowledgeAwsSolutions(this, {
        'AwsSolutions-SMG4': 'Portainer reads this password once, at its first start; rotating the secret would not change the password Portainer keeps in its database.',
      });
    }

    this.fileSystem = props.fileSystem ?? new efs.FileSystem(this, 'FileSystem', {
      vpc: props.cluster.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      encrypted: true,
      removalPolicy: RemovalPolicy.RETAIN,
      // Mounts for Fargate pods come from the pods' security group (the cluster security group)
      // without an IAM identity of the pod; the security group rule below is the gate.
      allowAnonymousAccess: true,
    });
    const clusterSecurityGroup = ec2.SecurityGroup.fromSecurityGroupId(this, 'ClusterSecurityGroup', props.cluster.clusterSecurityGroupId);
    this.fileSystem.connections.allowDefaultPortFrom(clusterSecurityGroup, 'NFS from the Fargate pods (cluster security group)');
    this.accessPoint = new efs.AccessPoint(this, 'AccessPoint', {
      fileSystem: this.fileSystem,
      path: '/portainer',
      // Portainer runs as root in its image; the access point gives it a directory of its own.
      createAcl: { ownerUid: '0', ownerGid: '0', permissions: '700' },
    });

    const role = createServiceAccountRole(this, 'ServiceAccountRole', props.cluster, namespace, 'portainer');
    this.adminPassword.grantRead(role);
    this.serviceAccountRole = role;

    this.chart = new PortainerChart(new cdk8s.App(), 'Portainer', {
      namespace,
      serviceAccountRoleArn: role.roleArn,
      adminPasswordSecretArn: this.adminPassword.secretArn,
      region: Stack.of(this).region,
      clusterRoleName: clusterAccess,
      fileSystemId: this.fileSystem.fileSystemId,
      accessPointId: this.accessPoint.accessPointId,
      certificateArn: props.certificateArn,
      sslPolicy,
      internetFacing: props.internetFacing ?? false,
      hostname: props.hostname,
    });
    this.manifest = props.cluster.addCdk8sChart(`Portainer${Names.uniqueId(this)}`, this.chart);
    // The volume mounts only once the mount targets exist.
    this.manifest.node.addDependency(this.fileSystem.mountTargetsAvailable);
    this.manifest.node.addDependency(this.accessPoint);
    if (props.clusterReady !== undefined) this.manifest.node.addDependency(props.clusterReady);
  }
}
