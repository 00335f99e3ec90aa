import { RDP_CERTIFICATE_MOUNT_PATH } from '../certificates/desktop-certificates';
import { INSTANCE_METADATA_ADDRESS, RDP_PORT } from '../common/well-known';

/**
 * The PowerShell that a node-desktop session pod runs on its node (as a HostProcess container,
 * as `NT AUTHORITY\SYSTEM`) to turn the node into one user's desktop.
 *
 * The script is rendered from typed options, but it never contains a per-user or per-deployment
 * value: the user name, the password, the gateway's addresses and the directory settings reach
 * it as environment variables (the password and the join credentials from Kubernetes Secrets).
 * So no user id can inject PowerShell, no secret is in a manifest, and one rendering serves every
 * session of a pool.
 */

/** Environment variables the session script reads. */
export const SESSION_SCRIPT_ENV = {
  /** Windows account name of the desktop user (local account, or sAMAccountName in the directory). */
  userName: 'DESKTOP_USER_NAME',
  /** Password of the local account (from the session's Secret; local accounts only). */
  userPassword: 'DESKTOP_USER_PASSWORD',
  /** Comma-separated CIDRs that may reach RDP (the gateway's addresses). */
  rdpSources: 'DESKTOP_RDP_SOURCES',
  /** DNS name of the Active Directory domain. */
  domainName: 'DESKTOP_DOMAIN_NAME',
  /** NetBIOS name of the domain. */
  domainNetBiosName: 'DESKTOP_DOMAIN_NETBIOS_NAME',
  /** Comma-separated IPv4 addresses of the domain's DNS servers. */
  domainDnsServers: 'DESKTOP_DOMAIN_DNS_SERVERS',
  /** Organizational unit the computer account goes to (optional). */
  domainOrganizationalUnit: 'DESKTOP_DOMAIN_OU',
  /** Account that may join computers to the domain (from the join Secret). */
  joinUser: 'DESKTOP_JOIN_USER',
  /** Its password (from the join Secret). */
  joinPassword: 'DESKTOP_JOIN_PASSWORD',
  /** UNC path of the FSLogix profile share, e.g. `\\fs.corp.example.com\share\profiles`. */
  profileShare: 'DESKTOP_PROFILE_SHARE',
  /** Comma-separated RDS license servers (the License Manager user-based subscriptions endpoint). */
  rdsLicenseServers: 'DESKTOP_RDS_LICENSE_SERVERS',
  /**
   * Milliseconds without input after which Windows disconnects the user's RDP session (the RDS
   * policy `MaxIdleTime`); unset or 0 for no limit. Per session, so it is not in the script.
   */
  maxIdleTimeMs: 'DESKTOP_MAX_IDLE_TIME_MS',
} as const;

/** Where the script marks the desktop as ready; the session pod's readiness probe checks it. */
export const SESSION_READY_MARKER = 'C:\\ProgramData\\desktop-session\\ready';

/** How the desktop user signs in. */
export enum SessionAccountKind {
  /** A local account created on the node; its password comes from a Kubernetes Secret. */
  LOCAL = 'local',
  /** A directory (Active Directory) account; the node joins the domain first. */
  DOMAIN = 'domain',
}

/** What the session script does, beyond what it always does. */
export interface SessionScriptOptions {
  /** Local or directory accounts. */
  readonly account: SessionAccountKind;
  /**
   * Set when the domain join puts the computer in an organizational unit (`DESKTOP_DOMAIN_OU`).
   * @default false
   */
  readonly organizationalUnit?: boolean;
  /**
   * Configure FSLogix profile containers on the share in `DESKTOP_PROFILE_SHARE`. Needs the
   * FSLogix agent in the AMI and, in practice, a directory (the share authorizes users by their
   * domain identity).
   * @default - no profile containers: the profile lives and dies with the node
   */
  readonly fsLogixProfileSizeMb?: number;
  /**
   * Use per-user RDS licensing from the license servers in `DESKTOP_RDS_LICENSE_SERVERS` (RDS
   * SALs through AWS License Manager user-based subscriptions). Needs the Remote Desktop Session
   * Host role in the AMI (installing it needs a restart, so it belongs in the image build).
   * @default false
   */
  readonly rdsLicensing?: boolean;
  /**
   * Make the certificate in `RDP_CERTIFICATE_MOUNT_PATH` (`tls.crt`, PKCS#1 `tls.key`, issued by
   * the cluster's desktop CA for the session Service's names) the RDP listener's certificate.
   * @default false - RDP presents Windows' self-signed certificate
   */
  readonly rdpCertificate?: boolean;
}

