import * as fs from 'fs';
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as cr from 'aws-cdk-lib/custom-resources';
import { UPSTREAM_VERSIONS_CHECKED } from '../../constructs/common/versions';
import { EnableFastLaunch, EnableFastLaunchProps } from '../../constructs/windows-ami/enable-fast-launch';
import { Json, Resolver } from '../karpenter/karpenter-fixtures';
import { checkTemplateAgainstRegistry } from '../support/cloudformation-schemas';
import { requireReferenceFile } from '../support/reference';
import { nagFindings, stackWithVpc } from './windows-ami-test-support';

const IMAGE_ID = 'ami-0123456789abcdef0';

interface SdkCall {
  service: string;
  action: string;
  parameters: Record<string, Json>;
  physicalResourceId?: { id: string };
  ignoreErrorCodesMatching?: string;
}

interface Statement {
  Sid: string;
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, Json>>;
}

describe('EnableFastLaunch with defaults', () => {
  let app: App;
  let stack: Stack;
  let vpc: ec2.Vpc;
  let fastLaunch: EnableFastLaunch;
  let template: Template;
  let resolver: Resolver;
  let launchTemplateId: string;
  let subnetId: string;
  let securityGroupId: string;

  beforeAll(() => {
    // GIVEN
    ({ app, stack, vpc } = stackWithVpc());

    // WHEN
    fastLaunch = new EnableFastLaunch(stack, 'FastLaunch', { vpc, imageId: IMAGE_ID });
    template = Template.fromStack(stack);
    launchTemplateId = stack.getLogicalId(fastLaunch.launchTemplate);
    subnetId = stack.getLogicalId(vpc.privateSubnets[0].node.defaultChild as ec2.CfnSubnet);
    securityGroupId = stack.getLogicalId(fastLaunch.securityGroup.node.defaultChild as ec2.CfnSecurityGroup);
    resolver = new Resolver(template, { [launchTemplateId]: 'lt-template', [subnetId]: 'subnet-private', 'AWS::Region': 'us-east-1', 'AWS::AccountId': '123456789012' });
  });

  function call(phase: 'Create' | 'Update' | 'Delete'): SdkCall {
    const [id] = Object.keys(template.findResources('Custom::EnableFastLaunch'));
    const raw = template.toJSON().Resources[id].Properties[phase] as Json;
    return JSON.parse(resolver.text(raw)) as SdkCall;
  }

  function statements(): Statement[] {
    const [id] = Object.keys(template.findResources('AWS::IAM::Policy'));
    return (resolver.properties(id).PolicyDocument as unknown as { Statement: Statement[] }).Statement;
  }

  test('every resource is valid against its CloudFormation registry schema', () => {
    // THEN
    const result = checkTemplateAgainstRegistry(template.toJSON());
    expect(result.checkedTypes).toEqual(expect.arrayContaining(['AWS::EC2::LaunchTemplate', 'AWS::IAM::Policy', 'AWS::Lambda::Function']));
    expect(result.errors).toEqual([]);
  });

  test('on create, EC2 EnableFastLaunch with snapshots, 6 parallel launches, 5 snapshots and the launch template', () => {
    // THEN
    expect(call('Create')).toEqual({
      service: 'EC2',
      action: 'EnableFastLaunch',
      parameters: {
        ImageId: IMAGE_ID,
        ResourceType: 'snapshot',
        SnapshotConfiguration: { TargetResourceCount: 5 },
        LaunchTemplate: { LaunchTemplateId: 'lt-template', Version: 'lt-template.LatestVersionNumber' },
        MaxParallelLaunches: 6,
      },
      physicalResourceId: { id: IMAGE_ID },
    });
    expect(fastLaunch.maxParallelLaunches).toBe(6);
    expect(fastLaunch.targetResourceCount).toBe(5);
  });

  test('on update, the same call replaces the settings', () => {
    // THEN
    expect(call('Update')).toEqual(call('Create'));
  });

  test('on delete, DisableFastLaunch, tolerating an AMI that is already gone', () => {
    // THEN
    expect(call('Delete')).toEqual({
      service: 'EC2',
      action: 'DisableFastLaunch',
      parameters: { ImageId: IMAGE_ID },
      ignoreErrorCodesMatching: 'InvalidImageID\\..*',
    });
  });

  test('the handler uses the SDK it bundles (no download at deploy time)', () => {
    // THEN
    template.hasResourceProperties('Custom::EnableFastLaunch', { InstallLatestAwsSdk: false });
  });

  test('the handler runs on a Lambda runtime that is not deprecated', () => {
    // GIVEN
    const file = requireReferenceFile('the Lambda runtime lifecycle check', 'cfn-lint', 'v1.55.1', 'src', 'cfnlint', 'data', 'AdditionalSpecs', 'LmbdRuntimeLifecycle.json');
    const functions = Object.values(template.findResources('AWS::Lambda::Function'));
    expect(functions).toHaveLength(1);
    const runtime = functions[0].Properties.Runtime as string;
    expect(runtime).toMatch(/^nodejs\d+\.x$/);

    // WHEN
    const lifecycle = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, { deprecated: string | null }>;

    // THEN
    expect(lifecycle[runtime]).toBeDefined();
    expect(lifecycle[runtime].deprecated === null || lifecycle[runtime].deprecated > UPSTREAM_VERSIONS_CHECKED).toBe(true);
  });

  test('the role may use Fast Launch on this AMI and launch template only', () => {
    // THEN
    const bySid = Object.fromEntries(statements().map((s) => [s.Sid, s]));
    expect(bySid.EnableFastLaunch).toEqual({
      Sid: 'EnableFastLaunch',
      Effect: 'Allow',
      Action: 'ec2:EnableFastLaunch',
      Resource: [`arn:aws:ec2:us-east-1::image/${IMAGE_ID}`, 'arn:aws:ec2:us-east-1:123456789012:launch-template/lt-template'],
    });
    expect(bySid.DisableFastLaunch).toEqual({
      Sid: 'DisableFastLaunch',
      Effect: 'Allow',
      Action: 'ec2:DisableFastLaunch',
      Resource: `arn:aws:ec2:us-east-1::image/${IMAGE_ID}`,
    });
  });

  test('the role may launch only this AMI with the template into its subnet and security group (what EC2 checks)', () => {
    // THEN
    const bySid = Object.fromEntries(statements().map((s) => [s.Sid, s]));
    expect(bySid.LaunchCheck.Action).toBe('ec2:RunInstances');
    expect(bySid.LaunchCheck.Resource).toEqual([
      `arn:aws:ec2:us-east-1::image/${IMAGE_ID}`,
      'arn:aws:ec2:us-east-1:123456789012:launch-template/lt-template',
      'arn:aws:ec2:us-east-1:123456789012:subnet/subnet-private',
      `arn:aws:ec2:us-east-1:123456789012:security-group/${securityGroupId}.GroupId`,
      'arn:aws:ec2:us-east-1:123456789012:instance/*',
      'arn:aws:ec2:us-east-1:123456789012:volume/*',
      'arn:aws:ec2:us-east-1:123456789012:network-interface/*',
    ]);
    expect(bySid.TagAtLaunch).toEqual({
      Sid: 'TagAtLaunch',
      Effect: 'Allow',
      Action: 'ec2:CreateTags',
      Resource: [
        'arn:aws:ec2:us-east-1:123456789012:instance/*',
        'arn:aws:ec2:us-east-1:123456789012:volume/*',
        'arn:aws:ec2:us-east-1:123456789012:network-interface/*',
      ],
      Condition: { StringEquals: { 'ec2:CreateAction': 'RunInstances' } },
    });
  });

  test('the role may create the EC2 Fast Launch service-linked role, and no other', () => {
    // THEN
    const bySid = Object.fromEntries(statements().map((s) => [s.Sid, s]));
    expect(bySid.FastLaunchServiceLinkedRole).toEqual({
      Sid: 'FastLaunchServiceLinkedRole',
      Effect: 'Allow',
      Action: 'iam:CreateServiceLinkedRole',
      Resource: 'arn:aws:iam::123456789012:role/aws-service-role/ec2fastlaunch.amazonaws.com/AWSServiceRoleForEC2FastLaunch',
      Condition: { StringEquals: { 'iam:AWSServiceName': 'ec2fastlaunch.amazonaws.com' } },
    });
  });

  test('only describe calls take a wildcard, and nothing else is granted (no PassRole, no KMS)', () => {
    // THEN
    const all = statements();
    expect(all.map((s) => s.Sid).sort()).toEqual(['Describe', 'DisableFastLaunch', 'EnableFastLaunch', 'FastLaunchServiceLinkedRole', 'LaunchCheck', 'TagAtLaunch']);
    expect(all.filter((s) => s.Resource === '*')).toEqual([{
      Sid: 'Describe',
      Effect: 'Allow',
      Action: ['ec2:DescribeFastLaunchImages', 'ec2:DescribeImages', 'ec2:DescribeLaunchTemplates', 'ec2:DescribeLaunchTemplateVersions'],
      Resource: '*',
    }]);
    expect(JSON.stringify(all)).not.toMatch(/iam:PassRole|kms:/);
    expect(fastLaunch.policyStatements).toHaveLength(6);
  });

  test('the launch template: private subnet, no public address, IMDSv2, encrypted volume, no instance profile', () => {
    // THEN
    const data = resolver.properties(launchTemplateId).LaunchTemplateData as Record<string, Json>;
    expect(data.MetadataOptions).toEqual({ HttpEndpoint: 'enabled', HttpTokens: 'required', HttpPutResponseHopLimit: 1 });
    expect(data.NetworkInterfaces).toEqual([{
      DeviceIndex: 0,
      SubnetId: 'subnet-private',
      Groups: [`${securityGroupId}.GroupId`],
      AssociatePublicIpAddress: false,
      DeleteOnTermination: true,
    }]);
    expect(data.BlockDeviceMappings).toEqual([{ DeviceName: '/dev/sda1', Ebs: { Encrypted: true, VolumeType: 'gp3', DeleteOnTermination: true } }]);
    expect(data.IamInstanceProfile).toBeUndefined();
    expect(data.UserData).toBeUndefined();
  });

  test('the security group has no inbound rule', () => {
    // THEN
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('EC2 Fast Launch pre-provisioning'),
      SecurityGroupIngress: Match.absent(),
      SecurityGroupEgress: [Match.objectLike({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443 })],
    });
  });

  test('has no unacknowledged cdk-nag AwsSolutions finding (including the shared handler)', () => {
    // THEN
    const provider = stack.node.findChild(`AWS${cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`);
    expect(nagFindings(app, fastLaunch, provider)).toEqual([]);
  });
});

