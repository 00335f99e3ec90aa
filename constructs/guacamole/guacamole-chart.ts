import { createHash } from 'crypto';
import { ApiObjectMetadata, Chart, ChartProps } from 'cdk8s';
import { k8s } from 'cdk8s-plus-29';
import { Construct } from 'constructs';
import { restrictedPodSecurityContext } from '../common/pod-security';
import { DesktopCertificateIssuer, renderTrustAnchorCertificate } from '../certificates/desktop-certificates';
import { AWS_CLI_IMAGE, GUACAMOLE_IMAGE, GUACD_IMAGE, KUBECTL_IMAGE, POSTGRES_CLIENT_IMAGE } from '../common/versions';
import { ALB_ANNOTATION_PREFIX, GUACD_POD_LABELS } from '../common/well-known';
import { OpenIdSignInOptions } from './guacamole-authentication';
import { ExternalSecret, SecretStore, SecurityGroupPolicy } from './private/custom-resources';
import { applySchemaScript, CREDENTIALS_DIR, extractSchemaScript, fetchMasterSecretScript, pruneRecordingsScript, SCHEMA_DIR } from './private/scripts';

/** Database endpoint and the Secrets Manager secrets of its two users. */
export interface GuacamoleChartDatabase {
  /** Writer endpoint host name. */
  readonly hostname: string;
  /** Writer endpoint port. */
  readonly port: string;
  /** Database name. */
  readonly databaseName: string;
  /** Base name of the application role (created by the schema Job). */
  readonly appUsername: string;
  /** ARN of the application user's secret (JSON with `username` and `password`). */
  readonly appSecretArn: string;
  /** ARN of the master user's secret (used by the schema Job only). */
  readonly masterSecretArn: string;
}

/** Cognito configuration of the load balancer's authenticate action. */
export interface GuacamoleChartCognito {
  /** User pool ARN. */
  readonly userPoolArn: string;
  /** App client id (its secret is read by the ALB from Cognito). */
  readonly userPoolClientId: string;
  /** Hosted domain prefix. */
  readonly userPoolDomain: string;
  /** Sign-in session lifetime in seconds. */
  readonly sessionTimeoutSeconds: number;
}

/** Recording storage: a static EFS volume through one access point. */
export interface GuacamoleChartRecording {
  /** EFS file system id. */
  readonly fileSystemId: string;
  /** EFS access point id (UID/GID 1000). */
  readonly accessPointId: string;
  /** Recordings older than this many days are deleted. */
  readonly retentionDays: number;
  /** Cron schedule of the prune CronJob. */
  readonly pruneSchedule: string;
}

/** A service account in another namespace. */
export interface GuacamoleChartServiceAccount {
  /** Namespace of the account. */
  readonly namespace: string;
  /** Name of the account. */
  readonly name: string;
}

/** CPU and memory of one container (requests equal limits: Fargate sizes pods from them). */
export interface GuacamoleChartResources {
  /** CPU quantity. */
  readonly cpu: string;
  /** Memory quantity. */
  readonly memory: string;
}

/**
 * Properties of {@link GuacamoleChart}. `GuacamoleGateway` validates them before building the
 * chart; a chart built directly gets no validation.
 */