/** Well-known SIDs, so the script works on every display language of Windows. */
const SID = {
  administrators: 'S-1-5-32-544',
  remoteDesktopUsers: 'S-1-5-32-555',
  interactive: 'S-1-5-4',
  remoteInteractiveLogon: 'S-1-5-14',
  system: 'S-1-5-18',
  networkService: 'S-1-5-20',
} as const;

/** The kubelet's API port (logs, exec, metrics), reached by the control plane. */
const KUBELET_PORT = 10250;

/** IPv6 address of the instance metadata service (Nitro instances). */
const INSTANCE_METADATA_ADDRESS_V6 = 'fd00:ec2::254';

/**
 * Folders only SYSTEM and Administrators may read: the kubelet's kubeconfig and certificates, the
 * EKS bootstrap's files, and containerd's state (container specs carry their environment).
 */
const LOCKED_FOLDERS = ['C:\\ProgramData\\kubernetes', 'C:\\ProgramData\\Amazon\\EKS', 'C:\\ProgramData\\containerd\\state'];

/** Registry key of the Remote Desktop Services policies (what Group Policy writes). */
const RDS_POLICY_KEY = 'HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services';

/** The built-in "Remote Desktop" firewall rule group (allows 3389 from anywhere). */
const REMOTE_DESKTOP_RULE_GROUP = '@FirewallAPI.dll,-28752';

const env = (name: string): string => `$env:${name}`;

/**
 * Renders the session script for `options`. The result is plain PowerShell 5.1; the session pod
 * passes it with `-EncodedCommand`.
 *
 * It always: sets Network Level Authentication on; lets RDP in only from `DESKTOP_RDP_SOURCES`
 * (the built-in rule that allows any address is disabled); blocks the instance metadata service
 * for the desktop user and for every interactive or RDP logon with a Windows Firewall rule
 * whose `-LocalUser` is an SDDL of those SIDs (as the EC2 user guide shows for IMDS); makes the
 * kubelet's configuration and credentials folders readable by SYSTEM and Administrators only;
 * adds the user to Remote Desktop Users and keeps them out of Administrators.
 *
 * @see https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-instance-metadata-options.html
 * @see https://learn.microsoft.com/powershell/module/netsecurity/new-netfirewallrule
 */