describe('EnableFastLaunch with a customer managed key and more snapshots', () => {
  test('grants the key for launching and EBS grants, and encrypts pre-provisioned volumes with it', () => {
    // GIVEN
    const { stack, vpc } = stackWithVpc();
    const key = new kms.Key(stack, 'Key');

    // WHEN
    const fastLaunch = new EnableFastLaunch(stack, 'FastLaunch', { vpc, imageId: IMAGE_ID, encryptionKey: key, maxParallelLaunches: 10, expectedBurst: 30 });
    const template = Template.fromStack(stack);
    const keyArn = { 'Fn::GetAtt': [stack.getLogicalId(key.node.defaultChild as kms.CfnKey), 'Arn'] };

    // THEN
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          { Sid: 'UseImageKey', Effect: 'Allow', Action: ['kms:DescribeKey', 'kms:Decrypt', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncryptFrom', 'kms:ReEncryptTo'], Resource: keyArn },
          { Sid: 'GrantImageKeyToEbs', Effect: 'Allow', Action: 'kms:CreateGrant', Resource: keyArn, Condition: { Bool: { 'kms:GrantIsForAWSResource': true } } },
        ]),
      },
    });
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: { BlockDeviceMappings: [{ DeviceName: '/dev/sda1', Ebs: Match.objectLike({ Encrypted: true, KmsKeyId: keyArn }) }] },
    });
    expect(fastLaunch.targetResourceCount).toBe(30);
    expect(fastLaunch.maxParallelLaunches).toBe(10);
    expect(JSON.stringify(template.findResources('Custom::EnableFastLaunch'))).toContain('\\"TargetResourceCount\\":30');
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });
});

