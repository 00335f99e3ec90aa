import { Token } from 'aws-cdk-lib';
import { ValidationError } from '../common/validation-error';

/** How the certificate is checked: the Guacamole 1.6 parameters it sets. */
export enum RdpCertificateCheck {
  /** Only a certificate FreeRDP can validate (trusted CA, matching host name). */
  VERIFIED = 'verified',
  /** The first certificate a desktop presents is accepted and pinned; a different one later is refused. */
  TRUST_ON_FIRST_USE = 'trust-on-first-use',
  /** Only certificates with one of the given fingerprints. */
  FINGERPRINTS = 'fingerprints',
  /** Any certificate (no protection against a man in the middle). */
  IGNORED = 'ignored',
}

const FINGERPRINT = /^(sha1|sha256|sha384|sha512):[0-9a-f]{2}(:[0-9a-f]{2})+$/i;

/**
 * How guacd (FreeRDP) checks the TLS certificate an RDP server presents. guacd 1.6.0 refuses
 * a certificate FreeRDP cannot validate unless `ignore-cert`, `cert-tofu` or
 * `cert-fingerprints` say otherwise (guacamole-server 1.6.0: src/protocols/rdp/rdp.c,
 * settings.c), and a sysprepped Windows presents a self-signed certificate for its computer
 * name, so strict verification only works where the golden image enrolls a certificate from a
 * CA that guacd trusts.
 *
 * @see https://guacamole.apache.org/doc/gug/configuring-guacamole.html#authentication-and-security
 */
export class RdpCertificateValidation {
  /**
   * Only certificates that chain to a CA guacd trusts and name the host (FreeRDP's own check).
   * Use it when desktops get certificates from an internal CA whose root is in guacd's trust
   * store: `DesktopCertificateAuthority` with `GuacamoleGateway.rdpCertificateAuthority`.
   */
  public static verified(): RdpCertificateValidation {
    return new RdpCertificateValidation(RdpCertificateCheck.VERIFIED, []);
  }

  /**
   * Trust on first use (`cert-tofu`): guacd accepts the certificate the desktop presents the
   * first time and stores its fingerprint in FreeRDP's known-hosts file (guacd's home
   * directory); a different certificate for the same host and port is refused afterwards,
   * which stops a man in the middle after the first connection. The store lives as long as
   * the guacd pod: a desktop re-created under the same name (new self-signed certificate) is
   * refused by a guacd pod that pinned the old one until that pod restarts.
   */
  public static trustOnFirstUse(): RdpCertificateValidation {
    return new RdpCertificateValidation(RdpCertificateCheck.TRUST_ON_FIRST_USE, []);
  }

  /**
   * Only certificates with one of these fingerprints (`cert-fingerprints`), e.g. handed out per
   * session by a service that read the desktop's certificate.
   *
   * @param fingerprints  `<hash>:<hex pairs>` such as `sha256:ab:cd:...`
   */
  public static fingerprints(fingerprints: string[]): RdpCertificateValidation {
    const prop = 'RdpCertificateValidation.fingerprints';
    if (!Array.isArray(fingerprints) || fingerprints.length === 0) {
      throw new ValidationError(prop, `is ${JSON.stringify(fingerprints)}; give at least one fingerprint, e.g. "sha256:ab:cd:...".`);
    }
    fingerprints.forEach((f, i) => {
      if (typeof f !== 'string' || (!Token.isUnresolved(f) && !FINGERPRINT.test(f))) {
        throw new ValidationError(`${prop}[${i}]`, `${JSON.stringify(f)} is not a certificate fingerprint; use "<sha1|sha256|sha384|sha512>:<hex pairs separated by colons>", e.g. "sha256:ab:cd:ef:...".`);
      }
    });
    return new RdpCertificateValidation(RdpCertificateCheck.FINGERPRINTS, [...fingerprints]);
  }

  /**
   * Accept any certificate (`ignore-cert`). Nothing then protects the RDP session against a
   * man in the middle on the path between guacd and the desktop; the reason is required so
   * that turning validation off is never silent.
   *
   * @param reason  why the network path is trusted (at least 10 characters)
   */
  public static ignore(reason: string): RdpCertificateValidation {
    if (typeof reason !== 'string' || reason.trim().length < 10) {
      throw new ValidationError('RdpCertificateValidation.ignore.reason', `is ${JSON.stringify(reason)}; say in at least 10 characters why the path to the desktop is trusted, or use RdpCertificateValidation.trustOnFirstUse().`);
    }
    return new RdpCertificateValidation(RdpCertificateCheck.IGNORED, [], reason.trim());
  }

  private constructor(
    /** How the certificate is checked. */
    public readonly check: RdpCertificateCheck,
    /** The accepted fingerprints (`FINGERPRINTS` only). */
    public readonly acceptedFingerprints: string[],
    /** Why validation is off (`IGNORED` only). */
    public readonly reason?: string,
  ) {}

  /** The Guacamole 1.6 connection parameters of this check. */
  public parameters(): Record<string, string> {
    return {
      'ignore-cert': String(this.check === RdpCertificateCheck.IGNORED),
      ...(this.check === RdpCertificateCheck.TRUST_ON_FIRST_USE ? { 'cert-tofu': 'true' } : {}),
      ...(this.check === RdpCertificateCheck.FINGERPRINTS ? { 'cert-fingerprints': this.acceptedFingerprints.join(',') } : {}),
    };
  }
}