export interface GuacamoleChartProps extends ChartProps {
  /** Namespace of every object (must be selected by a Fargate profile). */
  readonly namespace: string;
  /** Host name users open. */
  readonly hostname: string;
  /** ACM certificate of the HTTPS listener. */
  readonly certificateArn: string;
  /** Internet-facing (true) or internal (false) load balancer. */
  readonly internetFacing: boolean;
  /** Security group of the load balancer (created by the gateway). */
  readonly albSecurityGroupId: string;
  /** Security group of the Guacamole pods (security groups for pods). */
  readonly podSecurityGroupId: string;
  /** Load balancer idle timeout in seconds. */
  readonly idleTimeoutSeconds: number;
  /** TLS policy of the HTTPS listener. */
  readonly sslPolicy: string;
  /** WAFv2 web ACL to associate. @default - none */
  readonly wafWebAclArn?: string;
  /** IngressClass of the AWS Load Balancer Controller. */
  readonly ingressClassName: string;
  /** IngressGroup shared with other Ingresses. @default - none */
  readonly ingressGroupName?: string;
  /** Cognito at the load balancer; exactly one of `cognito` and `openId` is set. @default - none */
  readonly cognito?: GuacamoleChartCognito;
  /** OpenID in Guacamole. @default - none */
  readonly openId?: OpenIdSignInOptions;
  /** TOTP second factor inside Guacamole. */
  readonly totp: boolean;
  /** Usernames made Guacamole administrators by the schema Job. */
  readonly adminUsers: string[];
  /** Web app replicas. */
  readonly webReplicas: number;
  /** guacd replicas. */
  readonly guacdReplicas: number;
  /** Web app container size. */
  readonly webResources: GuacamoleChartResources;
  /** guacd container size. */
  readonly guacdResources: GuacamoleChartResources;
  /** The database. */
  readonly database: GuacamoleChartDatabase;
  /** ARN of the encrypted-JSON key secret (32 hex digits). */
  readonly jsonAuthSecretArn: string;
  /** Region of the secrets. */
  readonly region: string;
  /** IRSA role External Secrets uses to read the secrets. */
  readonly secretsRoleArn: string;
  /** How often External Secrets re-reads the secrets. */
  readonly secretsRefreshInterval: string;
  /**
   * Service account of the External Secrets controller. When given, the chart lets it (and
   * only it) create tokens for the `guacamole-secrets` account, for an operator installed
   * without its cluster-wide `serviceaccounts/token` permission.
   * @default - the operator's own RBAC must allow it
   */
  readonly externalSecretsServiceAccount?: GuacamoleChartServiceAccount;
  /** Cron schedule of the rolling restart that picks up rotated database credentials. */
  readonly credentialRestartSchedule: string;
  /** Session recording storage. @default - no recording */
  readonly recording?: GuacamoleChartRecording;
  /** Give guacd a scratch directory for per-user virtual drives. */
  readonly driveRedirection: boolean;
  /**
   * Trust this desktop CA, and only it, for RDP certificates.
   * @default - guacd's image trust store
   */
  readonly rdpTrust?: DesktopCertificateIssuer;
}

/** Where guacd finds the desktop CA's root (a PEM file read through OpenSSL's `SSL_CERT_FILE`). */
export const GUACD_RDP_TRUST_PATH = '/etc/guacd/rdp-trust';
/** Certificate (and Secret) whose `ca.crt` carries the desktop CA's root into the gateway's namespace. */
const GUACD_RDP_TRUST = 'guacd-rdp-trust';

/** Label that selects the pods the SecurityGroupPolicy gives the Guacamole pod security group. */
export const POD_SECURITY_GROUP_LABEL = 'guacamole.desktops.aws/pod-security-group';
/** Where recordings live in guacd and in the web app (the web app's recording search path). */
export const RECORDINGS_PATH = '/var/lib/guacamole/recordings';
/** Where guacd keeps virtual drives. */
export const DRIVE_PATH = '/var/lib/guacamole/drive';
/** Header the ALB fills with the signed-in user's `sub` after Cognito authentication. */
export const IDENTITY_HEADER = 'x-amzn-oidc-identity';

const WEB = 'guacamole-web';
const GUACD = 'guacamole-guacd';
const DB_SECRET = 'guacamole-db';
const JSON_SECRET = 'guacamole-json-auth';
const SECRETS_SA = 'guacamole-secrets';
const WORKLOAD_SA = 'guacamole';
const RESTARTER = 'guacamole-web-restarter';
const RECORDINGS_CLAIM = 'guacamole-recordings';
const WEB_UID = 1001;
const GUACD_UID = 1000;
const ALB = ALB_ANNOTATION_PREFIX;

/**
 * The Kubernetes side of the Guacamole gateway.
 *
 * - guacd and the web app as Deployments (non-root, read-only root filesystem with emptyDirs
 *   where the images write, requests = limits, probes, PodDisruptionBudgets), ClusterIP
 *   Services (guacd 4822 internal; web 8080 behind the Ingress).
 * - External Secrets objects that copy the database and JSON-key secrets from Secrets
 *   Manager into Kubernetes Secrets, read by containers through `secretKeyRef` only.
 * - A SecurityGroupPolicy giving the Guacamole pods their own security group (the database,
 *   EFS and guacd accept that group; the web app accepts the load balancer only).
 * - An ALB Ingress (IP targets, HTTPS with HTTP redirect, Cognito authenticate action or
 *   OpenID in Guacamole, idle timeout, stickiness with more than one replica, WAF).
 * - The schema Job, the recordings volume and its prune CronJob, and the CronJob that rolls
 *   the web app onto rotated database credentials.
 *
 * Written with the typed Kubernetes bindings of cdk8s-plus (`k8s`) rather than its L2 classes:
 * the images run as fixed UIDs and need exact security contexts, probes and volumes that the
 * L2 defaults (UID 25000, default resources) would fight.
 */
