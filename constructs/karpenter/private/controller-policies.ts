import { CfnJson, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/** What the controller's policies are scoped to. */
export interface ControllerPolicyTargets {
  /** Name of the EKS cluster (may be a token). */
  readonly clusterName: string;
  /** ARN of the EKS cluster (may be a token). */
  readonly clusterArn: string;
  /** ARNs of every node role the controller may pass to EC2 (Windows and Linux). */
  readonly nodeRoleArns: string[];
  /** ARN of the interruption queue. */
  readonly interruptionQueueArn: string;
}

type ConditionBlock = Record<string, unknown>;

/**
 * Builds the controller's IAM permissions as the six customer-managed policies of Karpenter's
 * getting-started CloudFormation template (v1.14), with the same statement ids, actions,
 * resources and conditions. One difference: `iam:PassRole` lists both node roles.
 *
 * Managed rather than inline policies because IAM caps a role's inline policies at 10,240
 * characters in total, and these statements (ARNs expanded) come close; each managed policy
 * has its own 6,144-character budget, and the split mirrors upstream so a diff against the
 * template stays readable.
 *
 * @see https://karpenter.sh/docs/reference/cloudformation/
 */
export function createControllerPolicies(scope: Construct, targets: ControllerPolicyTargets): iam.ManagedPolicy[] {
  const stack = Stack.of(scope);
  const partition = stack.partition;
  const region = stack.region;
  const account = stack.account;
  const ec2Arn = (resource: string, withAccount = true) => `arn:${partition}:ec2:${region}:${withAccount ? '*' : ''}:${resource}`;
  const instanceProfiles = `arn:${partition}:iam::${account}:instance-profile/*`;
  const clusterTag = `kubernetes.io/cluster/${targets.clusterName}`;

  // IAM condition keys that embed the cluster name cannot be a CloudFormation expression when
  // the name is only known at deploy time: CfnJson resolves such a block into plain JSON first.
  // Identical blocks share one CfnJson; blocks with literal keys stay inline.
  const resolvedBlocks = new Map<string, CfnJson>();
  const block = (id: string, entries: ConditionBlock): ConditionBlock | CfnJson => {
    if (!Object.keys(entries).some((key) => Token.isUnresolved(key))) return entries;
    let resolved = resolvedBlocks.get(id);
    if (!resolved) {
      resolved = new CfnJson(scope, id, { value: entries });
      resolvedBlocks.set(id, resolved);
    }
    return resolved;
  };

  const resourceOwned = () => block('ResourceOwnedCondition', { [`aws:ResourceTag/${clusterTag}`]: 'owned' });
  const requestOwned = {
    [`aws:RequestTag/${clusterTag}`]: 'owned',
    'aws:RequestTag/eks:eks-cluster-name': targets.clusterName,
  };
  const nodePoolResource = { 'aws:ResourceTag/karpenter.sh/nodepool': '*' };
  const nodePoolRequest = { 'aws:RequestTag/karpenter.sh/nodepool': '*' };
  const launchedResources = [
    ec2Arn('fleet/*'),
    ec2Arn('instance/*'),
    ec2Arn('volume/*'),
    ec2Arn('network-interface/*'),
    ec2Arn('launch-template/*'),
    ec2Arn('spot-instances-request/*'),
  ];

  const nodeLifecycle = [
    new iam.PolicyStatement({
      sid: 'AllowScopedEC2InstanceAccessActions',
      actions: ['ec2:RunInstances', 'ec2:CreateFleet'],
      resources: [
        ec2Arn('image/*', false),
        ec2Arn('snapshot/*', false),
        ec2Arn('security-group/*'),
        ec2Arn('subnet/*'),
        ec2Arn('capacity-reservation/*'),
        ec2Arn('placement-group/*'),
      ],
    }),
    new iam.PolicyStatement({
      sid: 'AllowScopedEC2LaunchTemplateAccessActions',
      actions: ['ec2:RunInstances', 'ec2:CreateFleet'],
      resources: [ec2Arn('launch-template/*')],
      conditions: { StringEquals: resourceOwned(), StringLike: nodePoolResource },
    }),
    new iam.PolicyStatement({
      sid: 'AllowScopedEC2InstanceActionsWithTags',
      actions: ['ec2:RunInstances', 'ec2:CreateFleet', 'ec2:CreateLaunchTemplate'],
      resources: launchedResources,
      conditions: { StringEquals: block('RequestOwnedCondition', requestOwned), StringLike: nodePoolRequest },
    }),
    new iam.PolicyStatement({
      sid: 'AllowScopedResourceCreationTagging',
      actions: ['ec2:CreateTags'],
      resources: launchedResources,
      conditions: {
        StringEquals: block('CreationTaggingCondition', {
          ...requestOwned,
          'ec2:CreateAction': ['RunInstances', 'CreateFleet', 'CreateLaunchTemplate'],
        }),
        StringLike: nodePoolRequest,
      },
    }),
    new iam.PolicyStatement({
      sid: 'AllowScopedResourceTagging',
      actions: ['ec2:CreateTags'],
      resources: [ec2Arn('instance/*')],
      conditions: {
        'StringEquals': resourceOwned(),
        'StringLike': nodePoolResource,
        'StringEqualsIfExists': { 'aws:RequestTag/eks:eks-cluster-name': targets.clusterName },
        'ForAllValues:StringEquals': { 'aws:TagKeys': ['eks:eks-cluster-name', 'karpenter.sh/nodeclaim', 'Name'] },
      },
    }),
    new iam.PolicyStatement({
      sid: 'AllowScopedDeletion',
      actions: ['ec2:TerminateInstances', 'ec2:DeleteLaunchTemplate'],
      resources: [ec2Arn('instance/*'), ec2Arn('launch-template/*')],
      conditions: { StringEquals: resourceOwned(), StringLike: nodePoolResource },
    }),
  ];

  const regionTag = 'topology.kubernetes.io/region';
  const iamIntegration = [
    new iam.PolicyStatement({
      sid: 'AllowPassingInstanceRole',
      actions: ['iam:PassRole'],
      resources: targets.nodeRoleArns,
      conditions: { StringEquals: { 'iam:PassedToService': ['ec2.amazonaws.com', 'ec2.amazonaws.com.cn'] } },
    }),
    new iam.PolicyStatement({
      sid: 'AllowScopedInstanceProfileCreationActions',
      actions: ['iam:CreateInstanceProfile'],
      resources: [instanceProfiles],
      conditions: {
        StringEquals: block('InstanceProfileCreationCondition', {
          ...requestOwned,
          [`aws:RequestTag/${regionTag}`]: region,
        }),
        StringLike: { 'aws:RequestTag/karpenter.k8s.aws/ec2nodeclass': '*' },
      },
    }),
    new iam.PolicyStatement({
      sid: 'AllowScopedInstanceProfileTagActions',
      actions: ['iam:TagInstanceProfile'],
      resources: [instanceProfiles],
      conditions: {
        StringEquals: block('InstanceProfileTaggingCondition', {
          [`aws:ResourceTag/${clusterTag}`]: 'owned',
          [`aws:ResourceTag/${regionTag}`]: region,
          ...requestOwned,
          [`aws:RequestTag/${regionTag}`]: region,
        }),
        StringLike: {
          'aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass': '*',
          'aws:RequestTag/karpenter.k8s.aws/ec2nodeclass': '*',
        },
      },
    }),
    new iam.PolicyStatement({
      sid: 'AllowScopedInstanceProfileActions',
      actions: ['iam:AddRoleToInstanceProfile', 'iam:RemoveRoleFromInstanceProfile', 'iam:DeleteInstanceProfile'],
      resources: [instanceProfiles],
      conditions: {
        StringEquals: block('InstanceProfileOwnedCondition', {
          [`aws:ResourceTag/${clusterTag}`]: 'owned',
          [`aws:ResourceTag/${regionTag}`]: region,
        }),
        StringLike: { 'aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass': '*' },
      },
    }),
  ];

  const eksIntegration = [
    new iam.PolicyStatement({
      sid: 'AllowAPIServerEndpointDiscovery',
      actions: ['eks:DescribeCluster'],
      resources: [targets.clusterArn],
    }),
  ];

  const interruption = [
    new iam.PolicyStatement({
      sid: 'AllowInterruptionQueueActions',
      actions: ['sqs:DeleteMessage', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage'],
      resources: [targets.interruptionQueueArn],
    }),
  ];

  const zonalShift = [
    new iam.PolicyStatement({
      sid: 'AllowZonalShiftStatusReadOnly',
      actions: ['arc-zonal-shift:GetManagedResource'],
      resources: ['*'],
      conditions: { StringEquals: { 'arc-zonal-shift:ResourceIdentifier': targets.clusterArn } },
    }),
  ];

  const resourceDiscovery = [
    new iam.PolicyStatement({
      sid: 'AllowRegionalReadActions',
      actions: [
        'ec2:DescribeCapacityReservations',
        'ec2:DescribeImages',
        'ec2:DescribeInstances',
        'ec2:DescribeInstanceStatus',
        'ec2:DescribeInstanceTypeOfferings',
        'ec2:DescribeInstanceTypes',
        'ec2:DescribeLaunchTemplates',
        'ec2:DescribePlacementGroups',
        'ec2:DescribeSecurityGroups',
        'ec2:DescribeSpotPriceHistory',
        'ec2:DescribeSubnets',
      ],
      resources: ['*'],
      conditions: { StringEquals: { 'aws:RequestedRegion': region } },
    }),
    new iam.PolicyStatement({
      sid: 'AllowSSMReadActions',
      actions: ['ssm:GetParameter'],
      resources: [`arn:${partition}:ssm:${region}::parameter/aws/service/*`],
    }),
    new iam.PolicyStatement({
      sid: 'AllowPricingReadActions',
      actions: ['pricing:GetProducts'],
      resources: ['*'],
    }),
    new iam.PolicyStatement({
      sid: 'AllowUnscopedInstanceProfileListAction',
      actions: ['iam:ListInstanceProfiles'],
      resources: ['*'],
    }),
    new iam.PolicyStatement({
      sid: 'AllowInstanceProfileReadActions',
      actions: ['iam:GetInstanceProfile'],
      resources: [instanceProfiles],
    }),
  ];

  const policy = (id: string, description: string, statements: iam.PolicyStatement[]) =>
    new iam.ManagedPolicy(scope, id, { description, statements });

  return [
    policy('NodeLifecyclePolicy', 'Karpenter controller: launch, tag and terminate the nodes of this cluster', nodeLifecycle),
    policy('IAMIntegrationPolicy', 'Karpenter controller: pass the node roles and manage their instance profiles', iamIntegration),
    policy('EKSIntegrationPolicy', 'Karpenter controller: discover the API server endpoint', eksIntegration),
    policy('InterruptionPolicy', 'Karpenter controller: consume the interruption queue', interruption),
    policy('ZonalShiftPolicy', 'Karpenter controller: read the zonal shift status of this cluster', zonalShift),
    policy('ResourceDiscoveryPolicy', 'Karpenter controller: discover instance types, prices, AMIs, subnets and security groups', resourceDiscovery),
  ];
}
