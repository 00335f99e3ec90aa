import { Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import * as cdk8s from 'cdk8s';
import { Construct, IDependable } from 'constructs';
import { createServiceAccountRole, dependOnAlbController } from '../common/eks-cluster';
import { claimUnique } from '../common/uniqueness';
import { validateDns1123Label } from '../common/validate';
import { addWarning } from '../common/warnings';
import { ValidationError } from '../common/validation-error';
import { GuacamoleGateway } from '../guacamole/guacamole-gateway';
import { NodeDesktops } from '../node-desktops/node-desktops';
import { SessionAccountKind } from '../node-desktops/session-script';
import { DesktopSessionServiceChart } from './desktop-session-service-chart';
import { DEFAULT_SESSIONS_NAMESPACE } from './resources';
import { runtimeImageContext } from './runtime-image';

/**
 * Properties of {@link DesktopSessionService}.
 */
export interface DesktopSessionServiceProps {
  /** The gateway users sign in through; its ALB, Cognito sign-in, database and JSON key are used. */
  readonly gateway: GuacamoleGateway;

  /** `DesktopClass` of the sessions the sign-in broker starts (create the class with the SDK or kubectl). */
  readonly desktopClass: string;

  /**
   * Namespace of the controller, the broker and the DesktopSessions. It must be selected by a
   * Fargate profile (`DesktopCluster.systemNamespaces`).
   * @default 'desktop-sessions'
   */
  readonly namespace?: string;

  /**
   * Image of the controller and broker.
   * @default - built by CDK (`cdk deploy` needs Docker; `cdk synth` does not): from the
   * installed package's prebuilt context `dist/runtime-image/`, or, in a clone of the
   * repository, from the sources with `constructs/sessions/Dockerfile`
   */
  readonly image?: string;

  /**
   * Replicas of the controller (one leads through a Lease) and of the broker.
   * @default 2
   */
  readonly replicas?: number;

  /**
   * ARN of the gateway's ALB, which signs the identity tokens the broker verifies. The ALB is
   * created by the AWS Load Balancer Controller after the first deploy: until its ARN is given
   * here the broker is installed with 0 replicas (it cannot verify anyone).
   * @default - broker scaled to 0, with a synth warning
   */
  readonly loadBalancerArn?: string;

  /**
   * Path the broker is served under on the gateway's host name.
   * @default '/portal'
   */
  readonly basePath?: string;

  /**
   * User ids (Cognito `sub`) allowed on the broker's admin page.
   * @default - nobody
   */
  readonly adminUserIds?: string[];

  /**
   * Something the Kubernetes objects must wait for, e.g. `DesktopCluster.systemReady` (the load
   * balancer controller's webhooks must run before a Service or Ingress is created).
   * @default - no extra dependency (the gateway's manifest is still waited for)
   */
  readonly clusterReady?: IDependable;

  /**
   * The node-desktop pool whose desktops sessions of `Node` classes get: the controller renders
   * them from the pool's session template (the `<pool>-session-template` ConfigMap) and gets a
   * Role in the pool's namespace only (session pods, Services, password Secrets, RDP
   * Certificates: exactly what a session writes there). With local accounts the broker may read
   * Secrets in that namespace, to hand the session's password to Guacamole so the user is signed
   * in without typing it. Must be in the gateway's cluster; its certificate authority, if any,
   * must be the gateway's `rdpCertificateAuthority` (the broker then has guacd verify each
   * desktop's certificate). Use a shared pool: per-user NodePools exist only for the users known
   * at synth time. One pool serves one `DesktopSessionService` (a second is refused at synth
   * time: both would write the same Roles in the pool's namespace).
   * @default - none: sessions of Node classes fail ("no renderer for Node desktops")
   */
  readonly nodeDesktops?: NodeDesktops;

  /**
   * Claim of the ALB's identity token (the IdP's user claims) that holds the user's Windows
   * account name in the directory (sAMAccountName), e.g. `custom:samaccountname` for a Cognito
   * custom attribute the app client may read. The broker puts it into each session it starts
   * (`spec.windowsAccount`), which sessions of a `nodeDesktops` pool that joins a directory
   * need. A sign-in without the claim, or with a value that is no valid account name (1 to 20
   * characters, none of `"/\[]:;|=,+*?<>@`), gets an error page and no session.
   * @default - none: the broker starts sessions without an account (a directory pool's sessions
   * then fail with `WindowsAccountRequired`; synth warning)
   */
  readonly windowsAccountClaim?: string;
}

/** A claim name as it appears in a JWT: printable, no spaces (Cognito custom attributes: `custom:<name>`). */
const CLAIM_NAME = /^[!-~]{1,128}$/;

const BASE_PATH = /^\/[a-z0-9-]+$/;

/**
 * Installs the session runtime: the DesktopSession and DesktopClass CRDs, the controller and the
 * sign-in broker on Fargate, their least-privilege RBAC, IRSA for the database and JSON-key
 * secrets, pod security groups (the database admits the controller; the ALB admits the broker)
 * and the broker's route on the gateway's ALB.
 *
 * The gateway must use Cognito at the ALB (the broker verifies the ALB's token) and set
 * `ingressGroupName` (the broker's Ingress joins its load balancer).
 */
export class DesktopSessionService extends Construct {
  /** Namespace of the runtime and the sessions. */
  public readonly namespace: string;
  /** The image the runtime runs. */
  public readonly image: string;
  /** The Kubernetes side. */
  public readonly chart: DesktopSessionServiceChart;
  /** The applied manifest (depend on it to create DesktopClasses). */
  public readonly manifest: Construct;
  /** Security group of the controller pods. */
  public readonly controllerSecurityGroup: ec2.ISecurityGroup;
  /** Security group of the broker pods. */
  public readonly brokerSecurityGroup: ec2.ISecurityGroup;
  /** The broker's address, e.g. `https://desktops.example.com/portal/`. */
  public readonly url: string;
  /** The node-desktop pool Node sessions use, if any. */
  public readonly nodeDesktops?: NodeDesktops;

  constructor(scope: Construct, id: string, props: DesktopSessionServiceProps) {
    super(scope, id);
    const p = 'DesktopSessionService';

    // Defaults.
    const gateway = props.gateway;
    const namespace = props.namespace ?? DEFAULT_SESSIONS_NAMESPACE;
    const replicas = props.replicas ?? 2;
    const basePath = props.basePath ?? '/portal';
    const adminUserIds = props.adminUserIds ?? [];

    // Validation.
    ValidationError.within(this, () => {
      validateDns1123Label(`${p}.namespace`, namespace);
      validateDns1123Label(`${p}.desktopClass`, props.desktopClass);
      if (!Token.isUnresolved(replicas) && (!Number.isInteger(replicas) || replicas < 1 || replicas > 10)) {
        throw new ValidationError(`${p}.replicas`, `got ${replicas}; give 1 to 10 (2 keeps a standby controller and broker).`);
      }
      if (!BASE_PATH.test(basePath) || basePath === '/guacamole') {
        throw new ValidationError(`${p}.basePath`, `"${basePath}" must be one lowercase path segment such as "/portal" (not "/guacamole", the gateway's).`);
      }
      if (props.loadBalancerArn !== undefined && !Token.isUnresolved(props.loadBalancerArn) && !/^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:loadbalancer\/app\/.+/.test(props.loadBalancerArn)) {
        throw new ValidationError(`${p}.loadBalancerArn`, `"${props.loadBalancerArn}" is not an Application Load Balancer ARN (arn:aws:elasticloadbalancing:<region>:<account>:loadbalancer/app/<name>/<id>).`);
      }
      if (gateway.sso === undefined) {
        throw new ValidationError(`${p}.gateway`, 'the gateway does not sign users in with Cognito at the ALB; the broker verifies the ALB\'s identity token, so give the gateway Cognito sign-in.');
      }
      if (props.nodeDesktops !== undefined && props.nodeDesktops.karpenter.cluster !== gateway.cluster) {
        throw new ValidationError(`${p}.nodeDesktops`, `the node desktops at ${props.nodeDesktops.node.path} are in another cluster than the gateway; give a NodeDesktops of the gateway's cluster (the controller creates their sessions in its own cluster).`);
      }
      if (props.nodeDesktops !== undefined) {
        // Both would write the controller's and the broker's Roles in the pool's namespace, and the
        // last applied would silently replace the other's (and each controller would render the
        // other's users' session pods, which are named after the user alone).
        claimUnique(props.nodeDesktops, 'the session service of this pool', '', this, `${p}.nodeDesktops`,
          'Two DesktopSessionServices on one NodeDesktops would overwrite each other\'s Roles in the pool\'s namespace: give each service its own NodeDesktops pool, or serve both desktop classes from one service.');
      }
      // After the pool's claim (the more specific message for two services on one pool): the CRDs,
      // the ClusterRole and ClusterRoleBinding and the ValidatingAdmissionPolicy have fixed names,
      // so a second service would silently replace the first's (and two controllers would both
      // act on every DesktopClass's warm slots).
      claimUnique(gateway.cluster, 'the session service of this cluster', '', this, `${p}.gateway`,
        'A cluster has one DesktopSessionService: its CRDs, ClusterRole "desktop-session-controller" and ValidatingAdmissionPolicy "desktop-session-controller-nodes" are cluster-wide with fixed names, and a second would overwrite them. Serve every desktop class from one service (DesktopClasses are cluster-wide; one service runs sessions of all of them).');
      if (props.windowsAccountClaim !== undefined && !Token.isUnresolved(props.windowsAccountClaim) && !CLAIM_NAME.test(props.windowsAccountClaim)) {
        throw new ValidationError(`${p}.windowsAccountClaim`, `${JSON.stringify(props.windowsAccountClaim)} is not a token claim name; give 1 to 128 printable characters without spaces, e.g. "custom:samaccountname".`);
      }
      const poolCa = props.nodeDesktops?.certificateAuthority;
      if (poolCa !== undefined && gateway.rdpCertificateAuthority?.issuerName !== poolCa.issuerName) {
        throw new ValidationError(`${p}.nodeDesktops`, `the node desktops' certificates come from the CA "${poolCa.issuerName}", which the gateway does not trust (its rdpCertificateAuthority is ${gateway.rdpCertificateAuthority === undefined ? 'not set' : `"${gateway.rdpCertificateAuthority.issuerName}"`}); give the gateway and the pool the same DesktopCertificateAuthority.`);
      }
      if (gateway.ingressGroupName === undefined) {
        throw new ValidationError(`${p}.gateway`, 'the gateway\'s Ingress has no ingressGroupName; set one (e.g. ingressGroupName: "desktops") so the broker\'s route joins the gateway\'s load balancer.');
      }
    });
    if (props.nodeDesktops !== undefined && props.nodeDesktops.certificateAuthority === undefined) {
      addWarning(this, 'node-desktops-trust-on-first-use', `The node desktops at ${props.nodeDesktops.node.path} have no certificate authority: guacd trusts each desktop's certificate on first use, and refuses a user's next session (a new node under the same Service name) from a guacd pod that pinned the previous one. Give the pool and the gateway a DesktopCertificateAuthority.`);
    }
    if (props.nodeDesktops?.sessionTemplate.script.account === SessionAccountKind.DOMAIN && props.windowsAccountClaim === undefined) {
      addWarning(this, 'directory-without-windows-account-claim', `The node desktops at ${props.nodeDesktops.node.path} join a directory: their sessions need the user's sAMAccountName, and without windowsAccountClaim the broker starts sessions without one (they fail with WindowsAccountRequired). Set windowsAccountClaim, or create sessions with the SDK's windowsAccount.`);
    }
    if (props.loadBalancerArn === undefined) {
      addWarning(this, 'broker-scaled-to-zero', 'The sign-in broker is installed with 0 replicas until loadBalancerArn (the gateway ALB\'s ARN, known after the first deploy) is given.');
    }
    const sso = gateway.sso!;
    const region = Stack.of(this).region;

    // Image: from the package's prebuilt context (or the repository's sources) unless given.
    const image = props.image ?? this.buildImage(p);

    // Pod security groups: the controller reads the Guacamole database; the broker is reached by the ALB only.
    const vpc = gateway.cluster.vpc;
    this.controllerSecurityGroup = new ec2.SecurityGroup(this, 'ControllerSecurityGroup', { vpc, description: 'Desktop session controller pods: database and Kubernetes API', allowAllOutbound: true });
    this.brokerSecurityGroup = new ec2.SecurityGroup(this, 'BrokerSecurityGroup', { vpc, description: 'Desktop session sign-in broker pods: reached by the gateway ALB only', allowAllOutbound: true });
    gateway.database.connections.allowDefaultPortFrom(this.controllerSecurityGroup, 'Guacamole connection history read by the session controller');
    this.brokerSecurityGroup.connections.allowFrom(gateway.loadBalancerSecurityGroup, ec2.Port.tcp(8080), 'Sign-in broker from the gateway load balancer');

    // IRSA: External Secrets copies the database credentials and the JSON key into the namespace.
    const secretsRole = createServiceAccountRole(this, 'SecretsRole', gateway.cluster, namespace, 'desktop-sessions-secrets');
    gateway.database.appSecret.grantRead(secretsRole);
    gateway.jsonAuthSecret.grantRead(secretsRole);

    this.chart = new DesktopSessionServiceChart(new cdk8s.App(), 'DesktopSessions', {
      namespace,
      image,
      replicas,
      desktopClass: props.desktopClass,
      guacamoleUrl: gateway.url,
      gatewayNamespace: gateway.namespace,
      hostname: gateway.hostname,
      basePath,
      database: { hostname: gateway.database.hostname, port: gateway.database.port, databaseName: gateway.database.databaseName, appSecretArn: gateway.database.appSecret.secretArn },
      jsonAuthSecretArn: gateway.jsonAuthSecret.secretArn,
      region,
      secretsRoleArn: secretsRole.roleArn,
      oidc: {
        issuer: `https://cognito-idp.${region}.amazonaws.com/${sso.userPool.userPoolId}`,
        clientId: sso.userPoolClient.userPoolClientId,
        userPoolArn: sso.userPool.userPoolArn,
        userPoolDomain: sso.domainPrefix,
      },
      loadBalancerArn: props.loadBalancerArn,
      adminUserIds,
      ingressClassName: gateway.ingressClassName,
      ingressGroupName: gateway.ingressGroupName!,
      controllerSecurityGroupId: this.controllerSecurityGroup.securityGroupId,
      brokerSecurityGroupId: this.brokerSecurityGroup.securityGroupId,
      nodeDesktopTemplate: props.nodeDesktops?.sessionTemplate,
      windowsAccountClaim: props.windowsAccountClaim,
    });
    this.manifest = gateway.cluster.addCdk8sChart(`${id}-manifests`, this.chart);
    // The ExternalSecrets need the operator the gateway installs; the Ingress joins the gateway's group.
    this.manifest.node.addDependency(gateway.manifest, secretsRole);
    if (props.clusterReady !== undefined) this.manifest.node.addDependency(props.clusterReady);
    // The Roles in the pool's namespace need the namespace; the controller reads the template at start.
    if (props.nodeDesktops !== undefined) this.manifest.node.addDependency(props.nodeDesktops.manifest);
    // The load balancer controller's webhooks admit the Services and the Ingress.
    dependOnAlbController(this.manifest, gateway.cluster);

    this.namespace = namespace;
    this.image = image;
    this.url = `https://${gateway.hostname}${basePath}/`;
    this.nodeDesktops = props.nodeDesktops;
  }

  private buildImage(p: string): string {
    const context = runtimeImageContext();
    if (context === undefined) {
      throw new ValidationError(`${p}.image`, 'no image given and no build context found (neither dist/runtime-image/ of the installed package nor the repository\'s sources); reinstall eks-windows-desktops or pass image: "<registry>/<repository>:<tag>".');
    }
    return new ecrAssets.DockerImageAsset(this, 'Image', {
      directory: context.directory,
      file: context.file,
      exclude: context.exclude,
      platform: ecrAssets.Platform.LINUX_AMD64,
    }).imageUri;
  }
}
