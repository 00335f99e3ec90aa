import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import * as eksv2 from 'aws-cdk-lib/aws-eks-v2';
import { GuacamoleGateway } from '../../constructs/guacamole/guacamole-gateway';
import { DesktopKind } from '../../constructs/sessions/api';
import { DesktopClassObject } from '../../constructs/sessions/desktop-class';
import { DesktopSessionService, DesktopSessionServiceProps } from '../../constructs/sessions/desktop-session-service';
import { Chart, Testing } from 'cdk8s';
import { KubernetesObject, kubernetesObjectsOf, validateKubernetesObjects } from '../support/kubernetes-schemas';
import { scanTemplateForSecrets } from '../support/secret-scan';
import { CERTIFICATE_ARN, HOSTNAME, albAnnotationNames, find, newStack, undocumentedAlbAnnotations, v2Cluster } from '../guacamole/guacamole-fixtures';

const ALB_ARN = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/k8s-desktops-0123456789/0123456789abcdef';

interface PodSpecView {
  serviceAccountName: string;
  securityContext: Record<string, unknown>;
  containers: Array<{ args: string[]; image: string; securityContext: Record<string, unknown>; livenessProbe: unknown; readinessProbe: unknown; env: Array<{ name: string; value?: string }> }>;
}
const podSpec = (o: KubernetesObject) => (o as unknown as { spec: { replicas: number; template: { spec: PodSpecView } } }).spec;

