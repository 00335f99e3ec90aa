import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import * as eksv2 from 'aws-cdk-lib/aws-eks-v2';
import { GuacamoleGateway } from '../../constructs/guacamole/guacamole-gateway';
import { DesktopKind, IsolationMode } from '../../constructs/sessions/api';
import { DesktopClassObject } from '../../constructs/sessions/desktop-class';
import { DesktopSessionService, DesktopSessionServiceProps } from '../../constructs/sessions/desktop-session-service';
import { Chart, Testing } from 'cdk8s';
import { DesktopCertificateAuthority } from '../../constructs/certificates/desktop-certificate-authority';
import { NodeDesktopDirectory } from '../../constructs/node-desktops/node-desktop-directory';
import { NodeDesktopIsolation } from '../../constructs/node-desktops/node-desktop-isolation';
import { NodeDesktops, NodeDesktopsProps } from '../../constructs/node-desktops/node-desktops';
import { NodeDesktopSessionTemplate } from '../../constructs/node-desktops/node-desktop-session-template';
import { SessionAccountKind } from '../../constructs/node-desktops/session-script';
import { NodeDesktopRenderer } from '../../constructs/sessions/controller/node-desktop-renderer';
import { DesktopSessionServiceChart, nodeDesktopBrokerRules, nodeDesktopControllerRules } from '../../constructs/sessions/desktop-session-service-chart';
import { refFor } from '../../constructs/sessions/resources';
import { FakeKarpenter } from '../support/eks-fixtures';
import { allows, chartProps, PolicyRule } from './rbac-support';
import { nodeDesktopTemplate } from './session-test-support';
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

/** A node-desktop pool in the gateway's cluster (or, with `otherCluster`, in another one). */
type PoolFactory = (stack: Stack, gateway: GuacamoleGateway) => NodeDesktops;