export class GuacamoleChart extends Chart {
  /** Name of the web app Service (target of the Ingress). */
  public readonly webServiceName = WEB;
  /** Name of the guacd Service. */
  public readonly guacdServiceName = GUACD;
  /** Name of the schema Job (changes when the job's content changes, since Jobs are immutable). */
  public readonly schemaJobName: string;

  constructor(scope: Construct, id: string, props: GuacamoleChartProps) {
    // No chart-wide namespace: cdk8s would stamp it on the cluster-scoped objects too.
    super(scope, id, { labels: props.labels, disableResourceNameHashes: props.disableResourceNameHashes });
    const ns = props.namespace;
    const meta = (name: string, extra: Partial<ApiObjectMetadata> = {}): ApiObjectMetadata => ({
      name,
      namespace: ns,
      ...extra,
      labels: { 'app.kubernetes.io/part-of': 'guacamole', ...extra.labels },
    });

    // ---- namespace, service accounts, secrets -------------------------------------------
    new k8s.KubeNamespace(this, 'Namespace', {
      metadata: {
        name: ns,
        // Every pod here meets the restricted Pod Security Standard; enforce it.
        labels: { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'latest' },
      },
    });
    // External Secrets requests tokens for this account to assume the IRSA role; no pod runs as it.
    new k8s.KubeServiceAccount(this, 'SecretsServiceAccount', {
      metadata: meta(SECRETS_SA, { annotations: { 'eks.amazonaws.com/role-arn': props.secretsRoleArn } }),
      automountServiceAccountToken: false,
    });
    new k8s.KubeServiceAccount(this, 'WorkloadServiceAccount', {
      metadata: meta(WORKLOAD_SA),
      automountServiceAccountToken: false,
    });
    if (props.externalSecretsServiceAccount !== undefined) {
      const tokenCreator = 'guacamole-secrets-token-creator';
      new k8s.KubeRole(this, 'SecretsTokenRole', {
        metadata: meta(tokenCreator),
        rules: [{ apiGroups: [''], resources: ['serviceaccounts/token'], resourceNames: [SECRETS_SA], verbs: ['create'] }],
      });
      new k8s.KubeRoleBinding(this, 'SecretsTokenRoleBinding', {
        metadata: meta(tokenCreator),
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: tokenCreator },
        subjects: [{ kind: 'ServiceAccount', name: props.externalSecretsServiceAccount.name, namespace: props.externalSecretsServiceAccount.namespace }],
      });
    }
    new SecretStore(this, 'SecretStore', {
      metadata: meta('guacamole-aws'),
      spec: { provider: { aws: { service: 'SecretsManager', region: props.region, auth: { jwt: { serviceAccountRef: { name: SECRETS_SA } } } } } },
    });
    const externalSecret = (id2: string, name: string, data: Array<{ secretKey: string; key: string; property?: string }>) => new ExternalSecret(this, id2, {
      metadata: meta(name),
      spec: {
        refreshInterval: props.secretsRefreshInterval,
        secretStoreRef: { name: 'guacamole-aws', kind: 'SecretStore' },
        target: { name, creationPolicy: 'Owner' },
        data: data.map((d) => ({ secretKey: d.secretKey, remoteRef: { key: d.key, property: d.property } })),
      },
    });
    externalSecret('DatabaseSecret', DB_SECRET, [
      { secretKey: 'username', key: props.database.appSecretArn, property: 'username' },
      { secretKey: 'password', key: props.database.appSecretArn, property: 'password' },
    ]);
    // No Kubernetes Secret holds the master credentials: only the schema Job needs them, and
    // it fetches them itself into memory (see below).
    externalSecret('JsonAuthSecret', JSON_SECRET, [{ secretKey: 'secret-key', key: props.jsonAuthSecretArn }]);

    // Must exist before the pods: security groups are attached when a pod is created.
    new SecurityGroupPolicy(this, 'PodSecurityGroups', {
      metadata: meta('guacamole-pods'),
      spec: { podSelector: { matchLabels: { [POD_SECURITY_GROUP_LABEL]: 'true' } }, securityGroups: { groupIds: [props.podSecurityGroupId] } },
    });

