import { Token } from 'aws-cdk-lib';
import { checkProps, isBoolean, isEnumMember, isNumber, isString, PropCheck, required, validateDns1123Label, validateInteger } from '../common/validate';
import { RDP_PORT } from '../common/well-known';
import { ValidationError } from '../common/validation-error';
import { GuacamoleJsonConnection } from './json-auth';
import { RdpCertificateCheck, RdpCertificateValidation } from './rdp-certificate-validation';
import { validateHost } from './private/validation';

/**
 * RDP security negotiation (Guacamole's `security` parameter).
 *
 * @see https://guacamole.apache.org/doc/gug/configuring-guacamole.html#rdp
 */
export enum RdpSecurityMode {
  /** Let the server choose among the modes both sides support. */
  ANY = 'any',
  /** Network Level Authentication (CredSSP); needs username and password. */
  NLA = 'nla',
  /** Extended NLA (with the early user authorization result PDU). */
  NLA_EXT = 'nla-ext',
  /** RDP over TLS, without NLA. */
  TLS = 'tls',
  /** Hyper-V VMConnect (console of a Hyper-V VM). */
  VMCONNECT = 'vmconnect',
  /** Legacy standard RDP encryption. */
  RDP = 'rdp',
}

/**
 * What the gateway allows connections to do. Connections that ask for more fail.
 * Every switch is off unless the gateway enables it.
 */
export interface GuacamoleConnectionPolicy {
  /** Text may be copied from the remote desktop to the browser. */
  readonly allowClipboardCopy: boolean;
  /** Text may be pasted from the browser into the remote desktop. */
  readonly allowClipboardPaste: boolean;
  /** The virtual drive (and the file transfers through it) may be enabled. */
  readonly allowDriveRedirection: boolean;
  /** Every connection is recorded (recordings are stored on the gateway's file system). */
  readonly recordSessions: boolean;
  /** Directory guacd keeps virtual drives in (only with `allowDriveRedirection`). */
  readonly drivePath?: string;
}

/**
 * Properties of an {@link RdpConnection}.
 */
export interface RdpConnectionProps {
  /**
   * Name the user sees for the connection (1 to 128 characters).
   */
  readonly name: string;

  /**
   * Host to connect to: a DNS name (e.g. the KubeVirt desktop's Service,
   * `desktop.user-1.svc.cluster.local`) or an IPv4/IPv6 address.
   */
  readonly hostname: string;

  /**
   * RDP port, 1 to 65535.
   * @default 3389
   */
  readonly port?: number;

  /**
   * Security negotiation.
   * @default RdpSecurityMode.NLA
   */
  readonly security?: RdpSecurityMode;

  /**
   * How guacd checks the desktop's TLS certificate.
   * @default - RdpCertificateValidation.verified(); RdpCertificateValidation.trustOnFirstUse() for `toKubeVirtDesktop()`
   */
  readonly certificateValidation?: RdpCertificateValidation;

  /**
   * Accept the server certificate without verifying it. Kept for compatibility: prefer
   * `certificateValidation` (`RdpCertificateValidation.ignore(reason)` states why).
   * @default false
   */
  readonly ignoreCert?: boolean;

  /**
   * Windows username. Passed per session by the session service; never write a literal
   * password into CDK code.
   * @default - the user is asked
   */
  readonly username?: string;

  /**
   * Windows password (per session, from the session service).
   * @default - the user is asked
   */
  readonly password?: string;

  /**
   * Windows domain.
   * @default - none
   */
  readonly domain?: string;

  /**
   * Allow copying text out of the desktop (needs the gateway's `allowClipboardCopy`).
   * @default false
   */
  readonly enableClipboardCopy?: boolean;

  /**
   * Allow pasting text into the desktop (needs the gateway's `allowClipboardPaste`).
   * @default false
   */
  readonly enableClipboardPaste?: boolean;

  /**
   * Offer a virtual drive inside the desktop, private to the user (needs the gateway's
   * `allowDriveRedirection`).
   * @default false
   */
  readonly enableDrive?: boolean;

  /**
   * Allow downloading files from the virtual drive to the browser (needs `enableDrive`).
   * @default false
   */
  readonly enableFileDownload?: boolean;

  /**
   * Allow uploading files from the browser to the virtual drive (needs `enableDrive`).
   * @default false
   */
  readonly enableFileUpload?: boolean;

  /**
   * Record this connection. The gateway's `recordSessions` policy records every connection
   * whatever this says.
   * @default false
   */
  readonly recording?: boolean;

  /**
   * Include key events in the recording (passwords typed in the session end up in it).
   * @default false
   */
  readonly recordingIncludeKeys?: boolean;
}

/**
 * Options of {@link RdpConnection.toKubeVirtDesktop}. Its certificate check defaults to trust
 * on first use: a sysprepped desktop presents a self-signed certificate, which strict
 * verification refuses.
 */
export interface KubeVirtDesktopConnectionOptions extends Omit<RdpConnectionProps, 'hostname'> {
  /** Name of the Service in front of the desktop VM's RDP port. */
  readonly serviceName: string;
  /** Namespace of the desktop (the user's namespace). */
  readonly namespace: string;
  /**
   * Cluster DNS domain.
   * @default 'cluster.local'
   */
  readonly clusterDomain?: string;
}

