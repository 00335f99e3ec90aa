import { App, Testing } from 'cdk8s';
import { GuacamoleChart, GuacamoleChartProps } from '../../constructs/guacamole/guacamole-chart';
import { KubernetesObject, validateKubernetesObjects } from '../support/kubernetes-schemas';
import { scanForSecrets } from '../support/secret-scan';
import {
  albAnnotationNames, CERTIFICATE_ARN, find, guacamoleEnvironmentNames, gvk, HOSTNAME, KINDS_WITHOUT_SCHEMA,
  podTemplateOf, undocumentedAlbAnnotations,
} from './guacamole-fixtures';

const BASE: GuacamoleChartProps = {
  namespace: 'guacamole',
  hostname: HOSTNAME,
  certificateArn: CERTIFICATE_ARN,
  internetFacing: true,
  albSecurityGroupId: 'sg-0aaaaaaaaaaaaaaaa',
  podSecurityGroupId: 'sg-0bbbbbbbbbbbbbbbb',
  idleTimeoutSeconds: 3600,
  sslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
  ingressClassName: 'alb',
  cognito: { userPoolArn: 'arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_EXAMPLE', userPoolClientId: 'exampleclientid', userPoolDomain: 'desktops-example-com', sessionTimeoutSeconds: 28800 },
  totp: false,
  adminUsers: ['9f2c1a7e-0000-4000-8000-000000000001'],
  webReplicas: 2,
  guacdReplicas: 2,
  webResources: { cpu: '1', memory: '2Gi' },
  guacdResources: { cpu: '2', memory: '4Gi' },
  database: {
    hostname: 'db.cluster-example.us-east-1.rds.amazonaws.com',
    port: '5432',
    databaseName: 'guacamole',
    appUsername: 'guacamole_app',
    appSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:app-AbCdEf',
    masterSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:master-AbCdEf',
  },
  jsonAuthSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:json-AbCdEf',
  region: 'us-east-1',
  secretsRoleArn: 'arn:aws:iam::123456789012:role/guacamole-secrets',
  secretsRefreshInterval: '3600s',
  credentialRestartSchedule: '0 4 * * 0',
  recording: { fileSystemId: 'fs-0123456789abcdef0', accessPointId: 'fsap-0123456789abcdef0', retentionDays: 30, pruneSchedule: '17 3 * * *' },
  driveRedirection: false,
};

function synth(overrides: Partial<GuacamoleChartProps> = {}): KubernetesObject[] {
  return Testing.synth(new GuacamoleChart(new App(), 'Guacamole', { ...BASE, ...overrides })) as KubernetesObject[];
}

