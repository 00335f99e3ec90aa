import { Chart, ChartProps } from 'cdk8s';
import { k8s } from 'cdk8s-plus-29';
import { Construct } from 'constructs';
import { ALB_ANNOTATION_PREFIX, APP_INSTANCE_LABEL, APP_NAME_LABEL, APP_PART_OF_LABEL, POD_SECURITY_AUDIT_LABEL, POD_SECURITY_ENFORCE_LABEL, POD_SECURITY_WARN_LABEL, SESSIONS_API_GROUP } from '../common/well-known';
import { ExternalSecret, SecretStore, SecurityGroupPolicy } from '../guacamole/private/custom-resources';
import { sessionTemplateConfigMapName } from '../node-desktops/node-desktops-chart';
import { NodeDesktopSessionTemplate } from '../node-desktops/node-desktop-session-template';
import { SessionAccountKind } from '../node-desktops/session-script';
import { DESKTOP_CLASS_PLURAL, DESKTOP_SESSION_PLURAL } from './api';
import { NodeDesktopRenderer } from './controller/node-desktop-renderer';
import { ControllerNodePolicy } from './controller-node-policy';
import { refFor } from './resources';
import { NODE_DESKTOPS_ENV, NodeDesktopCertificateCheck, WINDOWS_ACCOUNT_CLAIM_ENV } from './runtime/environment';
import { DEFAULT_WARM_NAMESPACE, WARM_PRIORITY_CLASS } from './resources';
import { SessionCrds } from './session-crds';

/** Names of the runtime's Kubernetes objects. */
export const CONTROLLER_NAME = 'desktop-session-controller';
export const BROKER_NAME = 'desktop-session-broker';
const SECRETS_SA = 'desktop-sessions-secrets';
const DB_SECRET = 'desktop-sessions-guacamole-db';
const JSON_SECRET = 'desktop-sessions-json-auth';
const STORE = 'desktop-sessions-aws';
const BROKER_PORT = 8080;
const METRICS_PORT = 9090;
const ALB = ALB_ANNOTATION_PREFIX;

/** Settings of {@link DesktopSessionServiceChart}; `DesktopSessionService` validates them. */
export interface DesktopSessionServiceChartProps extends ChartProps {
  readonly namespace: string;
  readonly image: string;
  readonly replicas: number;
  readonly desktopClass: string;
  readonly guacamoleUrl: string;
  /** Namespace of the gateway's guacd pods, the only pods users' NetworkPolicies admit RDP from. */
  readonly gatewayNamespace: string;
  readonly hostname: string;
  readonly basePath: string;
  readonly database: { readonly hostname: string; readonly port: string; readonly databaseName: string; readonly appSecretArn: string };
  readonly jsonAuthSecretArn: string;
  readonly region: string;
  readonly secretsRoleArn: string;
  readonly oidc: { readonly issuer: string; readonly clientId: string; readonly userPoolArn: string; readonly userPoolDomain: string };
  /**
   * ARN of the gateway's ALB; without it the broker is installed with 0 replicas.
   * @default - none: the broker is installed with 0 replicas until the ALB exists
   */
  readonly loadBalancerArn?: string;
  readonly adminUserIds: readonly string[];
  readonly ingressClassName: string;
  readonly ingressGroupName: string;
  readonly controllerSecurityGroupId: string;
  readonly brokerSecurityGroupId: string;
  /**
   * The session template of the node-desktop pool whose sessions the controller creates
   * (`NodeDesktops.sessionTemplate`).
   * @default - none: sessions of Node classes fail with "no renderer for Node desktops"
   */
  readonly nodeDesktopTemplate?: NodeDesktopSessionTemplate;
  /**
   * Identity-token claim with the user's sAMAccountName, which the broker puts into sessions.
   * @default - none
   */
  readonly windowsAccountClaim?: string;
}

/** Verbs on what a session applies (server-side apply creates or patches; the end reads and deletes). */
const APPLIED_VERBS = ['get', 'create', 'patch', 'delete'];
/** Verbs on what a session prepares once (created, read back, deleted; never patched). */
const PREPARED_VERBS = ['get', 'create', 'delete'];

