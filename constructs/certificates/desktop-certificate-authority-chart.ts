import * as cdk8s from 'cdk8s';
import { Construct } from 'constructs';
import {
  Certificate,
  CertificateSpecPrivateKeyAlgorithm,
  CertificateSpecPrivateKeyRotationPolicy,
  CertificateSpecUsages,
  ClusterIssuer,
} from '../imports/cert-manager.io';

/** Props of {@link DesktopCertificateAuthorityChart}. */
export interface DesktopCertificateAuthorityChartProps {
  /** Name of the CA ClusterIssuer that signs desktop certificates. */
  readonly issuerName: string;
  /** cert-manager's namespace (its cluster resource namespace: where a ClusterIssuer's CA Secret lives). */
  readonly namespace: string;
  /** Lifetime of the root certificate, e.g. `87600h`. */
  readonly rootDuration: string;
}

/**
 * The internal CA of desktop RDP certificates, as cert-manager objects: a self-signing
 * ClusterIssuer that signs only the root, the root certificate (its key pair in a Secret of
 * cert-manager's namespace) and the CA ClusterIssuer that signs one certificate per desktop
 * Service name. Nothing of it is a secret in the manifest: cert-manager generates the keys.
 */
export class DesktopCertificateAuthorityChart extends cdk8s.Chart {
  /** Name of the Secret holding the root's key pair (in cert-manager's namespace). */
  public readonly rootSecretName: string;

  constructor(scope: Construct, id: string, props: DesktopCertificateAuthorityChartProps) {
    super(scope, id, { disableResourceNameHashes: true });
    const rootName = `${props.issuerName}-root`;
    this.rootSecretName = rootName;

    new ClusterIssuer(this, 'RootIssuer', {
      metadata: { name: rootName },
      spec: { selfSigned: {} },
    });
    new Certificate(this, 'Root', {
      metadata: { name: rootName, namespace: props.namespace },
      spec: {
        isCa: true,
        commonName: `${props.issuerName} desktop RDP CA`,
        secretName: rootName,
        duration: props.rootDuration,
        // A new root invalidates every desktop certificate it signed: keep its key on renewal
        // so that issued certificates keep verifying against the renewed root.
        privateKey: { algorithm: CertificateSpecPrivateKeyAlgorithm.RSA, size: 3072, rotationPolicy: CertificateSpecPrivateKeyRotationPolicy.NEVER },
        usages: [CertificateSpecUsages.CERT_SIGN, CertificateSpecUsages.CRL_SIGN, CertificateSpecUsages.DIGITAL_SIGNATURE],
        issuerRef: { name: rootName, kind: 'ClusterIssuer', group: 'cert-manager.io' },
      },
    });
    new ClusterIssuer(this, 'Issuer', {
      metadata: { name: props.issuerName },
      spec: { ca: { secretName: rootName } },
    });
  }
}
