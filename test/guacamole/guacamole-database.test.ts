import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { GuacamoleDatabase } from '../../constructs/guacamole/guacamole-database';
import { checkTemplateAgainstRegistry } from '../support/cloudformation-schemas';
import { scanTemplateForSecrets } from '../support/secret-scan';
import { newStack, REGION } from './guacamole-fixtures';

function vpcOf(stack: Stack): ec2.Vpc {
  return new ec2.Vpc(stack, 'Vpc', { availabilityZones: [`${REGION}a`, `${REGION}b`], natGateways: 1 });
}

describe('GuacamoleDatabase (defaults)', () => {
  let stack: Stack;
  let vpc: ec2.Vpc;
  let database: GuacamoleDatabase;
  let template: Template;

  beforeAll(() => {
    // GIVEN
    stack = newStack();
    vpc = vpcOf(stack);
    // WHEN
    database = new GuacamoleDatabase(stack, 'Database', { vpc });
    template = Template.fromStack(stack);
  });

  test('Aurora PostgreSQL, encrypted, deletion-protected, snapshot on removal, backups, logs exported', () => {
    template.hasResource('AWS::RDS::DBCluster', {
      Properties: Match.objectLike({
        Engine: 'aurora-postgresql',
        StorageEncrypted: true,
        DeletionProtection: true,
        BackupRetentionPeriod: 7,
        EnableCloudwatchLogsExports: ['postgresql'],
        EnableIAMDatabaseAuthentication: true,
        DatabaseName: 'guacamole',
        ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 4 },
        MasterUsername: 'guacamole_owner',
        // The master password comes from the generated secret, never a literal.
        MasterUserPassword: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('^\\{\\{resolve:secretsmanager:')])] },
      }),
      DeletionPolicy: 'Snapshot',
      UpdateReplacePolicy: 'Snapshot',
    });
  });

  test('Serverless v2 writer and one reader, neither publicly accessible', () => {
    const instances = template.findResources('AWS::RDS::DBInstance');
    expect(Object.keys(instances)).toHaveLength(2);
    for (const instance of Object.values(instances)) {
      expect(instance.Properties).toEqual(expect.objectContaining({ DBInstanceClass: 'db.serverless', PubliclyAccessible: false }));
    }
  });

  test('the subnet group lists the private subnets only', () => {
    const privateSubnetIds = vpc.privateSubnets.map((s) => stack.resolve(s.subnetId));
    template.hasResourceProperties('AWS::RDS::DBSubnetGroup', { SubnetIds: privateSubnetIds });
    const publicIds = vpc.publicSubnets.map((s) => JSON.stringify(stack.resolve(s.subnetId)));
    const group = Object.values(template.findResources('AWS::RDS::DBSubnetGroup'))[0];
    for (const id of group.Properties.SubnetIds) expect(publicIds).not.toContain(JSON.stringify(id));
  });

  test('TLS is forced through the parameter group', () => {
    template.hasResourceProperties('AWS::RDS::DBClusterParameterGroup', { Parameters: { 'rds.force_ssl': '1' } });
  });

  test('two generated secrets, both rotated every 30 days; the application user waits for its first rotation', () => {
    const secrets = Object.values(template.findResources('AWS::SecretsManager::Secret'));
    expect(secrets).toHaveLength(2);
    for (const secret of secrets) {
      expect(secret.Properties.GenerateSecretString).toEqual(expect.objectContaining({ GenerateStringKey: 'password' }));
      expect(secret.Properties.SecretString).toBeUndefined();
    }
    // The application secret's template also names the master secret (a reference), so compare text.
    const templates = secrets.map((s) => JSON.stringify(s.Properties.GenerateSecretString.SecretStringTemplate));
    expect(templates.filter((t) => t.includes('\\"username\\":\\"guacamole_owner\\"'))).toHaveLength(1);
    expect(templates.filter((t) => t.includes('\\"username\\":\\"guacamole_app\\"') && t.includes('masterarn'))).toHaveLength(1);
    const schedules = Object.values(template.findResources('AWS::SecretsManager::RotationSchedule'));
    expect(schedules).toHaveLength(2);
    for (const s of schedules) expect(s.Properties.RotationRules).toEqual({ ScheduleExpression: 'rate(30 days)' });
    expect(schedules.map((s) => s.Properties.RotateImmediatelyOnUpdate).sort()).toEqual([false, undefined].sort());
    template.resourceCountIs('AWS::Serverless::Application', 2);
  });

  test('the database security group admits nothing but what connections allow', () => {
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('^Guacamole database'),
      // allowAllOutbound: false leaves CDK's placeholder rule that matches no traffic.
      SecurityGroupEgress: [Match.objectLike({ CidrIp: '255.255.255.255/32' })],
      SecurityGroupIngress: Match.absent(),
    });
    const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress'))
      .filter((r) => JSON.stringify(r.Properties.GroupId).includes('DatabaseSecurityGroup'));
    // Only the two rotation functions so far; the gateway adds its pods.
    expect(ingress).toHaveLength(2);
    for (const rule of ingress) {
      expect(rule.Properties).toEqual(expect.objectContaining({
        IpProtocol: 'tcp',
        FromPort: { 'Fn::GetAtt': [expect.stringMatching(/^Database/), 'Endpoint.Port'] },
        SourceSecurityGroupId: { 'Fn::GetAtt': [expect.stringMatching(/Rotation(SingleUser|AppUserRotation|MultiUser)?.*SecurityGroup/), 'GroupId'] },
      }));
    }
    expect(ingress.every((r) => r.Properties.CidrIp === undefined)).toBe(true);
  });

  test('exposes its endpoint, users and secrets', () => {
    expect(database.databaseName).toBe('guacamole');
    expect(database.appUsername).toBe('guacamole_app');
    expect(stack.resolve(database.hostname)).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^Database/), 'Endpoint.Address'] });
    expect(database.appSecret.secretArn).toBeDefined();
  });

  test('valid against the CloudFormation registry schemas, no plaintext secret', () => {
    const result = checkTemplateAgainstRegistry(template.toJSON());
    expect(result.checkedTypes).toEqual(expect.arrayContaining(['AWS::RDS::DBCluster', 'AWS::RDS::DBInstance', 'AWS::SecretsManager::Secret']));
    expect(result.errors).toEqual([]);
    expect(scanTemplateForSecrets(template)).toEqual([]);
  });
});

