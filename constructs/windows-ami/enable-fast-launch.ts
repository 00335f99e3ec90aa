import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { acknowledgeAwsSolutions } from '../common/acknowledge';
import { validateEc2Id } from '../common/aws-ids';
import { checkProps, isConstruct, isNumber, isShape, isString, required } from '../common/validate';
import { reportsConstructPath } from '../common/validation-error';
import { createEgressOnlySecurityGroup, createFastLaunchLaunchTemplate, resolveFastLaunchSettings, selectSubnet } from './private/fast-launch';
import { PURPOSE_TAG } from '../common/well-known';

const FAST_LAUNCH_SERVICE = 'ec2fastlaunch.amazonaws.com';

/**
 * Props of `EnableFastLaunch`.
 */
export interface EnableFastLaunchProps {
  /**
   * The Windows AMI (`ami-...`) to enable Fast Launch for. The account must own it (or have it
   * shared); it must have been created with Sysprep and shutdown, as Image Builder and EC2's
   * own Windows AMIs are.
   */
  readonly imageId: string;

  /** VPC of the pre-provisioning instances (typically the cluster VPC). */
  readonly vpc: ec2.IVpc;

  /**
   * The subnet of the pre-provisioning instances: the first one selected.
   * @default { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }
   */
  readonly subnetSelection?: ec2.SubnetSelection;

  /**
   * How many instances EC2 may run at once to create pre-provisioned snapshots
   * (`MaxParallelLaunches`, at least 6). All Fast Launch AMIs of a region share a quota of 40.
   * @default 6
   */
  readonly maxParallelLaunches?: number;

  /**
   * Nodes you expect to launch at once at peak: that many pre-provisioned snapshots are kept
   * ready (`SnapshotConfiguration.TargetResourceCount`, at least 1).
   * @default 5
   */
  readonly expectedBurst?: number;

  /**
   * Customer managed key of the AMI's snapshots, when it has one: enabling checks that the
   * caller may launch the AMI, which needs the key. Also encrypts the pre-provisioned snapshots.
   * @default - the AMI uses AWS-managed or default EBS encryption (or none)
   */
  readonly encryptionKey?: kms.IKey;
}

/**
 * Turns on EC2 Fast Launch for an existing Windows AMI (one built outside this library), and
 * turns it off again when removed: EC2 then deletes the pre-provisioned snapshots.
 *
 * A custom resource calls `EnableFastLaunch` (on create and update) and `DisableFastLaunch`
 * (on delete) with a launch template in the given VPC (IMDSv2, encrypted volume, no public
 * address). Its role gets exactly what EC2 checks before enabling: the Fast Launch actions on
 * this AMI and launch template, the describe calls, `RunInstances` on this AMI, launch
 * template, subnet and security group (plus the instance, volume and network interface it
 * would create), tagging those at launch, and creating the `AWSServiceRoleForEC2FastLaunch`
 * service-linked role. The launch template has no instance profile, so no `iam:PassRole`.
 *
 * Enabling completes asynchronously: the resource is created as soon as EC2 accepts the
 * request, and instances launched before the first snapshots exist boot at standard speed.
 *
 * Select the AMI in a node pool with `WindowsAmi.fromTags(...)` (tag it yourself) or an id.
 *
 * @see https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_EnableFastLaunch.html
 */
@reportsConstructPath
export class EnableFastLaunch extends Construct {
  /** The AMI. */
  public readonly imageId: string;
  /** Instances EC2 runs at once to create snapshots. */
  public readonly maxParallelLaunches: number;
  /** Pre-provisioned snapshots kept ready. */
  public readonly targetResourceCount: number;
  /** Launch template of the pre-provisioning instances. */
  public readonly launchTemplate: ec2.CfnLaunchTemplate;
  /** Their security group (no inbound rule, HTTPS out). */
  public readonly securityGroup: ec2.ISecurityGroup;
  /** The permissions the custom resource's role gets. */
  public readonly policyStatements: iam.PolicyStatement[];
  /** The custom resource. */
  public readonly resource: cr.AwsCustomResource;

  constructor(scope: Construct, id: string, props: EnableFastLaunchProps) {
    super(scope, id);
    const p = 'EnableFastLaunch';
    const stack = Stack.of(this);
    checkProps(p, props, {
      imageId: required(isString("'ami-0123456789abcdef0'")),
      vpc: required(isConstruct('an ec2.IVpc')),
      subnetSelection: isShape({}, '{ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }'),
      maxParallelLaunches: isNumber('6'),
      expectedBurst: isNumber('5'),
      encryptionKey: isConstruct('a kms.IKey'),
    });

    // Defaults and validation.
    const imageId = props.imageId;
    validateEc2Id(`${p}.imageId`, imageId, 'ami');
    const settings = resolveFastLaunchSettings(this, p, props.maxParallelLaunches, props.expectedBurst);
    const subnet = selectSubnet(`${p}.subnetSelection`, props.vpc, props.subnetSelection ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS });

    // Children.
    const securityGroup = createEgressOnlySecurityGroup(this, 'SecurityGroup', props.vpc, 'EC2 Fast Launch pre-provisioning instances: no inbound, HTTPS out');
    const launchTemplate = createFastLaunchLaunchTemplate(this, 'LaunchTemplate', {
      subnet,
      securityGroup,
      encryptionKey: props.encryptionKey,
      resourceTags: { [PURPOSE_TAG]: 'fast-launch-pre-provisioning' },
      templateTags: { [PURPOSE_TAG]: 'fast-launch-pre-provisioning' },
    });

