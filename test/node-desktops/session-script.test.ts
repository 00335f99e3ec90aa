import { encodePowerShell, renderSessionScript, SESSION_SCRIPT_ENV, SessionAccountKind, userPresenceProbeCommand } from '../../constructs/node-desktops/session-script';

/** Lines of the script without comments, so that a check never passes on a comment's words. */
function code(script: string): string[] {
  return script.split('\r\n').filter((l) => !l.trim().startsWith('#') && l.trim() !== '');
}

describe('session script for local accounts', () => {
  // GIVEN / WHEN
  const script = renderSessionScript({ account: SessionAccountKind.LOCAL });
  const lines = code(script);

  test('blocks the instance metadata service for the user and every interactive or RDP logon, by SDDL of their SIDs', () => {
    // THEN
    const rule = lines.find((l) => l.includes('New-NetFirewallRule') && l.includes('desktop-block-imds'));
    expect(rule).toBeDefined();
    expect(rule).toMatch(/-Direction Outbound -Action Block/);
    expect(rule).toMatch(/-RemoteAddress '169\.254\.169\.254', 'fd00:ec2::254'/);
    expect(rule).toMatch(/-LocalUser \$imdsPrincipals/);
    const sddl = lines.find((l) => l.startsWith('$imdsPrincipals ='));
    expect(sddl).toBe('$imdsPrincipals = "D:(A;;CC;;;$sid)(A;;CC;;;S-1-5-4)(A;;CC;;;S-1-5-14)"');
    // The SID is the desktop user's own, resolved from the account.
    expect(lines).toContain('$sid = (New-Object System.Security.Principal.NTAccount ($account)).Translate([System.Security.Principal.SecurityIdentifier]).Value');
  });

  test('turns Windows Firewall on before adding rules, so the block applies', () => {
    // THEN
    const on = lines.indexOf('Set-NetFirewallProfile -Profile Domain, Private, Public -Enabled True');
    const block = lines.findIndex((l) => l.includes('desktop-block-imds') && l.includes('New-NetFirewallRule'));
    expect(on).toBeGreaterThanOrEqual(0);
    expect(on).toBeLessThan(block);
    // The kubelet API (logs, exec, metrics) keeps working once the firewall is on.
    expect(lines).toContain("New-NetFirewallRule -Name 'desktop-kubelet' -DisplayName 'kubelet API' -Direction Inbound -Action Allow -Protocol TCP -LocalPort 10250 | Out-Null");
  });

  test('turns on RDP with Network Level Authentication and TLS', () => {
    // THEN
    expect(lines).toContain('Set-ItemProperty -Path $terminalServer -Name fDenyTSConnections -Value 0');
    expect(lines).toContain('Set-ItemProperty -Path "$terminalServer\\WinStations\\RDP-Tcp" -Name UserAuthentication -Value 1');
    expect(lines).toContain('Set-ItemProperty -Path "$terminalServer\\WinStations\\RDP-Tcp" -Name SecurityLayer -Value 2');
    expect(lines.join('\n')).not.toMatch(/UserAuthentication -Value 0/);
  });

  test('lets RDP in from the gateway addresses only: the built-in any-address rules off, one rule with the sources', () => {
    // THEN
    expect(lines).toContain("Get-NetFirewallRule -Group '@FirewallAPI.dll,-28752' -ErrorAction SilentlyContinue | Disable-NetFirewallRule");
    const rdp = lines.find((l) => l.startsWith('New-NetFirewallRule -Name \'desktop-rdp-from-gateway\''));
    expect(rdp).toMatch(/-Direction Inbound -Action Allow -Protocol TCP -LocalPort 3389 -RemoteAddress \$rdpSources/);
    expect(lines).toContain(`$rdpSources = $env:${SESSION_SCRIPT_ENV.rdpSources} -split ','`);
    expect(lines.join('\n')).not.toMatch(/-RemoteAddress (Any|\*)/);
  });

  test('adds the user to Remote Desktop Users and removes them from Administrators, by well-known SIDs', () => {
    // THEN
    expect(lines).toContain("  Add-LocalGroupMember -SID 'S-1-5-32-555' -Member $sid");
    expect(lines).toContain("  Remove-LocalGroupMember -SID 'S-1-5-32-544' -Member $sid");
    expect(lines.join('\n')).not.toMatch(/Add-LocalGroupMember -SID 'S-1-5-32-544'/);
    expect(lines.join('\n')).not.toMatch(/Add-LocalGroupMember -Group 'Administrators'/i);
  });

  test('creates the local account with the password from the environment, then drops it from the environment', () => {
    // THEN
    expect(lines).toContain(`$password = ConvertTo-SecureString -String $env:${SESSION_SCRIPT_ENV.userPassword} -AsPlainText -Force`);
    expect(lines).toContain(`Remove-Item -Path Env:\\${SESSION_SCRIPT_ENV.userPassword}`);
    expect(lines).toContain('  New-LocalUser -Name $user -Password $password -PasswordNeverExpires -AccountNeverExpires | Out-Null');
  });

  test('locks the kubelet\'s configuration to SYSTEM and Administrators', () => {
    // THEN
    expect(lines).toContain("foreach ($path in @('C:\\ProgramData\\kubernetes', 'C:\\ProgramData\\Amazon\\EKS', 'C:\\ProgramData\\containerd\\state')) {");
    expect(lines).toContain("    icacls.exe $path /inheritance:r /grant:r '*S-1-5-18:(OI)(CI)F' '*S-1-5-32-544:(OI)(CI)F' /T /Q | Out-Null");
  });

  test('contains no password, no domain join and no FSLogix when not asked for', () => {
    // THEN
    expect(script).not.toMatch(/Add-Computer|DESKTOP_JOIN|FSLogix/);
    expect(script).not.toMatch(/-Password\s+['"]/);
    expect(script).not.toMatch(/ConvertTo-SecureString -String ['"]/);
  });

  test('reads every per-user value from the environment: no user-specific text in the script', () => {
    // THEN
    expect(lines).toContain(`$user = $env:${SESSION_SCRIPT_ENV.userName}`);
    // Same rendering for every session of a pool.
    expect(renderSessionScript({ account: SessionAccountKind.LOCAL })).toBe(script);
  });

  test('marks readiness and then holds the node', () => {
    // THEN
    expect(lines).toContain('New-Item -ItemType File -Path $ready -Force | Out-Null');
    expect(lines[lines.length - 1]).toBe('while ($true) { Start-Sleep -Seconds 3600 }');
  });

  test('stops on the first error', () => {
    // THEN
    expect(lines[0]).toBe("$ErrorActionPreference = 'Stop'");
  });
});

describe('session script for directory accounts with FSLogix', () => {
  // GIVEN / WHEN
  const script = renderSessionScript({ account: SessionAccountKind.DOMAIN, organizationalUnit: true, fsLogixProfileSizeMb: 30720 });
  const lines = code(script);

  test('joins the domain once, with credentials from the environment, resolving the domain through its DNS servers only', () => {
    // THEN
    expect(lines).toContain(`  Add-DnsClientNrptRule -Namespace $namespaces -NameServers ($env:${SESSION_SCRIPT_ENV.domainDnsServers} -split ',')`);
    expect(lines).toContain('if (-not (Get-CimInstance -ClassName Win32_ComputerSystem).PartOfDomain) {');
    expect(lines).toContain(`  $joinPassword = ConvertTo-SecureString -String $env:${SESSION_SCRIPT_ENV.joinPassword} -AsPlainText -Force`);
    expect(lines).toContain(`  $join.OUPath = $env:${SESSION_SCRIPT_ENV.domainOrganizationalUnit}`);
    expect(lines).toContain('  Add-Computer @join');
    expect(lines).toContain(`$account = "$env:${SESSION_SCRIPT_ENV.domainNetBiosName}\\$user"`);
    expect(script).not.toMatch(/New-LocalUser/);
  });

  test('refuses a user who is an administrator through a nested group', () => {
    // THEN
    expect(lines.some((l) => l.includes('WindowsIdentity]::new($upn)).Groups.Value -contains \'S-1-5-32-544\''))).toBe(true);
    expect(lines.some((l) => l.trim().startsWith('throw') && l.includes('administrator'))).toBe(true);
  });

  test('still blocks IMDS and restricts RDP', () => {
    // THEN
    expect(lines.some((l) => l.includes('desktop-block-imds') && l.includes('-LocalUser $imdsPrincipals'))).toBe(true);
    expect(lines.some((l) => l.includes('desktop-rdp-from-gateway') && l.includes('-RemoteAddress $rdpSources'))).toBe(true);
  });

  test('configures FSLogix profile containers on the share, refusing temporary profiles', () => {
    // THEN
    expect(lines).toContain(`New-ItemProperty -Path $fslogix -Name VHDLocations -PropertyType MultiString -Value @($env:${SESSION_SCRIPT_ENV.profileShare}) -Force | Out-Null`);
    expect(lines).toContain('New-ItemProperty -Path $fslogix -Name Enabled -PropertyType DWord -Value 1 -Force | Out-Null');
    expect(lines).toContain('New-ItemProperty -Path $fslogix -Name SizeInMBs -PropertyType DWord -Value 30720 -Force | Out-Null');
    expect(lines).toContain('New-ItemProperty -Path $fslogix -Name PreventLoginWithTempProfile -PropertyType DWord -Value 1 -Force | Out-Null');
  });

  test('without an OU the join does not set one', () => {
    // THEN
    expect(renderSessionScript({ account: SessionAccountKind.DOMAIN })).not.toMatch(/OUPath/);
  });
});

describe('session script with RDS licensing', () => {
  test('sets per-user licensing with the License Manager servers from the environment, and needs the RDSH role', () => {
    // GIVEN / WHEN
    const lines = code(renderSessionScript({ account: SessionAccountKind.DOMAIN, rdsLicensing: true }));
    // THEN
    expect(lines).toContain('if (-not (Get-WindowsFeature -Name RDS-RD-Server).Installed) {');
    expect(lines).toContain('New-ItemProperty -Path $rdsPolicy -Name LicensingMode -PropertyType DWord -Value 4 -Force | Out-Null');
    expect(lines).toContain(`New-ItemProperty -Path $rdsPolicy -Name LicenseServers -PropertyType String -Value $env:${SESSION_SCRIPT_ENV.rdsLicenseServers} -Force | Out-Null`);
    expect(lines).toContain("$rdsPolicy = 'HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services'");
    expect(renderSessionScript({ account: SessionAccountKind.DOMAIN })).not.toMatch(/LicensingMode/);
  });
});

describe('session script: the desktop disconnects idle users itself (RDS policy MaxIdleTime)', () => {
  // GIVEN / WHEN
  const lines = code(renderSessionScript({ account: SessionAccountKind.LOCAL }));
  const licensed = code(renderSessionScript({ account: SessionAccountKind.DOMAIN, rdsLicensing: true }));

  test('sets MaxIdleTime (DWORD, ms) from the environment when it is above 0, and removes it otherwise', () => {
    // THEN
    expect(lines).toContain("$rdsPolicy = 'HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services'");
    expect(lines).toContain(`$maxIdleSetting = [string]$env:${SESSION_SCRIPT_ENV.maxIdleTimeMs}`);
    expect(lines).toContain(`if ($maxIdleSetting -ne '' -and -not [uint32]::TryParse($maxIdleSetting, [ref]$maxIdleTime)) { throw '${SESSION_SCRIPT_ENV.maxIdleTimeMs} is not a number of milliseconds.' }`);
    const set = lines.indexOf('  New-ItemProperty -Path $rdsPolicy -Name MaxIdleTime -PropertyType DWord -Value $maxIdleTime -Force | Out-Null');
    expect(set).toBeGreaterThan(lines.indexOf('if ($maxIdleTime -gt 0) {'));
    expect(lines).toContain('  Remove-ItemProperty -Path $rdsPolicy -Name MaxIdleTime -ErrorAction SilentlyContinue');
    // The value is the session's: read from the environment, never written into the script.
    expect(lines.join('\n')).not.toMatch(/MaxIdleTime -PropertyType DWord -Value \d/);
  });

  test('creates the policy key only when missing (New-Item -Force would drop values such as the licensing ones)', () => {
    // THEN
    expect(lines).toContain('if (-not (Test-Path -Path $rdsPolicy)) { New-Item -Path $rdsPolicy -Force | Out-Null }');
    for (const l of [lines, licensed]) expect(l.filter((x) => x.startsWith('New-Item -Path $rdsPolicy'))).toEqual([]);
    // Licensing writes into the same key after it, so both settings stay.
    expect(licensed.indexOf('New-ItemProperty -Path $rdsPolicy -Name LicensingMode -PropertyType DWord -Value 4 -Force | Out-Null'))
      .toBeGreaterThan(licensed.indexOf('if ($maxIdleTime -gt 0) {'));
  });
});

describe('userPresenceProbeCommand', () => {
  // GIVEN / WHEN
  const command = userPresenceProbeCommand();
  const script = command[command.length - 1];

  test('runs quser for the desktop user from the environment and answers with its exit code only', () => {
    // THEN
    expect(command.slice(0, -1)).toEqual(['powershell.exe', '-NoLogo', '-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-Command']);
    expect(script).toBe(`$quser = Join-Path $env:SystemRoot 'System32\\quser.exe'; & $quser $env:${SESSION_SCRIPT_ENV.userName} > $null 2> $null; exit $LASTEXITCODE`);
  });

  test('never parses quser\'s localized text and needs no compile or API token', () => {
    // THEN
    expect(script).not.toMatch(/Select-String|-match|-like|Split|Add-Type|Invoke-RestMethod|serviceaccount/i);
  });
});

describe('encodePowerShell', () => {
  test('is base64 of UTF-16LE, as powershell.exe -EncodedCommand expects', () => {
    // GIVEN / WHEN
    const encoded = encodePowerShell('Write-Output "ä"');
    // THEN
    expect(Buffer.from(encoded, 'base64').toString('utf16le')).toBe('Write-Output "ä"');
    expect(encoded).toBe('VwByAGkAdABlAC0ATwB1AHQAcAB1AHQAIAAiAOQAIgA=');
  });
});
