import { Construct } from 'constructs';
import {
  Certificate,
  CertificateSpecPrivateKeyAlgorithm,
  CertificateSpecPrivateKeyEncoding,
  CertificateSpecPrivateKeyRotationPolicy,
  CertificateSpecUsages,
} from '../imports/cert-manager.io';

/**
 * The issuer a desktop certificate comes from: plain values, so a session controller without
 * a CDK stack can render the same objects (`IDesktopCertificateAuthority` gives them at synth time).
 */
export interface DesktopCertificateIssuer {
  /** Name of the cert-manager ClusterIssuer. */
  readonly issuerName: string;
  /** Lifetime of each desktop certificate, e.g. `720h` (longer than a session). */
  readonly duration: string;
}

/** Where the session pod mounts its certificate Secret (relative to the HostProcess sandbox). */
export const RDP_CERTIFICATE_MOUNT_PATH = '/var/run/desktop/rdp-certificate';

/** DNS names of a Service, as cluster DNS answers for them (the connection uses the first). */
export function serviceDnsNames(serviceName: string, namespace: string, clusterDomain: string = 'cluster.local'): string[] {
  return [`${serviceName}.${namespace}.svc.${clusterDomain}`, `${serviceName}.${namespace}.svc`];
}

/**
 * A cert-manager Certificate for a desktop's RDP listener: the Service's DNS names, RSA (the
 * key Windows' RDP listener reads through CryptoAPI) in PKCS#1, a new key at each renewal,
 * server authentication only.
 */
export function renderRdpServerCertificate(scope: Construct, id: string, options: {
  readonly name: string;
  readonly namespace: string;
  readonly secretName: string;
  readonly dnsNames: string[];
  readonly labels?: Record<string, string>;
  readonly issuer: DesktopCertificateIssuer;
}): Certificate {
  return new Certificate(scope, id, {
    metadata: { name: options.name, namespace: options.namespace, labels: options.labels },
    spec: {
      secretName: options.secretName,
      // Labelled like the session, so the Secret is found (and, with the owner reference
      // `DesktopCertificateAuthority` turns on, removed) with it.
      secretTemplate: { labels: options.labels },
      commonName: options.dnsNames[0],
      dnsNames: [...options.dnsNames],
      duration: options.issuer.duration,
      privateKey: {
        algorithm: CertificateSpecPrivateKeyAlgorithm.RSA,
        size: 2048,
        encoding: CertificateSpecPrivateKeyEncoding.PKCS1,
        rotationPolicy: CertificateSpecPrivateKeyRotationPolicy.ALWAYS,
      },
      usages: [CertificateSpecUsages.SERVER_AUTH, CertificateSpecUsages.DIGITAL_SIGNATURE, CertificateSpecUsages.KEY_ENCIPHERMENT],
      issuerRef: { name: options.issuer.issuerName, kind: 'ClusterIssuer', group: 'cert-manager.io' },
    },
  });
}

/**
 * A certificate whose only purpose is its Secret's `ca.crt`: cert-manager's CA issuer writes
 * its root there, and a Secret is the one thing a pod can mount from its own namespace, while
 * the root's own Secret lives in cert-manager's. (trust-manager distributes roots as well, but
 * is a second controller to install for one file.) Only `ca.crt` is ever mounted.
 */
export function renderTrustAnchorCertificate(scope: Construct, id: string, options: {
  readonly name: string;
  readonly namespace: string;
  readonly issuer: DesktopCertificateIssuer;
}): Certificate {
  return new Certificate(scope, id, {
    metadata: { name: options.name, namespace: options.namespace },
    spec: {
      secretName: options.name,
      commonName: options.name,
      duration: options.issuer.duration,
      privateKey: { algorithm: CertificateSpecPrivateKeyAlgorithm.ECDSA, size: 256, rotationPolicy: CertificateSpecPrivateKeyRotationPolicy.ALWAYS },
      usages: [CertificateSpecUsages.CLIENT_AUTH, CertificateSpecUsages.DIGITAL_SIGNATURE],
      issuerRef: { name: options.issuer.issuerName, kind: 'ClusterIssuer', group: 'cert-manager.io' },
    },
  });
}