/**
 * Options of {@link RdpConnection.toNodeDesktop}.
 */
export interface NodeDesktopConnectionOptions extends Omit<RdpConnectionProps, 'hostname'> {
  /** Name of the session's Service (`NodeDesktopSession.name`, or `sessionName(userId)`). */
  readonly serviceName: string;
  /** Namespace of the session (`NodeDesktops.namespace`). */
  readonly namespace: string;
  /**
   * Cluster DNS domain.
   * @default 'cluster.local'
   */
  readonly clusterDomain?: string;
}

/** Where recordings go inside guacd; `${HISTORY_PATH}` is the web app's recording search path. */
const RECORDING_PATH = '${HISTORY_PATH}/${HISTORY_UUID}';

/**
 * A typed RDP connection to one desktop, rendered into the parameters Guacamole 1.6 reads.
 *
 * The session service builds one per session and hands it to the user through encrypted JSON
 * authentication ({@link encryptGuacamoleJsonAuth}): `connection.toJsonConnection(gateway.connectionPolicy)`.
 * Clipboard, drive and file transfer are off unless both the connection and the gateway's
 * policy enable them.
 */
const FLAG = isBoolean();

/** Runtime types of `RdpConnectionProps` (connections are often built from JSON). */
const RDP_CONNECTION_PROP_TYPES: Record<string, PropCheck> = {
  name: required(isString("'Alice's desktop'")),
  hostname: required(isString("'alice-desktop-rdp.desktops.svc.cluster.local'")),
  port: isNumber(String(RDP_PORT)),
  security: isEnumMember(RdpSecurityMode, 'RdpSecurityMode'),
  ignoreCert: FLAG,
  username: isString("'alice'"),
  password: isString('a password from a secret store'),
  domain: isString("'CORP'"),
  enableClipboardCopy: FLAG,
  enableClipboardPaste: FLAG,
  enableDrive: FLAG,
  enableFileDownload: FLAG,
  enableFileUpload: FLAG,
  recording: FLAG,
  recordingIncludeKeys: FLAG,
};

export class RdpConnection {
  /**
   * A connection to a KubeVirt desktop through its Service's cluster DNS name.
   */
  public static toKubeVirtDesktop(options: KubeVirtDesktopConnectionOptions): RdpConnection {
    checkProps('RdpConnection', options, {
      serviceName: required(isString("'alice-desktop-rdp'")),
      namespace: required(isString("'desktops'")),
      clusterDomain: isString("'cluster.local'"),
    }, { otherProps: Object.keys(RDP_CONNECTION_PROP_TYPES) });
    validateDns1123Label('RdpConnection.serviceName', options.serviceName);
    validateDns1123Label('RdpConnection.namespace', options.namespace);
    const { serviceName, namespace, clusterDomain, ...rest } = options;
    // A sysprepped Windows desktop presents a self-signed certificate for its computer name:
    // pin it on first use rather than refuse it (strict) or accept anything (ignore-cert).
    const certificateValidation = rest.certificateValidation ?? (rest.ignoreCert === undefined ? RdpCertificateValidation.trustOnFirstUse() : undefined);
    return new RdpConnection({ ...rest, certificateValidation, hostname: `${serviceName}.${namespace}.svc.${clusterDomain ?? 'cluster.local'}` });
  }

  /**
   * A connection to a node desktop (a whole Windows Server node) through its session's Service,
   * which forwards to the node's own RDP port. NLA, and the certificate verified strictly
   * (`RdpCertificateValidation.verified()`: chain to a CA guacd trusts and the Service's DNS
   * name) unless `certificateValidation` or `ignoreCert` says otherwise. That works with the
   * desktop CA (`DesktopCertificateAuthority` on `NodeDesktops` and `GuacamoleGateway`): each
   * session's node presents a certificate issued for this very name. Trust on first use, the VM
   * desktops' default, would pin the first node's certificate under a Service name that every
   * later session of the user reuses on a new node.
   */
  public static toNodeDesktop(options: NodeDesktopConnectionOptions): RdpConnection {
    validateDns1123Label('RdpConnection.serviceName', options.serviceName);
    validateDns1123Label('RdpConnection.namespace', options.namespace);
    const { serviceName, namespace, clusterDomain, ...rest } = options;
    return new RdpConnection({ ...rest, hostname: `${serviceName}.${namespace}.svc.${clusterDomain ?? 'cluster.local'}` });
  }

  /** Name the user sees. */
  public readonly name: string;
  /** Host name or address of the desktop. */
  public readonly hostname: string;
  /** RDP port. */
  public readonly port: number;
  /** Security negotiation. */
  public readonly security: RdpSecurityMode;
  /** Whether the server certificate is accepted unverified. */
  public readonly ignoreCert: boolean;
  /** How guacd checks the desktop's certificate. */
  public readonly certificateValidation: RdpCertificateValidation;

  private readonly props: RdpConnectionProps;

