import { Stack } from 'aws-cdk-lib';
import { k8s } from 'cdk8s-plus-29';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { AWS_CLI_IMAGE, PORTAINER_IMAGE } from '../../constructs/common/versions';
import { Portainer, PortainerClusterAccess, PortainerProps } from '../../constructs/portainer/portainer';
import { AwsSolutionsAudit } from '../../lib/aws-solutions-audit';
import { stackWithV2Cluster } from '../support/eks-fixtures';
import { KubernetesObject, kubernetesObjectsOf, validateKubernetesObjects } from '../support/kubernetes-schemas';
import { scanTemplateForSecrets } from '../support/secret-scan';

const CERTIFICATE = 'arn:aws:acm:us-east-1:111122223333:certificate/00000000-0000-0000-0000-000000000000';

function synth(props: Partial<PortainerProps> = {}): { stack: Stack; cluster: eks.Cluster; template: Template; objects: KubernetesObject[] } {
  const { stack, cluster } = stackWithV2Cluster();
  new Portainer(stack, 'Portainer', { cluster, certificateArn: CERTIFICATE, ...props });
  const template = Template.fromStack(stack);
  return { stack, cluster, template, objects: kubernetesObjectsOf(template) };
}

/** The first object of a kind, typed as its cdk8s props (the synthesized JSON has the same shape). */
function find<T>(objects: KubernetesObject[], kind: string): T {
  const found = objects.find((o) => o.kind === kind);
  if (!found) throw new Error(`no ${kind} among ${objects.map((o) => o.kind).join(', ')}`);
  return found as unknown as T;
}

describe('Portainer with defaults', () => {
  let result: ReturnType<typeof synth>;
  beforeAll(() => {
    // GIVEN a cluster, WHEN Portainer is added with only a certificate
    result = synth();
  });

  test('writes Portainer\'s objects, each valid against its schema', () => {
    expect(result.objects.map((o) => o.kind)).toEqual([
      'Namespace', 'ServiceAccount', 'ClusterRoleBinding', 'PersistentVolume', 'PersistentVolumeClaim', 'Deployment', 'Service', 'Ingress',
    ]);
    expect(validateKubernetesObjects(result.objects)).toEqual([]);
  });

  test('puts an internal, HTTPS-only ALB in front, with the given certificate', () => {
    const ingress = find<k8s.KubeIngressProps>(result.objects, 'Ingress');
    expect(ingress.metadata!.annotations).toMatchObject({
      'alb.ingress.kubernetes.io/scheme': 'internal',
      'alb.ingress.kubernetes.io/target-type': 'ip',
      'alb.ingress.kubernetes.io/listen-ports': '[{"HTTPS":443}]',
      'alb.ingress.kubernetes.io/certificate-arn': CERTIFICATE,
      'alb.ingress.kubernetes.io/ssl-policy': 'ELBSecurityPolicy-TLS13-1-2-2021-06',
    });
  });

  test('reads the admin password from Secrets Manager at start; no password in the template', () => {
    result.template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: { PasswordLength: 32, ExcludePunctuation: true },
    });
    const deployment = find<k8s.KubeDeploymentProps>(result.objects, 'Deployment');
    const pod = deployment.spec!.template.spec!;
    expect(pod.initContainers![0].image).toBe(AWS_CLI_IMAGE);
    expect(pod.initContainers![0].env!.find((e) => e.name === 'SECRET_ARN')!.value).toBe('TOKEN');
    expect(pod.containers[0].image).toBe(PORTAINER_IMAGE);
    expect(pod.containers[0].args).toEqual(['--admin-password-file', '/run/portainer-admin/password']);
    expect(pod.volumes).toContainEqual({ name: 'admin-password', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } });
    expect(scanTemplateForSecrets(result.template)).toEqual([]);
  });

  test('lets the service account read that one secret and nothing else', () => {
    const policies = result.template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^PortainerServiceAccountRole') }] },
    });
    const statements = Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement);
    expect(statements).toEqual([{
      Effect: 'Allow',
      Action: expect.arrayContaining(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']),
      Resource: { Ref: expect.stringMatching(/^PortainerAdminPassword/) },
    }]);
    expect(statements[0].Action).toHaveLength(2);
    result.template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Action: 'sts:AssumeRoleWithWebIdentity' })] },
    });
  });

  test('keeps its data on an encrypted, retained EFS file system reachable from the pods only', () => {
    result.template.hasResource('AWS::EFS::FileSystem', { Properties: { Encrypted: true }, DeletionPolicy: 'Retain' });
    result.template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      IpProtocol: 'tcp', FromPort: 2049, ToPort: 2049,
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Cluster'), 'ClusterSecurityGroupId'] },
    });
    result.template.hasResourceProperties('AWS::EFS::AccessPoint', { RootDirectory: { Path: '/portainer' } });
    const volume = find<k8s.KubePersistentVolumeProps>(result.objects, 'PersistentVolume');
    expect(volume.spec!.csi).toEqual({ driver: 'efs.csi.aws.com', volumeHandle: 'TOKEN::TOKEN' });
    expect(find<k8s.KubeDeploymentProps>(result.objects, 'Deployment').spec).toMatchObject({ replicas: 1, strategy: { type: 'Recreate' } });
  });

  test('raises no unacknowledged AwsSolutions finding on its own resources', () => {
    const report = new AwsSolutionsAudit().validate({ templatePaths: [], appConstruct: result.stack.node.root } as Parameters<AwsSolutionsAudit['validate']>[0]);
    const own = report.violations.flatMap((v) => v.violatingResources
      .filter((r) => (r.constructPath ?? '').startsWith('Test/Portainer/'))
      .map((r) => `${v.ruleName}: ${r.constructPath}`));
    // The audit does report findings here (the bare test cluster has some): only Portainer's must be none.
    expect(report.violations.length).toBeGreaterThan(0);
    expect(own).toEqual([]);
  });

  test('binds the read-only `view` ClusterRole by default', () => {
    expect(find<k8s.KubeClusterRoleBindingProps>(result.objects, 'ClusterRoleBinding').roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' });
  });
});