describe('GuacamoleChart (Cognito at the ALB, recording)', () => {
  let objects: KubernetesObject[];
  beforeAll(() => {
    objects = synth();
  });

  test('every core object is valid against the Kubernetes 1.34 schemas', () => {
    // External Secrets and SecurityGroupPolicy kinds have no schema in ../shared/reference:
    // they are checked field by field in the tests below.
    const core = objects.filter((o) => !KINDS_WITHOUT_SCHEMA.includes(gvk(o)));
    expect(core.map((o) => o.kind).sort()).toEqual([
      'CronJob', 'CronJob', 'Deployment', 'Deployment', 'Ingress', 'Job', 'Namespace', 'PersistentVolume', 'PersistentVolumeClaim',
      'PodDisruptionBudget', 'PodDisruptionBudget', 'Role', 'RoleBinding', 'Service', 'Service', 'ServiceAccount', 'ServiceAccount', 'ServiceAccount',
    ]);
    expect(validateKubernetesObjects(core)).toEqual([]);
  });

  test('no plaintext secret, default credential or Secret object is synthesized', () => {
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    expect(scanForSecrets(objects)).toEqual([]);
    expect(JSON.stringify(objects)).not.toMatch(/guacadmin/i);
  });

  test('External Secrets: an IRSA SecretStore and ExternalSecrets owning the Kubernetes Secrets', () => {
    expect(find(objects, 'ServiceAccount', 'guacamole-secrets').metadata?.annotations).toEqual({ 'eks.amazonaws.com/role-arn': BASE.secretsRoleArn });
    expect(find(objects, 'SecretStore', 'guacamole-aws')).toEqual(expect.objectContaining({
      apiVersion: 'external-secrets.io/v1',
      spec: { provider: { aws: { service: 'SecretsManager', region: 'us-east-1', auth: { jwt: { serviceAccountRef: { name: 'guacamole-secrets' } } } } } },
    }));
    expect(find(objects, 'ExternalSecret', 'guacamole-db').spec).toEqual({
      refreshInterval: '3600s',
      secretStoreRef: { name: 'guacamole-aws', kind: 'SecretStore' },
      target: { name: 'guacamole-db', creationPolicy: 'Owner' },
      data: [
        { secretKey: 'username', remoteRef: { key: BASE.database.appSecretArn, property: 'username' } },
        { secretKey: 'password', remoteRef: { key: BASE.database.appSecretArn, property: 'password' } },
      ],
    });
    expect(find(objects, 'ExternalSecret', 'guacamole-json-auth').spec).toEqual(expect.objectContaining({
      data: [{ secretKey: 'secret-key', remoteRef: { key: BASE.jsonAuthSecretArn } }],
    }));
    // The master credentials are never synced into the namespace: only the schema Job reads them.
    expect(objects.filter((o) => o.kind === 'ExternalSecret').map((o) => o.metadata?.name).sort()).toEqual(['guacamole-db', 'guacamole-json-auth']);
    expect(JSON.stringify(objects.filter((o) => o.kind !== 'Job'))).not.toContain(BASE.database.masterSecretArn);
  });

  test('security groups for pods: the Guacamole pods, and only they, get the pod security group', () => {
    const policy = find(objects, 'SecurityGroupPolicy', 'guacamole-pods');
    expect(policy.apiVersion).toBe('vpcresources.k8s.aws/v1beta1');
    expect(policy.spec).toEqual({ podSelector: { matchLabels: { 'guacamole.desktops.aws/pod-security-group': 'true' } }, securityGroups: { groupIds: [BASE.podSecurityGroupId] } });
    const selected = (o: KubernetesObject) => podTemplateOf(o).metadata.labels['guacamole.desktops.aws/pod-security-group'] === 'true';
    expect(selected(find(objects, 'Deployment', 'guacamole-web'))).toBe(true);
    expect(selected(find(objects, 'Deployment', 'guacamole-guacd'))).toBe(true);
    expect(selected(objects.find((o) => o.kind === 'Job')!)).toBe(true);
    expect(selected(find(objects, 'CronJob', 'guacamole-recordings-prune'))).toBe(true);
    expect(selected(find(objects, 'CronJob', 'guacamole-web-restart'))).toBe(false);
  });

  test('every container: non-root, read-only root, no privilege escalation, all capabilities dropped, requests = limits', () => {
    const workloads = objects.filter((o) => ['Deployment', 'Job', 'CronJob'].includes(o.kind));
    const containers = workloads.flatMap((w) => [...podTemplateOf(w).spec.containers, ...(podTemplateOf(w).spec.initContainers ?? [])]);
    expect(containers.length).toBe(7);
    for (const c of containers) {
      expect(c.securityContext).toEqual(expect.objectContaining({
        runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, privileged: false,
        capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' },
      }));
      expect(c.resources.requests).toEqual(c.resources.limits);
      expect(c.image).toMatch(/:v?\d+\.\d+(\.\d+)?(-alpine)?$/);
    }
    for (const w of workloads) {
      expect(podTemplateOf(w).spec.securityContext).toEqual(expect.objectContaining({ runAsNonRoot: true }));
    }
    // Fixed UIDs of the images: guacd 1000, web app 1001.
    expect(podTemplateOf(find(objects, 'Deployment', 'guacamole-guacd')).spec.containers[0].securityContext.runAsUser).toBe(1000);
    expect(podTemplateOf(find(objects, 'Deployment', 'guacamole-web')).spec.containers[0].securityContext.runAsUser).toBe(1001);
  });

  test('Deployments: pinned 1.6.0 images, probes, writable emptyDirs, no service account token', () => {
    const web = podTemplateOf(find(objects, 'Deployment', 'guacamole-web'));
    const guacd = podTemplateOf(find(objects, 'Deployment', 'guacamole-guacd'));
    expect(web.spec.containers[0].image).toBe('guacamole/guacamole:1.6.0');
    expect(guacd.spec.containers[0].image).toBe('guacamole/guacd:1.6.0');
    for (const pod of [web, guacd]) {
      const c = pod.spec.containers[0];
      expect(c.readinessProbe).toBeDefined();
      expect(c.livenessProbe).toBeDefined();
      expect(c.startupProbe).toBeDefined();
      expect(pod.spec.automountServiceAccountToken).toBe(false);
      expect(c.volumeMounts).toEqual(expect.arrayContaining([{ name: 'tmp', mountPath: '/tmp' }]));
      expect(pod.spec.volumes).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'tmp', emptyDir: expect.anything() })]));
    }
    expect(web.spec.containers[0].readinessProbe).toEqual(expect.objectContaining({ httpGet: { path: '/guacamole/', port: 'http' } }));
  });

  test('Services: guacd on 4822 and the web app on 8080, both cluster-internal; PDBs for both', () => {
    expect(find(objects, 'Service', 'guacamole-guacd').spec).toEqual(expect.objectContaining({ type: 'ClusterIP', ports: [expect.objectContaining({ port: 4822 })] }));
    expect(find(objects, 'Service', 'guacamole-web').spec).toEqual(expect.objectContaining({ type: 'ClusterIP', ports: [expect.objectContaining({ port: 8080 })] }));
    expect(find(objects, 'PodDisruptionBudget', 'guacamole-web').spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: expect.objectContaining({ 'app.kubernetes.io/instance': 'guacamole-web' }) } });
    expect(find(objects, 'PodDisruptionBudget', 'guacamole-guacd').spec).toEqual(expect.objectContaining({ maxUnavailable: 1 }));
  });

  test('web app environment: only names the 1.6.0 image reads; credentials from Secrets; header auth and JSON first', () => {
    const env = podTemplateOf(find(objects, 'Deployment', 'guacamole-web')).spec.containers[0].env!;
    const names = env.map((e) => e.name);
    const known = guacamoleEnvironmentNames();
    if (known) {
      expect(known.size).toBeGreaterThan(150);
      expect(names.filter((n) => !known.has(n))).toEqual([]);
    }
    const byName = Object.fromEntries(env.map((e) => [e.name, e]));
    expect(byName.POSTGRESQL_USERNAME.valueFrom).toEqual({ secretKeyRef: { name: 'guacamole-db', key: 'username' } });
    expect(byName.POSTGRESQL_PASSWORD.valueFrom).toEqual({ secretKeyRef: { name: 'guacamole-db', key: 'password' } });
    expect(byName.JSON_SECRET_KEY.valueFrom).toEqual({ secretKeyRef: { name: 'guacamole-json-auth', key: 'secret-key' } });
    expect(byName.HTTP_AUTH_ENABLED.value).toBe('true');
    expect(byName.HTTP_AUTH_HEADER.value).toBe('x-amzn-oidc-identity');
    expect(byName.EXTENSION_PRIORITY.value).toBe('json');
    expect(byName.REMOTE_IP_VALVE_ENABLED.value).toBe('true');
    expect(byName.POSTGRESQL_SSL_MODE.value).toBe('require');
    expect(byName.RECORDING_SEARCH_PATH.value).toBe('/var/lib/guacamole/recordings');
    expect(names).not.toContain('OPENID_AUTHORIZATION_ENDPOINT');
    expect(names.filter((n) => n.startsWith('POSTGRES_') || n === 'POSTGRESQL_USER')).toEqual([]);
  });

  test('Ingress: documented annotations only; HTTPS with redirect, IP targets, idle timeout, stickiness, Cognito', () => {
    const ingress = find(objects, 'Ingress', 'guacamole');
    const annotations = ingress.metadata?.annotations as Record<string, string>;
    const documented = albAnnotationNames();
    if (documented) expect(undocumentedAlbAnnotations(annotations, documented)).toEqual([]);
    expect(annotations).toEqual(expect.objectContaining({
      'alb.ingress.kubernetes.io/scheme': 'internet-facing',
      'alb.ingress.kubernetes.io/target-type': 'ip',
      'alb.ingress.kubernetes.io/listen-ports': '[{"HTTP":80},{"HTTPS":443}]',
      'alb.ingress.kubernetes.io/ssl-redirect': '443',
      'alb.ingress.kubernetes.io/certificate-arn': CERTIFICATE_ARN,
      'alb.ingress.kubernetes.io/healthcheck-path': '/guacamole/',
      'alb.ingress.kubernetes.io/load-balancer-attributes': 'idle_timeout.timeout_seconds=3600,routing.http.drop_invalid_header_fields.enabled=true',
      'alb.ingress.kubernetes.io/target-group-attributes': expect.stringContaining('stickiness.enabled=true'),
      'alb.ingress.kubernetes.io/security-groups': BASE.albSecurityGroupId,
      'alb.ingress.kubernetes.io/manage-backend-security-group-rules': 'false',
      'alb.ingress.kubernetes.io/auth-type': 'cognito',
      'alb.ingress.kubernetes.io/auth-on-unauthenticated-request': 'authenticate',
    }));
    // The Cognito annotation names the pool, client and domain: never the client secret.
    expect(JSON.parse(annotations['alb.ingress.kubernetes.io/auth-idp-cognito'])).toEqual({
      userPoolARN: BASE.cognito!.userPoolArn, userPoolClientID: 'exampleclientid', userPoolDomain: 'desktops-example-com',
    });
    expect(annotations['alb.ingress.kubernetes.io/inbound-cidrs']).toBeUndefined();
    expect(ingress.spec).toEqual(expect.objectContaining({ ingressClassName: 'alb', rules: [expect.objectContaining({ host: HOSTNAME })] }));
  });

  test('schema Job: initdb.sh output without the default-administrator part, applied only when absent', () => {
    const job = objects.find((o) => o.kind === 'Job')!;
    expect(job.metadata?.name).toMatch(/^guacamole-schema-[0-9a-f]{10}$/);
    const pod = podTemplateOf(job);
    // The master secret is read from Secrets Manager by the Job itself (IRSA of the secrets
    // reader) into an in-memory volume, and deleted once read.
    expect((pod.spec as { serviceAccountName?: string }).serviceAccountName).toBe('guacamole-secrets');
    const fetch = pod.spec.initContainers![0];
    expect(fetch.image).toMatch(/^public\.ecr\.aws\/aws-cli\/aws-cli:2\.\d+\.\d+$/);
    expect(fetch.command![2]).toContain('aws secretsmanager get-secret-value --secret-id "$MASTER_SECRET_ARN"');
    expect(fetch.env).toEqual(expect.arrayContaining([{ name: 'MASTER_SECRET_ARN', value: BASE.database.masterSecretArn }]));
    expect(pod.spec.volumes).toEqual(expect.arrayContaining([{ name: 'credentials', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } }]));
    const extract = pod.spec.initContainers![1];
    expect(extract.image).toBe('guacamole/guacamole:1.6.0');
    expect(extract.command![2]).toContain('/opt/guacamole/bin/initdb.sh --postgresql');
    expect(extract.command![2]).toContain("awk '/^INSERT INTO/ { exit } { print }'");
    const apply = pod.spec.containers[0];
    expect(apply.image).toMatch(/^postgres:\d+\.\d+-alpine$/);
    expect(apply.command![2]).toContain("to_regclass('public.guacamole_user')");
    expect(apply.command![2]).toContain('rm -f /credentials/master.json');
    expect(apply.env!.map((e) => e.name)).not.toContain('PGPASSWORD');
    expect(apply.command![2]).toContain('\\getenv app_password APP_PASSWORD');
    expect(apply.env!.filter((e) => /PASSWORD|PGUSER/.test(e.name)).every((e) => e.valueFrom?.secretKeyRef !== undefined)).toBe(true);
    expect(apply.env!.find((e) => e.name === 'ADMIN_USERS')!.value).toBe(BASE.adminUsers[0]);
  });

  test('recordings: static EFS volume through the access point, written by guacd, read by the web app, pruned', () => {
    const pv = find(objects, 'PersistentVolume', 'guacamole-recordings');
    expect(pv.spec).toEqual(expect.objectContaining({
      storageClassName: '',
      accessModes: ['ReadWriteMany'],
      persistentVolumeReclaimPolicy: 'Retain',
      claimRef: { namespace: 'guacamole', name: 'guacamole-recordings' },
      csi: { driver: 'efs.csi.aws.com', volumeHandle: 'fs-0123456789abcdef0::fsap-0123456789abcdef0' },
    }));
    expect(find(objects, 'PersistentVolumeClaim', 'guacamole-recordings').spec).toEqual(expect.objectContaining({ storageClassName: '', volumeName: 'guacamole-recordings' }));
    const mount = (name: string) => podTemplateOf(find(objects, 'Deployment', name)).spec.containers[0].volumeMounts!.find((m) => m.name === 'recordings');
    expect(mount('guacamole-guacd')).toEqual({ name: 'recordings', mountPath: '/var/lib/guacamole/recordings' });
    expect(mount('guacamole-web')).toEqual({ name: 'recordings', mountPath: '/var/lib/guacamole/recordings', readOnly: true });
    const prune = find(objects, 'CronJob', 'guacamole-recordings-prune');
    expect((prune.spec as { schedule: string }).schedule).toBe('17 3 * * *');
    expect(podTemplateOf(prune).spec.containers[0].command![2]).toContain('-mtime +30');
  });

  test('credential roll: a CronJob that may only restart the web app Deployment', () => {
    expect(find(objects, 'Role', 'guacamole-web-restarter')).toEqual(expect.objectContaining({
      rules: [{ apiGroups: ['apps'], resources: ['deployments'], resourceNames: ['guacamole-web'], verbs: ['get', 'patch'] }],
    }));
    const restart = find(objects, 'CronJob', 'guacamole-web-restart');
    expect((restart.spec as { schedule: string }).schedule).toBe('0 4 * * 0');
    expect(podTemplateOf(restart).spec.containers[0].command).toEqual(['kubectl', 'rollout', 'restart', 'deployment/guacamole-web', '--namespace=guacamole']);
  });

  test('the namespace enforces the restricted Pod Security Standard', () => {
    expect(find(objects, 'Namespace', 'guacamole').metadata?.labels).toEqual(expect.objectContaining({ 'pod-security.kubernetes.io/enforce': 'restricted' }));
  });
});