    // ---- guacd ----------------------------------------------------------------------------
    if (props.rdpTrust !== undefined) {
      renderTrustAnchorCertificate(this, 'GuacdRdpTrust', { name: GUACD_RDP_TRUST, namespace: props.namespace, issuer: props.rdpTrust });
    }
    // Desktops' network policies admit RDP from pods with GUACD_POD_LABELS.
    const guacdLabels = { ...GUACD_POD_LABELS, 'app.kubernetes.io/instance': GUACD };
    const recordingVolume: k8s.Volume[] = props.recording ? [{ name: 'recordings', persistentVolumeClaim: { claimName: RECORDINGS_CLAIM } }] : [];
    new k8s.KubeDeployment(this, 'Guacd', {
      metadata: meta(GUACD, { labels: guacdLabels }),
      spec: {
        replicas: props.guacdReplicas,
        selector: { matchLabels: guacdLabels },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(0), maxSurge: k8s.IntOrString.fromNumber(1) } },
        template: {
          metadata: { labels: { ...guacdLabels, 'app.kubernetes.io/part-of': 'guacamole', [POD_SECURITY_GROUP_LABEL]: 'true' } },
          spec: {
            ...podDefaults(GUACD_UID),
            containers: [{
              name: 'guacd',
              image: GUACD_IMAGE,
              ports: [{ name: 'guacd', containerPort: 4822, protocol: 'TCP' }],
              env: [
                { name: 'GUACD_LOG_LEVEL', value: 'info' },
                // FreeRDP 2 (guacd 1.6.0's image) checks a server certificate against a store it
                // fills with OpenSSL's default paths (X509_STORE_set_default_paths, which honours
                // SSL_CERT_FILE) and then matches the host name: pointing SSL_CERT_FILE at the
                // desktop CA makes it the only CA guacd trusts for RDP. A new store is built per
                // connection, so a renewed root (the kubelet updates the mounted Secret) applies
                // without a restart.
                ...(props.rdpTrust !== undefined ? [{ name: 'SSL_CERT_FILE', value: `${GUACD_RDP_TRUST_PATH}/ca.crt` }] : []),
              ],
              resources: resources(props.guacdResources),
              securityContext: containerSecurity(GUACD_UID),
              startupProbe: { tcpSocket: { port: k8s.IntOrString.fromNumber(4822) }, periodSeconds: 5, failureThreshold: 24 },
              readinessProbe: { tcpSocket: { port: k8s.IntOrString.fromNumber(4822) }, periodSeconds: 10 },
              livenessProbe: { tcpSocket: { port: k8s.IntOrString.fromNumber(4822) }, periodSeconds: 20, failureThreshold: 3 },
              volumeMounts: [
                { name: 'tmp', mountPath: '/tmp' },
                // FreeRDP keeps its known-hosts and settings under $HOME.
                { name: 'home', mountPath: '/home/guacd' },
                ...(props.recording ? [{ name: 'recordings', mountPath: RECORDINGS_PATH }] : []),
                ...(props.driveRedirection ? [{ name: 'drive', mountPath: DRIVE_PATH }] : []),
                ...(props.rdpTrust !== undefined ? [{ name: 'rdp-trust', mountPath: GUACD_RDP_TRUST_PATH, readOnly: true }] : []),
              ],
            }],
            volumes: [
              { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('1Gi') } },
              { name: 'home', emptyDir: { sizeLimit: k8s.Quantity.fromString('256Mi') } },
              ...recordingVolume,
              ...(props.driveRedirection ? [{ name: 'drive', emptyDir: { sizeLimit: k8s.Quantity.fromString('10Gi') } }] : []),
              // Only the root: the trust anchor certificate's own key is never mounted.
              ...(props.rdpTrust !== undefined ? [{ name: 'rdp-trust', secret: { secretName: GUACD_RDP_TRUST, items: [{ key: 'ca.crt', path: 'ca.crt' }] } }] : []),
            ],
          },
        },
      },
    });
    new k8s.KubeService(this, 'GuacdService', {
      metadata: meta(GUACD),
      spec: { type: 'ClusterIP', selector: guacdLabels, ports: [{ name: 'guacd', port: 4822, targetPort: k8s.IntOrString.fromString('guacd'), protocol: 'TCP' }] },
    });
    disruptionBudget(this, 'GuacdDisruptionBudget', meta(GUACD), guacdLabels);

    // ---- web app --------------------------------------------------------------------------
    const webLabels = { 'app.kubernetes.io/name': 'guacamole', 'app.kubernetes.io/instance': WEB };
    new k8s.KubeDeployment(this, 'Web', {
      metadata: meta(WEB, { labels: webLabels }),
      spec: {
        replicas: props.webReplicas,
        selector: { matchLabels: webLabels },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(0), maxSurge: k8s.IntOrString.fromNumber(1) } },
        template: {
          metadata: { labels: { ...webLabels, 'app.kubernetes.io/part-of': 'guacamole', [POD_SECURITY_GROUP_LABEL]: 'true' } },
          spec: {
            ...podDefaults(WEB_UID),
            containers: [{
              name: 'guacamole',
              image: GUACAMOLE_IMAGE,
              ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
              env: webEnvironment(props),
              resources: resources(props.webResources),
              securityContext: containerSecurity(WEB_UID),
              startupProbe: { httpGet: { path: '/guacamole/', port: k8s.IntOrString.fromString('http') }, periodSeconds: 5, failureThreshold: 36 },
              readinessProbe: { httpGet: { path: '/guacamole/', port: k8s.IntOrString.fromString('http') }, periodSeconds: 10, timeoutSeconds: 5 },
              livenessProbe: { httpGet: { path: '/guacamole/', port: k8s.IntOrString.fromString('http') }, periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 3 },
              volumeMounts: [
                // The entrypoint builds GUACAMOLE_HOME and CATALINA_BASE under /tmp at every start.
                { name: 'tmp', mountPath: '/tmp' },
                ...(props.recording ? [{ name: 'recordings', mountPath: RECORDINGS_PATH, readOnly: true }] : []),
              ],
            }],
            volumes: [{ name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('1Gi') } }, ...recordingVolume],
          },
        },
      },
    });
    new k8s.KubeService(this, 'WebService', {
      metadata: meta(WEB),
      spec: { type: 'ClusterIP', selector: webLabels, ports: [{ name: 'http', port: 8080, targetPort: k8s.IntOrString.fromString('http'), protocol: 'TCP' }] },
    });
    disruptionBudget(this, 'WebDisruptionBudget', meta(WEB), webLabels);

    // ---- ingress --------------------------------------------------------------------------
    new k8s.KubeIngress(this, 'Ingress', {
      metadata: meta('guacamole', { annotations: ingressAnnotations(props) }),
      spec: {
        ingressClassName: props.ingressClassName,
        rules: [{
          host: props.hostname,
          http: {
            paths: [
              { path: '/', pathType: 'Exact', backend: { service: { name: 'guacamole-root', port: { name: 'use-annotation' } } } },
              { path: '/', pathType: 'Prefix', backend: { service: { name: WEB, port: { number: 8080 } } } },
            ],
          },
        }],
      },
    });

    // ---- schema job -----------------------------------------------------------------------
    const extract = extractSchemaScript();
    const fetchMaster = fetchMasterSecretScript();
    const apply = applySchemaScript();
    const digest = createHash('sha256')
      .update(JSON.stringify([AWS_CLI_IMAGE, GUACAMOLE_IMAGE, POSTGRES_CLIENT_IMAGE, fetchMaster, extract, apply, props.adminUsers, props.database.appUsername]))
      .digest('hex').slice(0, 10);
    this.schemaJobName = `guacamole-schema-${digest}`;
    const secretEnv = (name: string, secret: string, key: string): k8s.EnvVar => ({ name, valueFrom: { secretKeyRef: { name: secret, key } } });
    new k8s.KubeJob(this, 'SchemaJob', {
      metadata: meta(this.schemaJobName),
      spec: {
        backoffLimit: 10,
        activeDeadlineSeconds: 3600,
        ttlSecondsAfterFinished: 7 * 24 * 3600,
        template: {
          metadata: { labels: { 'app.kubernetes.io/name': 'guacamole-schema', 'app.kubernetes.io/part-of': 'guacamole', [POD_SECURITY_GROUP_LABEL]: 'true' } },
          spec: {
            ...podDefaults(WEB_UID),
            // The secrets reader's IRSA role: the first container reads the master secret from
            // Secrets Manager into an in-memory volume that lives only as long as this pod.
            serviceAccountName: SECRETS_SA,
            restartPolicy: 'OnFailure',
            initContainers: [{
              name: 'fetch-master-secret',
              image: AWS_CLI_IMAGE,
              command: ['/bin/sh', '-c', fetchMaster],
              env: [
                { name: 'MASTER_SECRET_ARN', value: props.database.masterSecretArn },
                // Fargate has no instance metadata to learn the region from.
                { name: 'AWS_REGION', value: props.region },
                { name: 'HOME', value: '/tmp' },
              ],
              resources: resources({ cpu: '100m', memory: '256Mi' }),
              securityContext: containerSecurity(WEB_UID),
              volumeMounts: [{ name: 'credentials', mountPath: CREDENTIALS_DIR }, { name: 'tmp', mountPath: '/tmp' }],
            }, {
              name: 'extract-schema',
              image: GUACAMOLE_IMAGE,
              command: ['/bin/sh', '-c', extract],
              resources: resources({ cpu: '250m', memory: '512Mi' }),
              securityContext: containerSecurity(WEB_UID),
              volumeMounts: [{ name: 'work', mountPath: SCHEMA_DIR }],
            }],
            containers: [{
              name: 'apply-schema',
              image: POSTGRES_CLIENT_IMAGE,
              command: ['/bin/sh', '-c', apply],
              env: [
                { name: 'PGHOST', value: props.database.hostname },
                { name: 'PGPORT', value: props.database.port },
                { name: 'PGDATABASE', value: props.database.databaseName },
                { name: 'APP_USERNAME', value: props.database.appUsername },
                secretEnv('APP_PASSWORD', DB_SECRET, 'password'),
                { name: 'ADMIN_USERS', value: props.adminUsers.join('\n') },
              ],
              resources: resources({ cpu: '250m', memory: '512Mi' }),
              securityContext: containerSecurity(WEB_UID),
              volumeMounts: [{ name: 'work', mountPath: SCHEMA_DIR }, { name: 'tmp', mountPath: '/tmp' }, { name: 'credentials', mountPath: CREDENTIALS_DIR }],
            }],
            volumes: [
              { name: 'work', emptyDir: { sizeLimit: k8s.Quantity.fromString('64Mi') } },
              { name: 'credentials', emptyDir: { medium: 'Memory', sizeLimit: k8s.Quantity.fromString('1Mi') } },
              { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('64Mi') } },
            ],
          },
        },
      },
    });

    // ---- recordings -----------------------------------------------------------------------
    if (props.recording) {
      const rec = props.recording;
      // EFS on Fargate is static provisioning only: one PV naming the access point, bound to
      // exactly one claim.
      new k8s.KubePersistentVolume(this, 'RecordingsVolume', {
        metadata: { name: `${ns}-recordings`, labels: { 'app.kubernetes.io/part-of': 'guacamole' } },
        spec: {
          capacity: { storage: k8s.Quantity.fromString('100Gi') },
          accessModes: ['ReadWriteMany'],
          persistentVolumeReclaimPolicy: 'Retain',
          storageClassName: '',
          volumeMode: 'Filesystem',
          claimRef: { namespace: ns, name: RECORDINGS_CLAIM },
          csi: { driver: 'efs.csi.aws.com', volumeHandle: `${rec.fileSystemId}::${rec.accessPointId}` },
        },
      });
      new k8s.KubePersistentVolumeClaim(this, 'RecordingsClaim', {
        metadata: meta(RECORDINGS_CLAIM),
        spec: {
          accessModes: ['ReadWriteMany'],
          storageClassName: '',
          volumeName: `${ns}-recordings`,
          resources: { requests: { storage: k8s.Quantity.fromString('100Gi') } },
        },
      });
      new k8s.KubeCronJob(this, 'PruneRecordings', {
        metadata: meta('guacamole-recordings-prune'),
        spec: {
          schedule: rec.pruneSchedule,
          concurrencyPolicy: 'Forbid',
          successfulJobsHistoryLimit: 1,
          failedJobsHistoryLimit: 3,
          jobTemplate: {
            spec: {
              backoffLimit: 2,
              activeDeadlineSeconds: 3600,
              template: {
                metadata: { labels: { 'app.kubernetes.io/name': 'guacamole-recordings-prune', 'app.kubernetes.io/part-of': 'guacamole', [POD_SECURITY_GROUP_LABEL]: 'true' } },
                spec: {
                  ...podDefaults(GUACD_UID),
                  restartPolicy: 'OnFailure',
                  containers: [{
                    name: 'prune',
                    image: GUACD_IMAGE,
                    command: ['/bin/sh', '-c', pruneRecordingsScript(RECORDINGS_PATH, rec.retentionDays)],
                    resources: resources({ cpu: '250m', memory: '256Mi' }),
                    securityContext: containerSecurity(GUACD_UID),
                    volumeMounts: [{ name: 'recordings', mountPath: RECORDINGS_PATH }],
                  }],
                  volumes: recordingVolume,
                },
              },
            },
          },
        },
      });
    }

    // ---- credential roll ------------------------------------------------------------------
    // The web app reads POSTGRESQL_USERNAME/PASSWORD once, at start. Multi-user rotation keeps
    // the previous credentials valid for a whole rotation period, External Secrets copies the
    // new ones within `secretsRefreshInterval`, and this CronJob rolls the web app (one pod at
    // a time, as the Deployment strategy and PDB allow) more often than the rotation period, so
    // no running pod ever holds credentials that have been changed. guacd holds no credentials.
    new k8s.KubeServiceAccount(this, 'RestarterServiceAccount', { metadata: meta(RESTARTER), automountServiceAccountToken: true });
    new k8s.KubeRole(this, 'RestarterRole', {
      metadata: meta(RESTARTER),
      rules: [{ apiGroups: ['apps'], resources: ['deployments'], resourceNames: [WEB], verbs: ['get', 'patch'] }],
    });
    new k8s.KubeRoleBinding(this, 'RestarterRoleBinding', {
      metadata: meta(RESTARTER),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: RESTARTER },
      subjects: [{ kind: 'ServiceAccount', name: RESTARTER, namespace: ns }],
    });
    new k8s.KubeCronJob(this, 'RestartWeb', {
      metadata: meta('guacamole-web-restart'),
      spec: {
        schedule: props.credentialRestartSchedule,
        concurrencyPolicy: 'Forbid',
        successfulJobsHistoryLimit: 1,
        failedJobsHistoryLimit: 3,
        jobTemplate: {
          spec: {
            backoffLimit: 3,
            template: {
              metadata: { labels: { 'app.kubernetes.io/name': RESTARTER, 'app.kubernetes.io/part-of': 'guacamole' } },
              spec: {
                ...podDefaults(65532),
                serviceAccountName: RESTARTER,
                automountServiceAccountToken: true,
                restartPolicy: 'OnFailure',
                containers: [{
                  name: 'kubectl',
                  image: KUBECTL_IMAGE,
                  command: ['kubectl', 'rollout', 'restart', `deployment/${WEB}`, `--namespace=${ns}`],
                  resources: resources({ cpu: '250m', memory: '256Mi' }),
                  securityContext: containerSecurity(65532),
                }],
              },
            },
          },
        },
      },
    });
  }
}