function build(extra: Partial<DesktopSessionServiceProps> = {}, gatewayGroup: string | null = 'desktops'): { stack: Stack; service: DesktopSessionService; template: Template; objects: KubernetesObject[] } {
  const stack = newStack();
  const { cluster } = v2Cluster(stack);
  const gateway = new GuacamoleGateway(stack, 'Gateway', { cluster: cluster as eksv2.Cluster, hostname: HOSTNAME, certificateArn: CERTIFICATE_ARN, internetFacing: true, ingressGroupName: gatewayGroup ?? undefined });
  const service = new DesktopSessionService(stack, 'Sessions', { gateway, desktopClass: 'windows11', image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/sessions:1.0.0', loadBalancerArn: ALB_ARN, adminUserIds: ['admin-sub'], ...extra });
  const template = Template.fromStack(stack);
  return { stack, service, template, objects: kubernetesObjectsOf(template).filter((o) => o.metadata?.namespace === 'desktop-sessions' || o.kind === 'CustomResourceDefinition' || (o.kind.startsWith('Cluster') && String(o.metadata?.name).startsWith('desktop-session'))) };
}

describe('DesktopSessionService', () => {
  const { template, objects, service } = build();

  test('every Kubernetes object it applies passes its schema; no secret is in the template', () => {
    const known = objects.filter((o) => !['external-secrets.io/v1', 'vpcresources.k8s.aws/v1beta1'].includes(o.apiVersion));
    expect(validateKubernetesObjects(known)).toEqual([]);
    expect(scanTemplateForSecrets(template)).toEqual([]);
  });

  test('controller and broker: two replicas on Fargate-ready pods, non-root, read-only root, probes, PDBs', () => {
    for (const name of ['desktop-session-controller', 'desktop-session-broker']) {
      const spec = podSpec(find(objects, 'Deployment', name));
      expect(spec.replicas).toBe(2);
      expect(spec.template.spec.serviceAccountName).toBe(name);
      expect(spec.template.spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      const [container] = spec.template.spec.containers;
      expect(container.image).toBe('123456789012.dkr.ecr.us-east-1.amazonaws.com/sessions:1.0.0');
      expect(container.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
      expect(container.livenessProbe).toBeDefined();
      expect(container.readinessProbe).toBeDefined();
      expect(find(objects, 'PodDisruptionBudget', name)).toMatchObject({ spec: { maxUnavailable: 1 } });
    }
    expect(podSpec(find(objects, 'Deployment', 'desktop-session-broker')).template.spec.containers[0].env).toEqual(expect.arrayContaining([{ name: 'ALB_ARN', value: ALB_ARN }, { name: 'BASE_PATH', value: '/portal' }, { name: 'ADMIN_USER_IDS', value: 'admin-sub' }]));
  });

  test('RBAC has no wildcard verbs, resources or groups', () => {
    const roles = objects.filter((o) => o.kind === 'Role' || o.kind === 'ClusterRole') as unknown as Array<{ rules: Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }> }>;
    expect(roles.length).toBe(4);
    for (const rule of roles.flatMap((r) => r.rules)) {
      expect([...rule.apiGroups, ...rule.resources, ...rule.verbs].filter((x) => x.includes('*'))).toEqual([]);
    }
  });

  test('the controller may start/stop VMs, read the guest agent user list and get (only get) nodes, cluster-wide', () => {
    const role = objects.find((o) => o.kind === 'ClusterRole' && (o.metadata as { name: string }).name === 'desktop-session-controller') as unknown as { rules: Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }> };
    const rulesFor = (group: string, resource: string) => role.rules.filter((r) => r.apiGroups.includes(group) && r.resources.includes(resource));
    expect(rulesFor('', 'nodes')).toEqual([{ apiGroups: [''], resources: ['nodes'], verbs: ['get'] }]);
    expect(rulesFor('subresources.kubevirt.io', 'virtualmachines/start').map((r) => r.verbs)).toEqual([['update']]);
    expect(rulesFor('subresources.kubevirt.io', 'virtualmachines/stop').map((r) => r.verbs)).toEqual([['update']]);
    expect(rulesFor('subresources.kubevirt.io', 'virtualmachineinstances/userlist').map((r) => r.verbs)).toEqual([['get']]);
    expect(rulesFor('kubevirt.io', 'virtualmachineinstances').map((r) => r.verbs)).toEqual([['get']]);
  });

  test('the broker route joins the gateway ALB under /portal with Cognito sign-in, documented annotations only', () => {
    const ingress = find(objects, 'Ingress', 'desktop-session-broker') as unknown as { metadata: { annotations: Record<string, string> }; spec: { rules: Array<{ host: string; http: { paths: Array<{ path: string }> } }> } };
    expect(ingress.metadata.annotations).toMatchObject({ 'alb.ingress.kubernetes.io/group.name': 'desktops', 'alb.ingress.kubernetes.io/auth-type': 'cognito', 'alb.ingress.kubernetes.io/target-type': 'ip' });
    expect(ingress.spec.rules[0]).toMatchObject({ host: HOSTNAME, http: { paths: [{ path: '/portal' }] } });
    const documented = albAnnotationNames();
    if (documented) expect(undocumentedAlbAnnotations(ingress.metadata.annotations, documented)).toEqual([]);
    const gatewayIngress = kubernetesObjectsOf(template).find((o) => o.kind === 'Ingress' && o.metadata?.namespace === 'guacamole') as unknown as { metadata: { annotations: Record<string, string> } };
    expect(gatewayIngress.metadata.annotations['alb.ingress.kubernetes.io/group.name']).toBe('desktops');
    expect(service.url).toBe(`https://${HOSTNAME}/portal/`);
  });

  test('IRSA reads exactly the database credentials and the JSON key; the database admits the controller', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'] })]) },
      Roles: [{ Ref: Match.stringLikeRegexp('SessionsSecretsRole') }],
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { Description: 'Guacamole connection history read by the session controller', SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('SessionsControllerSecurityGroup'), 'GroupId'] } });
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { Description: 'Sign-in broker from the gateway load balancer', FromPort: 8080 });
  });

  test('without the ALB ARN the broker is installed with 0 replicas and a warning', () => {
    const { objects: o, stack } = build({ loadBalancerArn: undefined });
    expect(podSpec(find(o, 'Deployment', 'desktop-session-broker')).replicas).toBe(0);
    const warnings = stack.node.findAll().flatMap((c) => c.node.metadata).filter((m) => m.type === 'aws:cdk:warning').map((m) => String(m.data));
    expect(warnings).toEqual(expect.arrayContaining([expect.stringMatching(/installed with 0 replicas until loadBalancerArn/)]));
  });

  test('without an image prop the image is built from the repository Dockerfile', () => {
    const { stack } = build({ image: undefined });
    const assets = stack.node.findAll().filter((c) => c instanceof ecrAssets.DockerImageAsset);
    expect(assets).toHaveLength(1);
  });

  test.each([
    [{ basePath: '/guacamole' }, /Sessions: DesktopSessionService.basePath: "\/guacamole" must be one lowercase path segment/],
    [{ replicas: 0 }, /DesktopSessionService.replicas: got 0; give 1 to 10/],
    [{ desktopClass: 'Bad_Class' }, /DesktopSessionService.desktopClass: "Bad_Class" is not a valid Kubernetes name/],
    [{ loadBalancerArn: 'arn:aws:s3:::bucket' }, /DesktopSessionService.loadBalancerArn: "arn:aws:s3:::bucket" is not an Application Load Balancer ARN/],
  ])('bad input %j fails at synth time naming the construct and prop', (extra, error) => {
    expect(() => build(extra as Partial<DesktopSessionServiceProps>)).toThrow(error);
  });

  test('a gateway without an IngressGroup is refused with the fix', () => {
    expect(() => build({}, null)).toThrow(/the gateway's Ingress has no ingressGroupName; set one/);
  });
});

describe('DesktopClassObject', () => {
  test('renders a DesktopClass the CRD accepts', () => {
    const chart = new Chart(Testing.app(), 'Classes');
    new DesktopClassObject(chart, 'Win11', { name: 'windows11', kind: DesktopKind.VM, goldenImage: { namespace: 'desktops', name: 'windows11' }, prices: [{ instanceType: 'c8i.2xlarge', capacityType: 'on-demand', hourlyPrice: 0.2 }] });
    expect(Testing.synth(chart)).toEqual([expect.objectContaining({ apiVersion: 'sessions.desktop.io/v1alpha1', kind: 'DesktopClass', spec: expect.objectContaining({ kind: 'VM', allowedSizes: ['medium'], sessionsPerUser: 1 }) })]);
  });

  test('refuses a VM class without a golden image and out-of-range limits', () => {
    const chart = new Chart(Testing.app(), 'Classes');
    expect(() => new DesktopClassObject(chart, 'A', { name: 'a', kind: DesktopKind.VM })).toThrow(/goldenImage: is required for a VM class/);
    expect(() => new DesktopClassObject(chart, 'B', { name: 'b', kind: DesktopKind.VM, goldenImage: { namespace: 'd', name: 'w' }, sessionsPerUser: 0 })).toThrow(/sessionsPerUser: got 0; use a whole number from 1 to 10/);
  });
});