/**
 * The session controller's rules in a node-desktop pool's namespace, derived from what the
 * renderer writes there (`NodeDesktopRenderer.kindsFor`): one rule per API group with its
 * resources and exactly the verbs applying or preparing needs, plus reading the pool's template.
 */
export function nodeDesktopControllerRules(template: NodeDesktopSessionTemplate): k8s.PolicyRule[] {
  const kinds = NodeDesktopRenderer.kindsFor(template);
  const rules = new Map<string, { group: string; resources: string[]; verbs: string[] }>();
  const add = (apiVersion: string, kind: string, verbs: string[]) => {
    const ref = refFor(apiVersion, kind, template.namespace);
    const key = `${ref.group}\u0000${verbs.join(',')}`;
    const rule = rules.get(key) ?? { group: ref.group, resources: [], verbs };
    if (!rule.resources.includes(ref.plural)) rule.resources.push(ref.plural);
    rules.set(key, rule);
  };
  for (const k of kinds.applied) add(k.apiVersion, k.kind, APPLIED_VERBS);
  for (const k of kinds.prepared) add(k.apiVersion, k.kind, PREPARED_VERBS);
  return [
    ...[...rules.values()].map((r) => ({ apiGroups: [r.group], resources: r.resources.sort(), verbs: r.verbs })),
    // The template, read once at start (NodeDesktopRenderer.fromConfigMap); nothing else in the namespace.
    { apiGroups: [''], resources: ['configmaps'], resourceNames: [sessionTemplateConfigMapName(template.poolName)], verbs: ['get'] },
  ];
}

/**
 * The broker's rules in a node-desktop pool's namespace: reading the session password Secrets
 * of local accounts, which it hands to Guacamole in the encrypted connection. Kubernetes RBAC
 * cannot name objects created at run time (`resourceNames` are fixed in the Role), so this is
 * `get` on every Secret of that namespace: besides the passwords, the sessions' RDP certificate
 * Secrets when the pool has a certificate authority (no list or watch, so names must be known).
 * Directory pools get no rule (users type their domain password; the join Secret stays unread).
 */
export function nodeDesktopBrokerRules(template: NodeDesktopSessionTemplate): k8s.PolicyRule[] {
  if (template.script.account !== SessionAccountKind.LOCAL) return [];
  return [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }];
}

/**
 * The session runtime in the cluster: the CRDs, least-privilege RBAC, the controller and the
 * sign-in broker (two replicas each, PodDisruptionBudgets, probes, non-root with a read-only
 * root), their secrets through External Secrets, metrics Services and the broker's route on
 * the gateway's load balancer.
 */
