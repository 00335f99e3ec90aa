import { Chart, ChartProps } from 'cdk8s';
import { k8s } from 'cdk8s-plus-29';
import { Construct } from 'constructs';
import { APP_INSTANCE_LABEL, APP_NAME_LABEL, APP_PART_OF_LABEL, SESSIONS_API_GROUP } from '../common/well-known';
import { ExternalSecret, SecretStore, SecurityGroupPolicy } from '../guacamole/private/custom-resources';
import { DESKTOP_CLASS_PLURAL, DESKTOP_SESSION_PLURAL } from './api';
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
const ALB = 'alb.ingress.kubernetes.io/';

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
    const role = (name: string, rules: k8s.PolicyRule[]) => {
      new k8s.KubeRole(this, `${name}-role`, { metadata: { name, namespace: ns, labels: labels(name) }, rules });
      new k8s.KubeRoleBinding(this, `${name}-rolebinding`, {
        metadata: { name, namespace: ns, labels: labels(name) },
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
      // The desktop's node: its instance type and capacity type price the session.
      { apiGroups: [''], resources: ['nodes'], verbs: ['get'] },
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
    ]);
    role(CONTROLLER_NAME, [
      sessionsRule(['get', 'list', 'watch', 'patch', 'update']),
      { apiGroups: [SESSIONS_API_GROUP], resources: [`${DESKTOP_SESSION_PLURAL}/status`], verbs: ['get', 'patch', 'update'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: [CONTROLLER_NAME], verbs: ['get', 'update'] },
      { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
    ]);
    clusterRole(BROKER_NAME, [{ apiGroups: [SESSIONS_API_GROUP], resources: [DESKTOP_CLASS_PLURAL], verbs: ['get'] }]);
    role(BROKER_NAME, [sessionsRule(['get', 'list', 'watch', 'create', 'patch', 'delete'])]);

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
