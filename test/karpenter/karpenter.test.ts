import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as eksv2 from 'aws-cdk-lib/aws-eks-v2';
import { Karpenter, KarpenterProps, NodeAccess } from '../../constructs/karpenter/karpenter';
import { checkTemplateAgainstRegistry, registrySchema } from '../support/cloudformation-schemas';
import { helmReleasesOf } from '../support/kubernetes-schemas';
import { ACCOUNT, importedV1Cluster, Json, newStack, REGION, Resolver, unknownValuePaths, upstreamChartValues, v2Cluster } from './karpenter-fixtures';

/** Expected controller statements, as in Karpenter's v1.14 getting-started template. */
const ec2 = (resource: string) => `arn:aws:ec2:${REGION}:*:${resource}`;
const launched = [ec2('fleet/*'), ec2('instance/*'), ec2('volume/*'), ec2('network-interface/*'), ec2('launch-template/*'), ec2('spot-instances-request/*')];
const instanceProfiles = `arn:aws:iam::${ACCOUNT}:instance-profile/*`;

describe('Karpenter on an aws-eks-v2 cluster (defaults)', () => {
  let stack: Stack;
  let cluster: eksv2.Cluster;
  let karpenter: Karpenter;
  let template: Template;
  let r: Resolver;

  beforeAll(() => {
    // GIVEN
    stack = newStack();
    cluster = v2Cluster(stack);
    // WHEN
    karpenter = new Karpenter(stack, 'Karpenter', { cluster, kubernetesVersion: '1.35' });
    // THEN (shared)
    template = Template.fromStack(stack);
    const names: Record<string, string> = {};
    const plain = new Resolver(template);
    names[plain.idOf('AWS::EKS::Cluster', 'Cluster')] = 'CLUSTER';
    names[plain.idOf('AWS::IAM::Role', 'KarpenterWindowsNodeRole')] = 'WindowsNodeRole';
    names[plain.idOf('AWS::IAM::Role', 'KarpenterLinuxNodeRole')] = 'LinuxNodeRole';
    names[plain.idOf('AWS::IAM::Role', 'KarpenterControllerRole')] = 'ControllerRole';
    names[plain.idOf('AWS::SQS::Queue', 'KarpenterInterruptionQueue')] = 'Queue';
    r = new Resolver(template, names);
  });

  test('exposes its defaults', () => {
    expect(karpenter.version).toBe('1.14.1');
    expect(karpenter.namespace).toBe('karpenter');
    expect(karpenter.kubernetesVersion).toBe('1.35');
    expect(karpenter.nodeAccess).toBe(NodeAccess.ACCESS_ENTRY);
    expect(karpenter.cluster).toBe(cluster);
    expect(stack.resolve(karpenter.interruptionQueue.queueArn)).toEqual({ 'Fn::GetAtt': [r.idOf('AWS::SQS::Queue', 'KarpenterInterruptionQueue'), 'Arn'] });
    expect(stack.resolve(karpenter.controllerRole.roleArn)).toEqual({ 'Fn::GetAtt': [r.idOf('AWS::IAM::Role', 'KarpenterControllerRole'), 'Arn'] });
  });

  test.each([['WindowsNodeRole'], ['LinuxNodeRole']])('%s: trusts EC2, carries the four node policies, has a generated name', (role) => {
    const props = r.properties(r.idOf('AWS::IAM::Role', `Karpenter${role}`));
    expect(props.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    });
    expect(props.ManagedPolicyArns).toEqual([
      'arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy',
      'arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy',
      'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly',
      'arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore',
    ]);
    expect(props.RoleName).toBeUndefined();
    expect(props.Policies).toBeUndefined();
  });

  test('the controller role is an IRSA role for karpenter/karpenter with the six policies', () => {
    const props = r.properties(r.idOf('AWS::IAM::Role', 'KarpenterControllerRole'));
    const oidc = r.idOf('AWS::IAM::OIDCProvider', 'Cluster');
    const issuer = `select(1,split(:oidc-provider/,ref(${oidc})))`;
    expect(props.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [{
        Effect: 'Allow',
        Principal: { Federated: `ref(${oidc})` },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: { StringEquals: { [`${issuer}:aud`]: 'sts.amazonaws.com', [`${issuer}:sub`]: 'system:serviceaccount:karpenter:karpenter' } },
      }],
    });
    const policies = ['NodeLifecyclePolicy', 'IAMIntegrationPolicy', 'EKSIntegrationPolicy', 'InterruptionPolicy', 'ZonalShiftPolicy', 'ResourceDiscoveryPolicy'];
    expect(props.ManagedPolicyArns).toEqual(policies.map((p) => `ref(${r.idOf('AWS::IAM::ManagedPolicy', `Karpenter${p}`)})`));
    // No inline permissions beside the managed policies.
    const inline = template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: Match.arrayWith([{ Ref: r.idOf('AWS::IAM::Role', 'KarpenterControllerRole') }]) },
    });
    expect(Object.keys(inline)).toEqual([]);
  });

  test('NodeLifecyclePolicy: scoped to this cluster\'s tags, condition keys resolved', () => {
    expect(r.managedPolicyStatements('KarpenterNodeLifecyclePolicy')).toEqual({
      AllowScopedEC2InstanceAccessActions: {
        Sid: 'AllowScopedEC2InstanceAccessActions',
        Effect: 'Allow',
        Action: ['ec2:RunInstances', 'ec2:CreateFleet'],
        Resource: [
          `arn:aws:ec2:${REGION}::image/*`,
          `arn:aws:ec2:${REGION}::snapshot/*`,
          ec2('security-group/*'),
          ec2('subnet/*'),
          ec2('capacity-reservation/*'),
          ec2('placement-group/*'),
        ],
      },
      AllowScopedEC2LaunchTemplateAccessActions: {
        Sid: 'AllowScopedEC2LaunchTemplateAccessActions',
        Effect: 'Allow',
        Action: ['ec2:RunInstances', 'ec2:CreateFleet'],
        Resource: ec2('launch-template/*'),
        Condition: {
          StringEquals: { 'aws:ResourceTag/kubernetes.io/cluster/CLUSTER': 'owned' },
          StringLike: { 'aws:ResourceTag/karpenter.sh/nodepool': '*' },
        },
      },
      AllowScopedEC2InstanceActionsWithTags: {
        Sid: 'AllowScopedEC2InstanceActionsWithTags',
        Effect: 'Allow',
        Action: ['ec2:RunInstances', 'ec2:CreateFleet', 'ec2:CreateLaunchTemplate'],
        Resource: launched,
        Condition: {
          StringEquals: { 'aws:RequestTag/kubernetes.io/cluster/CLUSTER': 'owned', 'aws:RequestTag/eks:eks-cluster-name': 'CLUSTER' },
          StringLike: { 'aws:RequestTag/karpenter.sh/nodepool': '*' },
        },
      },
      AllowScopedResourceCreationTagging: {
        Sid: 'AllowScopedResourceCreationTagging',
        Effect: 'Allow',
        Action: 'ec2:CreateTags',
        Resource: launched,
        Condition: {
          StringEquals: {
            'aws:RequestTag/kubernetes.io/cluster/CLUSTER': 'owned',
            'aws:RequestTag/eks:eks-cluster-name': 'CLUSTER',
            'ec2:CreateAction': ['RunInstances', 'CreateFleet', 'CreateLaunchTemplate'],
          },
          StringLike: { 'aws:RequestTag/karpenter.sh/nodepool': '*' },
        },
      },
      AllowScopedResourceTagging: {
        Sid: 'AllowScopedResourceTagging',
        Effect: 'Allow',
        Action: 'ec2:CreateTags',
        Resource: ec2('instance/*'),
        Condition: {
          'StringEquals': { 'aws:ResourceTag/kubernetes.io/cluster/CLUSTER': 'owned' },
          'StringLike': { 'aws:ResourceTag/karpenter.sh/nodepool': '*' },
          'StringEqualsIfExists': { 'aws:RequestTag/eks:eks-cluster-name': 'CLUSTER' },
          'ForAllValues:StringEquals': { 'aws:TagKeys': ['eks:eks-cluster-name', 'karpenter.sh/nodeclaim', 'Name'] },
        },
      },
      AllowScopedDeletion: {
        Sid: 'AllowScopedDeletion',
        Effect: 'Allow',
        Action: ['ec2:TerminateInstances', 'ec2:DeleteLaunchTemplate'],
        Resource: [ec2('instance/*'), ec2('launch-template/*')],
        Condition: {
          StringEquals: { 'aws:ResourceTag/kubernetes.io/cluster/CLUSTER': 'owned' },
          StringLike: { 'aws:ResourceTag/karpenter.sh/nodepool': '*' },
        },
      },
    });
  });

  test('condition blocks whose keys hold the cluster name go through CfnJson', () => {
    // The raw template must not carry an intrinsic function as a JSON key.
    const raw = template.findResources('AWS::IAM::ManagedPolicy');
    const keysWithIntrinsics = JSON.stringify(raw).match(/"[^"]*\{"Ref"[^"]*":/g);
    expect(keysWithIntrinsics).toBeNull();
    const lifecycle = Object.entries(raw).find(([id]) => id.startsWith('KarpenterNodeLifecyclePolicy'))![1];
    const statement = (lifecycle.Properties.PolicyDocument.Statement as Array<{ Sid: string; Condition?: { StringEquals?: Json } }>)
      .find((s) => s.Sid === 'AllowScopedDeletion')!;
    expect(statement.Condition!.StringEquals).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^KarpenterResourceOwnedCondition/), 'Value'] });
    template.hasResourceProperties('Custom::AWSCDKCfnJson', {
      Value: { 'Fn::Join': ['', ['{"aws:ResourceTag/kubernetes.io/cluster/', { Ref: r.idOf('AWS::EKS::Cluster', 'Cluster') }, '":"owned"}']] },
    });
  });

  test('IAMIntegrationPolicy: PassRole covers both node roles, instance profiles scoped by tags', () => {
    expect(r.managedPolicyStatements('KarpenterIAMIntegrationPolicy')).toEqual({
      AllowPassingInstanceRole: {
        Sid: 'AllowPassingInstanceRole',
        Effect: 'Allow',
        Action: 'iam:PassRole',
        Resource: ['WindowsNodeRole.Arn', 'LinuxNodeRole.Arn'],
        Condition: { StringEquals: { 'iam:PassedToService': ['ec2.amazonaws.com', 'ec2.amazonaws.com.cn'] } },
      },
      AllowScopedInstanceProfileCreationActions: {
        Sid: 'AllowScopedInstanceProfileCreationActions',
        Effect: 'Allow',
        Action: 'iam:CreateInstanceProfile',
        Resource: instanceProfiles,
        Condition: {
          StringEquals: {
            'aws:RequestTag/kubernetes.io/cluster/CLUSTER': 'owned',
            'aws:RequestTag/eks:eks-cluster-name': 'CLUSTER',
            'aws:RequestTag/topology.kubernetes.io/region': REGION,
          },
          StringLike: { 'aws:RequestTag/karpenter.k8s.aws/ec2nodeclass': '*' },
        },
      },
      AllowScopedInstanceProfileTagActions: {
        Sid: 'AllowScopedInstanceProfileTagActions',
        Effect: 'Allow',
        Action: 'iam:TagInstanceProfile',
        Resource: instanceProfiles,
        Condition: {
          StringEquals: {
            'aws:ResourceTag/kubernetes.io/cluster/CLUSTER': 'owned',
            'aws:ResourceTag/topology.kubernetes.io/region': REGION,
            'aws:RequestTag/kubernetes.io/cluster/CLUSTER': 'owned',
            'aws:RequestTag/eks:eks-cluster-name': 'CLUSTER',
            'aws:RequestTag/topology.kubernetes.io/region': REGION,
          },
          StringLike: { 'aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass': '*', 'aws:RequestTag/karpenter.k8s.aws/ec2nodeclass': '*' },
        },
      },
      AllowScopedInstanceProfileActions: {
        Sid: 'AllowScopedInstanceProfileActions',
        Effect: 'Allow',
        Action: ['iam:AddRoleToInstanceProfile', 'iam:RemoveRoleFromInstanceProfile', 'iam:DeleteInstanceProfile'],
        Resource: instanceProfiles,
        Condition: {
          StringEquals: { 'aws:ResourceTag/kubernetes.io/cluster/CLUSTER': 'owned', 'aws:ResourceTag/topology.kubernetes.io/region': REGION },
          StringLike: { 'aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass': '*' },
        },
      },
    });
  });

  test('EKSIntegration, Interruption and ZonalShift policies: this cluster and this queue only', () => {
    expect(r.managedPolicyStatements('KarpenterEKSIntegrationPolicy')).toEqual({
      AllowAPIServerEndpointDiscovery: { Sid: 'AllowAPIServerEndpointDiscovery', Effect: 'Allow', Action: 'eks:DescribeCluster', Resource: 'CLUSTER.Arn' },
    });
    expect(r.managedPolicyStatements('KarpenterInterruptionPolicy')).toEqual({
      AllowInterruptionQueueActions: {
        Sid: 'AllowInterruptionQueueActions',
        Effect: 'Allow',
        Action: ['sqs:DeleteMessage', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage'],
        Resource: 'Queue.Arn',
      },
    });
    expect(r.managedPolicyStatements('KarpenterZonalShiftPolicy')).toEqual({
      AllowZonalShiftStatusReadOnly: {
        Sid: 'AllowZonalShiftStatusReadOnly',
        Effect: 'Allow',
        Action: 'arc-zonal-shift:GetManagedResource',
        Resource: '*',
        Condition: { StringEquals: { 'arc-zonal-shift:ResourceIdentifier': 'CLUSTER.Arn' } },
      },
    });
  });

  test('ResourceDiscoveryPolicy: reads limited to this region and to AWS public parameters', () => {
    expect(r.managedPolicyStatements('KarpenterResourceDiscoveryPolicy')).toEqual({
      AllowRegionalReadActions: {
        Sid: 'AllowRegionalReadActions',
        Effect: 'Allow',
        Action: [
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
        Resource: '*',
        Condition: { StringEquals: { 'aws:RequestedRegion': REGION } },
      },
      AllowSSMReadActions: { Sid: 'AllowSSMReadActions', Effect: 'Allow', Action: 'ssm:GetParameter', Resource: `arn:aws:ssm:${REGION}::parameter/aws/service/*` },
      AllowPricingReadActions: { Sid: 'AllowPricingReadActions', Effect: 'Allow', Action: 'pricing:GetProducts', Resource: '*' },
      AllowUnscopedInstanceProfileListAction: { Sid: 'AllowUnscopedInstanceProfileListAction', Effect: 'Allow', Action: 'iam:ListInstanceProfiles', Resource: '*' },
      AllowInstanceProfileReadActions: { Sid: 'AllowInstanceProfileReadActions', Effect: 'Allow', Action: 'iam:GetInstanceProfile', Resource: instanceProfiles },
    });
  });

  test('the interruption queue is named after the cluster', () => {
    expect(r.properties(r.idOf('AWS::SQS::Queue', 'KarpenterInterruptionQueue'))).toEqual({
      QueueName: 'CLUSTER',
      MessageRetentionPeriod: 300,
      SqsManagedSseEnabled: true,
    });
    template.resourceCountIs('AWS::Events::Rule', 5);
  });

  test('access entries: EC2_WINDOWS for the Windows role, EC2_LINUX for the Linux role', () => {
    const ours = Object.keys(template.findResources('AWS::EKS::AccessEntry')).filter((id) => id.startsWith('Karpenter'));
    expect(ours).toHaveLength(2);
    expect(r.properties(r.idOf('AWS::EKS::AccessEntry', 'KarpenterWindowsNodeAccessEntry'))).toEqual({
      ClusterName: 'CLUSTER', PrincipalArn: 'WindowsNodeRole.Arn', Type: 'EC2_WINDOWS',
    });
    expect(r.properties(r.idOf('AWS::EKS::AccessEntry', 'KarpenterLinuxNodeAccessEntry'))).toEqual({
      ClusterName: 'CLUSTER', PrincipalArn: 'LinuxNodeRole.Arn', Type: 'EC2_LINUX',
    });
  });

  test('Helm: the CRD chart, then the controller chart without its CRDs', () => {
    const releases = helmReleasesOf(template);
    expect(releases).toHaveLength(2);
    const crdId = r.idOf('Custom::AWSCDK-EKS-HelmChart', 'ClusterchartKarpentercrd');
    const controllerId = r.idOf('Custom::AWSCDK-EKS-HelmChart', 'ClusterchartKarpentercontroller');
    expect(r.properties(crdId)).toMatchObject({
      Release: 'karpenter-crd',
      Chart: 'karpenter-crd',
      Repository: 'oci://public.ecr.aws/karpenter/karpenter-crd',
      Version: '1.14.1',
      Namespace: 'karpenter',
      CreateNamespace: true,
      Wait: true,
    });
    expect(r.properties(crdId).SkipCrds).toBeUndefined();
    expect(r.properties(controllerId)).toMatchObject({
      Release: 'karpenter',
      Chart: 'karpenter',
      // OCI: the handler pulls the repository URL itself (chart name last), so chart and
      // repository's last segment agree.
      Repository: 'oci://public.ecr.aws/karpenter/karpenter',
      Version: '1.14.1',
      Namespace: 'karpenter',
      CreateNamespace: true,
      SkipCrds: true,
      Wait: true,
      Timeout: '600s',
    });
    // The controller waits for the CRDs and for node access.
    const dependsOn = template.toJSON().Resources[controllerId].DependsOn as string[];
    expect(dependsOn).toEqual(expect.arrayContaining([
      crdId,
      r.idOf('AWS::EKS::AccessEntry', 'KarpenterWindowsNodeAccessEntry'),
      r.idOf('AWS::EKS::AccessEntry', 'KarpenterLinuxNodeAccessEntry'),
    ]));
    expect(karpenter.controller.node.path).toBe('Test/Cluster/chart-Karpenter-controller');
  });

  test('Helm values: cluster, queue name, IRSA annotation, Fargate sizing and region', () => {
    const values = JSON.parse(r.properties(r.idOf('Custom::AWSCDK-EKS-HelmChart', 'ClusterchartKarpentercontroller')).Values as string);
    expect(values).toEqual({
      replicas: 2,
      serviceAccount: { name: 'karpenter', annotations: { 'eks.amazonaws.com/role-arn': 'ControllerRole.Arn' } },
      // The queue's name (GetAtt QueueName), not its URL or ARN.
      settings: { clusterName: 'CLUSTER', interruptionQueue: 'Queue.QueueName' },
      controller: {
        env: [{ name: 'AWS_REGION', value: REGION }],
        resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } },
      },
    });
  });

  test('every resource matches its CloudFormation registry schema', () => {
    if (!registrySchema('AWS::SQS::Queue') && process.env.CI !== 'true') {
      console.warn('skipped: the CloudFormation registry schemas in ../shared/reference are absent');
      return;
    }
    const result = checkTemplateAgainstRegistry(template.toJSON());
    expect(result.checkedTypes).toEqual(expect.arrayContaining([
      'AWS::EKS::AccessEntry', 'AWS::Events::Rule', 'AWS::IAM::ManagedPolicy', 'AWS::IAM::Role', 'AWS::SQS::Queue', 'AWS::SQS::QueuePolicy',
    ]));
    expect(result.errors).toEqual([]);
  });

  test('every Helm value set exists in the upstream chart\'s values.yaml', () => {
    const upstream = upstreamChartValues();
    if (!upstream) {
      console.warn('skipped: ../shared/reference/karpenter-provider-aws/v1.14.1/charts/karpenter/values.yaml is absent');
      return;
    }
    const values = helmReleasesOf(template).find((h) => h.chart === 'karpenter')!.values;
    expect(Object.keys(values).length).toBeGreaterThan(0);
    expect(unknownValuePaths(values, upstream)).toEqual([]);
    // The check itself catches a misplaced key.
    expect(unknownValuePaths({ settings: { interruptionQueueName: 'x' }, controller: { resources: { requests: {} } } }, upstream)).toEqual(['settings.interruptionQueueName']);
  });
});