export class DesktopSessionServiceChart extends Chart {
  constructor(scope: Construct, id: string, props: DesktopSessionServiceChartProps) {
    super(scope, id, { ...props, namespace: props.namespace });
    const ns = props.namespace;
    const labels = (name: string) => ({ [APP_NAME_LABEL]: name, [APP_INSTANCE_LABEL]: name, [APP_PART_OF_LABEL]: 'desktop-sessions' });

    new k8s.KubeNamespace(this, 'Namespace', { metadata: { name: ns, labels: { [APP_PART_OF_LABEL]: 'desktop-sessions' } } });
    new SessionCrds(this, 'Crds');

    // ---- identities and RBAC (no wildcard verbs or resources) ----------------------------
    for (const name of [CONTROLLER_NAME, BROKER_NAME]) {
      new k8s.KubeServiceAccount(this, `${name}-sa`, { metadata: { name, namespace: ns, labels: labels(name) }, automountServiceAccountToken: true });
    }
    new k8s.KubeServiceAccount(this, 'SecretsServiceAccount', { metadata: { name: SECRETS_SA, namespace: ns, annotations: { 'eks.amazonaws.com/role-arn': props.secretsRoleArn } }, automountServiceAccountToken: false });
    const sessionsRule = (verbs: string[]) => ({ apiGroups: [SESSIONS_API_GROUP], resources: [DESKTOP_SESSION_PLURAL], verbs });
    const clusterRole = (name: string, rules: k8s.PolicyRule[]) => {
      new k8s.KubeClusterRole(this, `${name}-clusterrole`, { metadata: { name, labels: labels(name) }, rules });
      new k8s.KubeClusterRoleBinding(this, `${name}-clusterrolebinding`, {
        metadata: { name, labels: labels(name) },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
        subjects: [{ kind: 'ServiceAccount', name, namespace: ns }],
      });
    };
    const role = (name: string, rules: k8s.PolicyRule[], namespace = ns) => {
      const id = namespace === ns ? name : `${name}-${namespace}`;
      new k8s.KubeRole(this, `${id}-role`, { metadata: { name, namespace, labels: labels(name) }, rules });
      new k8s.KubeRoleBinding(this, `${id}-rolebinding`, {
        metadata: { name, namespace, labels: labels(name) },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
        subjects: [{ kind: 'ServiceAccount', name, namespace: ns }],
      });
    };
    // The controller writes users' objects in their own namespaces, so its rights on those kinds are cluster-wide.
    clusterRole(CONTROLLER_NAME, [
      { apiGroups: [SESSIONS_API_GROUP], resources: [DESKTOP_CLASS_PLURAL], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['kubevirt.io'], resources: ['virtualmachines'], verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'] },
      // Start and stop (runStrategy Manual) and the guest agent's user list (log-off), as KubeVirt's own edit/view roles grant them.
      { apiGroups: ['subresources.kubevirt.io'], resources: ['virtualmachines/start', 'virtualmachines/stop'], verbs: ['update'] },
      { apiGroups: ['subresources.kubevirt.io'], resources: ['virtualmachineinstances/userlist'], verbs: ['get'] },
      { apiGroups: ['kubevirt.io'], resources: ['virtualmachineinstances'], verbs: ['get'] },
      // configmaps: the VM's answer file with the idle limit (no secret in it).
      { apiGroups: [''], resources: ['services', 'persistentvolumeclaims', 'configmaps'], verbs: ['get', 'create', 'patch', 'delete'] },
      { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'create', 'patch'] },
      // The user's isolation (renderDesktopUserObjects): created and kept up to date, never deleted by the controller.
      { apiGroups: [''], resources: ['resourcequotas', 'limitranges', 'serviceaccounts'], verbs: ['get', 'create', 'patch'] },
      { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['get', 'create', 'patch'] },
      { apiGroups: ['rbac.authorization.k8s.io'], resources: ['rolebindings'], verbs: ['get', 'create', 'patch'] },
      // The golden image's clone Role's own rights: RBAC lets the controller bind a user's namespace
      // to that Role only if it holds them itself (no 'bind' or 'escalate' verb is granted).
      { apiGroups: ['cdi.kubevirt.io'], resources: ['datavolumes/source'], verbs: ['create'] },
      { apiGroups: ['cdi.kubevirt.io'], resources: ['datasources'], verbs: ['get'] },
      // DedicatedPool classes: each user's own NodePool (and KubeVirt device NodeOverlay), derived
      // from the class's template pool, deleted with the user's last session.
      { apiGroups: ['karpenter.sh'], resources: ['nodepools', 'nodeoverlays'], verbs: ['get', 'create', 'patch', 'delete'] },
      // Nodes, in one rule: their labels give a session's instance and capacity type (read), and a
      // claimed warm slot's host is relabelled for its user (desktop.io/user-id; patch).
      // RBAC cannot narrow patch to one label: ControllerNodePolicy (below) admits only that relabel.
      { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'patch'] },
      { apiGroups: ['scheduling.k8s.io'], resources: ['priorityclasses'], verbs: ['create'] },
      { apiGroups: ['scheduling.k8s.io'], resources: ['priorityclasses'], resourceNames: [WARM_PRIORITY_CLASS], verbs: ['get', 'patch'] },
    ]);
    new ControllerNodePolicy(this, 'ControllerNodePolicy', { name: `${CONTROLLER_NAME}-nodes`, namespace: ns, serviceAccountName: CONTROLLER_NAME });
    // Warm slots' placeholder pods, in their own namespace only.
    new k8s.KubeNamespace(this, 'WarmNamespace', { metadata: { name: DEFAULT_WARM_NAMESPACE, labels: { [APP_PART_OF_LABEL]: 'desktop-sessions', [POD_SECURITY_ENFORCE_LABEL]: 'restricted', [POD_SECURITY_AUDIT_LABEL]: 'restricted', [POD_SECURITY_WARN_LABEL]: 'restricted' } } });
    new k8s.KubeRole(this, 'WarmRole', { metadata: { name: CONTROLLER_NAME, namespace: DEFAULT_WARM_NAMESPACE, labels: labels(CONTROLLER_NAME) }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'create', 'patch', 'delete'] }] });
    new k8s.KubeRoleBinding(this, 'WarmRoleBinding', {
      metadata: { name: CONTROLLER_NAME, namespace: DEFAULT_WARM_NAMESPACE, labels: labels(CONTROLLER_NAME) },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: CONTROLLER_NAME },
      subjects: [{ kind: 'ServiceAccount', name: CONTROLLER_NAME, namespace: ns }],
    });
    role(CONTROLLER_NAME, [
      sessionsRule(['get', 'list', 'watch', 'patch', 'update']),
      { apiGroups: [SESSIONS_API_GROUP], resources: [`${DESKTOP_SESSION_PLURAL}/status`], verbs: ['get', 'patch', 'update'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: [CONTROLLER_NAME], verbs: ['get', 'update'] },
      { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
    ]);
    clusterRole(BROKER_NAME, [{ apiGroups: [SESSIONS_API_GROUP], resources: [DESKTOP_CLASS_PLURAL], verbs: ['get'] }]);
    role(BROKER_NAME, [sessionsRule(['get', 'list', 'watch', 'create', 'patch', 'delete'])]);
    // Node desktops: the pool's namespace only (its pods, Services and Secrets are no one else's business).
    const pool = props.nodeDesktopTemplate;
    if (pool !== undefined) {
      role(CONTROLLER_NAME, nodeDesktopControllerRules(pool), pool.namespace);
      const brokerRules = nodeDesktopBrokerRules(pool);
      if (brokerRules.length > 0) role(BROKER_NAME, brokerRules, pool.namespace);
    }
    const controllerPoolEnv: k8s.EnvVar[] = pool === undefined ? [] : [
      { name: NODE_DESKTOPS_ENV.namespace, value: pool.namespace },
      { name: NODE_DESKTOPS_ENV.pool, value: pool.poolName },
    ];
    const brokerPoolEnv: k8s.EnvVar[] = pool === undefined ? [] : [
      { name: NODE_DESKTOPS_ENV.namespace, value: pool.namespace },
      { name: NODE_DESKTOPS_ENV.localAccounts, value: String(pool.script.account === SessionAccountKind.LOCAL) },
      // Certificates from the pool's CA are verified; without a CA only trust on first use is left.
      { name: NODE_DESKTOPS_ENV.certificates, value: pool.rdpCertificate !== undefined ? NodeDesktopCertificateCheck.VERIFIED : NodeDesktopCertificateCheck.TRUST_ON_FIRST_USE },
    ];

    // ---- secrets (copied from Secrets Manager by External Secrets; never in a manifest) ---
    new SecretStore(this, 'SecretStore', {
      metadata: { name: STORE, namespace: ns },
      spec: { provider: { aws: { service: 'SecretsManager', region: props.region, auth: { jwt: { serviceAccountRef: { name: SECRETS_SA } } } } } },
    });
    const externalSecret = (id2: string, name: string, data: Array<{ secretKey: string; key: string; property?: string }>) => new ExternalSecret(this, id2, {
      metadata: { name, namespace: ns },
      spec: {
        refreshInterval: '1h',
        secretStoreRef: { name: STORE, kind: 'SecretStore' },
        target: { name, creationPolicy: 'Owner' },
        data: data.map((d) => ({ secretKey: d.secretKey, remoteRef: { key: d.key, property: d.property } })),
      },
    });
    externalSecret('DatabaseSecret', DB_SECRET, [
      { secretKey: 'username', key: props.database.appSecretArn, property: 'username' },
      { secretKey: 'password', key: props.database.appSecretArn, property: 'password' },
    ]);
    externalSecret('JsonAuthSecret', JSON_SECRET, [{ secretKey: 'secret-key', key: props.jsonAuthSecretArn }]);

    // ---- security groups for pods: the database admits the controller, the ALB the broker --
    new SecurityGroupPolicy(this, 'ControllerSecurityGroup', { metadata: { name: CONTROLLER_NAME, namespace: ns }, spec: { podSelector: { matchLabels: { [APP_NAME_LABEL]: CONTROLLER_NAME } }, securityGroups: { groupIds: [props.controllerSecurityGroupId] } } });
    new SecurityGroupPolicy(this, 'BrokerSecurityGroup', { metadata: { name: BROKER_NAME, namespace: ns }, spec: { podSelector: { matchLabels: { [APP_NAME_LABEL]: BROKER_NAME } }, securityGroups: { groupIds: [props.brokerSecurityGroupId] } } });

    // ---- workloads --------------------------------------------------------------------------
    const secretVolume = (name: string, secretName: string): k8s.Volume => ({ name, secret: { secretName, defaultMode: 0o400 } });
    const workload = (name: string, args: string[], replicas: number, env: k8s.EnvVar[], volumes: k8s.Volume[], mounts: k8s.VolumeMount[], ports: k8s.ContainerPort[], probePort: number) => {
      new k8s.KubeDeployment(this, name, {
        metadata: { name, namespace: ns, labels: labels(name) },
        spec: {
          replicas,
          selector: { matchLabels: { [APP_NAME_LABEL]: name } },
          strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(0), maxSurge: k8s.IntOrString.fromNumber(1) } },
          template: {
            metadata: { labels: labels(name), annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(METRICS_PORT) } },
            spec: {
              serviceAccountName: name,
              securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } },
              topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { [APP_NAME_LABEL]: name } } }],
              containers: [{
                name,
                image: props.image,
                args,
                env: [
                  { name: 'SESSIONS_NAMESPACE', value: ns },
                  { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                  { name: 'METRICS_PORT', value: String(METRICS_PORT) },
                  ...env,
                ],
                ports: [...ports, { name: 'metrics', containerPort: METRICS_PORT }],
                volumeMounts: [...mounts, { name: 'tmp', mountPath: '/tmp' }],
                resources: { requests: { cpu: k8s.Quantity.fromString('250m'), memory: k8s.Quantity.fromString('256Mi') }, limits: { memory: k8s.Quantity.fromString('512Mi') } },
                securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
                livenessProbe: { httpGet: { path: '/healthz', port: k8s.IntOrString.fromNumber(METRICS_PORT) }, periodSeconds: 10, failureThreshold: 3 },
                readinessProbe: { httpGet: { path: '/healthz', port: k8s.IntOrString.fromNumber(probePort) }, periodSeconds: 5 },
              }],
              volumes: [...volumes, { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('64Mi') } }],
            },
          },
        },
      });
      new k8s.KubePodDisruptionBudget(this, `${name}-pdb`, {
        metadata: { name, namespace: ns, labels: labels(name) },
        spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: { [APP_NAME_LABEL]: name } } },
      });
      new k8s.KubeService(this, `${name}-metrics`, {
        metadata: { name: `${name}-metrics`, namespace: ns, labels: labels(name) },
        spec: { selector: { [APP_NAME_LABEL]: name }, ports: [{ name: 'metrics', port: METRICS_PORT, targetPort: k8s.IntOrString.fromString('metrics') }] },
      });
    };

    workload(CONTROLLER_NAME, ['controller'], props.replicas, [
      { name: 'GUACAMOLE_DB_HOST', value: props.database.hostname },
      { name: 'GUACAMOLE_DB_PORT', value: props.database.port },
      { name: 'GUACAMOLE_DB_NAME', value: props.database.databaseName },
      { name: 'GATEWAY_NAMESPACE', value: props.gatewayNamespace },
      { name: 'GUACAMOLE_DB_USERNAME_FILE', value: '/var/run/secrets/guacamole-db/username' },
      { name: 'GUACAMOLE_DB_PASSWORD_FILE', value: '/var/run/secrets/guacamole-db/password' },
      ...controllerPoolEnv,
    ], [secretVolume('guacamole-db', DB_SECRET)], [{ name: 'guacamole-db', mountPath: '/var/run/secrets/guacamole-db', readOnly: true }], [], METRICS_PORT);

    workload(BROKER_NAME, ['broker'], props.loadBalancerArn !== undefined ? props.replicas : 0, [
      { name: 'PORT', value: String(BROKER_PORT) },
      { name: 'BASE_PATH', value: props.basePath },
      { name: 'DESKTOP_CLASS', value: props.desktopClass },
      { name: 'GUACAMOLE_URL', value: props.guacamoleUrl },
      { name: 'ALB_ARN', value: props.loadBalancerArn ?? '' },
      { name: 'OIDC_ISSUER', value: props.oidc.issuer },
      { name: 'OIDC_CLIENT_ID', value: props.oidc.clientId },
      { name: 'ADMIN_USER_IDS', value: props.adminUserIds.join(',') },
      { name: 'JSON_AUTH_KEY_FILE', value: '/var/run/secrets/json-auth/secret-key' },
      ...(props.windowsAccountClaim !== undefined ? [{ name: WINDOWS_ACCOUNT_CLAIM_ENV, value: props.windowsAccountClaim }] : []),
      ...brokerPoolEnv,
    ], [secretVolume('json-auth', JSON_SECRET)], [{ name: 'json-auth', mountPath: '/var/run/secrets/json-auth', readOnly: true }], [{ name: 'http', containerPort: BROKER_PORT }], BROKER_PORT);

    new k8s.KubeService(this, 'BrokerService', {
      metadata: { name: BROKER_NAME, namespace: ns, labels: labels(BROKER_NAME) },
      spec: { selector: { [APP_NAME_LABEL]: BROKER_NAME }, ports: [{ name: 'http', port: BROKER_PORT, targetPort: k8s.IntOrString.fromString('http') }] },
    });

    // ---- the broker's route on the gateway's ALB (same IngressGroup, same Cognito sign-in) -
    new k8s.KubeIngress(this, 'BrokerIngress', {
      metadata: {
        name: BROKER_NAME,
        namespace: ns,
        annotations: {
          [`${ALB}group.name`]: props.ingressGroupName,
          [`${ALB}group.order`]: '10',
          [`${ALB}target-type`]: 'ip',
          [`${ALB}backend-protocol`]: 'HTTP',
          [`${ALB}healthcheck-path`]: `${props.basePath}/healthz`,
          [`${ALB}success-codes`]: '200',
          [`${ALB}manage-backend-security-group-rules`]: 'false',
          [`${ALB}auth-type`]: 'cognito',
          [`${ALB}auth-idp-cognito`]: JSON.stringify({ userPoolARN: props.oidc.userPoolArn, userPoolClientID: props.oidc.clientId, userPoolDomain: props.oidc.userPoolDomain }),
          [`${ALB}auth-scope`]: 'openid email',
          [`${ALB}auth-on-unauthenticated-request`]: 'authenticate',
        },
      },
      spec: {
        ingressClassName: props.ingressClassName,
        rules: [{
          host: props.hostname,
          http: { paths: [{ path: props.basePath, pathType: 'Prefix', backend: { service: { name: BROKER_NAME, port: { number: BROKER_PORT } } } }] },
        }],
      },
    });
  }
}
