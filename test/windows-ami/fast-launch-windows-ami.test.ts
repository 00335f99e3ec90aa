import { App, Duration, Size, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { parse } from 'yaml';
import { WindowsVersion } from '../../constructs/karpenter/windows-version';
import {
  FastLaunchWindowsAmi,
  FastLaunchWindowsAmiProps,
  PipelineStartCondition,
  WindowsServerEdition,
} from '../../constructs/windows-ami/fast-launch-windows-ami';
import { ImageComponent } from '../../constructs/windows-ami/image-component';
import { ComponentDocument } from '../../constructs/windows-ami/private/prepull-document';
import { Json, Resolver } from '../karpenter/karpenter-fixtures';
import { checkTemplateAgainstRegistry } from '../support/cloudformation-schemas';
import { nagFindings, stackWithVpc } from './windows-ami-test-support';

const SERVERCORE = 'mcr.microsoft.com/windows/servercore:ltsc2022';
const ECR_IMAGE = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/desktop-agent:1.4.2';

/** The only resource of `type` in the template, with its resolved properties. */
function only(template: Template, type: string): Record<string, Json> {
  const resources = template.findResources(type);
  const ids = Object.keys(resources);
  expect(ids).toHaveLength(1);
  return new Resolver(template).properties(ids[0]);
}

/** The pre-pull component's document, parsed as YAML (which is how Image Builder reads it). */
function componentDocument(template: Template): ComponentDocument {
  const data = only(template, 'AWS::ImageBuilder::Component').Data as string;
  return parse(data) as ComponentDocument;
}

/** Every PowerShell command of a phase, one string each. */
function commandsOf(document: ComponentDocument, phase: string): string[] {
  return document.phases.filter((p) => p.name === phase).flatMap((p) => p.steps.flatMap((s) => s.inputs.commands));
}

describe('FastLaunchWindowsAmi with defaults', () => {
  let app: App;
  let stack: Stack;
  let vpc: ec2.Vpc;
  let ami: FastLaunchWindowsAmi;
  let template: Template;
  let resolver: Resolver;
  let privateSubnet: string;

  beforeAll(() => {
    // GIVEN
    ({ app, stack, vpc } = stackWithVpc());
    privateSubnet = `ref(${stack.getLogicalId(vpc.privateSubnets[0].node.defaultChild as ec2.CfnSubnet)})`;

    // WHEN
    ami = new FastLaunchWindowsAmi(stack, 'Ami', {
      vpc,
      name: 'windows-2022-desktops',
      windowsVersion: WindowsVersion.WINDOWS_2022,
      kubernetesVersion: '1.35',
      prePulledImages: [SERVERCORE],
    });
    template = Template.fromStack(stack);
    resolver = new Resolver(template);
  });

  test('every resource is valid against its CloudFormation registry schema', () => {
    // THEN
    const result = checkTemplateAgainstRegistry(template.toJSON());
    expect(result.checkedTypes).toEqual(expect.arrayContaining([
      'AWS::EC2::LaunchTemplate',
      'AWS::EC2::SecurityGroup',
      'AWS::IAM::InstanceProfile',
      'AWS::IAM::Role',
      'AWS::ImageBuilder::Component',
      'AWS::ImageBuilder::DistributionConfiguration',
      'AWS::ImageBuilder::Image',
      'AWS::ImageBuilder::ImagePipeline',
      'AWS::ImageBuilder::ImageRecipe',
      'AWS::ImageBuilder::InfrastructureConfiguration',
    ]));
    expect(result.errors).toEqual([]);
  });

  test('the recipe starts from the EKS optimized Windows 2022 Core AMI of Kubernetes 1.35, by public SSM parameter', () => {
    // THEN
    const recipe = only(template, 'AWS::ImageBuilder::ImageRecipe');
    expect(recipe.ParentImage).toBe('ssm:/aws/service/ami-windows-latest/Windows_Server-2022-English-Core-EKS_Optimized-1.35/image_id');
    expect(ami.parentImage).toBe(recipe.ParentImage);
    expect(recipe.Version).toBe('1.0.0');
    // Immutable resources carry a content hash, so a changed recipe is a new name.
    expect(recipe.Name).toMatch(/^windows-2022-desktops-[0-9a-f]{8}$/);
  });

  test('the recipe builds on an encrypted 100 GiB gp3 root volume', () => {
    // THEN
    expect(only(template, 'AWS::ImageBuilder::ImageRecipe').BlockDeviceMappings).toEqual([{
      DeviceName: '/dev/sda1',
      Ebs: { VolumeType: 'gp3', VolumeSize: 100, Encrypted: true, DeleteOnTermination: true },
    }]);
  });

  test('the recipe runs only the pre-pull component', () => {
    // THEN
    const componentId = Object.keys(template.findResources('AWS::ImageBuilder::Component'))[0];
    expect(only(template, 'AWS::ImageBuilder::ImageRecipe').Components).toEqual([{ ComponentArn: `${componentId}.Arn` }]);
  });

  test('the component is a Windows build component whose JSON document is valid YAML', () => {
    // THEN
    const component = only(template, 'AWS::ImageBuilder::Component');
    expect(component.Platform).toBe('Windows');
    expect(component.Version).toBe('1.0.0');
    expect(component.Name).toMatch(/^windows-2022-desktops-prepull-[0-9a-f]{8}$/);
    const document = componentDocument(template);
    expect(document.schemaVersion).toBe('1.0');
    expect(document.phases.map((p) => [p.name, p.steps.map((s) => s.name)])).toEqual([
      ['build', ['PullImages']],
      ['validate', ['CheckImages']],
    ]);
    expect(document.phases.flatMap((p) => p.steps.map((s) => s.action))).toEqual(['ExecutePowerShell', 'ExecutePowerShell']);
    expect(JSON.parse(component.Data as string)).toEqual(document);
  });

  test('the component pulls each image into containerd\'s k8s.io namespace, with retries, and checks it is there', () => {
    // THEN
    const document = componentDocument(template);
    const build = commandsOf(document, 'build');
    expect(build[0]).toBe('$ErrorActionPreference = \'Stop\'');
    expect(build.join('\n')).toContain('containerd\\ctr.exe');
    expect(build.join('\n')).toContain('& $ctr -n k8s.io images pull $Reference');
    expect(build.join('\n')).toMatch(/for \(\$attempt = 1; \$attempt -le 3;/);
    expect(build[build.length - 1]).toBe(`try { Invoke-ImagePull '${SERVERCORE}' '' } finally { if ($temporary) { Stop-Process -Id $temporary.Id -Force } }`);
    expect(build.join('\n')).not.toContain('ECR');
    expect(commandsOf(document, 'validate').join('\n')).toContain(`foreach ($reference in @('${SERVERCORE}'))`);
    // AWSTOE runs the commands as lines of one script: no construct may span two commands.
    for (const command of [...build, ...commandsOf(document, 'validate')]) {
      expect(command.split('{').length).toBe(command.split('}').length);
    }
  });

  test('the component starts containerd for the build and stops only a process it started itself', () => {
    // THEN
    const build = commandsOf(componentDocument(template), 'build').join('\n');
    expect(build).toContain('if (Get-Service -Name containerd -ErrorAction SilentlyContinue) { Start-Service -Name containerd } else { $temporary = Start-Process');
    expect(build).toContain('finally { if ($temporary) { Stop-Process -Id $temporary.Id -Force } }');
    expect(build).not.toMatch(/Set-Service|register-service/);
  });

  test('build instances run in a private subnet of the VPC, with IMDSv2 only, and are terminated on failure', () => {
    // THEN
    const infrastructure = only(template, 'AWS::ImageBuilder::InfrastructureConfiguration');
    expect(infrastructure).toMatchObject({
      Name: 'windows-2022-desktops',
      SubnetId: privateSubnet,
      InstanceMetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1 },
      TerminateInstanceOnFailure: true,
      InstanceTypes: ['m6i.xlarge'],
    });
    expect(infrastructure.Logging).toBeUndefined();
    expect(vpc.privateSubnets.map((s) => s.subnetId)).toContain(ami.infrastructureConfiguration.subnetId);
  });

  test('the security group has no inbound rule and allows HTTPS out only', () => {
    // THEN
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('Image Builder and EC2 Fast Launch'),
      SecurityGroupIngress: Match.absent(),
      SecurityGroupEgress: [{ CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443, Description: Match.anyValue() }],
    });
    template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
  });

  test('the instance profile\'s role has only the SSM and Image Builder managed policies', () => {
    // THEN
    const roles = template.findResources('AWS::IAM::Role', { Properties: { AssumeRolePolicyDocument: { Statement: [{ Principal: { Service: 'ec2.amazonaws.com' } }] } } });
    expect(Object.keys(roles)).toHaveLength(1);
    const role = resolver.properties(Object.keys(roles)[0]);
    expect(role.ManagedPolicyArns).toEqual([
      'arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore',
      'arn:aws:iam::aws:policy/EC2InstanceProfileForImageBuilder',
    ]);
    expect(role.Policies).toBeUndefined();
    template.resourceCountIs('AWS::IAM::Policy', 0);
    template.hasResourceProperties('AWS::IAM::InstanceProfile', { Roles: [{ Ref: Object.keys(roles)[0] }] });
  });

  test('the distribution tags the AMIs and names them by build date', () => {
    // THEN
    const distribution = only(template, 'AWS::ImageBuilder::DistributionConfiguration');
    const [target] = distribution.Distributions as Array<Record<string, Json>>;
    expect(target.Region).toBe('ref(AWS::Region)');
    expect(target.AmiDistributionConfiguration).toEqual({
      Name: 'windows-2022-desktops-{{ imagebuilder:buildDate }}',
      Description: expect.any(String),
      AmiTags: {
        'desktop.io/ami': 'windows-2022-desktops',
        'desktop.io/windows-build': '10.0.20348',
        'desktop.io/windows-version': '2022',
        'desktop.io/kubernetes-version': '1.35',
      },
    });
    expect(ami.amiSelectorTags).toEqual({ 'desktop.io/ami': 'windows-2022-desktops', 'desktop.io/windows-build': '10.0.20348' });
  });

  test('the distribution enables Fast Launch: 6 parallel launches, 5 snapshots, the construct\'s launch template', () => {
    // THEN
    const distribution = only(template, 'AWS::ImageBuilder::DistributionConfiguration');
    const launchTemplateId = Object.keys(template.findResources('AWS::EC2::LaunchTemplate'))[0];
    const [target] = distribution.Distributions as Array<Record<string, Json>>;
    expect(target.FastLaunchConfigurations).toEqual([{
      Enabled: true,
      MaxParallelLaunches: 6,
      SnapshotConfiguration: { TargetResourceCount: 5 },
      LaunchTemplate: { LaunchTemplateId: `ref(${launchTemplateId})`, LaunchTemplateVersion: `${launchTemplateId}.LatestVersionNumber` },
    }]);
    expect(ami.maxParallelLaunches).toBe(6);
    expect(ami.targetResourceCount).toBe(5);
  });

  test('the Fast Launch launch template: private subnet, no public address, IMDSv2, encrypted volume, no profile or user data', () => {
    // THEN
    const launchTemplate = only(template, 'AWS::EC2::LaunchTemplate');
    const data = launchTemplate.LaunchTemplateData as Record<string, Json>;
    expect(data.MetadataOptions).toEqual({ HttpEndpoint: 'enabled', HttpTokens: 'required', HttpPutResponseHopLimit: 1 });
    // AWS Control Tower CT.EC2.PR.10: detailed monitoring.
    expect(data.Monitoring).toEqual({ Enabled: true });
    expect(data.NetworkInterfaces).toEqual([{
      DeviceIndex: 0,
      SubnetId: privateSubnet,
      Groups: [expect.stringMatching(/^AmiSecurityGroup[0-9A-F]+\.GroupId$/)],
      AssociatePublicIpAddress: false,
      DeleteOnTermination: true,
    }]);
    expect(data.BlockDeviceMappings).toEqual([{ DeviceName: '/dev/sda1', Ebs: { Encrypted: true, VolumeType: 'gp3', DeleteOnTermination: true } }]);
    expect(data.IamInstanceProfile).toBeUndefined();
    expect(data.UserData).toBeUndefined();
    expect(data.KeyName).toBeUndefined();
  });

  test('the launch template is tagged CreatedBy: EC2 Image Builder, which Image Builder\'s service-linked role requires', () => {
    // THEN
    const launchTemplate = only(template, 'AWS::EC2::LaunchTemplate');
    expect(launchTemplate.TagSpecifications).toEqual([{
      ResourceType: 'launch-template',
      Tags: [{ Key: 'CreatedBy', Value: 'EC2 Image Builder' }, { Key: 'desktop.io/ami', Value: 'windows-2022-desktops' }],
    }]);
  });

  test('the pipeline checks weekly for a patched parent and builds only then', () => {
    // THEN
    const pipeline = only(template, 'AWS::ImageBuilder::ImagePipeline');
    expect(pipeline).toMatchObject({
      Name: 'windows-2022-desktops',
      Status: 'ENABLED',
      Schedule: { ScheduleExpression: 'cron(0 3 ? * SUN *)', PipelineExecutionStartCondition: 'EXPRESSION_MATCH_AND_DEPENDENCY_UPDATES_AVAILABLE' },
    });
    const ids = (type: string) => `${Object.keys(template.findResources(type))[0]}.Arn`;
    expect(pipeline.ImageRecipeArn).toBe(ids('AWS::ImageBuilder::ImageRecipe'));
    expect(pipeline.InfrastructureConfigurationArn).toBe(ids('AWS::ImageBuilder::InfrastructureConfiguration'));
    expect(pipeline.DistributionConfigurationArn).toBe(ids('AWS::ImageBuilder::DistributionConfiguration'));
  });

  test('one image is built during deployment with the same recipe, infrastructure and distribution', () => {
    // THEN
    const image = only(template, 'AWS::ImageBuilder::Image');
    const pipeline = only(template, 'AWS::ImageBuilder::ImagePipeline');
    expect(image).toEqual({
      ImageRecipeArn: pipeline.ImageRecipeArn,
      InfrastructureConfigurationArn: pipeline.InfrastructureConfigurationArn,
      DistributionConfigurationArn: pipeline.DistributionConfigurationArn,
    });
    expect(ami.initialImage).toBeDefined();
  });

  test('the infrastructure configuration waits for the instance profile', () => {
    // THEN
    const [id] = Object.keys(template.findResources('AWS::ImageBuilder::InfrastructureConfiguration'));
    const dependsOn = template.toJSON().Resources[id].DependsOn as string[];
    expect(dependsOn).toEqual(expect.arrayContaining([Object.keys(template.findResources('AWS::IAM::InstanceProfile'))[0]]));
  });

  test('has no unacknowledged cdk-nag AwsSolutions finding', () => {
    // THEN
    expect(nagFindings(app, ami)).toEqual([]);
  });
});