    const imageArn = stack.formatArn({ service: 'ec2', account: '', resource: 'image', resourceName: imageId });
    const launchTemplateArn = stack.formatArn({ service: 'ec2', resource: 'launch-template', resourceName: launchTemplate.ref });
    const subnetArn = stack.formatArn({ service: 'ec2', resource: 'subnet', resourceName: subnet.subnetId });
    const securityGroupArn = stack.formatArn({ service: 'ec2', resource: 'security-group', resourceName: securityGroup.securityGroupId });
    const launched = ['instance', 'volume', 'network-interface'].map((type) => stack.formatArn({ service: 'ec2', resource: type, resourceName: '*' }));

    const policyStatements = [
      new iam.PolicyStatement({ sid: 'EnableFastLaunch', actions: ['ec2:EnableFastLaunch'], resources: [imageArn, launchTemplateArn] }),
      new iam.PolicyStatement({ sid: 'DisableFastLaunch', actions: ['ec2:DisableFastLaunch'], resources: [imageArn] }),
      // Describe calls support no resource-level permissions.
      new iam.PolicyStatement({
        sid: 'Describe',
        actions: ['ec2:DescribeFastLaunchImages', 'ec2:DescribeImages', 'ec2:DescribeLaunchTemplates', 'ec2:DescribeLaunchTemplateVersions'],
        resources: ['*'],
      }),
      // EC2 checks that the caller could launch the AMI with the template; only this AMI into this
      // subnet and group is allowed, so the wildcards cover just what such a launch creates.
      new iam.PolicyStatement({ sid: 'LaunchCheck', actions: ['ec2:RunInstances'], resources: [imageArn, launchTemplateArn, subnetArn, securityGroupArn, ...launched] }),
      new iam.PolicyStatement({
        sid: 'TagAtLaunch',
        actions: ['ec2:CreateTags'],
        resources: launched,
        conditions: { StringEquals: { 'ec2:CreateAction': 'RunInstances' } },
      }),
      new iam.PolicyStatement({
        sid: 'FastLaunchServiceLinkedRole',
        actions: ['iam:CreateServiceLinkedRole'],
        resources: [stack.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: `aws-service-role/${FAST_LAUNCH_SERVICE}/AWSServiceRoleForEC2FastLaunch` })],
        conditions: { StringEquals: { 'iam:AWSServiceName': FAST_LAUNCH_SERVICE } },
      }),
    ];
    if (props.encryptionKey) {
      // Launching from snapshots under a customer managed key: use the key, and let EBS hold grants.
      policyStatements.push(
        new iam.PolicyStatement({
          sid: 'UseImageKey',
          actions: ['kms:DescribeKey', 'kms:Decrypt', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncryptFrom', 'kms:ReEncryptTo'],
          resources: [props.encryptionKey.keyArn],
        }),
        new iam.PolicyStatement({
          sid: 'GrantImageKeyToEbs',
          actions: ['kms:CreateGrant'],
          resources: [props.encryptionKey.keyArn],
          conditions: { Bool: { 'kms:GrantIsForAWSResource': true } },
        }),
      );
    }

    const enable: cr.AwsSdkCall = {
      service: 'EC2',
      action: 'EnableFastLaunch',
      parameters: {
        ImageId: imageId,
        ResourceType: 'snapshot',
        SnapshotConfiguration: { TargetResourceCount: settings.targetResourceCount },
        LaunchTemplate: { LaunchTemplateId: launchTemplate.ref, Version: launchTemplate.attrLatestVersionNumber },
        MaxParallelLaunches: settings.maxParallelLaunches,
      },
      physicalResourceId: cr.PhysicalResourceId.of(imageId),
    };
    const resource = new cr.AwsCustomResource(this, 'Resource', {
      resourceType: 'Custom::EnableFastLaunch',
      onCreate: enable,
      // EnableFastLaunch on an enabled AMI replaces its settings; a new imageId is a new
      // physical id, so CloudFormation disables the old AMI through onDelete.
      onUpdate: enable,
      onDelete: {
        service: 'EC2',
        action: 'DisableFastLaunch',
        parameters: { ImageId: imageId },
        // An AMI deregistered in the meantime has nothing left to disable.
        ignoreErrorCodesMatching: 'InvalidImageID\\..*',
      },
      policy: cr.AwsCustomResourcePolicy.fromStatements(policyStatements),
      // The SDK bundled with the handler has the Fast Launch calls; no download at deploy time.
      installLatestAwsSdk: false,
    });

    // Attributes.
    this.imageId = imageId;
    this.maxParallelLaunches = settings.maxParallelLaunches;
    this.targetResourceCount = settings.targetResourceCount;
    this.launchTemplate = launchTemplate;
    this.securityGroup = securityGroup;
    this.policyStatements = policyStatements;
    this.resource = resource;

    acknowledgeAwsSolutions(this, {
      'AwsSolutions-IAM5': 'EC2 Describe calls take no resource-level permissions; RunInstances and tagging at launch need instance/volume/network-interface wildcards because EC2 names them at launch, bounded by the one AMI, subnet and security group allowed.',
    });
    // The handler function is a per-stack singleton that aws-cdk-lib creates beside this construct.
    const provider = stack.node.tryFindChild(`AWS${cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`);
    if (provider) {
      acknowledgeAwsSolutions(provider, {
        'AwsSolutions-IAM4': 'aws-cdk-lib\'s AwsCustomResource handler logs through the AWS-managed AWSLambdaBasicExecutionRole; its API permissions are the statements of each custom resource.',
      });
    }
  }
}