function build(extra: Partial<DesktopSessionServiceProps> = {}, gatewayGroup: string | null = 'desktops', pool?: PoolFactory, gatewayCa = false): { stack: Stack; service: DesktopSessionService; template: Template; objects: KubernetesObject[] } {
  const stack = newStack();
  const { cluster } = v2Cluster(stack);
  const rdpCertificateAuthority = gatewayCa ? new DesktopCertificateAuthority(stack, 'Ca', { cluster }) : undefined;
  const gateway = new GuacamoleGateway(stack, 'Gateway', { cluster: cluster as eksv2.Cluster, hostname: HOSTNAME, certificateArn: CERTIFICATE_ARN, internetFacing: true, ingressGroupName: gatewayGroup ?? undefined, rdpCertificateAuthority });
  const nodeDesktops = pool?.(stack, gateway);
  const service = new DesktopSessionService(stack, 'Sessions', { gateway, desktopClass: 'windows11', image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/sessions:1.0.0', loadBalancerArn: ALB_ARN, adminUserIds: ['admin-sub'], nodeDesktops, ...extra });
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

  test('controller RBAC for DedicatedPool users and warm slots: named kinds and verbs, pods only in the warm namespace', () => {
    type Rule = { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] };
    const all = kubernetesObjectsOf(template);
    const rules = (kind: string, namespace?: string) => (all.find((o) => o.kind === kind && o.metadata?.name === 'desktop-session-controller' && (namespace === undefined || o.metadata?.namespace === namespace)) as unknown as { rules: Rule[] }).rules;
    expect(rules('ClusterRole')).toEqual(expect.arrayContaining([
      { apiGroups: ['karpenter.sh'], resources: ['nodepools', 'nodeoverlays'], verbs: ['get', 'create', 'patch', 'delete'] },
      { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'patch'] },
      { apiGroups: ['scheduling.k8s.io'], resources: ['priorityclasses'], verbs: ['create'] },
      { apiGroups: ['scheduling.k8s.io'], resources: ['priorityclasses'], resourceNames: ['desktop-session-warm-slot'], verbs: ['get', 'patch'] },
    ]));
    expect(rules('ClusterRole').filter((r) => r.resources.includes('pods'))).toEqual([]);
    expect(rules('Role', 'desktop-warm')).toEqual([{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'create', 'patch', 'delete'] }]);
    expect(all.find((o) => o.kind === 'Namespace' && o.metadata?.name === 'desktop-warm')?.metadata?.labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'restricted' });
    expect(all.find((o) => o.kind === 'RoleBinding' && o.metadata?.namespace === 'desktop-warm')).toMatchObject({ subjects: [{ kind: 'ServiceAccount', name: 'desktop-session-controller', namespace: 'desktop-sessions' }] });
  });

  test('the controller may start/stop VMs and read the guest agent user list, cluster-wide', () => {
    const role = objects.find((o) => o.kind === 'ClusterRole' && (o.metadata as { name: string }).name === 'desktop-session-controller') as unknown as { rules: Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }> };
    const rulesFor = (group: string, resource: string) => role.rules.filter((r) => r.apiGroups.includes(group) && r.resources.includes(resource));
    expect(rulesFor('subresources.kubevirt.io', 'virtualmachines/start').map((r) => r.verbs)).toEqual([['update']]);
    expect(rulesFor('subresources.kubevirt.io', 'virtualmachines/stop').map((r) => r.verbs)).toEqual([['update']]);
    expect(rulesFor('subresources.kubevirt.io', 'virtualmachineinstances/userlist').map((r) => r.verbs)).toEqual([['get']]);
    expect(rulesFor('kubevirt.io', 'virtualmachineinstances').map((r) => r.verbs)).toEqual([['get']]);
  });

  test('the controller\'s node patch is narrowed by a ValidatingAdmissionPolicy bound to its own service account', () => {
    const all = kubernetesObjectsOf(template);
    const policy = all.find((o) => o.kind === 'ValidatingAdmissionPolicy') as unknown as { metadata: { name: string }; spec: { matchConditions: Array<{ expression: string }> } };
    expect(policy.metadata.name).toBe('desktop-session-controller-nodes');
    expect(policy.spec.matchConditions).toEqual([{ name: 'session-controller', expression: "request.userInfo.username == 'system:serviceaccount:desktop-sessions:desktop-session-controller'" }]);
    expect(all.find((o) => o.kind === 'ValidatingAdmissionPolicyBinding')).toMatchObject({ spec: { policyName: 'desktop-session-controller-nodes', validationActions: ['Deny'] } });
    expect(validateKubernetesObjects(all.filter((o) => o.apiVersion === 'admissionregistration.k8s.io/v1'))).toEqual([]);
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

  test('a DedicatedPool VM class names its template NodePool; warm slots only for SharedPool VM classes', () => {
    const chart = new Chart(Testing.app(), 'Classes');
    const image = { namespace: 'd', name: 'w' };
    expect(() => new DesktopClassObject(chart, 'A', { name: 'a', kind: DesktopKind.VM, goldenImage: image, isolation: IsolationMode.DEDICATED_POOL })).toThrow(/DesktopClassObject\.dedicatedPool: is required for VM class "a" with isolation DedicatedPool/);
    expect(() => new DesktopClassObject(chart, 'B', { name: 'b', kind: DesktopKind.VM, goldenImage: image, dedicatedPool: { nodePoolTemplate: 'vm-hosts' } })).toThrow(/dedicatedPool: is set for class "b" \(kind VM, isolation SharedPool\)/);
    expect(() => new DesktopClassObject(chart, 'C', { name: 'c', kind: DesktopKind.VM, goldenImage: image, isolation: IsolationMode.DEDICATED_POOL, dedicatedPool: { nodePoolTemplate: 'vm-hosts' }, warmCount: 1 })).toThrow(/warmCount: is 1 .* warm slots work only for VM classes with isolation SharedPool/);
    expect(() => new DesktopClassObject(chart, 'D', { name: 'd', kind: DesktopKind.NODE, ami: 'ami-0123456789abcdef0', warmCount: 1 })).toThrow(/warmCount: is 1 for class "d" \(kind Node/);
    const ok = new DesktopClassObject(chart, 'E', { name: 'e', kind: DesktopKind.VM, goldenImage: image, isolation: IsolationMode.DEDICATED_POOL, dedicatedPool: { nodePoolTemplate: 'vm-hosts' } });
    expect(ok.toJson()).toMatchObject({ spec: { isolation: 'DedicatedPool', dedicatedPool: { nodePoolTemplate: 'vm-hosts' }, warmCount: 0 } });
    const warm = new DesktopClassObject(chart, 'F', { name: 'f', kind: DesktopKind.VM, goldenImage: image, warmCount: 3 });
    expect(warm.toJson()).toMatchObject({ spec: { warmCount: 3 } });
  });
});

interface RoleView { kind: string; metadata: { name: string; namespace?: string }; rules: PolicyRule[] }
interface BindingView { kind: string; metadata: { name: string; namespace?: string }; roleRef: { kind: string; name: string }; subjects: Array<{ kind: string; name: string; namespace: string }> }

const pool = (props: Partial<NodeDesktopsProps> = {}, otherCluster = false): PoolFactory => (stack, gateway) => {
  const scope = otherCluster ? new Stack(stack.node.root as never, 'Other', { env: { account: '123456789012', region: 'us-east-1' } }) : stack;
  const cluster = otherCluster ? v2Cluster(scope).cluster : gateway.cluster;
  const karpenter = new FakeKarpenter(scope, 'Karpenter', { cluster });
  return new NodeDesktops(scope, 'NodeDesktops', {
    karpenter, name: 'desktops-shared', isolation: NodeDesktopIsolation.sharedPool({ maxDesktops: 5 }), rdpClientSecurityGroup: gateway.podSecurityGroup, ...props,
  });
};

describe('DesktopSessionService with node desktops', () => {
  const { template, service } = build({}, 'desktops', pool());
  const all = kubernetesObjectsOf(template);
  const inPool = (kind: string, name: string) => all.find((o) => o.kind === kind && o.metadata?.name === name && o.metadata?.namespace === 'desktops-shared') as unknown;
  const env = (name: string) => podSpec(find(all.filter((o) => o.metadata?.namespace === 'desktop-sessions'), 'Deployment', name)).template.spec.containers[0].env;

  test('the controller is told the pool (namespace, name) and the broker where local-account passwords are', () => {
    expect(service.nodeDesktops?.namespace).toBe('desktops-shared');
    expect(env('desktop-session-controller')).toEqual(expect.arrayContaining([{ name: 'NODE_DESKTOPS_NAMESPACE', value: 'desktops-shared' }, { name: 'NODE_DESKTOPS_POOL', value: 'desktops-shared' }]));
    expect(env('desktop-session-broker')).toEqual(expect.arrayContaining([{ name: 'NODE_DESKTOPS_NAMESPACE', value: 'desktops-shared' }, { name: 'NODE_DESKTOPS_LOCAL_ACCOUNTS', value: 'true' }]));
    expect(env('desktop-session-broker').map((e) => e.name)).not.toContain('NODE_DESKTOPS_POOL');
  });

  test('the controller gets a Role in the pool\'s namespace only: exactly what a session writes there, and the template by name', () => {
    const role = inPool('Role', 'desktop-session-controller') as RoleView;
    expect(role.rules).toEqual([
      { apiGroups: [''], resources: ['pods', 'services'], verbs: ['get', 'create', 'patch', 'delete'] },
      { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'create', 'delete'] },
      { apiGroups: [''], resources: ['configmaps'], resourceNames: ['desktops-shared-session-template'], verbs: ['get'] },
    ]);
    const binding = inPool('RoleBinding', 'desktop-session-controller') as BindingView;
    expect(binding.roleRef).toMatchObject({ kind: 'Role', name: 'desktop-session-controller' });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'desktop-session-controller', namespace: 'desktop-sessions' }]);
    // Nothing cluster-wide on pods or secrets; ConfigMaps only in the rule for VM desktops' answer
    // files (users' namespaces are made at run time, so that rule cannot name them).
    const clusterRules = all.filter((o) => o.kind === 'ClusterRole').flatMap((o) => (o as unknown as RoleView).rules);
    expect(clusterRules.filter((r) => (r.resources ?? []).some((x) => ['pods', 'secrets'].includes(x)))).toEqual([]);
    expect(clusterRules.filter((r) => (r.resources ?? []).includes('configmaps')).map((r) => r.resources)).toEqual([['services', 'persistentvolumeclaims', 'configmaps']]);
  });

  test('the controller reads nodes (instance and capacity type) and relabels only through the warm-slot patch, in one rule, never list/watch/delete', () => {
    const clusterRole = find(all, 'ClusterRole', 'desktop-session-controller') as unknown as RoleView;
    const nodeRules = clusterRole.rules.filter((r) => (r.resources ?? []).includes('nodes'));
    expect(nodeRules).toEqual([{ apiGroups: [''], resources: ['nodes'], verbs: ['get', 'patch'] }]);
  });

  test('the broker may get Secrets in the pool\'s namespace (local-account passwords), nothing more', () => {
    const role = inPool('Role', 'desktop-session-broker') as RoleView;
    expect(role.rules).toEqual([{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }]);
    expect((inPool('RoleBinding', 'desktop-session-broker') as BindingView).subjects).toEqual([{ kind: 'ServiceAccount', name: 'desktop-session-broker', namespace: 'desktop-sessions' }]);
    const brokerSessionsRole = all.find((o) => o.kind === 'Role' && o.metadata?.name === 'desktop-session-broker' && o.metadata?.namespace === 'desktop-sessions') as unknown as RoleView;
    expect(brokerSessionsRole.rules.flatMap((r) => r.resources)).not.toContain('secrets');
  });

  test('all objects pass their schemas, no wildcard anywhere, nothing secret in the template', () => {
    const rbac = all.filter((o) => ['Role', 'RoleBinding'].includes(o.kind) && o.metadata?.namespace === 'desktops-shared');
    expect(rbac).toHaveLength(4);
    expect(validateKubernetesObjects(rbac)).toEqual([]);
    for (const rule of rbac.filter((o) => o.kind === 'Role').flatMap((o) => (o as unknown as RoleView).rules)) {
      expect([...(rule.apiGroups ?? []), ...(rule.resources ?? []), ...rule.verbs].filter((x) => x.includes('*'))).toEqual([]);
    }
    expect(scanTemplateForSecrets(template)).toEqual([]);
  });

  test('the install manifest waits for the pool\'s (its namespace holds the Roles; the controller reads the template at start)', () => {
    const manifests = template.findResources('Custom::AWSCDK-EKS-KubernetesResource');
    const [sessionsId] = Object.entries(manifests).find(([id]) => /^Sessions/.test(id) || id.includes('Sessionsmanifests')) ?? [];
    expect(sessionsId).toBeDefined();
    const dependsOn = (manifests[sessionsId!] as { DependsOn?: string[] }).DependsOn ?? [];
    expect(dependsOn.some((d) => /NodeDesktops/.test(d))).toBe(true);
  });

  test('directory pools: the controller gets its Role, the broker none (users type their domain password)', () => {
    const { template: t } = build({}, 'desktops', pool({ directory: NodeDesktopDirectory.selfManagedAd({ domainName: 'corp.example.com', netBiosName: 'CORP', dnsServers: ['10.0.0.10', '10.0.1.10'], joinSecretName: 'domain-join' }) }));
    const objects = kubernetesObjectsOf(t);
    const poolRoles = objects.filter((o) => o.kind === 'Role' && o.metadata?.namespace === 'desktops-shared').map((o) => o.metadata?.name);
    expect(poolRoles).toEqual(['desktop-session-controller']);
    const brokerEnv = podSpec(find(objects.filter((o) => o.metadata?.namespace === 'desktop-sessions'), 'Deployment', 'desktop-session-broker')).template.spec.containers[0].env;
    expect(brokerEnv).toContainEqual({ name: 'NODE_DESKTOPS_LOCAL_ACCOUNTS', value: 'false' });
  });

  test('directory pools: windowsAccountClaim reaches the broker; without it the synth warns that sessions would lack the account', () => {
    const directory = NodeDesktopDirectory.selfManagedAd({ domainName: 'corp.example.com', netBiosName: 'CORP', dnsServers: ['10.0.0.10', '10.0.1.10'], joinSecretName: 'domain-join' });
    const brokerEnv = (objects: KubernetesObject[]) => podSpec(find(objects.filter((o) => o.metadata?.namespace === 'desktop-sessions'), 'Deployment', 'desktop-session-broker')).template.spec.containers[0].env;
    const warningsOf = (s: DesktopSessionService) => s.node.metadata.filter((m) => m.type === 'aws:cdk:warning').map((m) => String(m.data));
    // WITH the claim
    const withClaim = build({ windowsAccountClaim: 'custom:samaccountname' }, 'desktops', pool({ directory }));
    expect(brokerEnv(kubernetesObjectsOf(withClaim.template))).toContainEqual({ name: 'WINDOWS_ACCOUNT_CLAIM', value: 'custom:samaccountname' });
    expect(warningsOf(withClaim.service).filter((w) => /windowsAccountClaim/.test(w))).toEqual([]);
    // WITHOUT it
    const without = build({}, 'desktops', pool({ directory }));
    expect(brokerEnv(kubernetesObjectsOf(without.template)).map((e) => e.name)).not.toContain('WINDOWS_ACCOUNT_CLAIM');
    expect(warningsOf(without.service)).toContainEqual(expect.stringMatching(/join a directory: their sessions need the user's sAMAccountName, and without windowsAccountClaim .* fail with WindowsAccountRequired/));
  });

  test('a windowsAccountClaim that is no claim name is refused at synth time', () => {
    expect(() => build({ windowsAccountClaim: 'sam account' })).toThrow(/DesktopSessionService\.windowsAccountClaim: "sam account" is not a token claim name; give 1 to 128 printable characters without spaces/);
    expect(() => build({ windowsAccountClaim: '' })).toThrow(/DesktopSessionService\.windowsAccountClaim/);
  });

  test('without a certificate authority guacd can only trust on first use: the broker is told so and the synth warns', () => {
    expect(env('desktop-session-broker')).toContainEqual({ name: 'NODE_DESKTOPS_CERTIFICATES', value: 'trust-on-first-use' });
    const warnings = service.node.metadata.filter((m) => m.type === 'aws:cdk:warning').map((m) => String(m.data));
    expect(warnings).toEqual([expect.stringMatching(/have no certificate authority: guacd trusts each desktop's certificate on first use/)]);
  });

  test('with the gateway\'s certificate authority the pool\'s certificates are verified; the controller may write their Certificates', () => {
    const { objects: o, template: t, service: svc } = build({}, 'desktops', pool(), true);
    const brokerEnv = podSpec(find(o, 'Deployment', 'desktop-session-broker')).template.spec.containers[0].env;
    expect(brokerEnv).toContainEqual({ name: 'NODE_DESKTOPS_CERTIFICATES', value: 'verified' });
    expect(svc.node.metadata.filter((m) => m.type === 'aws:cdk:warning')).toEqual([]);
    const role = kubernetesObjectsOf(t).find((x) => x.kind === 'Role' && x.metadata?.namespace === 'desktops-shared' && x.metadata?.name === 'desktop-session-controller') as unknown as RoleView;
    expect(role.rules).toContainEqual({ apiGroups: ['cert-manager.io'], resources: ['certificates'], verbs: ['get', 'create', 'patch', 'delete'] });
  });

  test('a pool whose certificate authority the gateway does not trust is refused', () => {
    const own: PoolFactory = (stack, gateway) => {
      const karpenter = new FakeKarpenter(stack, 'Karpenter', { cluster: gateway.cluster });
      const certificateAuthority = new DesktopCertificateAuthority(stack, 'PoolCa', { cluster: gateway.cluster, issuerName: 'pool-ca' });
      // RDP clients other than this gateway's guacd (NodeDesktops itself checks the CA against the gateway it reaches).
      const otherClients = new ec2.SecurityGroup(stack, 'OtherRdpClients', { vpc: gateway.cluster.vpc });
      return new NodeDesktops(stack, 'NodeDesktops', { karpenter, name: 'desktops-shared', isolation: NodeDesktopIsolation.sharedPool(), rdpClientSecurityGroup: otherClients, certificateAuthority });
    };
    expect(() => build({}, 'desktops', own)).toThrow(/DesktopSessionService\.nodeDesktops: the node desktops' certificates come from the CA "pool-ca", which the gateway does not trust \(its rdpCertificateAuthority is not set\)/);
  });

  test('a second DesktopSessionService on the same pool is refused, naming both services and the pool', () => {
    // GIVEN a service on a pool
    const stack = newStack();
    const { cluster } = v2Cluster(stack);
    const gateway = new GuacamoleGateway(stack, 'Gateway', { cluster: cluster as eksv2.Cluster, hostname: HOSTNAME, certificateArn: CERTIFICATE_ARN, internetFacing: true, ingressGroupName: 'desktops' });
    const nodeDesktops = pool()(stack, gateway);
    const common = { gateway, desktopClass: 'windows-server-2022', image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/sessions:1.0.0', loadBalancerArn: ALB_ARN, nodeDesktops };
    new DesktopSessionService(stack, 'Sessions', common);
    // WHEN a second one takes the same pool (even in another namespace) THEN it is refused
    expect(() => new DesktopSessionService(stack, 'MoreSessions', { ...common, namespace: 'more-sessions', basePath: '/more' }))
      .toThrow(/^\S*\/MoreSessions: DesktopSessionService\.nodeDesktops: the session service of this pool is already defined by [^ ]*\/Sessions \(in [^ ]*\/NodeDesktops\)\. Two DesktopSessionServices on one NodeDesktops would overwrite each other's Roles/);
  });

  test('a second DesktopSessionService in the same cluster is refused, naming both services (cluster-wide names would clash)', () => {
    // GIVEN a service without node desktops in a cluster
    const stack = newStack();
    const { cluster } = v2Cluster(stack);
    const gateway = new GuacamoleGateway(stack, 'Gateway', { cluster: cluster as eksv2.Cluster, hostname: HOSTNAME, certificateArn: CERTIFICATE_ARN, internetFacing: true, ingressGroupName: 'desktops' });
    const common = { gateway, desktopClass: 'windows-11', image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/sessions:1.0.0', loadBalancerArn: ALB_ARN };
    new DesktopSessionService(stack, 'Sessions', common);
    // WHEN a second one is added in another namespace, under another path THEN it is refused
    expect(() => new DesktopSessionService(stack, 'MoreSessions', { ...common, namespace: 'more-sessions', basePath: '/more' }))
      .toThrow(/^\S*\/MoreSessions: DesktopSessionService\.gateway: the session service of this cluster is already defined by \S*\/Sessions \(in \S*\)\. A cluster has one DesktopSessionService: .*ClusterRole "desktop-session-controller"/);
  });

  test('node desktops of another cluster are refused, naming the prop and the fix', () => {
    expect(() => build({}, 'desktops', pool({}, true))).toThrow(/DesktopSessionService\.nodeDesktops: the node desktops at .*NodeDesktops are in another cluster than the gateway/);
  });
});

describe('node-desktop RBAC is derived from what NodeDesktopRenderer writes', () => {
  const variants: Array<[string, NodeDesktopSessionTemplate]> = [
    ['local accounts', nodeDesktopTemplate()],
    ['a directory', nodeDesktopTemplate({ script: { account: SessionAccountKind.DOMAIN }, joinSecretName: 'domain-join' })],
    ['RDP certificates from a CA', nodeDesktopTemplate({ script: { account: SessionAccountKind.LOCAL, rdpCertificate: true }, rdpCertificate: { issuerName: 'desktop-ca', duration: '36h' } })],
  ];

  test.each(variants)('with %s, every kind a session applies or prepares is granted, and nothing else', (_name, t) => {
    // GIVEN the Role's rules WHEN a session is rendered
    const rules = nodeDesktopControllerRules(t);
    const kinds = NodeDesktopRenderer.kindsFor(t);
    const request = (apiVersion: string, kind: string, verbs: string[]) => {
      const ref = refFor(apiVersion, kind, t.namespace);
      return { verbs, group: ref.group, resource: ref.plural, namespace: t.namespace, name: 'any' };
    };
    // THEN applied kinds can be applied (created or patched), read and deleted; prepared ones created, read and deleted
    for (const k of kinds.applied) expect([k.kind, allows(rules, request(k.apiVersion, k.kind, ['get', 'create', 'patch', 'delete']))]).toEqual([k.kind, true]);
    for (const k of kinds.prepared) expect([k.kind, allows(rules, request(k.apiVersion, k.kind, ['get', 'create', 'delete']))]).toEqual([k.kind, true]);
    // AND no resource beyond those and the template
    const granted = rules.flatMap((r) => (r.resources ?? []).map((res) => `${(r.apiGroups ?? [])[0]}/${res}`)).sort();
    const needed = [...kinds.applied, ...kinds.prepared].map((k) => { const ref = refFor(k.apiVersion, k.kind); return `${ref.group}/${ref.plural}`; });
    expect(granted).toEqual([...new Set([...needed, '/configmaps'])].sort());
    // AND what a DedicatedPool class's user gets outside the namespace (their NodePool, cluster-scoped)
    // is applied, read and deleted under the install chart's ClusterRole
    const chart = new DesktopSessionServiceChart(Testing.app(), 'C', chartProps(t));
    const clusterRules = (chart.toJson().find((o: { kind: string; metadata: { name: string } }) => o.kind === 'ClusterRole' && o.metadata.name === 'desktop-session-controller') as { rules: PolicyRule[] }).rules;
    expect(kinds.user.length).toBeGreaterThan(0);
    for (const k of kinds.user) {
      const ref = refFor(k.apiVersion, k.kind);
      expect([k.kind, allows(clusterRules, { verbs: ['get', 'create', 'patch', 'delete'], group: ref.group, resource: ref.plural, name: 'any' })]).toEqual([k.kind, true]);
    }
  });

  test('the kinds come from an actual rendering: certificates only with a CA, the password Secret only with local accounts', () => {
    const [local, directory, withCa] = variants.map(([, t]) => NodeDesktopRenderer.kindsFor(t));
    expect(local).toEqual({ applied: [{ apiVersion: 'v1', kind: 'Pod' }, { apiVersion: 'v1', kind: 'Service' }], prepared: [{ apiVersion: 'v1', kind: 'Secret' }], user: [{ apiVersion: 'karpenter.sh/v1', kind: 'NodePool' }] });
    expect(directory.prepared).toEqual([]);
    expect(withCa.applied.map((k) => k.kind).sort()).toEqual(['Certificate', 'Pod', 'Service']);
    expect(nodeDesktopControllerRules(variants[2][1])).toContainEqual({ apiGroups: ['cert-manager.io'], resources: ['certificates'], verbs: ['get', 'create', 'patch', 'delete'] });
    expect(nodeDesktopBrokerRules(variants[1][1])).toEqual([]);
  });
});