describe('GuacamoleChart variants', () => {
  test('OpenID sign-in: OPENID_* in Guacamole, no ALB authentication, no header trust', () => {
    // WHEN
    const objects = synth({
      cognito: undefined,
      openId: { authorizationEndpoint: 'https://idp.example.com/authorize', jwksEndpoint: 'https://idp.example.com/jwks', issuer: 'https://idp.example.com', clientId: 'guacamole', groupsClaimType: 'groups' },
      totp: true,
    });
    // THEN
    const env = podTemplateOf(find(objects, 'Deployment', 'guacamole-web')).spec.containers[0].env!;
    const byName = Object.fromEntries(env.map((e) => [e.name, e.value]));
    expect(byName).toEqual(expect.objectContaining({
      OPENID_AUTHORIZATION_ENDPOINT: 'https://idp.example.com/authorize',
      OPENID_REDIRECT_URI: `https://${HOSTNAME}/guacamole/`,
      OPENID_USERNAME_CLAIM_TYPE: 'email',
      OPENID_GROUPS_CLAIM_TYPE: 'groups',
      TOTP_ENABLED: 'true',
    }));
    expect(byName.HTTP_AUTH_ENABLED).toBeUndefined();
    const known = guacamoleEnvironmentNames();
    if (known) expect(env.map((e) => e.name).filter((n) => !known.has(n))).toEqual([]);
    const annotations = find(objects, 'Ingress', 'guacamole').metadata?.annotations as Record<string, string>;
    expect(annotations['alb.ingress.kubernetes.io/auth-type']).toBeUndefined();
  });

  test('one web replica: no stickiness; internal; WAF; drive scratch volume; no recording objects', () => {
    // WHEN
    const objects = synth({
      webReplicas: 1, internetFacing: false, recording: undefined, driveRedirection: true,
      wafWebAclArn: 'arn:aws:wafv2:us-east-1:123456789012:regional/webacl/desktops/0a1b2c3d-4e5f-6789-abcd-ef0123456789',
    });
    // THEN
    const annotations = find(objects, 'Ingress', 'guacamole').metadata?.annotations as Record<string, string>;
    expect(annotations['alb.ingress.kubernetes.io/target-group-attributes']).toBeUndefined();
    expect(annotations['alb.ingress.kubernetes.io/scheme']).toBe('internal');
    expect(annotations['alb.ingress.kubernetes.io/wafv2-acl-arn']).toMatch(/^arn:aws:wafv2:/);
    const documented = albAnnotationNames();
    if (documented) expect(undocumentedAlbAnnotations(annotations, documented)).toEqual([]);
    expect(objects.filter((o) => ['PersistentVolume', 'PersistentVolumeClaim'].includes(o.kind))).toEqual([]);
    expect(objects.filter((o) => o.metadata?.name === 'guacamole-recordings-prune')).toEqual([]);
    const guacd = podTemplateOf(find(objects, 'Deployment', 'guacamole-guacd'));
    expect(guacd.spec.containers[0].volumeMounts).toEqual(expect.arrayContaining([{ name: 'drive', mountPath: '/var/lib/guacamole/drive' }]));
    const webEnv = podTemplateOf(find(objects, 'Deployment', 'guacamole-web')).spec.containers[0].env!.map((e) => e.name);
    expect(webEnv).not.toContain('RECORDING_SEARCH_PATH');
    expect(validateKubernetesObjects(objects.filter((o) => !KINDS_WITHOUT_SCHEMA.includes(gvk(o))))).toEqual([]);
  });

  test('the schema Job name follows its content (Jobs are immutable)', () => {
    const name = (admins: string[]) => synth({ adminUsers: admins }).find((o) => o.kind === 'Job')!.metadata?.name;
    expect(name(['a'])).toBe(name(['a']));
    expect(name(['a'])).not.toBe(name(['b']));
  });
});
