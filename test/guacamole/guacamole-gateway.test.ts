import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as eksv2 from 'aws-cdk-lib/aws-eks-v2';
import { GuacamoleAuthentication } from '../../constructs/guacamole/guacamole-authentication';
import { GuacamoleGateway, GuacamoleGatewayProps } from '../../constructs/guacamole/guacamole-gateway';
import { RdpConnection } from '../../constructs/guacamole/rdp-connection';
import { checkTemplateAgainstRegistry } from '../support/cloudformation-schemas';
import { helmReleasesOf, KubernetesObject, kubernetesObjectsOf, validateKubernetesObjects } from '../support/kubernetes-schemas';
import { scanTemplateForSecrets } from '../support/secret-scan';
import {
  albAnnotationNames, CERTIFICATE_ARN, fileSystem, find, guacamoleEnvironmentNames, gvk, HOSTNAME, importedCluster,
  KINDS_WITHOUT_SCHEMA, newStack, podTemplateOf, undocumentedAlbAnnotations, v2Cluster,
} from './guacamole-fixtures';

type Resources = Record<string, { Type: string; Properties: Record<string, unknown>; DependsOn?: string[] }>;

describe('GuacamoleGateway on an aws-eks-v2 cluster (Cognito, recording)', () => {
  let stack: Stack;
  let cluster: eksv2.Cluster;
  let gateway: GuacamoleGateway;
  let template: Template;
  let resources: Resources;
  let objects: KubernetesObject[];
  const idOf = (type: string, prefix: string): string => {
    const ids = Object.keys(resources).filter((id) => resources[id].Type === type && id.startsWith(prefix));
    if (ids.length !== 1) throw new Error(`${ids.length} ${type} resources start with ${prefix}: ${ids.join(', ')}`);
    return ids[0];
  };
  const groupIdOf = (prefix: string) => ({ 'Fn::GetAtt': [idOf('AWS::EC2::SecurityGroup', prefix), 'GroupId'] });
  const ingressRules = () => Object.values(resources).filter((r) => r.Type === 'AWS::EC2::SecurityGroupIngress').map((r) => r.Properties);

  beforeAll(() => {
    // GIVEN
    stack = newStack();
    const created = v2Cluster(stack);
    cluster = created.cluster;
    // WHEN
    gateway = new GuacamoleGateway(stack, 'Gateway', {
      cluster,
      hostname: HOSTNAME,
      certificateArn: CERTIFICATE_ARN,
      internetFacing: true,
      allowedCidrs: ['203.0.113.0/24'],
      recordingFileSystem: fileSystem(stack, created.vpc),
      adminUsers: ['9f2c1a7e-0000-4000-8000-000000000001'],
      totp: true,
    });
    template = Template.fromStack(stack);
    resources = template.toJSON().Resources;
    objects = kubernetesObjectsOf(template);
  });

  test('exposes its attributes', () => {
    expect(gateway.namespace).toBe('guacamole');
    expect(gateway.url).toBe(`https://${HOSTNAME}/guacamole/`);
    expect(gateway.sso).toBeDefined();
    expect(gateway.connectionPolicy).toEqual({ allowClipboardCopy: false, allowClipboardPaste: false, allowDriveRedirection: false, recordSessions: true, drivePath: '/var/lib/guacamole/drive' });
    // The policy records every connection the session service builds.
    expect(RdpConnection.toKubeVirtDesktop({ name: 'Desktop', serviceName: 'desktop', namespace: 'user-1' }).parameters(gateway.connectionPolicy)['recording-path']).toBe('${HISTORY_PATH}/${HISTORY_UUID}');
  });

  test('every Kubernetes object it applies is valid; ESO and SecurityGroupPolicy kinds are present', () => {
    // External Secrets and SecurityGroupPolicy kinds have no schema in ../shared/reference; the
    // chart tests check them field by field.
    expect(objects.filter((o) => KINDS_WITHOUT_SCHEMA.includes(gvk(o))).map((o) => o.kind).sort())
      .toEqual(['ExternalSecret', 'ExternalSecret', 'SecretStore', 'SecurityGroupPolicy']);
    const core = objects.filter((o) => !KINDS_WITHOUT_SCHEMA.includes(gvk(o)));
    expect(core.length).toBeGreaterThanOrEqual(18);
    expect(validateKubernetesObjects(core)).toEqual([]);
  });

  test('no plaintext secret or default credential in the template, its manifests or Helm values', () => {
    expect(scanTemplateForSecrets(template)).toEqual([]);
    expect(JSON.stringify(template.toJSON())).not.toMatch(/guacadmin/i);
  });

  test('web app env names are all read by Guacamole 1.6.0; Ingress annotations are all documented', () => {
    const env = podTemplateOf(find(objects, 'Deployment', 'guacamole-web')).spec.containers[0].env!.map((e) => e.name);
    expect(env).toEqual(expect.arrayContaining(['HTTP_AUTH_ENABLED', 'TOTP_ENABLED', 'RECORDING_SEARCH_PATH', 'JSON_SECRET_KEY']));
    const known = guacamoleEnvironmentNames();
    if (known) expect(env.filter((n) => !known.has(n))).toEqual([]);
    const annotations = find(objects, 'Ingress', 'guacamole').metadata?.annotations as Record<string, string>;
    const documented = albAnnotationNames();
    if (documented) expect(undocumentedAlbAnnotations(annotations, documented)).toEqual([]);
    expect(annotations['alb.ingress.kubernetes.io/auth-idp-cognito']).toBe('{"userPoolARN":"TOKEN","userPoolClientID":"TOKEN","userPoolDomain":"desktops-example-com"}');
  });

  test('External Secrets Operator: pinned chart, webhook off the Fargate kubelet port', () => {
    const releases = helmReleasesOf(template).filter((r) => r.chart === 'external-secrets');
    expect(releases).toEqual([expect.objectContaining({
      repository: 'https://charts.external-secrets.io',
      version: '2.10.0',
      namespace: 'external-secrets',
      values: { installCRDs: true, webhook: { port: 9443 }, rbac: { serviceAccountTokenCreate: false } },
    })]);
    // Token creation is granted for the one service account the SecretStore uses.
    expect(find(objects, 'Role', 'guacamole-secrets-token-creator')).toEqual(expect.objectContaining({
      rules: [{ apiGroups: [''], resources: ['serviceaccounts/token'], resourceNames: ['guacamole-secrets'], verbs: ['create'] }],
    }));
    expect(find(objects, 'RoleBinding', 'guacamole-secrets-token-creator')).toEqual(expect.objectContaining({
      subjects: [{ kind: 'ServiceAccount', name: 'external-secrets', namespace: 'external-secrets' }],
    }));
  });

  test('the IRSA role trusts only the guacamole-secrets account and reads only the three secrets', () => {
    const roleId = idOf('AWS::IAM::Role', 'GatewaySecretsRole');
    const trust = JSON.stringify(resources[roleId].Properties.AssumeRolePolicyDocument);
    expect(trust).toContain('sts:AssumeRoleWithWebIdentity');
    const conditions = Object.values(resources).find((r) => r.Type === 'Custom::AWSCDKCfnJson' && JSON.stringify(r.Properties).includes('guacamole-secrets'));
    expect(JSON.stringify(conditions?.Properties)).toContain('system:serviceaccount:guacamole:guacamole-secrets');
    const policies = Object.values(resources).filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.Roles).includes(roleId));
    const statements = policies.flatMap((p) => (p.Properties.PolicyDocument as { Statement: Array<{ Action: string[]; Resource: unknown }> }).Statement);
    expect(statements).toHaveLength(3);
    for (const s of statements) {
      expect([...s.Action].sort()).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);
      expect(JSON.stringify(s.Resource)).not.toContain('*');
    }
  });

  test('security groups: the web app accepts the load balancer only, guacd the pods only, the database the pods only', () => {
    const pods = groupIdOf('GatewayPodSecurityGroup');
    const alb = groupIdOf('GatewayLoadBalancerSecurityGroup');
    const into = (group: unknown) => ingressRules().filter((r) => JSON.stringify(r.GroupId) === JSON.stringify(group));
    const podRules = into(pods);
    expect(podRules.filter((r) => r.FromPort === 8080)).toEqual([expect.objectContaining({ ToPort: 8080, SourceSecurityGroupId: alb })]);
    expect(podRules.filter((r) => r.FromPort === 4822)).toEqual([expect.objectContaining({ ToPort: 4822, SourceSecurityGroupId: pods })]);
    expect(podRules.filter((r) => r.CidrIp !== undefined)).toEqual([]);
    // Load balancer: HTTPS and HTTP from the allow-list; out to the pods and to Cognito only.
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('^Guacamole load balancer'),
      SecurityGroupIngress: [
        Match.objectLike({ CidrIp: '203.0.113.0/24', FromPort: 443, ToPort: 443 }),
        Match.objectLike({ CidrIp: '203.0.113.0/24', FromPort: 80, ToPort: 80 }),
      ],
      SecurityGroupEgress: [Match.objectLike({ CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443 })],
    });
    // Database: PostgreSQL from the pods (and the two rotation functions), nothing by CIDR.
    const dbRules = into(groupIdOf('GatewayDatabaseSecurityGroup'));
    expect(dbRules.filter((r) => JSON.stringify(r.SourceSecurityGroupId) === JSON.stringify(pods))).toHaveLength(1);
    expect(dbRules).toHaveLength(3);
    expect(dbRules.filter((r) => r.CidrIp !== undefined)).toEqual([]);
    // EFS: NFS from the pods.
    expect(ingressRules().filter((r) => r.FromPort === 2049 && JSON.stringify(r.SourceSecurityGroupId) === JSON.stringify(pods))).toHaveLength(1);
  });

  test('Fargate needs without the cluster security group: API, DNS and RDP to the cluster group, kubelet from it', () => {
    const pods = groupIdOf('GatewayPodSecurityGroup');
    const clusterGroup = stack.resolve(cluster.clusterSecurityGroupId);
    const fromPods = ingressRules().filter((r) => JSON.stringify(r.GroupId) === JSON.stringify(clusterGroup) && JSON.stringify(r.SourceSecurityGroupId) === JSON.stringify(pods));
    expect(fromPods.map((r) => `${r.IpProtocol}/${r.FromPort}`).sort()).toEqual(['tcp/3389', 'tcp/443', 'tcp/53', 'udp/53']);
    expect(ingressRules().filter((r) => JSON.stringify(r.GroupId) === JSON.stringify(pods) && JSON.stringify(r.SourceSecurityGroupId) === JSON.stringify(clusterGroup)))
      .toEqual([expect.objectContaining({ FromPort: 10250, ToPort: 10250 })]);
  });

  test('recordings: an access point owned by UID/GID 1000 on the given file system', () => {
    template.hasResourceProperties('AWS::EFS::AccessPoint', {
      PosixUser: { Uid: '1000', Gid: '1000' },
      RootDirectory: { Path: '/guacamole-recordings', CreationInfo: { OwnerUid: '1000', OwnerGid: '1000', Permissions: '750' } },
    });
  });

  test('the JSON key is generated in Secrets Manager as 32 hex digits', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Description: Match.stringLikeRegexp('encrypted JSON authentication'),
      GenerateSecretString: { PasswordLength: 32, ExcludeUppercase: true, ExcludePunctuation: true, IncludeSpace: false, ExcludeCharacters: 'ghijklmnopqrstuvwxyz' },
    });
  });

  test('the manifests are applied after the operator, the database instances and the secrets', () => {
    const manifests = Object.entries(resources).filter(([, r]) => r.Type === 'Custom::AWSCDK-EKS-KubernetesResource' && JSON.stringify(r.Properties.Manifest).includes('guacamole-web'));
    expect(manifests).toHaveLength(1);
    const dependsOn = manifests[0][1].DependsOn ?? [];
    const helm = Object.keys(resources).find((id) => resources[id].Type === 'Custom::AWSCDK-EKS-HelmChart' && resources[id].Properties.Chart === 'external-secrets')!;
    expect(dependsOn).toEqual(expect.arrayContaining([helm, ...Object.keys(resources).filter((id) => resources[id].Type === 'AWS::RDS::DBInstance')]));
    expect(dependsOn).toEqual(expect.arrayContaining([idOf('AWS::SecretsManager::SecretTargetAttachment', 'GatewayDatabaseAppSecretAttachment')]));
  });

  test('valid against the CloudFormation registry schemas', () => {
    const result = checkTemplateAgainstRegistry(template.toJSON());
    expect(result.checkedTypes).toEqual(expect.arrayContaining([
      'AWS::Cognito::UserPool', 'AWS::Cognito::UserPoolClient', 'AWS::EC2::SecurityGroup', 'AWS::EC2::SecurityGroupIngress',
      'AWS::EFS::AccessPoint', 'AWS::RDS::DBCluster', 'AWS::SecretsManager::Secret',
    ]));
    expect(result.errors).toEqual([]);
  });
});