export function renderSessionScript(options: SessionScriptOptions): string {
  const E = SESSION_SCRIPT_ENV;
  const lines: string[] = [
    '# Turns this node into one user\'s desktop. Inputs come from environment variables only.',
    '$ErrorActionPreference = \'Stop\'',
    'Set-StrictMode -Version 3.0',
    `$ready = '${SESSION_READY_MARKER}'`,
    'Remove-Item -Path $ready -Force -ErrorAction SilentlyContinue',
    `$user = ${env(E.userName)}`,
    `$rdpSources = ${env(E.rdpSources)} -split ','`,
    '',
  ];

  if (options.account === SessionAccountKind.DOMAIN) {
    lines.push(
      '# Join the domain (once; the node restarts and the pod runs this script again).',
      `$domain = ${env(E.domainName)}`,
      '$namespaces = @($domain, ".$domain")',
      'if (-not (Get-DnsClientNrptRule | Where-Object { $_.Namespace -contains ".$domain" })) {',
      `  Add-DnsClientNrptRule -Namespace $namespaces -NameServers (${env(E.domainDnsServers)} -split ',')`,
      '}',
      'if (-not (Get-CimInstance -ClassName Win32_ComputerSystem).PartOfDomain) {',
      `  $joinPassword = ConvertTo-SecureString -String ${env(E.joinPassword)} -AsPlainText -Force`,
      `  $join = @{ DomainName = $domain; Credential = (New-Object System.Management.Automation.PSCredential (${env(E.joinUser)}, $joinPassword)); Force = $true; Restart = $true }`,
    );
    if (options.organizationalUnit ?? false) lines.push(`  $join.OUPath = ${env(E.domainOrganizationalUnit)}`);
    lines.push(
      '  Add-Computer @join',
      '  exit 0',
      '}',
      `Remove-Item -Path Env:\\${E.joinPassword} -ErrorAction SilentlyContinue`,
      `$account = "${env(E.domainNetBiosName)}\\$user"`,
      '',
    );
  } else {
    lines.push(
      '# The local account; its password comes from the session\'s Secret, never from a manifest.',
      `$password = ConvertTo-SecureString -String ${env(E.userPassword)} -AsPlainText -Force`,
      `Remove-Item -Path Env:\\${E.userPassword}`,
      'if (Get-LocalUser -Name $user -ErrorAction SilentlyContinue) {',
      '  Set-LocalUser -Name $user -Password $password',
      '} else {',
      '  New-LocalUser -Name $user -Password $password -PasswordNeverExpires -AccountNeverExpires | Out-Null',
      '}',
      '$account = $user',
      '',
    );
  }

  lines.push(
    '# The user may sign in over RDP and is no administrator.',
    '$sid = (New-Object System.Security.Principal.NTAccount ($account)).Translate([System.Security.Principal.SecurityIdentifier]).Value',
    `if (-not (Get-LocalGroupMember -SID '${SID.remoteDesktopUsers}' | Where-Object { $_.SID.Value -eq $sid })) {`,
    `  Add-LocalGroupMember -SID '${SID.remoteDesktopUsers}' -Member $sid`,
    '}',
    `if (Get-LocalGroupMember -SID '${SID.administrators}' | Where-Object { $_.SID.Value -eq $sid }) {`,
    `  Remove-LocalGroupMember -SID '${SID.administrators}' -Member $sid`,
    '}',
  );
  if (options.account === SessionAccountKind.DOMAIN) {
    lines.push(
      '# Nested groups (e.g. Domain Admins) would make the user an administrator all the same.',
      '$found = ([adsisearcher]"(&(objectClass=user)(sAMAccountName=$user))").FindOne()',
      'if ($null -eq $found) { throw "$account is not a user of the domain." }',
      `$upn = if ($found.Properties.Contains('userprincipalname')) { $found.Properties['userprincipalname'][0] } else { "$user@${env(E.domainName)}" }`,
      `if (([System.Security.Principal.WindowsIdentity]::new($upn)).Groups.Value -contains '${SID.administrators}') {`,
      '  throw "$account is an administrator of this node through a group; use an account without administrative group memberships."',
      '}',
    );
  }
  lines.push(
    '',
    '# Windows Firewall on, so the rules below apply; the kubelet API stays reachable (the security',
    '# group admits only the cluster to it).',
    'Set-NetFirewallProfile -Profile Domain, Private, Public -Enabled True',
    'Get-NetFirewallRule -Name \'desktop-kubelet\' -ErrorAction SilentlyContinue | Remove-NetFirewallRule',
    `New-NetFirewallRule -Name 'desktop-kubelet' -DisplayName 'kubelet API' -Direction Inbound -Action Allow -Protocol TCP -LocalPort ${KUBELET_PORT} | Out-Null`,
    '',
    '# The desktop user must never reach the instance metadata service (the node role\'s and',
    '# the kubelet\'s credentials): block it for the user and for every interactive or RDP logon.',
    `$imdsPrincipals = "D:(A;;CC;;;$sid)(A;;CC;;;${SID.interactive})(A;;CC;;;${SID.remoteInteractiveLogon})"`,
    'Get-NetFirewallRule -Name \'desktop-block-imds\' -ErrorAction SilentlyContinue | Remove-NetFirewallRule',
    'New-NetFirewallRule -Name \'desktop-block-imds\' -DisplayName \'Block the instance metadata service for desktop users\' '
      + `-Direction Outbound -Action Block -Protocol TCP -RemoteAddress '${INSTANCE_METADATA_ADDRESS}', '${INSTANCE_METADATA_ADDRESS_V6}' -LocalUser $imdsPrincipals | Out-Null`,
    '',
    '# The kubelet\'s configuration and credentials, and containerd\'s container specs (which hold',
    '# the environment of this pod): SYSTEM and Administrators only.',
    `foreach ($path in @(${LOCKED_FOLDERS.map((f) => `'${f}'`).join(', ')})) {`,
    '  if (Test-Path -Path $path) {',
    `    icacls.exe $path /inheritance:r /grant:r '*${SID.system}:(OI)(CI)F' '*${SID.administrators}:(OI)(CI)F' /T /Q | Out-Null`,
    '    if ($LASTEXITCODE -ne 0) { throw "icacls failed on $path" }',
    '  }',
    '}',
    '',
    '# RDP with Network Level Authentication, from the gateway only.',
    '$terminalServer = \'HKLM:\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\'',
    'Set-ItemProperty -Path $terminalServer -Name fDenyTSConnections -Value 0',
    'Set-ItemProperty -Path "$terminalServer\\WinStations\\RDP-Tcp" -Name UserAuthentication -Value 1',
    'Set-ItemProperty -Path "$terminalServer\\WinStations\\RDP-Tcp" -Name SecurityLayer -Value 2',
    `Get-NetFirewallRule -Group '${REMOTE_DESKTOP_RULE_GROUP}' -ErrorAction SilentlyContinue | Disable-NetFirewallRule`,
    'Get-NetFirewallRule -Name \'desktop-rdp-from-gateway\' -ErrorAction SilentlyContinue | Remove-NetFirewallRule',
    'New-NetFirewallRule -Name \'desktop-rdp-from-gateway\' -DisplayName \'RDP from the desktop gateway\' '
      + `-Direction Inbound -Action Allow -Protocol TCP -LocalPort ${RDP_PORT} -RemoteAddress $rdpSources | Out-Null`,
    '',
    '# Idle sessions: guacd has no idle timeout, so Windows itself disconnects a session without',
    '# input for the session\'s idle timeout (RDS policy MaxIdleTime, in ms); no value, no limit.',
    `$rdsPolicy = '${RDS_POLICY_KEY}'`,
    '# (New-Item -Force on an existing key would drop its values, so only when it is missing.)',
    'if (-not (Test-Path -Path $rdsPolicy)) { New-Item -Path $rdsPolicy -Force | Out-Null }',
    '$maxIdleTime = [uint32]0',
    `$maxIdleSetting = [string]${env(E.maxIdleTimeMs)}`,
    `if ($maxIdleSetting -ne '' -and -not [uint32]::TryParse($maxIdleSetting, [ref]$maxIdleTime)) { throw '${E.maxIdleTimeMs} is not a number of milliseconds.' }`,
    'if ($maxIdleTime -gt 0) {',
    '  New-ItemProperty -Path $rdsPolicy -Name MaxIdleTime -PropertyType DWord -Value $maxIdleTime -Force | Out-Null',
    '} else {',
    '  Remove-ItemProperty -Path $rdsPolicy -Name MaxIdleTime -ErrorAction SilentlyContinue',
    '}',
  );

  if (options.rdpCertificate ?? false) lines.push('', ...rdpCertificateLines());

  if (options.rdsLicensing ?? false) {
    lines.push(
      '',
      '# Per-user RDS licensing (an RDS SAL per user, from the License Manager endpoint).',
      'if (-not (Get-WindowsFeature -Name RDS-RD-Server).Installed) {',
      '  throw \'The Remote Desktop Session Host role is not installed on this AMI; add RDS-RD-Server to the desktop AMI build.\'',
      '}',
      'New-ItemProperty -Path $rdsPolicy -Name LicensingMode -PropertyType DWord -Value 4 -Force | Out-Null',
      `New-ItemProperty -Path $rdsPolicy -Name LicenseServers -PropertyType String -Value ${env(E.rdsLicenseServers)} -Force | Out-Null`,
    );
  }

  if (options.fsLogixProfileSizeMb !== undefined) {
    lines.push(
      '',
      '# Profile in an FSLogix container on the file share: the user\'s files outlive the node.',
      'if (-not (Test-Path -Path \'C:\\Program Files\\FSLogix\\Apps\\frx.exe\')) {',
      '  throw \'FSLogix is not installed on this AMI; build the desktop AMI with the FSLogix agent.\'',
      '}',
      '$fslogix = \'HKLM:\\SOFTWARE\\FSLogix\\Profiles\'',
      'New-Item -Path $fslogix -Force | Out-Null',
      `New-ItemProperty -Path $fslogix -Name VHDLocations -PropertyType MultiString -Value @(${env(E.profileShare)}) -Force | Out-Null`,
    );
    const dwords: Array<[string, number]> = [
      ['Enabled', 1],
      ['SizeInMBs', options.fsLogixProfileSizeMb],
      ['IsDynamic', 1],
      ['FlipFlopProfileDirectoryName', 1],
      ['DeleteLocalProfileWhenVHDShouldApply', 1],
      ['PreventLoginWithFailure', 1],
      ['PreventLoginWithTempProfile', 1],
    ];
    for (const [name, value] of dwords) {
      lines.push(`New-ItemProperty -Path $fslogix -Name ${name} -PropertyType DWord -Value ${value} -Force | Out-Null`);
    }
    lines.push('New-ItemProperty -Path $fslogix -Name VolumeType -PropertyType String -Value \'VHDX\' -Force | Out-Null');
  }

  lines.push(
    '',
    '# Ready: the readiness probe sees the marker; the pod then holds the node until it is deleted.',
    'New-Item -ItemType File -Path $ready -Force | Out-Null',
    'Write-Output "Desktop ready for $account"',
    'while ($true) { Start-Sleep -Seconds 3600 }',
  );
  return lines.join('\r\n') + '\r\n';
}

