import { Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { checkProps, isBoolean, isConstruct, isEnumMember, isInstanceOf, isNumber, isShape, required, validateInteger } from '../common/validate';
import { reportsConstructPath, ValidationError } from '../common/validation-error';

/**
 * Properties of {@link GuacamoleDatabase}.
 */
export interface GuacamoleDatabaseProps {
  /**
   * VPC of the database (the cluster's VPC).
   */
  readonly vpc: ec2.IVpc;

  /**
   * Subnets of the database. They must be private: a public subnet fails synthesis.
   * @default - the VPC's private subnets with egress
   */
  readonly subnets?: ec2.SubnetSelection;

  /**
   * Instance type of provisioned instances. Leave it unset for Aurora Serverless v2.
   * @default - Serverless v2 instances
   */
  readonly instanceType?: ec2.InstanceType;

  /**
   * Serverless v2 minimum capacity in ACUs (0 to 256, in steps of 0.5).
   * @default 0.5
   */
  readonly minCapacity?: number;

  /**
   * Serverless v2 maximum capacity in ACUs (1 to 256, in steps of 0.5).
   * @default 4
   */
  readonly maxCapacity?: number;

  /**
   * Reader instances besides the writer (0 to 15). One reader in another zone gives a
   * fail-over target.
   * @default 1
   */
  readonly readers?: number;

  /**
   * Aurora PostgreSQL engine version.
   * @default AuroraPostgresEngineVersion.VER_17_9
   */
  readonly engineVersion?: rds.AuroraPostgresEngineVersion;

  /**
   * KMS key that encrypts the storage (it is always encrypted).
   * @default - the AWS managed key for RDS
   */
  readonly storageEncryptionKey?: kms.IKey;

  /**
   * Days automated backups are kept (1 to 35).
   * @default 7
   */
  readonly backupRetentionDays?: number;

  /**
   * Refuse to delete the cluster.
   * @default true
   */
  readonly deletionProtection?: boolean;

  /**
   * What happens to the cluster when it leaves the stack.
   * @default RemovalPolicy.SNAPSHOT
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Allow IAM database authentication besides passwords (AWS Control Tower CT.RDS.PR.4).
   * Guacamole itself signs in with its rotated password; IAM authentication lets operators
   * connect with short-lived tokens instead of the master password. No database user can use
   * it until granted `rds_iam`.
   * @default true
   */
  readonly iamAuthentication?: boolean;

  /**
   * Interval of RDS enhanced monitoring (OS metrics) of every instance, 1, 5, 10, 15, 30 or
   * 60 seconds (AWS Control Tower CT.RDS.PR.2); `Duration.seconds(0)` turns it off.
   * @default Duration.seconds(60)
   */
  readonly monitoringInterval?: Duration;

  /**
   * Days between password rotations of both users (1 to 365).
   * @default 30
   */
  readonly rotationDays?: number;
}

/** Name of the database Guacamole uses. */
const DATABASE_NAME = 'guacamole';
/** The master user: used only by the schema Job and the rotation functions. */
const MASTER_USERNAME = 'guacamole_owner';
/** The application user; multi-user rotation alternates it with `<name>_clone`. */
const APP_USERNAME = 'guacamole_app';

/**
 * The Guacamole connection database: Aurora PostgreSQL (Serverless v2 by default), encrypted,
 * in private subnets, reachable only from what `connections` allows, with two generated users
 * whose passwords Secrets Manager rotates.
 *
 * - The master user (`masterSecret`, single-user rotation) creates the schema and the
 *   application role; the web app never sees it.
 * - The application user (`appSecret`) uses multi-user rotation: each rotation switches the
 *   secret between `guacamole_app` and `guacamole_app_clone` and changes the password of the
 *   one not in use, so the credentials a running web app started with stay valid for a whole
 *   rotation period. Its first rotation waits one period, because the role is created by the
 *   schema Job after the stack's Kubernetes side is applied.
 *
 * Connections are forced to TLS (`rds.force_ssl`).
 */
@reportsConstructPath
export class GuacamoleDatabase extends Construct implements ec2.IConnectable {
  /** The Aurora cluster. */
  public readonly cluster: rds.DatabaseCluster;
  /** Secret of the master user (JSON: username, password, host, port, dbname, engine). */
  public readonly masterSecret: secretsmanager.ISecret;
  /** Secret of the application user (same JSON shape; rotated by the multi-user scheme). */
  public readonly appSecret: secretsmanager.ISecret;
  /** Name of the database. */
  public readonly databaseName: string = DATABASE_NAME;
  /** Base name of the application role (the secret may hold `<name>_clone`). */
  public readonly appUsername: string = APP_USERNAME;
  /** Writer endpoint host name. */
  public readonly hostname: string;
  /** Writer endpoint port (as a string token). */
  public readonly port: string;
  /** Security group rules of the database (allow clients with `connections.allowDefaultPortFrom`). */
  public readonly connections: ec2.Connections;

  constructor(scope: Construct, id: string, props: GuacamoleDatabaseProps) {
    super(scope, id);

    checkProps('GuacamoleDatabase', props, {
      vpc: required(isConstruct('an ec2.IVpc')),
      subnets: isShape({}, '{ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }'),
      instanceType: isInstanceOf(ec2.InstanceType, "an ec2.InstanceType, e.g. new ec2.InstanceType('r7g.large')"),
      minCapacity: isNumber('0.5'),
      maxCapacity: isNumber('4'),
      readers: isNumber('1'),
      storageEncryptionKey: isConstruct('a kms.IKey'),
      backupRetentionDays: isNumber('7'),
      deletionProtection: isBoolean(),
      removalPolicy: isEnumMember(RemovalPolicy as unknown as Record<string, string>, 'RemovalPolicy'),
      iamAuthentication: isBoolean(),
      rotationDays: isNumber('30'),
      engineVersion: isShape({}, 'rds.AuroraPostgresEngineVersion.VER_17_9'),
    });
    // Defaults.
    const subnets = props.subnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
    const minCapacity = props.minCapacity ?? 0.5;
    const maxCapacity = props.maxCapacity ?? 4;
    const readers = props.readers ?? 1;
    const monitoringInterval = props.monitoringInterval ?? Duration.seconds(60);
    const backupRetentionDays = props.backupRetentionDays ?? 7;
    const rotationDays = props.rotationDays ?? 30;

    // Validation.
    if (props.vpc.selectSubnets(subnets).hasPublic) {
      throw new ValidationError('GuacamoleDatabase.subnets', 'selects public subnets; the database must live in private subnets (e.g. { subnetType: SubnetType.PRIVATE_WITH_EGRESS } or PRIVATE_ISOLATED).');
    }
    validateCapacity('GuacamoleDatabase.minCapacity', minCapacity, 0);
    validateCapacity('GuacamoleDatabase.maxCapacity', maxCapacity, 1);
    if (!Token.isUnresolved(minCapacity) && !Token.isUnresolved(maxCapacity) && minCapacity > maxCapacity) {
      throw new ValidationError('GuacamoleDatabase.minCapacity', `${minCapacity} is above maxCapacity ${maxCapacity}; lower minCapacity or raise maxCapacity.`);
    }
    validateInteger('GuacamoleDatabase.readers', readers, 0, 15);
    if (!(monitoringInterval instanceof Duration) || monitoringInterval.isUnresolved() || ![0, 1, 5, 10, 15, 30, 60].includes(monitoringInterval.toSeconds())) {
      throw new ValidationError('GuacamoleDatabase.monitoringInterval', 'must be 0 (off), 1, 5, 10, 15, 30 or 60 seconds (the intervals RDS enhanced monitoring accepts), e.g. Duration.seconds(60).');
    }
    validateInteger('GuacamoleDatabase.backupRetentionDays', backupRetentionDays, 1, 35);
    validateInteger('GuacamoleDatabase.rotationDays', rotationDays, 1, 365);

    // Resources.
    const engine = rds.DatabaseClusterEngine.auroraPostgres({ version: props.engineVersion ?? rds.AuroraPostgresEngineVersion.VER_17_9 });
    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Guacamole database: PostgreSQL from the Guacamole pods and the rotation functions only',
      allowAllOutbound: false,
    });
    const parameterGroup = new rds.ParameterGroup(this, 'Parameters', {
      engine,
      description: 'Guacamole database: TLS only',
      parameters: { 'rds.force_ssl': '1' },
    });
    // The first reader scales with the writer so that a fail-over lands on a warm instance.
    const instance = (name: string, scaleWithWriter: boolean): rds.IClusterInstance => props.instanceType !== undefined
      ? rds.ClusterInstance.provisioned(name, { instanceType: props.instanceType, publiclyAccessible: false })
      : rds.ClusterInstance.serverlessV2(name, { publiclyAccessible: false, scaleWithWriter });

    this.cluster = new rds.DatabaseCluster(this, 'Resource', {
      engine,
      writer: instance('Writer', false),
      readers: Array.from({ length: readers }, (_, i) => instance(`Reader${i + 1}`, i === 0)),
      serverlessV2MinCapacity: props.instanceType === undefined ? minCapacity : undefined,
      serverlessV2MaxCapacity: props.instanceType === undefined ? maxCapacity : undefined,
      vpc: props.vpc,
      vpcSubnets: subnets,
      securityGroups: [securityGroup],
      credentials: rds.Credentials.fromGeneratedSecret(MASTER_USERNAME),
      defaultDatabaseName: DATABASE_NAME,
      parameterGroup,
      storageEncrypted: true,
      storageEncryptionKey: props.storageEncryptionKey,
      iamAuthentication: props.iamAuthentication ?? true,
      monitoringInterval: monitoringInterval.toSeconds() > 0 ? monitoringInterval : undefined,
      backup: { retention: Duration.days(backupRetentionDays) },
      cloudwatchLogsExports: ['postgresql'],
      deletionProtection: props.deletionProtection ?? true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.SNAPSHOT,
      copyTagsToSnapshot: true,
    });
    this.masterSecret = this.cluster.secret!;
    this.cluster.addRotationSingleUser({ automaticallyAfter: Duration.days(rotationDays) });

    const appSecret = new rds.DatabaseSecret(this, 'AppSecret', {
      username: APP_USERNAME,
      dbname: DATABASE_NAME,
      masterSecret: this.masterSecret,
    });
    this.appSecret = appSecret.attach(this.cluster);
    this.cluster.addRotationMultiUser('AppUserRotation', {
      secret: this.appSecret,
      automaticallyAfter: Duration.days(rotationDays),
      // The role does not exist until the schema Job runs; the first rotation waits a period.
      rotateImmediatelyOnUpdate: false,
    });

    // Attributes.
    this.hostname = this.cluster.clusterEndpoint.hostname;
    this.port = Token.asString(this.cluster.clusterEndpoint.port);
    this.connections = this.cluster.connections;
  }
}

function validateCapacity(prop: string, value: number, min: number): void {
  if (Token.isUnresolved(value)) return;
  if (value < min || value > 256 || !Number.isInteger(value * 2)) {
    throw new ValidationError(prop, `got ${value}; use ${min} to 256 ACUs in steps of 0.5.`);
  }
}
