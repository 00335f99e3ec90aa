import { Annotations, Duration, Names, Stack } from 'aws-cdk-lib';
import { CfnFargateProfile } from 'aws-cdk-lib/aws-eks';
import * as cdk8s from 'cdk8s';
import { Construct, DependencyGroup, IConstruct, IDependable } from 'constructs';
import { dependOnAlbController, IEksCluster } from '../common/eks-cluster';
import { checkProps, describeValue, isBoolean, isConstruct, isNumber, isShape, isString, required, validateDns1123Label, validateInteger } from '../common/validate';
import { reportsConstructPath, ValidationError } from '../common/validation-error';
import { CERT_MANAGER_CHART_REPOSITORY, CERT_MANAGER_VERSION } from '../common/versions';
import { DesktopCertificateAuthorityChart } from './desktop-certificate-authority-chart';

/** The Fargate kubelet listens here: no pod on Fargate may bind it. */
const FARGATE_KUBELET_PORT = 10250;

/**
 * A cert-manager issuer that signs desktop RDP certificates, and whose CA the gateway's guacd
 * trusts. Implemented by {@link DesktopCertificateAuthority}.
 */
export interface IDesktopCertificateAuthority extends IConstruct {
  /** Name of the cert-manager ClusterIssuer. */
  readonly issuerName: string;
  /** Kind of the issuer (always a ClusterIssuer: desktops and the gateway live in different namespaces). */
  readonly issuerKind: 'ClusterIssuer';
  /** Done when the issuer exists: apply Certificates that use it after this. */
  readonly ready: IDependable;
}

/** Helm values this construct sets on the cert-manager chart (keys of its values.yaml at the pinned tag). */
interface CertManagerValues {
  readonly crds: { readonly enabled: boolean; readonly keep: boolean };
  /** A desktop's key pair goes with its Certificate (the end of the session), not later. */
  readonly enableCertificateOwnerRef: boolean;
  /** The chart's default 10250 is the Fargate kubelet's port: the webhook would never start. */
  readonly webhook: { readonly securePort: number };
}

/** Props of {@link DesktopCertificateAuthority}. */
export interface DesktopCertificateAuthorityProps {
  /** The cluster. */
  readonly cluster: IEksCluster;

  /**
   * Namespace of cert-manager (created). Its pods need somewhere to run: give the namespace a
   * Fargate profile (`DesktopCluster.systemNamespaces`) or Linux nodes.
   * @default 'cert-manager'
   */
  readonly namespace?: string;

  /**
   * Name of the ClusterIssuer that signs desktop certificates (its root is `<name>-root`).
   * @default 'desktop-rdp-ca'
   */
  readonly issuerName?: string;

  /**
   * Lifetime of the root certificate, 30 to 7300 days. cert-manager renews it a third before it
   * expires, keeping its key, so issued certificates keep verifying.
   * @default Duration.days(3650)
   */
  readonly rootCertificateDuration?: Duration;

  /**
   * Install cert-manager (the pinned chart). Set `false` where the cluster already runs
   * cert-manager ≥ 1.15 (its CRDs and webhook); the issuers are created either way.
   * @default true
   */
  readonly installCertManager?: boolean;

  /**
   * Port of cert-manager's webhook pod, 1024 to 65535, not 10250 (the Fargate kubelet's).
   * @default 10260
   */
  readonly webhookPort?: number;

  /**
   * Something the installation must wait for, e.g. `DesktopCluster.systemReady`.
   * @default - no extra dependency
   */
  readonly clusterReady?: IDependable;
}

/**
 * The cluster's internal CA for desktop RDP certificates, so guacd verifies every desktop
 * strictly (`RdpCertificateValidation.verified()`: chain and host name) without trusting a
 * first certificate or a fingerprint.
 *
 * Why a CA rather than trust on first use or fingerprints: a node desktop is reached through
 * its session Service `nd-<user>`, and every new node of that user answers under the same name
 * with a new self-signed certificate, so a pinned first certificate refuses the next node, and
 * a fingerprint can only be handed out after the node has booted. A certificate issued for the
 * Service's DNS name is known to be right before the node exists, and the same CA serves VM
 * desktops.
 *
 * It installs cert-manager (pinned chart, webhook off the Fargate kubelet's port) and creates
 * a self-signed root and a CA ClusterIssuer (`DesktopCertificateAuthorityChart`). Desktops get
 * a Certificate per Service name (`NodeDesktops`' sessions import it into Windows as the RDP
 * listener's certificate); the gateway (`GuacamoleGateway.rdpCertificateAuthority`) mounts the
 * root into guacd, whose FreeRDP checks it through OpenSSL's `SSL_CERT_FILE`.
 */
@reportsConstructPath
export class DesktopCertificateAuthority extends Construct implements IDesktopCertificateAuthority {
  /**
   * A desktop CA created elsewhere (another app or stack on the same cluster), by the name of
   * its ClusterIssuer: e.g. for a gateway deployed apart from the node desktops.
   */
  public static fromIssuerName(scope: Construct, id: string, issuerName: string): IDesktopCertificateAuthority {
    ValidationError.within(scope, () => validateDns1123Label('DesktopCertificateAuthority.fromIssuerName.issuerName', issuerName));
    class Imported extends Construct implements IDesktopCertificateAuthority {
      public readonly issuerName = issuerName;
      public readonly issuerKind = 'ClusterIssuer' as const;
      public readonly ready: IDependable = new DependencyGroup();
    }
    return new Imported(scope, id);
  }

