import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { WindowsManagedNodeGroup, WindowsManagedNodeGroupProps } from '../../constructs/cluster/windows-managed-node-group';
import { ValidationError } from '../../constructs/common/validation-error';

/** Feature flags of the project's cdk.json, so tests see what deploys. */
const FEATURE_FLAGS = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8')).context as Record<string, unknown>;

/** A bare aws-eks-v2 cluster: the node group needs nothing else from it. */
function clusterStack(version: eks.KubernetesVersion = eks.KubernetesVersion.V1_35): { stack: Stack; cluster: eks.Cluster } {
  const stack = new Stack(new App({ context: FEATURE_FLAGS }), 'Test');
  const cluster = new eks.Cluster(stack, 'Cluster', {
    version,
    defaultCapacityType: eks.DefaultCapacityType.NODEGROUP,
    defaultCapacity: 0,
  });
  return { stack, cluster };
}

function expectValidationError(fn: () => unknown, message: RegExp): void {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ValidationError);
  expect((error as ValidationError).message).toMatch(message);
}

describe('WindowsManagedNodeGroup', () => {
  describe('with defaults', () => {
    let template: Template;
    let group: WindowsManagedNodeGroup;

    beforeAll(() => {
      // GIVEN
      const { stack, cluster } = clusterStack();
      // WHEN
      group = new WindowsManagedNodeGroup(stack, 'Windows', { cluster });
      template = Template.fromStack(stack);
    });

    test('uses Windows Server 2022 Core on m6i.xlarge, 1 to 3 nodes', () => {
      template.hasResourceProperties('AWS::EKS::Nodegroup', {
        AmiType: 'WINDOWS_CORE_2022_x86_64',
        InstanceTypes: ['m6i.xlarge'],
        ScalingConfig: { MinSize: 1, DesiredSize: 1, MaxSize: 3 },
      });
      expect(group.windowsVersion).toBe('2022');
      expect(group.windowsBuild).toBe('10.0.20348');
      expect(group.amiType).toBe('WINDOWS_CORE_2022_x86_64');
    });

    test('taints the nodes os=windows:NoSchedule and sets no reserved labels', () => {
      template.hasResourceProperties('AWS::EKS::Nodegroup', {
        Taints: [{ Key: 'os', Value: 'windows', Effect: 'NO_SCHEDULE' }],
        Labels: Match.absent(),
      });
    });

    test('launch template requires IMDSv2 with one hop and encrypts a 100 GiB gp3 root volume', () => {
      template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
        LaunchTemplateData: Match.objectLike({
          MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1 },
          BlockDeviceMappings: [{
            DeviceName: '/dev/sda1',
            Ebs: { Encrypted: true, VolumeType: 'gp3', VolumeSize: 100, DeleteOnTermination: true },
          }],
          // EKS picks the AMI from the AMI type and must own the instance profile.
          ImageId: Match.absent(),
          IamInstanceProfile: Match.absent(),
        }),
      });
      const [ltId] = Object.keys(template.findResources('AWS::EC2::LaunchTemplate'));
      template.hasResourceProperties('AWS::EKS::Nodegroup', {
        LaunchTemplate: { Id: { Ref: ltId }, Version: { 'Fn::GetAtt': [ltId, 'LatestVersionNumber'] } },
        DiskSize: Match.absent(),
      });
    });

    test('has its own node role (EKS gives it an EC2_WINDOWS access entry)', () => {
      const nodegroup = Object.values(template.findResources('AWS::EKS::Nodegroup'))[0];
      const roleId = (nodegroup.Properties.NodeRole as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      const role = template.findResources('AWS::IAM::Role')[roleId];
      expect(JSON.stringify(role.Properties.ManagedPolicyArns)).toMatch(/AmazonEKSWorkerNodePolicy/);
      expect(JSON.stringify(role.Properties.ManagedPolicyArns)).toMatch(/AmazonEKS_CNI_Policy/);
      // No access entry is created by CDK for it: EKS does that for managed node groups.
      expect(template.findResources('AWS::EKS::AccessEntry', {
        Properties: { PrincipalArn: { 'Fn::GetAtt': [roleId, 'Arn'] } },
      })).toEqual({});
    });
  });

  test('Windows Server 2025 overrides the AMI type the v2 enum lacks', () => {
    // GIVEN
    const { stack, cluster } = clusterStack();
    // WHEN
    const group = new WindowsManagedNodeGroup(stack, 'Windows', { cluster, windowsVersion: '2025', rootVolumeSizeGiB: 50, minSize: 0, maxSize: 10, desiredSize: 2 });
    // THEN
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::EKS::Nodegroup', {
      AmiType: 'WINDOWS_CORE_2025_x86_64',
      ScalingConfig: { MinSize: 0, DesiredSize: 2, MaxSize: 10 },
    });
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({ BlockDeviceMappings: [Match.objectLike({ Ebs: Match.objectLike({ VolumeSize: 50 }) })] }),
    });
    expect(group.windowsBuild).toBe('10.0.26100');
  });

  test('passes custom labels and instance types through', () => {
    const { stack, cluster } = clusterStack();
    new WindowsManagedNodeGroup(stack, 'Windows', {
      cluster,
      windowsVersion: '2019',
      instanceTypes: [new ec2.InstanceType('m5.2xlarge')],
      labels: { 'desktop.io/pool': 'apps' },
    });
    Template.fromStack(stack).hasResourceProperties('AWS::EKS::Nodegroup', {
      AmiType: 'WINDOWS_CORE_2019_x86_64',
      InstanceTypes: ['m5.2xlarge'],
      Labels: { 'desktop.io/pool': 'apps' },
    });
  });

  describe('rejects bad input', () => {
    let cluster: eks.Cluster;
    let cluster134: eks.Cluster;
    beforeAll(() => {
      cluster = clusterStack().cluster;
      cluster134 = clusterStack(eks.KubernetesVersion.V1_34).cluster;
    });
    let n = 0;
    const make = (props: Partial<WindowsManagedNodeGroupProps>, on?: eks.Cluster) =>
      () => new WindowsManagedNodeGroup(on ?? cluster, `Windows${n++}`, { cluster: on ?? cluster, ...props });

    test('an unknown Windows version', () => {
      expectValidationError(make({ windowsVersion: '2016' }), /windowsVersion: "2016" is not a supported Windows Server version; use one of "2019", "2022", "2025"/);
      expectValidationError(make({ windowsVersion: 'toString' }), /windowsVersion: "toString" is not a supported/);
    });

    test('Windows Server 2025 on Kubernetes 1.34', () => {
      expectValidationError(make({ windowsVersion: '2025' }, cluster134), /windowsVersion: Windows Server 2025 nodes need Kubernetes 1\.35 or later, but the cluster runs 1\.34/);
      expectValidationError(make({ windowsVersion: '2025', kubernetesVersion: '1.33' }), /runs 1\.33/);
    });

    test('minSize above maxSize, desiredSize outside the range, maxSize 0', () => {
      expectValidationError(make({ minSize: 4, maxSize: 2, desiredSize: 2 }), /minSize: minSize 4 is greater than maxSize 2/);
      expectValidationError(make({ minSize: 1, maxSize: 2, desiredSize: 3 }), /desiredSize: desiredSize 3 is outside \[minSize 1, maxSize 2\]/);
      expectValidationError(make({ minSize: 0, maxSize: 0, desiredSize: 0 }), /maxSize: got 0; use a whole number ≥ 1/);
      expectValidationError(make({ minSize: 1.5 }), /minSize: got 1\.5/);
    });

    test('a root volume under 50 GiB, no instance types, a reserved label', () => {
      expectValidationError(make({ rootVolumeSizeGiB: 30 }), /rootVolumeSizeGiB: got 30; use a whole number from 50/);
      expectValidationError(make({ instanceTypes: [] }), /instanceTypes: is empty/);
      expectValidationError(make({ labels: { 'node.kubernetes.io/windows-build': '10.0.20348' } }), /labels: label "node.kubernetes.io\/windows-build" uses the reserved prefix "kubernetes.io\/"/);
      expectValidationError(make({ labels: { 'eks.amazonaws.com/x': 'y' } }), /reserved prefix "eks.amazonaws.com\/"/);
    });
  });
});