describe('Portainer options', () => {
  test('internet-facing, with a host name and more cluster access when asked', () => {
    const { objects } = synth({ internetFacing: true, hostname: 'portainer.example.com', clusterAccess: PortainerClusterAccess.CLUSTER_ADMIN, namespace: 'tools' });
    const ingress = find<k8s.KubeIngressProps>(objects, 'Ingress');
    expect(ingress.metadata!.annotations!['alb.ingress.kubernetes.io/scheme']).toBe('internet-facing');
    expect(ingress.spec!.rules![0].host).toBe('portainer.example.com');
    expect(find<k8s.KubeClusterRoleBindingProps>(objects, 'ClusterRoleBinding').roleRef.name).toBe('cluster-admin');
    expect(objects.every((o) => o.kind === 'Namespace' || o.kind === 'ClusterRoleBinding' || o.kind === 'PersistentVolume' || o.metadata?.namespace === 'tools')).toBe(true);
  });

  test.each([
    [{ certificateArn: 'not-an-arn' }, /Test\/Portainer: Portainer\.certificateArn.*"not-an-arn".*ACM certificate ARN/],
    [{ namespace: 'Tools' }, /Test\/Portainer: Portainer\.namespace.*Tools/],
    [{ hostname: 'bad host' }, /Test\/Portainer: Portainer\.hostname.*bad host/],
    [{ clusterAccess: 'admin' as PortainerClusterAccess }, /Test\/Portainer: Portainer\.clusterAccess.*"admin".*VIEW, EDIT or CLUSTER_ADMIN/],
  ])('rejects %j naming the construct, the prop, the value and the fix', (props, message) => {
    expect(() => synth(props)).toThrow(message);
  });
});