  constructor(props: RdpConnectionProps) {
    checkProps('RdpConnection', props, RDP_CONNECTION_PROP_TYPES);
    this.name = props.name;
    this.hostname = props.hostname;
    this.port = props.port ?? RDP_PORT;
    this.security = props.security ?? RdpSecurityMode.NLA;
    if (props.certificateValidation !== undefined && props.ignoreCert !== undefined) {
      throw new ValidationError('RdpConnection.ignoreCert', 'is set together with certificateValidation; set only certificateValidation (RdpCertificateValidation.ignore(reason) to accept any certificate).');
    }
    if (props.certificateValidation !== undefined && !(props.certificateValidation instanceof RdpCertificateValidation)) {
      throw new ValidationError('RdpConnection.certificateValidation', `is ${JSON.stringify(props.certificateValidation)}; use RdpCertificateValidation.verified(), .trustOnFirstUse(), .fingerprints([...]) or .ignore(reason).`);
    }
    this.certificateValidation = props.certificateValidation
      ?? (props.ignoreCert === true ? RdpCertificateValidation.ignore('ignoreCert: true (legacy prop)') : RdpCertificateValidation.verified());
    this.ignoreCert = this.certificateValidation.check === RdpCertificateCheck.IGNORED;
    this.props = props;

    if (!Token.isUnresolved(this.name) && (this.name.trim().length === 0 || this.name.length > 128)) {
      throw new ValidationError('RdpConnection.name', `"${this.name}" must be 1 to 128 characters (Guacamole's connection name column).`);
    }
    validateHost('RdpConnection.hostname', this.hostname);
    validateInteger('RdpConnection.port', this.port, 1, 65535);
    if (!Object.values(RdpSecurityMode).includes(this.security)) {
      throw new ValidationError('RdpConnection.security', `"${this.security}" is not an RDP security mode; use one of ${Object.values(RdpSecurityMode).join(', ')}.`);
    }
    if (!(props.enableDrive ?? false) && ((props.enableFileDownload ?? false) || (props.enableFileUpload ?? false))) {
      throw new ValidationError('RdpConnection.enableDrive', 'file download or upload is enabled but the drive is not; files move through the virtual drive, so set enableDrive: true as well.');
    }
  }

  /**
   * The connection's Guacamole parameters, checked against the gateway's policy.
   *
   * @param policy  what the gateway allows (`GuacamoleGateway.connectionPolicy`)
   * @default - nothing beyond the connection itself is allowed: clipboard, drive off
   */
  public parameters(policy?: GuacamoleConnectionPolicy): Record<string, string> {
    const p = this.props;
    const copy = p.enableClipboardCopy ?? false;
    const paste = p.enableClipboardPaste ?? false;
    const drive = p.enableDrive ?? false;
    if (copy && !(policy?.allowClipboardCopy ?? false)) {
      throw new ValidationError('RdpConnection.enableClipboardCopy', 'the gateway does not allow copying out of desktops; enable allowClipboardCopy on the gateway or leave this off.');
    }
    if (paste && !(policy?.allowClipboardPaste ?? false)) {
      throw new ValidationError('RdpConnection.enableClipboardPaste', 'the gateway does not allow pasting into desktops; enable allowClipboardPaste on the gateway or leave this off.');
    }
    if (drive && !(policy?.allowDriveRedirection ?? false)) {
      throw new ValidationError('RdpConnection.enableDrive', 'the gateway does not allow drive redirection; enable allowDriveRedirection on the gateway or leave this off.');
    }

    const result: Record<string, string> = {
      'hostname': this.hostname,
      'port': String(this.port),
      'security': this.security,
      ...this.certificateValidation.parameters(),
      'disable-copy': String(!copy),
      'disable-paste': String(!paste),
      'enable-drive': String(drive),
      'resize-method': 'display-update',
    };
    if (p.username !== undefined) result.username = p.username;
    if (p.password !== undefined) result.password = p.password;
    if (p.domain !== undefined) result.domain = p.domain;
    if (drive) {
      // One folder per user, so users never see each other's files.
      result['drive-path'] = `${policy?.drivePath ?? '/var/lib/guacamole/drive'}/\${GUAC_USERNAME}`;
      result['create-drive-path'] = 'true';
      result['disable-download'] = String(!(p.enableFileDownload ?? false));
      result['disable-upload'] = String(!(p.enableFileUpload ?? false));
    }
    if ((p.recording ?? false) || (policy?.recordSessions ?? false)) {
      // A folder named after the history entry lets the web app find and play the recording.
      result['recording-path'] = RECORDING_PATH;
      result['create-recording-path'] = 'true';
      result['recording-name'] = 'recording';
      result['recording-include-keys'] = String(p.recordingIncludeKeys ?? false);
    }
    return result;
  }

  /**
   * The connection as an entry of an encrypted-JSON payload.
   *
   * @param policy  what the gateway allows (`GuacamoleGateway.connectionPolicy`)
   */
  public toJsonConnection(policy?: GuacamoleConnectionPolicy): GuacamoleJsonConnection {
    return { protocol: 'rdp', parameters: this.parameters(policy) };
  }
}
