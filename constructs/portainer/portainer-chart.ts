import { Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-29';
import { Construct } from 'constructs';
import { ALB_ANNOTATION_PREFIX, APP_NAME_LABEL, APP_PART_OF_LABEL } from '../common/well-known';
import { AWS_CLI_IMAGE, PORTAINER_IMAGE } from '../common/versions';

/** Port of Portainer's HTTP listener (TLS ends at the load balancer). */
export const PORTAINER_HTTP_PORT = 9000;
const NAME = 'portainer';
const ALB = ALB_ANNOTATION_PREFIX;
const PASSWORD_DIR = '/run/portainer-admin';
const PASSWORD_FILE = `${PASSWORD_DIR}/password`;

/** Resolved settings of the Portainer chart (see `PortainerProps` for their meaning). */
export interface PortainerChartProps {
  readonly namespace: string;
  /** IAM role of the service account (IRSA), allowed to read the admin password secret only. */
  readonly serviceAccountRoleArn: string;
  readonly adminPasswordSecretArn: string;
  readonly region: string;
  /** Built-in ClusterRole bound to Portainer's service account (`view`, `edit` or `cluster-admin`). */
  readonly clusterRoleName: string;
  readonly fileSystemId: string;
  readonly accessPointId: string;
  readonly certificateArn: string;
  readonly sslPolicy: string;
  readonly internetFacing: boolean;
  /**
   * Host name the Ingress answers for.
   * @default - any host name
   */
  readonly hostname?: string;
}

/**
 * Portainer CE on Fargate: one replica (Portainer keeps its database on its volume, so two
 * would corrupt it) with its data on EFS (static provisioning, the only kind Fargate supports),
 * behind an ALB Ingress that ends TLS.
 *
 * The admin password never appears in a manifest: an init container reads it from Secrets
 * Manager with the pod's IRSA role into a memory-backed volume, and Portainer reads it from
 * there at first start (`--admin-password-file`).
 */
export class PortainerChart extends Chart {
  constructor(scope: Construct, id: string, props: PortainerChartProps) {
    super(scope, id);
    const ns = props.namespace;
    const labels = { [APP_NAME_LABEL]: NAME, [APP_PART_OF_LABEL]: NAME };
    const meta = (name: string, extra: Partial<k8s.ObjectMeta> = {}): k8s.ObjectMeta => ({ name, namespace: ns, labels, ...extra });
    const volumeName = `${ns}-portainer-data`;
    const claimName = 'portainer-data';
    const restricted: k8s.SecurityContext = { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } };

    new k8s.KubeNamespace(this, 'Namespace', { metadata: { name: ns, labels } });
    new k8s.KubeServiceAccount(this, 'ServiceAccount', {
      metadata: meta(NAME, { annotations: { 'eks.amazonaws.com/role-arn': props.serviceAccountRoleArn } }),
    });
    new k8s.KubeClusterRoleBinding(this, 'ClusterAccess', {
      metadata: { name: `${ns}-portainer`, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: props.clusterRoleName },
      subjects: [{ kind: 'ServiceAccount', name: NAME, namespace: ns }],
    });

    new k8s.KubePersistentVolume(this, 'DataVolume', {
      metadata: { name: volumeName, labels },
      spec: {
        capacity: { storage: k8s.Quantity.fromString('10Gi') },
        accessModes: ['ReadWriteOnce'],
        persistentVolumeReclaimPolicy: 'Retain',
        storageClassName: '',
        volumeMode: 'Filesystem',
        claimRef: { namespace: ns, name: claimName },
        csi: { driver: 'efs.csi.aws.com', volumeHandle: `${props.fileSystemId}::${props.accessPointId}` },
      },
    });
    new k8s.KubePersistentVolumeClaim(this, 'DataClaim', {
      metadata: meta(claimName),
      spec: {
        accessModes: ['ReadWriteOnce'],
        storageClassName: '',
        volumeName,
        resources: { requests: { storage: k8s.Quantity.fromString('10Gi') } },
      },
    });

    const resources: k8s.ResourceRequirements = {
      requests: { cpu: k8s.Quantity.fromString('500m'), memory: k8s.Quantity.fromString('1Gi') },
      limits: { cpu: k8s.Quantity.fromString('500m'), memory: k8s.Quantity.fromString('1Gi') },
    };
    new k8s.KubeDeployment(this, 'Deployment', {
      metadata: meta(NAME),
      spec: {
        replicas: 1,
        // Never two pods on the same database, not even during a rollout.
        strategy: { type: 'Recreate' },
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: NAME,
            automountServiceAccountToken: true,
            initContainers: [{
              name: 'admin-password',
              image: AWS_CLI_IMAGE,
              command: ['sh', '-ec', `umask 077; aws secretsmanager get-secret-value --secret-id "$SECRET_ARN" --query SecretString --output text > ${PASSWORD_FILE}`],
              env: [
                { name: 'SECRET_ARN', value: props.adminPasswordSecretArn },
                // Fargate has no instance metadata to learn the region from.
                { name: 'AWS_REGION', value: props.region },
                { name: 'HOME', value: '/tmp' },
              ],
              securityContext: restricted,
              resources,
              volumeMounts: [{ name: 'admin-password', mountPath: PASSWORD_DIR }, { name: 'tmp', mountPath: '/tmp' }],
            }],
            containers: [{
              name: NAME,
              image: PORTAINER_IMAGE,
              args: ['--admin-password-file', PASSWORD_FILE],
              ports: [{ name: 'http', containerPort: PORTAINER_HTTP_PORT, protocol: 'TCP' }],
              securityContext: restricted,
              resources,
              readinessProbe: { httpGet: { path: '/api/system/status', port: k8s.IntOrString.fromString('http') }, periodSeconds: 10 },
              livenessProbe: { httpGet: { path: '/api/system/status', port: k8s.IntOrString.fromString('http') }, initialDelaySeconds: 60, periodSeconds: 20 },
              volumeMounts: [
                { name: 'data', mountPath: '/data' },
                { name: 'admin-password', mountPath: PASSWORD_DIR, readOnly: true },
              ],
            }],
            volumes: [
              { name: 'data', persistentVolumeClaim: { claimName } },
              { name: 'admin-password', emptyDir: { medium: 'Memory', sizeLimit: k8s.Quantity.fromString('1Mi') } },
              { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('64Mi') } },
            ],
          },
        },
      },
    });

    new k8s.KubeService(this, 'Service', {
      metadata: meta(NAME),
      spec: { type: 'ClusterIP', selector: labels, ports: [{ name: 'http', port: PORTAINER_HTTP_PORT, targetPort: k8s.IntOrString.fromString('http'), protocol: 'TCP' }] },
    });

    new k8s.KubeIngress(this, 'Ingress', {
      metadata: meta(NAME, {
        annotations: {
          [`${ALB}scheme`]: props.internetFacing ? 'internet-facing' : 'internal',
          // Fargate pods can only be IP targets.
          [`${ALB}target-type`]: 'ip',
          [`${ALB}listen-ports`]: JSON.stringify([{ HTTPS: 443 }]),
          [`${ALB}certificate-arn`]: props.certificateArn,
          [`${ALB}ssl-policy`]: props.sslPolicy,
          [`${ALB}backend-protocol`]: 'HTTP',
          [`${ALB}healthcheck-path`]: '/api/system/status',
          [`${ALB}load-balancer-attributes`]: 'routing.http.drop_invalid_header_fields.enabled=true',
        },
      }),
      spec: {
        ingressClassName: 'alb',
        rules: [{
          host: props.hostname,
          http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: NAME, port: { number: PORTAINER_HTTP_PORT } } } }] },
        }],
      },
    });
  }
}