describe('FastLaunchWindowsAmi with every default overridden', () => {
  let stack: Stack;
  let key: kms.Key;
  let bucket: s3.Bucket;
  let ami: FastLaunchWindowsAmi;
  let template: Template;

  beforeAll(() => {
    // GIVEN
    let vpc: ec2.Vpc;
    ({ stack, vpc } = stackWithVpc());
    key = new kms.Key(stack, 'Key');
    bucket = new s3.Bucket(stack, 'Logs');

    // WHEN
    ami = new FastLaunchWindowsAmi(stack, 'Ami', {
      vpc,
      name: 'apps-2025',
      windowsVersion: WindowsVersion.WINDOWS_2025,
      kubernetesVersion: '1.36',
      edition: WindowsServerEdition.FULL,
      prePulledImages: ['mcr.microsoft.com/windows/servercore:ltsc2025', ECR_IMAGE],
      additionalComponents: [ImageComponent.awsManaged('update-windows'), ImageComponent.fromArn('arn:aws:imagebuilder:us-east-1:123456789012:component/agent/1.2.0')],
      subnetSelection: { subnetType: ec2.SubnetType.PUBLIC },
      buildInstanceTypes: [new ec2.InstanceType('m7i.2xlarge'), new ec2.InstanceType('m6i.2xlarge')],
      rootVolumeSize: Size.gibibytes(250),
      encryptionKey: key,
      maxParallelLaunches: 12,
      expectedBurst: 20,
      schedule: events.Schedule.cron({ minute: '30', hour: '1', day: '1' }),
      startCondition: PipelineStartCondition.ALWAYS,
      buildOnDeploy: false,
      logBucket: bucket,
      logPrefix: 'builds/',
      amiTags: { CostCenter: '1234' },
    });
    template = Template.fromStack(stack);
  });

  test('every resource is valid against its CloudFormation registry schema', () => {
    // THEN
    expect(checkTemplateAgainstRegistry(template.toJSON()).errors).toEqual([]);
  });

  test('the parent is the Windows 2025 Full AMI of Kubernetes 1.36', () => {
    // THEN
    expect(only(template, 'AWS::ImageBuilder::ImageRecipe').ParentImage)
      .toBe('ssm:/aws/service/ami-windows-latest/Windows_Server-2025-English-Full-EKS_Optimized-1.36/image_id');
    expect(ami.edition).toBe(WindowsServerEdition.FULL);
  });

  test('the recipe adds the extra components after the pre-pull, and encrypts with the key', () => {
    // THEN
    const recipe = only(template, 'AWS::ImageBuilder::ImageRecipe');
    const componentId = Object.keys(template.findResources('AWS::ImageBuilder::Component'))[0];
    expect(recipe.Components).toEqual([
      { ComponentArn: `${componentId}.Arn` },
      { ComponentArn: 'arn:aws:imagebuilder:ref(AWS::Region):aws:component/update-windows/x.x.x' },
      { ComponentArn: 'arn:aws:imagebuilder:us-east-1:123456789012:component/agent/1.2.0' },
    ]);
    const keyId = stack.getLogicalId(key.node.defaultChild as kms.CfnKey);
    expect(recipe.BlockDeviceMappings).toEqual([{
      DeviceName: '/dev/sda1',
      Ebs: { VolumeType: 'gp3', VolumeSize: 250, Encrypted: true, KmsKeyId: `${keyId}.Arn`, DeleteOnTermination: true },
    }]);
    const launchTemplate = only(template, 'AWS::EC2::LaunchTemplate').LaunchTemplateData as { BlockDeviceMappings: Array<{ Ebs: Record<string, Json> }> };
    expect(launchTemplate.BlockDeviceMappings[0].Ebs.KmsKeyId).toBe(`${keyId}.Arn`);
  });

  test('private ECR images are pulled with a token, and only then the role can pull from ECR', () => {
    // THEN
    const build = commandsOf(componentDocument(template), 'build');
    expect(build[build.length - 1]).toBe('try { '
      + 'Invoke-ImagePull \'mcr.microsoft.com/windows/servercore:ltsc2025\' \'\'; '
      + `Invoke-ImagePull '${ECR_IMAGE}' ('AWS:' + (Get-ECRLoginCommand -Region 'eu-west-1').Password)`
      + ' } finally { if ($temporary) { Stop-Process -Id $temporary.Id -Force } }');
    expect(build.join('\n')).toContain('& $ctr -n k8s.io images pull --user $User $Reference');
    const role = Object.values(template.findResources('AWS::IAM::Role', { Properties: { AssumeRolePolicyDocument: { Statement: [{ Principal: { Service: 'ec2.amazonaws.com' } }] } } }))[0];
    expect(JSON.stringify(role.Properties.ManagedPolicyArns)).toContain(':iam::aws:policy/AmazonEC2ContainerRegistryPullOnly');
    expect(role.Properties.ManagedPolicyArns).toHaveLength(3);
  });

  test('build instances use the given subnet and instance types, and log to the bucket prefix they may write', () => {
    // THEN
    const infrastructure = only(template, 'AWS::ImageBuilder::InfrastructureConfiguration');
    const bucketId = stack.getLogicalId(bucket.node.defaultChild as s3.CfnBucket);
    expect(infrastructure.InstanceTypes).toEqual(['m7i.2xlarge', 'm6i.2xlarge']);
    expect(infrastructure.Logging).toEqual({ S3Logs: { S3BucketName: `ref(${bucketId})`, S3KeyPrefix: 'builds/' } });
    expect(infrastructure.SubnetId).toMatch(/^ref\(VpcPublicSubnet1/);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: Match.arrayWith(['s3:PutObject']), Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/builds/*']] } })]) },
    });
  });

  test('Fast Launch keeps 20 snapshots with 12 parallel launches', () => {
    // THEN
    const [target] = only(template, 'AWS::ImageBuilder::DistributionConfiguration').Distributions as Array<{ FastLaunchConfigurations: Array<Record<string, Json>> }>;
    expect(target.FastLaunchConfigurations[0]).toMatchObject({ MaxParallelLaunches: 12, SnapshotConfiguration: { TargetResourceCount: 20 } });
  });

  test('the AMIs carry the extra tags and the library\'s', () => {
    // THEN
    expect(ami.amiTags).toEqual({
      'CostCenter': '1234',
      'desktop.io/ami': 'apps-2025',
      'desktop.io/windows-build': '10.0.26100',
      'desktop.io/windows-version': '2025',
      'desktop.io/kubernetes-version': '1.36',
    });
  });

  test('the pipeline builds on the given schedule every time, and nothing is built on deploy', () => {
    // THEN
    expect(only(template, 'AWS::ImageBuilder::ImagePipeline').Schedule).toEqual({ ScheduleExpression: 'cron(30 1 1 * ? *)', PipelineExecutionStartCondition: 'EXPRESSION_MATCH_ONLY' });
    template.resourceCountIs('AWS::ImageBuilder::Image', 0);
    expect(ami.initialImage).toBeUndefined();
  });
});

describe('FastLaunchWindowsAmi names', () => {
  test('the default name is derived from the construct path and valid', () => {
    // GIVEN
    const { stack, vpc } = stackWithVpc();

    // WHEN
    const ami = new FastLaunchWindowsAmi(stack, 'Ami', { vpc, windowsVersion: WindowsVersion.WINDOWS_2019, kubernetesVersion: '1.34' });

    // THEN
    expect(ami.name).toMatch(/^Test-Ami-[0-9A-F]{8}$/);
    expect(ami.parentImage).toBe('ssm:/aws/service/ami-windows-latest/Windows_Server-2019-English-Core-EKS_Optimized-1.34/image_id');
  });

  test('a changed image list is a new component and recipe name (CloudFormation replaces them)', () => {
    // GIVEN
    const names = (images: string[]) => {
      const { stack, vpc } = stackWithVpc();
      const ami = new FastLaunchWindowsAmi(stack, 'Ami', { vpc, name: 'same', windowsVersion: WindowsVersion.WINDOWS_2022, kubernetesVersion: '1.35', prePulledImages: images });
      return [ami.prePullComponent.name, ami.recipe.name];
    };

    // WHEN
    const first = names([SERVERCORE]);
    const again = names([SERVERCORE]);
    const other = names(['mcr.microsoft.com/windows/nanoserver:ltsc2022']);

    // THEN
    expect(again).toEqual(first);
    expect(other[0]).not.toBe(first[0]);
    expect(other[1]).not.toBe(first[1]);
  });

  test('more than 40 parallel launches is a warning (the default regional quota)', () => {
    // GIVEN
    const { stack, vpc } = stackWithVpc();

    // WHEN
    new FastLaunchWindowsAmi(stack, 'Ami', { vpc, name: 'big', windowsVersion: WindowsVersion.WINDOWS_2022, kubernetesVersion: '1.35', maxParallelLaunches: 50 });

    // THEN
    Annotations.fromStack(stack).hasWarning('/Test/Ami', Match.stringLikeRegexp('maxParallelLaunches is 50, above the default quota of 40'));
  });

  test('pre-pulling a base image the EKS-optimized AMI already caches is a warning', () => {
    const { stack, vpc } = stackWithVpc();
    new FastLaunchWindowsAmi(stack, 'Ami', { vpc, name: 'cached', windowsVersion: WindowsVersion.WINDOWS_2022, kubernetesVersion: '1.35', prePulledImages: [SERVERCORE, 'registry.k8s.io/pause:3.10.2'] });
    Annotations.fromStack(stack).hasWarning('/Test/Ami', Match.stringLikeRegexp('lists mcr\\.microsoft\\.com/windows/servercore:ltsc2022, which EKS-optimized Windows AMIs already cache'));
    const other = stackWithVpc();
    new FastLaunchWindowsAmi(other.stack, 'Ami', { vpc: other.vpc, name: 'workload', windowsVersion: WindowsVersion.WINDOWS_2022, kubernetesVersion: '1.35', prePulledImages: ['registry.k8s.io/pause:3.10.2'] });
    Annotations.fromStack(other.stack).hasNoWarning('/Test/Ami', Match.stringLikeRegexp('already cache'));
  });
});

describe('FastLaunchWindowsAmi rejects bad input', () => {
  let stack: Stack;
  let vpc: ec2.Vpc;
  let count = 0;

  beforeAll(() => {
    ({ stack, vpc } = stackWithVpc());
  });

  function build(props: Partial<FastLaunchWindowsAmiProps>): FastLaunchWindowsAmi {
    count++;
    return new FastLaunchWindowsAmi(stack, `Ami${count}`, { vpc, windowsVersion: WindowsVersion.WINDOWS_2022, kubernetesVersion: '1.35', ...props });
  }

  test.each<[string, Partial<FastLaunchWindowsAmiProps>, RegExp]>([
    ['MaxParallelLaunches below 6', { maxParallelLaunches: 5 }, /FastLaunchWindowsAmi\.maxParallelLaunches: got 5; EC2 Fast Launch needs a whole number ≥ 6/],
    ['fractional MaxParallelLaunches', { maxParallelLaunches: 6.5 }, /FastLaunchWindowsAmi\.maxParallelLaunches: got 6\.5/],
    ['TargetResourceCount below 1', { expectedBurst: 0 }, /FastLaunchWindowsAmi\.expectedBurst: got 0;.*SnapshotConfiguration\.TargetResourceCount/],
    ['a short image name', { prePulledImages: ['nginx:1.27'] }, /FastLaunchWindowsAmi\.prePulledImages\[0\]: "nginx:1\.27" is not a fully qualified image reference/],
    ['an image without tag or digest', { prePulledImages: [SERVERCORE, 'mcr.microsoft.com/windows/nanoserver'] }, /FastLaunchWindowsAmi\.prePulledImages\[1\]: "mcr\.microsoft\.com\/windows\/nanoserver" has neither a tag nor a digest/],
    ['an image with tag and digest', { prePulledImages: [`docker.io/library/nginx:1.27@sha256:${'a'.repeat(64)}`] }, /FastLaunchWindowsAmi\.prePulledImages\[0\]: .* has both a tag and a digest/],
    ['an image with upper-case repository', { prePulledImages: ['docker.io/Library/nginx:1'] }, /prePulledImages\[0\]: "docker\.io\/Library\/nginx:1" is not a fully qualified image reference/],
    ['an image with a quote', { prePulledImages: ['docker.io/library/nginx:1\'; rm'] }, /prePulledImages\[0\]: .* is not a fully qualified image reference/],
    ['an image listed twice', { prePulledImages: [SERVERCORE, SERVERCORE] }, /FastLaunchWindowsAmi\.prePulledImages: lists "mcr\.microsoft\.com\/windows\/servercore:ltsc2022" twice/],
    ['Windows 2025 on Kubernetes 1.34 (no such parent AMI)', { windowsVersion: WindowsVersion.WINDOWS_2025, kubernetesVersion: '1.34' }, /FastLaunchWindowsAmi\.kubernetesVersion: is '1\.34', but Windows Server 2025 nodes need Kubernetes ≥ 1\.35/],
    ['a Kubernetes patch version', { kubernetesVersion: '1.35.2' }, /FastLaunchWindowsAmi\.kubernetesVersion: "1\.35\.2" is a patch version/],
    ['an invalid name', { name: 'my ami' }, /FastLaunchWindowsAmi\.name: "my ami" is not a valid name/],
    ['a 20 GiB root volume', { rootVolumeSize: Size.gibibytes(20) }, /FastLaunchWindowsAmi\.rootVolumeSize: is 20 GiB; Windows node AMIs need 50 GiB/],
    ['a root volume in part GiB', { rootVolumeSize: Size.mebibytes(102500) }, /FastLaunchWindowsAmi\.rootVolumeSize: is 100\.09765625 GiB; give whole GiB/],
    ['a rate schedule', { schedule: events.Schedule.rate(Duration.days(7)) }, /FastLaunchWindowsAmi\.schedule: "rate\(7 days\)" is not a cron expression/],
    ['a reserved AMI tag', { amiTags: { 'desktop.io/ami': 'other' } }, /FastLaunchWindowsAmi\.amiTags: tag key "desktop\.io\/ami" is reserved/],
    ['no build instance type', { buildInstanceTypes: [] }, /FastLaunchWindowsAmi\.buildInstanceTypes: is empty/],
    ['a subnet selection that selects nothing', { subnetSelection: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } }, /FastLaunchWindowsAmi\.subnetSelection/],
  ])('%s', (_name, props, error) => {
    expect(() => build(props)).toThrow(error);
  });

  test('too many images for one component document', () => {
    const images = Array.from({ length: 150 }, (_, i) => `mcr.microsoft.com/windows/servercore/app-number-${i}:ltsc2022`);
    expect(() => build({ prePulledImages: images })).toThrow(/FastLaunchWindowsAmi\.prePulledImages: makes a component document of \d+ characters, over Image Builder's 16000/);
  });
});