/** Pod-level defaults: Linux, non-root with a fixed UID, no service account token. */
function podDefaults(uid: number): k8s.PodSpec {
  return {
    containers: [],
    serviceAccountName: WORKLOAD_SA,
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    nodeSelector: { 'kubernetes.io/os': 'linux' },
    securityContext: restrictedPodSecurityContext(uid),
  };
}

function containerSecurity(uid: number): k8s.SecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    privileged: false,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

function resources(r: GuacamoleChartResources): k8s.ResourceRequirements {
  const values = { cpu: k8s.Quantity.fromString(r.cpu), memory: k8s.Quantity.fromString(r.memory) };
  return { requests: values, limits: values };
}

/** One pod may be evicted at a time (Fargate patching drains pods through evictions). */
function disruptionBudget(scope: Construct, id: string, metadata: ApiObjectMetadata, selector: Record<string, string>): void {
  new k8s.KubePodDisruptionBudget(scope, id, {
    metadata,
    spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: selector } },
  });
}

/** Environment of the web app: only names the guacamole/guacamole 1.6.0 image reads. */
function webEnvironment(props: GuacamoleChartProps): k8s.EnvVar[] {
  const env: k8s.EnvVar[] = [
    { name: 'GUACD_HOSTNAME', value: GUACD },
    { name: 'GUACD_PORT', value: '4822' },
    { name: 'POSTGRESQL_HOSTNAME', value: props.database.hostname },
    { name: 'POSTGRESQL_PORT', value: props.database.port },
    { name: 'POSTGRESQL_DATABASE', value: props.database.databaseName },
    { name: 'POSTGRESQL_USERNAME', valueFrom: { secretKeyRef: { name: DB_SECRET, key: 'username' } } },
    { name: 'POSTGRESQL_PASSWORD', valueFrom: { secretKeyRef: { name: DB_SECRET, key: 'password' } } },
    { name: 'POSTGRESQL_SSL_MODE', value: 'require' },
    // SSO users get a database account on first sign-in (history, preferences, TOTP key).
    { name: 'POSTGRESQL_AUTO_CREATE_ACCOUNTS', value: 'true' },
    // Encrypted JSON carries per-session connections; it must be tried before the SSO
    // extensions, which would otherwise authenticate the request first and ignore `data`.
    { name: 'JSON_SECRET_KEY', valueFrom: { secretKeyRef: { name: JSON_SECRET, key: 'secret-key' } } },
    { name: 'EXTENSION_PRIORITY', value: 'json' },
    // Behind the ALB: client addresses come from X-Forwarded-For (the ban extension needs them).
    { name: 'REMOTE_IP_VALVE_ENABLED', value: 'true' },
  ];
  if (props.cognito) {
    env.push({ name: 'HTTP_AUTH_ENABLED', value: 'true' }, { name: 'HTTP_AUTH_HEADER', value: IDENTITY_HEADER });
  }
  if (props.openId) {
    const o = props.openId;
    env.push(
      { name: 'OPENID_AUTHORIZATION_ENDPOINT', value: o.authorizationEndpoint },
      { name: 'OPENID_JWKS_ENDPOINT', value: o.jwksEndpoint },
      { name: 'OPENID_ISSUER', value: o.issuer },
      { name: 'OPENID_CLIENT_ID', value: o.clientId },
      { name: 'OPENID_REDIRECT_URI', value: `https://${props.hostname}/guacamole/` },
      { name: 'OPENID_USERNAME_CLAIM_TYPE', value: o.usernameClaimType ?? 'email' },
      { name: 'OPENID_SCOPE', value: o.scope ?? 'openid email profile' },
    );
    if (o.groupsClaimType !== undefined) env.push({ name: 'OPENID_GROUPS_CLAIM_TYPE', value: o.groupsClaimType });
  }
  if (props.totp) {
    env.push({ name: 'TOTP_ENABLED', value: 'true' }, { name: 'TOTP_ISSUER', value: props.hostname });
  }
  if (props.recording) {
    env.push({ name: 'RECORDING_SEARCH_PATH', value: RECORDINGS_PATH });
  }
  return env;
}