describe('Karpenter options', () => {
  test('custom namespace, version, sizing, replicas and queue name reach Helm and IRSA', () => {
    // GIVEN
    const stack = newStack();
    const cluster = v2Cluster(stack);
    // WHEN
    new Karpenter(stack, 'Karpenter', {
      cluster,
      namespace: 'autoscaling',
      version: '1.9.0',
      controllerCpu: '500m',
      controllerMemory: '768Mi',
      replicas: 3,
      interruptionQueueName: 'karpenter-events',
    });
    // THEN
    const template = Template.fromStack(stack);
    const r = new Resolver(template);
    template.hasResourceProperties('AWS::SQS::Queue', { QueueName: 'karpenter-events' });
    template.hasResourceProperties('Custom::AWSCDK-EKS-HelmChart', { Chart: 'karpenter-crd', Version: '1.9.0', Namespace: 'autoscaling' });
    template.hasResourceProperties('Custom::AWSCDK-EKS-HelmChart', { Chart: 'karpenter', Version: '1.9.0', Namespace: 'autoscaling' });
    const values = JSON.parse(r.properties(r.idOf('Custom::AWSCDK-EKS-HelmChart', 'ClusterchartKarpentercontroller')).Values as string);
    expect(values.replicas).toBe(3);
    expect(values.controller.resources).toEqual({ requests: { cpu: '500m', memory: '768Mi' }, limits: { cpu: '500m', memory: '768Mi' } });
    const trust = r.properties(r.idOf('Custom::AWSCDKCfnJson', 'KarpenterControllerRoleTrustConditions')).Value as string;
    expect(trust).toContain(':sub":"system:serviceaccount:autoscaling:karpenter"');
  });

  test('helmValues are deep-merged last', () => {
    // GIVEN
    const stack = newStack();
    const cluster = v2Cluster(stack);
    // WHEN
    new Karpenter(stack, 'Karpenter', {
      cluster,
      helmValues: {
        logLevel: 'debug',
        settings: { featureGates: { spotToSpotConsolidation: true } },
        controller: { resources: { limits: { memory: '2Gi' } } },
        replicas: 1,
      },
    });
    // THEN
    const r = new Resolver(Template.fromStack(stack));
    const values = JSON.parse(r.properties(r.idOf('Custom::AWSCDK-EKS-HelmChart', 'ClusterchartKarpentercontroller')).Values as string);
    expect(values.logLevel).toBe('debug');
    expect(values.replicas).toBe(1);
    expect(values.settings).toEqual({
      clusterName: expect.stringMatching(/^ref\(Cluster/),
      interruptionQueue: expect.stringMatching(/^KarpenterInterruptionQueue.*\.QueueName$/),
      featureGates: { spotToSpotConsolidation: true },
    });
    expect(values.controller.resources).toEqual({ requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '2Gi' } });
    expect(values.controller.env).toEqual([{ name: 'AWS_REGION', value: REGION }]);
  });

  test('an env-agnostic stack passes the region as a deploy-time value', () => {
    // GIVEN
    const stack = new Stack(newStack().node.root as App, 'Agnostic');
    const cluster = v2Cluster(stack);
    // WHEN
    new Karpenter(stack, 'Karpenter', { cluster });
    // THEN
    const r = new Resolver(Template.fromStack(stack));
    const values = JSON.parse(r.properties(r.idOf('Custom::AWSCDK-EKS-HelmChart', 'ClusterchartKarpentercontroller')).Values as string);
    expect(values.controller.env).toEqual([{ name: 'AWS_REGION', value: 'ref(AWS::Region)' }]);
  });
});

