import { Token } from 'aws-cdk-lib';
import { validateDns1123Subdomain, validateNonEmpty } from '../common/validate';
import { ValidationError } from '../common/validation-error';

/** Settings a desktop node needs to join an Active Directory domain. */
export interface ActiveDirectoryOptions {
  /** DNS name of the domain, e.g. `corp.example.com`. */
  readonly domainName: string;
  /** NetBIOS name of the domain (1 to 15 characters), e.g. `CORP`. */
  readonly netBiosName: string;
  /**
   * IPv4 addresses of the domain's DNS servers (the directory's DNS addresses for AWS Managed
   * Microsoft AD). Nodes resolve only the domain's names through them (a DNS client NRPT rule);
   * everything else still goes to the VPC resolver.
   */
  readonly dnsServers: string[];
  /**
   * Name of a Kubernetes Secret in the sessions namespace with keys `username` and `password`:
   * an account that may join computers to the domain (and to `organizationalUnit`). Keep the
   * credentials in AWS Secrets Manager and sync them with External Secrets; they are never
   * written into a manifest.
   */
  readonly joinSecretName: string;
  /**
   * Distinguished name of the organizational unit for the computer accounts.
   * @default - the domain's default Computers container
   */
  readonly organizationalUnit?: string;
}

/** Which kind of directory the desktops join. */
export enum NodeDesktopDirectoryKind {
  /** AWS Directory Service for Microsoft Active Directory. */
  AWS_MANAGED_MICROSOFT_AD = 'AwsManagedMicrosoftAd',
  /** An Active Directory run by the customer (on EC2 or on premises), reachable from the VPC. */
  SELF_MANAGED_AD = 'SelfManagedAd',
}

const NETBIOS = /^[A-Za-z0-9][A-Za-z0-9-]{0,14}$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

/**
 * The Active Directory that desktop users sign in with. Required for RDS SALs through AWS
 * License Manager user-based subscriptions and for FSLogix profiles on FSx for Windows File
 * Server.
 *
 * @see https://docs.aws.amazon.com/license-manager/latest/userguide/user-based-subscriptions.html
 */
export class NodeDesktopDirectory {
  /** AWS Managed Microsoft AD (Directory Service). */
  public static awsManagedMicrosoftAd(options: ActiveDirectoryOptions): NodeDesktopDirectory {
    return new NodeDesktopDirectory(NodeDesktopDirectoryKind.AWS_MANAGED_MICROSOFT_AD, options);
  }

  /** A self-managed Active Directory reachable from the VPC. */
  public static selfManagedAd(options: ActiveDirectoryOptions): NodeDesktopDirectory {
    return new NodeDesktopDirectory(NodeDesktopDirectoryKind.SELF_MANAGED_AD, options);
  }

  /** The kind of directory. */
  public readonly kind: NodeDesktopDirectoryKind;
  /** Its settings. */
  public readonly options: ActiveDirectoryOptions;

  private constructor(kind: NodeDesktopDirectoryKind, options: ActiveDirectoryOptions) {
    this.kind = kind;
    this.options = options;
  }

  /**
   * Fails unless the settings have everything a domain join needs.
   *
   * @param prop  prop path named in errors, e.g. `NodeDesktops.directory`
   */
  public validate(prop: string): void {
    const o = this.options;
    if (typeof o.domainName !== 'string' || (!Token.isUnresolved(o.domainName) && !/^[a-z0-9-]+(\.[a-z0-9-]+)+$/i.test(o.domainName))) {
      throw new ValidationError(`${prop}.domainName`, `is ${JSON.stringify(o.domainName)}; give the domain's DNS name with at least two labels, e.g. "corp.example.com".`);
    }
    if (typeof o.netBiosName !== 'string' || (!Token.isUnresolved(o.netBiosName) && !NETBIOS.test(o.netBiosName))) {
      throw new ValidationError(`${prop}.netBiosName`, `is ${JSON.stringify(o.netBiosName)}; give the domain's NetBIOS name (1 to 15 letters, digits or '-'), e.g. "CORP".`);
    }
    if (!Array.isArray(o.dnsServers)) {
      throw new ValidationError(`${prop}.dnsServers`, `is ${JSON.stringify(o.dnsServers)}; give a list of the domain's DNS server addresses, e.g. ["10.0.0.10", "10.0.1.10"].`);
    }
    validateNonEmpty(`${prop}.dnsServers`, o.dnsServers, 'the node finds the domain controllers through the domain\'s DNS; give its DNS server addresses, e.g. ["10.0.0.10", "10.0.1.10"].');
    o.dnsServers.forEach((ip, i) => {
      if (!Token.isUnresolved(ip) && !IPV4.test(ip)) {
        throw new ValidationError(`${prop}.dnsServers[${i}]`, `"${ip}" is not an IPv4 address; give the address of a DNS server of the domain, e.g. "10.0.0.10".`);
      }
    });
    if (typeof o.joinSecretName !== 'string') {
      throw new ValidationError(`${prop}.joinSecretName`, `is ${JSON.stringify(o.joinSecretName)}; name the Kubernetes Secret (keys username, password) of an account that may join computers to the domain.`);
    }
    validateDns1123Subdomain(`${prop}.joinSecretName`, o.joinSecretName);
    if (o.organizationalUnit !== undefined && !Token.isUnresolved(o.organizationalUnit) && !/^(OU|CN)=[^,]+(,\s*(OU|CN|DC)=[^,]+)*$/i.test(o.organizationalUnit)) {
      throw new ValidationError(`${prop}.organizationalUnit`, `"${o.organizationalUnit}" is not a distinguished name of an OU; use e.g. "OU=Desktops,DC=corp,DC=example,DC=com".`);
    }
  }
}