describe('GuacamoleDatabase options and bad input', () => {
  test('every instance has enhanced monitoring every 60 s (AWS Control Tower CT.RDS.PR.2)', () => {
    const stack = newStack();
    new GuacamoleDatabase(stack, 'Database', { vpc: vpcOf(stack) });
    const instances = Object.values(Template.fromStack(stack).findResources('AWS::RDS::DBInstance'));
    expect(instances.length).toBeGreaterThanOrEqual(2);
    for (const instance of instances) {
      expect(instance.Properties).toEqual(expect.objectContaining({ MonitoringInterval: 60, MonitoringRoleArn: expect.anything() }));
    }
  });

  test('an enhanced-monitoring interval RDS does not accept', () => {
    const stack = newStack();
    expect(() => new GuacamoleDatabase(stack, 'Database', { vpc: vpcOf(stack), monitoringInterval: Duration.seconds(20) }))
      .toThrow(/GuacamoleDatabase\.monitoringInterval: must be 0 \(off\), 1, 5, 10, 15, 30 or 60 seconds/);
    // From JSON (e.g. cdk.json) it arrives as a plain number.
    const other = newStack();
    expect(() => new GuacamoleDatabase(other, 'Database', { vpc: vpcOf(other), monitoringInterval: 60 as unknown as Duration }))
      .toThrow(/GuacamoleDatabase\.monitoringInterval: must be 0 \(off\)/);
  });

  test('provisioned instances, no reader, retain, IAM auth, 7-day rotation', () => {
    // GIVEN
    const stack = newStack();
    // WHEN
    new GuacamoleDatabase(stack, 'Database', {
      vpc: vpcOf(stack), instanceType: ec2.InstanceType.of(ec2.InstanceClass.R7G, ec2.InstanceSize.LARGE), readers: 0,
      removalPolicy: RemovalPolicy.RETAIN, iamAuthentication: true, rotationDays: 7,
    });
    // THEN
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::RDS::DBInstance', 1);
    template.hasResourceProperties('AWS::RDS::DBInstance', { DBInstanceClass: 'db.r7g.large', PubliclyAccessible: false });
    template.hasResource('AWS::RDS::DBCluster', { Properties: Match.objectLike({ EnableIAMDatabaseAuthentication: true, StorageEncrypted: true }), DeletionPolicy: 'Retain' });
    template.allResourcesProperties('AWS::SecretsManager::RotationSchedule', { RotationRules: { ScheduleExpression: 'rate(7 days)' } });
  });

  test.each([
    [{ subnets: { subnetType: ec2.SubnetType.PUBLIC } }, /GuacamoleDatabase\.subnets: selects public subnets/],
    [{ minCapacity: 0.3 }, /GuacamoleDatabase\.minCapacity: got 0\.3; use 0 to 256 ACUs in steps of 0\.5/],
    [{ maxCapacity: 300 }, /GuacamoleDatabase\.maxCapacity: got 300/],
    [{ minCapacity: 8, maxCapacity: 4 }, /GuacamoleDatabase\.minCapacity: 8 is above maxCapacity 4/],
    [{ readers: 16 }, /GuacamoleDatabase\.readers: got 16/],
    [{ backupRetentionDays: 0 }, /GuacamoleDatabase\.backupRetentionDays: got 0/],
    [{ rotationDays: 0 }, /GuacamoleDatabase\.rotationDays: got 0/],
  ])('%j fails', (props, error) => {
    const stack = newStack();
    expect(() => new GuacamoleDatabase(stack, 'Database', { vpc: vpcOf(stack), ...props })).toThrow(error);
  });
});