describe('EnableFastLaunch rejects bad input', () => {
  let stack: Stack;
  let vpc: ec2.Vpc;
  let count = 0;

  beforeAll(() => {
    ({ stack, vpc } = stackWithVpc());
  });

  test.each<[string, Partial<EnableFastLaunchProps>, RegExp]>([
    ['a malformed AMI id', { imageId: 'ami-12' }, /EnableFastLaunch\.imageId: "ami-12" is not an AMI id/],
    ['a snapshot id', { imageId: 'snap-0123456789abcdef0' }, /EnableFastLaunch\.imageId: "snap-0123456789abcdef0" is not an AMI id/],
    ['MaxParallelLaunches below 6', { maxParallelLaunches: 3 }, /EnableFastLaunch\.maxParallelLaunches: got 3; EC2 Fast Launch needs a whole number ≥ 6/],
    ['TargetResourceCount below 1', { expectedBurst: 0 }, /EnableFastLaunch\.expectedBurst: got 0;.*TargetResourceCount/],
    ['a negative burst', { expectedBurst: -2 }, /EnableFastLaunch\.expectedBurst: got -2/],
    ['a subnet selection without subnets', { subnetSelection: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } }, /EnableFastLaunch\.subnetSelection: selects no subnet of the VPC/],
  ])('%s', (_name, props, error) => {
    count++;
    expect(() => new EnableFastLaunch(stack, `FastLaunch${count}`, { vpc, imageId: IMAGE_ID, ...props })).toThrow(error);
  });
});