/** FriendlyName of the certificates the script installs (older ones are removed). */
const RDP_CERTIFICATE_FRIENDLY_NAME = 'desktop-rdp';

/**
 * Installs the session's certificate as the RDP listener's certificate.
 *
 * Windows PowerShell 5.1 (.NET Framework 4.8, what a HostProcess container runs) reads no PEM
 * private key, and a PKCS#12 keystore from cert-manager needs a password kept in yet another
 * Secret; so the script reads cert-manager's PKCS#1 key (`SEQUENCE` of nine `INTEGER`s, RFC
 * 8017 A.1.2) itself: a few lines, no library on the node does it. The key goes into a named
 * container of the machine key store that only SYSTEM, Administrators and NETWORK SERVICE (the
 * Remote Desktop service) may read.
 *
 * @see https://learn.microsoft.com/windows/win32/termserv/win32-tsgeneralsetting
 * @see https://kubernetes.io/docs/tasks/configure-pod-container/create-hostprocess-pod/#volume-mounts
 */
function rdpCertificateLines(): string[] {
  const relative = RDP_CERTIFICATE_MOUNT_PATH.replace(/^\//, '').replace(/\//g, '\\');
  return [
    '# RDP presents a certificate from the cluster\'s desktop CA for this session\'s Service name,',
    '# which guacd verifies (chain and host name). Volumes of a HostProcess container are under its sandbox.',
    `$certificateDir = Join-Path $env:CONTAINER_SANDBOX_MOUNT_POINT '${relative}'`,
    `if (-not (Test-Path -Path $certificateDir)) { $certificateDir = 'C:\\${relative}' }`,
    'function Read-PemBlock([string]$path, [string]$label) {',
    '  $text = [System.IO.File]::ReadAllText($path)',
    '  $match = [regex]::Match($text, "-----BEGIN $label-----([A-Za-z0-9+/=\\s]+)-----END $label-----")',
    '  if (-not $match.Success) { throw "No $label in $path." }',
    '  return ,[Convert]::FromBase64String(($match.Groups[1].Value -replace \'\\s\', \'\'))',
    '}',
    'function Read-DerLength([byte[]]$der, [ref]$at) {',
    '  $length = [int]$der[$at.Value]; $at.Value++',
    '  if ($length -band 0x80) {',
    '    $count = $length -band 0x7f; $length = 0',
    '    for ($i = 0; $i -lt $count; $i++) { $length = ($length -shl 8) -bor $der[$at.Value]; $at.Value++ }',
    '  }',
    '  return $length',
    '}',
    'function Read-DerInteger([byte[]]$der, [ref]$at, [int]$size) {',
    '  if ($der[$at.Value] -ne 0x02) { throw \'The RDP key is not a PKCS#1 RSA key.\' }',
    '  $at.Value++',
    '  $length = Read-DerLength $der $at',
    '  $start = $at.Value; $at.Value += $length',
    '  while ($length -gt 1 -and $der[$start] -eq 0) { $start++; $length-- }',
    '  if ($size -eq 0) { $size = $length }',
    '  if ($length -gt $size) { throw \'The RDP key has an integer longer than its modulus allows.\' }',
    '  $value = New-Object byte[] $size',
    '  [Array]::Copy($der, $start, $value, $size - $length, $length)',
    '  return ,$value',
    '}',
    '$certificate = New-Object System.Security.Cryptography.X509Certificates.X509Certificate2 (,(Read-PemBlock (Join-Path $certificateDir \'tls.crt\') \'CERTIFICATE\'))',
    '$der = Read-PemBlock (Join-Path $certificateDir \'tls.key\') \'RSA PRIVATE KEY\'',
    '$at = 0',
    'if ($der[$at] -ne 0x30) { throw \'The RDP key is not a PKCS#1 RSA key.\' }',
    '$at++; $null = Read-DerLength $der ([ref]$at)',
    '$null = Read-DerInteger $der ([ref]$at) 0',
    '$key = New-Object System.Security.Cryptography.RSAParameters',
    '$key.Modulus = Read-DerInteger $der ([ref]$at) 0',
    '$half = [int][Math]::Ceiling($key.Modulus.Length / 2)',
    '$key.Exponent = Read-DerInteger $der ([ref]$at) 0',
    '$key.D = Read-DerInteger $der ([ref]$at) $key.Modulus.Length',
    '$key.P = Read-DerInteger $der ([ref]$at) $half',
    '$key.Q = Read-DerInteger $der ([ref]$at) $half',
    '$key.DP = Read-DerInteger $der ([ref]$at) $half',
    '$key.DQ = Read-DerInteger $der ([ref]$at) $half',
    '$key.InverseQ = Read-DerInteger $der ([ref]$at) $half',
    '[Array]::Clear($der, 0, $der.Length)',
    `$store = New-Object System.Security.Cryptography.X509Certificates.X509Store ('My', 'LocalMachine')`,
    '$store.Open(\'ReadWrite\')',
    'if (-not ($store.Certificates | Where-Object { $_.Thumbprint -eq $certificate.Thumbprint -and $_.HasPrivateKey })) {',
    '  $provider = New-Object System.Security.Cryptography.CspParameters (24)',
    `  $provider.KeyContainerName = "${RDP_CERTIFICATE_FRIENDLY_NAME}-$($certificate.Thumbprint)"`,
    '  $provider.Flags = [System.Security.Cryptography.CspProviderFlags]::UseMachineKeyStore',
    '  $rsa = New-Object System.Security.Cryptography.RSACryptoServiceProvider ($provider)',
    '  $rsa.PersistKeyInCsp = $true',
    '  $rsa.ImportParameters($key)',
    '  $keyFile = Join-Path $env:ProgramData "Microsoft\\Crypto\\RSA\\MachineKeys\\$($rsa.CspKeyContainerInfo.UniqueKeyContainerName)"',
    `  icacls.exe $keyFile /inheritance:r /grant:r '*${SID.system}:F' '*${SID.administrators}:F' '*${SID.networkService}:R' /Q | Out-Null`,
    '  if ($LASTEXITCODE -ne 0) { throw "icacls failed on $keyFile" }',
    '  $certificate.PrivateKey = $rsa',
    `  $certificate.FriendlyName = '${RDP_CERTIFICATE_FRIENDLY_NAME}'`,
    '  $store.Add($certificate)',
    '}',
    '$key = $null',
    '$listener = Get-CimInstance -Namespace \'root\\cimv2\\TerminalServices\' -ClassName Win32_TSGeneralSetting -Filter "TerminalName=\'RDP-Tcp\'"',
    '$listener | Set-CimInstance -Property @{ SSLCertificateSHA1Hash = $certificate.Thumbprint }',
    `$store.Certificates | Where-Object { $_.FriendlyName -eq '${RDP_CERTIFICATE_FRIENDLY_NAME}' -and $_.Thumbprint -ne $certificate.Thumbprint } | ForEach-Object { $store.Remove($_) }`,
    '$store.Close()',
  ];
}

/**
 * The command of the session pod's user-presence probe: exits 0 iff the desktop user
 * (`DESKTOP_USER_NAME`) has a Windows session on the node, active or disconnected, and non-zero
 * once they have logged off (or before they first sign in).
 *
 * `quser <name>` (query user, on every Windows Server with Desktop Experience) asks the local
 * Remote Desktop Services for that user's sessions and sets its exit code by the answer (0 when
 * there is one, 1 when there is none); only the exit code is read, never its text, which is
 * localized and column-aligned. The alternatives are worse: WTSEnumerateSessions needs an
 * `Add-Type` C# compile on every probe, `Win32_LoggedOnUser` keeps stale logon sessions, and an
 * `explorer.exe` owned by the user says nothing about a session without a shell. The user name
 * reaches it as an environment variable, never inside the command (no PowerShell injection).
 */
export function userPresenceProbeCommand(): string[] {
  const script = [
    '$quser = Join-Path $env:SystemRoot \'System32\\quser.exe\'',
    `& $quser ${env(SESSION_SCRIPT_ENV.userName)} > $null 2> $null`,
    'exit $LASTEXITCODE',
  ].join('; ');
  return ['powershell.exe', '-NoLogo', '-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-Command', script];
}

/**
 * The script as `powershell.exe -EncodedCommand` takes it: base64 of its UTF-16LE bytes, which
 * survives any command-line quoting.
 */
export function encodePowerShell(script: string): string {
  return Buffer.from(script, 'utf16le').toString('base64');
}