describe('GuacamoleGateway on an imported aws-eks cluster (OpenID, no recording, existing operator)', () => {
  test('synthesizes with internal defaults, no Cognito and no operator release', () => {
    // GIVEN
    const stack = newStack();
    const cluster = importedCluster(stack);
    // WHEN
    const gateway = new GuacamoleGateway(stack, 'Gateway', {
      cluster,
      hostname: HOSTNAME,
      certificateArn: CERTIFICATE_ARN,
      installExternalSecrets: false,
      authentication: GuacamoleAuthentication.openId({ authorizationEndpoint: 'https://idp.example.com/authorize', jwksEndpoint: 'https://idp.example.com/jwks', issuer: 'https://idp.example.com', clientId: 'guacamole' }),
      webReplicas: 1,
      idleTimeout: Duration.seconds(4000),
    });
    // THEN
    const template = Template.fromStack(stack);
    expect(gateway.sso).toBeUndefined();
    template.resourceCountIs('AWS::Cognito::UserPool', 0);
    expect(helmReleasesOf(template)).toEqual([]);
    expect(kubernetesObjectsOf(template).filter((o) => o.metadata?.name === 'guacamole-secrets-token-creator')).toEqual([]);
    const objects = kubernetesObjectsOf(template);
    const annotations = find(objects, 'Ingress', 'guacamole').metadata?.annotations as Record<string, string>;
    expect(annotations['alb.ingress.kubernetes.io/scheme']).toBe('internal');
    expect(annotations['alb.ingress.kubernetes.io/load-balancer-attributes']).toContain('idle_timeout.timeout_seconds=4000');
    // Internal by default: the VPC CIDR only, and no egress to the internet from the load balancer.
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('^Guacamole load balancer'),
      SecurityGroupIngress: Match.arrayWith([Match.objectLike({ CidrIp: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Vpc'), 'CidrBlock'] }, FromPort: 443 })]),
      SecurityGroupEgress: Match.absent(),
    });
    expect(validateKubernetesObjects(objects.filter((o) => !KINDS_WITHOUT_SCHEMA.includes(gvk(o))))).toEqual([]);
    expect(scanTemplateForSecrets(template)).toEqual([]);
  });
});

describe('GuacamoleGateway bad input', () => {
  const base = (stack: Stack): GuacamoleGatewayProps => ({ cluster: importedCluster(stack), hostname: HOSTNAME, certificateArn: CERTIFICATE_ARN });

  test.each<[string, Partial<GuacamoleGatewayProps>, RegExp]>([
    ['a non-ACM certificate ARN', { certificateArn: 'arn:aws:iam::123456789012:server-certificate/desktops' }, /GuacamoleGateway\.certificateArn: "arn:aws:iam::123456789012:server-certificate\/desktops" is an ARN of iam, not of acm/],
    ['an idle timeout of 0', { idleTimeout: Duration.seconds(0) }, /GuacamoleGateway\.idleTimeout: got 0; use a whole number from 1 to 4000/],
    ['an idle timeout above 4000 s', { idleTimeout: Duration.hours(2) }, /GuacamoleGateway\.idleTimeout: got 7200/],
    ['recording without storage', { sessionRecording: true }, /GuacamoleGateway\.recordingFileSystem: sessionRecording is true but no file system/],
    ['no web replica', { webReplicas: 0 }, /GuacamoleGateway\.webReplicas: got 0/],
    ['no guacd replica', { guacdReplicas: 0 }, /GuacamoleGateway\.guacdReplicas: got 0/],
    ['a host name that is a URL', { hostname: 'https://desktops.example.com' }, /GuacamoleGateway\.hostname/],
    ['a bad CIDR', { allowedCidrs: ['10.0.0.0/33'] }, /GuacamoleGateway\.allowedCidrs: "10\.0\.0\.0\/33" is not an IPv4 CIDR block/],
    ['an empty allow-list', { allowedCidrs: [] }, /GuacamoleGateway\.allowedCidrs: is empty/],
    ['a WAF classic id', { wafWebAclArn: '0a1b2c3d-4e5f' }, /GuacamoleGateway\.wafWebAclArn/],
    ['a bad namespace', { namespace: 'Guacamole' }, /GuacamoleGateway\.namespace/],
    ['a multi-line admin', { adminUsers: ['a\nb'] }, /GuacamoleGateway\.adminUsers/],
    ['a bad desktop security group', { desktopSecurityGroupIds: ['default'] }, /GuacamoleGateway\.desktopSecurityGroupIds/],
    ['a bad CPU quantity', { webCpu: 'one' }, /GuacamoleGateway\.webCpu: "one" is not a positive CPU quantity/],
    ['a bad restart schedule', { credentialRestartSchedule: 'weekly' }, /GuacamoleGateway\.credentialRestartSchedule/],
    ['a host name Cognito cannot use as domain', { hostname: 'desktops.aws-example.com' }, /GuacamoleGateway\.authentication\.domainPrefix: the default Cognito domain prefix "desktops-aws-example-com"/],
    ['an explicit bad domain prefix', { authentication: GuacamoleAuthentication.cognito({ domainPrefix: 'Bad' }) }, /GuacamoleGateway\.authentication\.domainPrefix: "Bad"/],
    ['a session timeout above 7 days', { authentication: GuacamoleAuthentication.cognito({ sessionTimeout: Duration.days(8) }) }, /GuacamoleGateway\.authentication\.sessionTimeout/],
  ])('%s fails', (_what, extra, error) => {
    const stack = newStack();
    expect(() => new GuacamoleGateway(stack, 'Gateway', { ...base(stack), ...extra })).toThrow(error);
  });

  test('a retention that is not whole days fails', () => {
    const stack = newStack();
    const props = base(stack);
    expect(() => new GuacamoleGateway(stack, 'Gateway', { ...props, recordingFileSystem: fileSystem(stack, props.cluster.vpc), recordingRetention: Duration.hours(36) }))
      .toThrow(/GuacamoleGateway\.recordingRetention: 1\.5 days is not a whole number/);
  });
});