describe('Karpenter validation', () => {
  let stack: Stack;
  let cluster: eksv2.Cluster;
  let n = 0;
  const make = (props: Partial<KarpenterProps>) => () => new Karpenter(stack, `Karpenter${n++}`, { cluster, ...props });

  beforeAll(() => {
    stack = newStack();
    cluster = v2Cluster(stack);
  });

  test.each([
    ['latest', /Karpenter\.version: "latest" is not a Karpenter release version; use "x\.y\.z"/],
    ['v1.14.1', /Karpenter\.version: "v1\.14\.1" is not a Karpenter release version.*without a leading "v"/],
    ['1.14', /Karpenter\.version: "1\.14" is not/],
    ['0.37.0', /Karpenter\.version: "0\.37\.0" predates Karpenter's v1 API.*1\.0\.0 or later/],
  ])('version %s is rejected', (version, message) => {
    expect(make({ version })).toThrow(message);
  });

  test('a version below 1.0.0 in the 0.x line with a high minor is rejected', () => {
    expect(make({ version: '0.99.9' })).toThrow(/predates/);
  });

  test('namespace must be a DNS-1123 label', () => {
    expect(make({ namespace: 'Karpenter_System' })).toThrow(/Karpenter\.namespace: "Karpenter_System" is not a valid Kubernetes name/);
  });

  test.each([[0], [11], [1.5]])('replicas %p is rejected', (replicas) => {
    expect(make({ replicas })).toThrow(new RegExp(`Karpenter\\.replicas: got ${replicas}; use a whole number from 1 to 10`));
  });

  test('controller sizes must be Kubernetes quantities', () => {
    expect(make({ controllerCpu: '1 vCPU' })).toThrow(/Karpenter\.controllerCpu: "1 vCPU" is not a positive CPU quantity/);
    expect(make({ controllerMemory: '1GB' })).toThrow(/Karpenter\.controllerMemory: "1GB" is not a positive memory quantity; use e.g. "1Gi". Did you mean "1Gi"/);
  });

  test('kubernetesVersion must be major.minor', () => {
    expect(make({ kubernetesVersion: '1.35.2' })).toThrow(/Karpenter\.kubernetesVersion: "1\.35\.2" is a patch version/);
  });

  test('interruptionQueueName must be a valid SQS name', () => {
    expect(make({ interruptionQueueName: 'karpenter events' })).toThrow(/KarpenterInterruptionQueue\.queueName: "karpenter events" is not a valid SQS queue name/);
  });

  test('a cluster name SQS cannot take as the default queue name asks for interruptionQueueName', () => {
    // GIVEN: EKS allows 100 characters, SQS 80 (only an imported cluster's name is known at synth).
    const longStack = newStack();
    const longCluster = importedV1Cluster(longStack, true, 'c'.repeat(90));
    // THEN
    expect(() => new Karpenter(longStack, 'Karpenter', { cluster: longCluster })).toThrow(/Karpenter\.interruptionQueueName: the default queue name is the cluster name "c{90}".*set interruptionQueueName/);
  });

  test('AWS_AUTH on a cluster that is not an aws-eks Cluster is rejected', () => {
    expect(make({ nodeAccess: NodeAccess.AWS_AUTH })).toThrow(/Karpenter\.nodeAccess: .*not an aws-eks Cluster.*API_AND_CONFIG_MAP/);
  });
});