  public readonly issuerName: string;
  public readonly issuerKind = 'ClusterIssuer' as const;
  public readonly ready: IDependable;
  /** cert-manager's namespace. */
  public readonly namespace: string;
  /** The cert-manager Helm release (absent with `installCertManager: false`). */
  public readonly certManager?: Construct;
  /** The issuers and the root certificate. */
  public readonly chart: DesktopCertificateAuthorityChart;
  /** The manifest that applies `chart`. */
  public readonly manifest: Construct;

  constructor(scope: Construct, id: string, props: DesktopCertificateAuthorityProps) {
    super(scope, id);
    const p = 'DesktopCertificateAuthority';
    checkProps(p, props, {
      cluster: required(isConstruct('an EKS cluster')),
      namespace: isString("'cert-manager'"),
      issuerName: isString("'desktop-rdp-ca'"),
      rootCertificateDuration: () => undefined, // checked below with its range
      installCertManager: isBoolean(),
      webhookPort: isNumber('10260'),
      clusterReady: isShape({}, 'desktopCluster.systemReady'),
    });
    const namespace = props.namespace ?? 'cert-manager';
    const issuerName = props.issuerName ?? 'desktop-rdp-ca';
    const rootDuration = props.rootCertificateDuration ?? Duration.days(3650);
    const webhookPort = props.webhookPort ?? 10260;
    const install = props.installCertManager ?? true;

    ValidationError.within(this, () => {
      validateDns1123Label(`${p}.namespace`, namespace);
      validateDns1123Label(`${p}.issuerName`, issuerName);
      if (!(rootDuration instanceof Duration)) {
        throw new ValidationError(`${p}.rootCertificateDuration`, `is ${describeValue(rootDuration)}; use a Duration, e.g. Duration.days(3650).`);
      }
      const days = rootDuration.toDays({ integral: false });
      if (days < 30 || days > 7300) {
        throw new ValidationError(`${p}.rootCertificateDuration`, `is ${days} days; use 30 to 7300 days (cert-manager renews a third before expiry), e.g. Duration.days(3650).`);
      }
      if (typeof install !== 'boolean') {
        throw new ValidationError(`${p}.installCertManager`, `is ${describeValue(install)}; use true or false.`);
      }
      validateInteger(`${p}.webhookPort`, webhookPort, 1024, 65535);
      if (webhookPort === FARGATE_KUBELET_PORT) {
        throw new ValidationError(`${p}.webhookPort`, `is ${webhookPort}, the Fargate kubelet's port: the webhook pod could not bind it. Use another port, e.g. 10260.`);
      }
    });

    const cluster = props.cluster;
    if (install) this.warnWithoutFargateProfile(cluster, namespace);
    if (install) {
      const values: CertManagerValues = { crds: { enabled: true, keep: true }, enableCertificateOwnerRef: true, webhook: { securePort: webhookPort } };
      this.certManager = cluster.addHelmChart(`${Names.uniqueId(this)}CertManager`, {
        chart: 'cert-manager',
        repository: CERT_MANAGER_CHART_REPOSITORY,
        version: CERT_MANAGER_VERSION,
        namespace,
        release: 'cert-manager',
        createNamespace: true,
        // The chart's post-install check waits for the webhook: the issuers are applied after it.
        wait: true,
        timeout: Duration.minutes(15),
        values: { ...values },
      });
      if (props.clusterReady !== undefined) this.certManager.node.addDependency(props.clusterReady);
      // Its Services go through the load balancer controller's Service webhook.
      dependOnAlbController(this.certManager, cluster);
    }

    this.chart = new DesktopCertificateAuthorityChart(new cdk8s.App(), 'DesktopCertificateAuthority', {
      issuerName,
      namespace,
      rootDuration: `${Math.round(rootDuration.toHours({ integral: false }))}h`,
    });
    this.manifest = cluster.addCdk8sChart(`${Names.uniqueId(this)}Issuers`, this.chart);
    if (this.certManager !== undefined) this.manifest.node.addDependency(this.certManager);
    if (props.clusterReady !== undefined) this.manifest.node.addDependency(props.clusterReady);

    this.issuerName = issuerName;
    this.namespace = namespace;
    this.ready = this.manifest;
  }

  /**
   * The cluster runs its system pods on Fargate (it has Fargate profiles in this stack) but
   * none selects cert-manager's namespace: its pods would stay Pending and the Helm release
   * time out. A warning, not an error: Linux nodes may run them.
   */
  private warnWithoutFargateProfile(cluster: IEksCluster, namespace: string): void {
    const stack = Stack.of(this);
    const clusterName = JSON.stringify(stack.resolve(cluster.clusterName));
    const profiles = stack.node.findAll()
      .filter((c): c is CfnFargateProfile => c instanceof CfnFargateProfile && JSON.stringify(stack.resolve(c.clusterName)) === clusterName);
    if (profiles.length === 0) return;
    const selected = profiles.some((profile) => (stack.resolve(profile.selectors) as Array<{ namespace?: string }>).some((s) => s.namespace === namespace));
    if (!selected) {
      Annotations.of(this).addWarningV2('eks-windows-desktops:cert-manager-without-fargate-profile',
        `cert-manager's namespace "${namespace}" has no Fargate profile in this cluster; add it to DesktopCluster.systemNamespaces (or run Linux nodes), or its pods stay Pending and the Helm release times out.`);
    }
  }
}