/** Annotations of the Ingress: only names the AWS Load Balancer Controller documents. */
function ingressAnnotations(props: GuacamoleChartProps): Record<string, string> {
  const loadBalancerAttributes = [
    `idle_timeout.timeout_seconds=${props.idleTimeoutSeconds}`,
    'routing.http.drop_invalid_header_fields.enabled=true',
  ];
  const annotations: Record<string, string> = {
    [`${ALB}scheme`]: props.internetFacing ? 'internet-facing' : 'internal',
    // Fargate pods can only be IP targets.
    [`${ALB}target-type`]: 'ip',
    [`${ALB}listen-ports`]: JSON.stringify([{ HTTP: 80 }, { HTTPS: 443 }]),
    [`${ALB}ssl-redirect`]: '443',
    [`${ALB}certificate-arn`]: props.certificateArn,
    [`${ALB}ssl-policy`]: props.sslPolicy,
    [`${ALB}backend-protocol`]: 'HTTP',
    [`${ALB}healthcheck-path`]: '/guacamole/',
    [`${ALB}success-codes`]: '200',
    [`${ALB}load-balancer-attributes`]: loadBalancerAttributes.join(','),
    // The gateway owns the load balancer's security group (and its CIDR allow-list; the
    // controller ignores inbound-cidrs once security-groups is set) and the pod group's rule
    // that admits it: the controller must not add rules of its own.
    [`${ALB}security-groups`]: props.albSecurityGroupId,
    [`${ALB}manage-backend-security-group-rules`]: 'false',
    [`${ALB}actions.guacamole-root`]: JSON.stringify({ type: 'redirect', redirectConfig: { path: '/guacamole/', statusCode: 'HTTP_302' } }),
  };
  if (props.webReplicas > 1) {
    // The web app keeps each session's tunnel in memory: keep a browser on one pod.
    annotations[`${ALB}target-group-attributes`] = 'stickiness.enabled=true,stickiness.type=lb_cookie,stickiness.lb_cookie.duration_seconds=86400';
  }
  if (props.cognito) {
    const c = props.cognito;
    annotations[`${ALB}auth-type`] = 'cognito';
    annotations[`${ALB}auth-idp-cognito`] = JSON.stringify({ userPoolARN: c.userPoolArn, userPoolClientID: c.userPoolClientId, userPoolDomain: c.userPoolDomain });
    annotations[`${ALB}auth-scope`] = 'openid email';
    annotations[`${ALB}auth-on-unauthenticated-request`] = 'authenticate';
    annotations[`${ALB}auth-session-timeout`] = String(c.sessionTimeoutSeconds);
  }
  if (props.wafWebAclArn !== undefined) {
    annotations[`${ALB}wafv2-acl-arn`] = props.wafWebAclArn;
  }
  if (props.ingressGroupName !== undefined) {
    annotations[`${ALB}group.name`] = props.ingressGroupName;
  }
  return annotations;
}
