import { createDecipheriv, createHmac } from 'crypto';
import { encryptGuacamoleJsonAuth } from '../../constructs/guacamole/json-auth';
import { RdpCertificateValidation } from '../../constructs/guacamole/rdp-certificate-validation';
import { GuacamoleConnectionPolicy, RdpConnection, RdpSecurityMode } from '../../constructs/guacamole/rdp-connection';

const OPEN_POLICY: GuacamoleConnectionPolicy = { allowClipboardCopy: true, allowClipboardPaste: true, allowDriveRedirection: true, recordSessions: false, drivePath: '/var/lib/guacamole/drive' };

describe('RdpConnection', () => {
  test('defaults: NLA on 3389, certificate verified, clipboard and drive off', () => {
    // GIVEN
    const connection = new RdpConnection({ name: 'My desktop', hostname: 'desktop.user-1.svc.cluster.local' });
    // WHEN
    const parameters = connection.parameters();
    // THEN
    expect(parameters).toEqual({
      'hostname': 'desktop.user-1.svc.cluster.local',
      'port': '3389',
      'security': 'nla',
      'ignore-cert': 'false',
      'disable-copy': 'true',
      'disable-paste': 'true',
      'enable-drive': 'false',
      'resize-method': 'display-update',
    });
  });

  test('a KubeVirt desktop is reached through its Service name', () => {
    // WHEN
    const connection = RdpConnection.toKubeVirtDesktop({ name: 'Desktop', serviceName: 'desktop-rdp', namespace: 'user-alice' });
    // THEN
    expect(connection.hostname).toBe('desktop-rdp.user-alice.svc.cluster.local');
    expect(connection.toJsonConnection().protocol).toBe('rdp');
  });

  test('a KubeVirt desktop\'s self-signed certificate is trusted on first use by default, never ignored silently', () => {
    // WHEN
    const parameters = RdpConnection.toKubeVirtDesktop({ name: 'Desktop', serviceName: 'desktop-rdp', namespace: 'user-alice' }).parameters();
    // THEN guacd 1.6 accepts the first certificate and pins it (FreeRDP AutoAcceptCertificate)
    expect(parameters).toEqual(expect.objectContaining({ 'ignore-cert': 'false', 'cert-tofu': 'true' }));
    expect(parameters['cert-fingerprints']).toBeUndefined();
  });

  test('certificate checks render the guacd 1.6 parameters', () => {
    const render = (certificateValidation: RdpCertificateValidation) => {
      const p = new RdpConnection({ name: 'D', hostname: 'h.example', certificateValidation }).parameters();
      return { ignore: p['ignore-cert'], tofu: p['cert-tofu'], fingerprints: p['cert-fingerprints'] };
    };
    expect(render(RdpCertificateValidation.verified())).toEqual({ ignore: 'false', tofu: undefined, fingerprints: undefined });
    expect(render(RdpCertificateValidation.trustOnFirstUse())).toEqual({ ignore: 'false', tofu: 'true', fingerprints: undefined });
    const fp = 'sha256:' + Array.from({ length: 32 }, (_, i) => i.toString(16).padStart(2, '0')).join(':');
    expect(render(RdpCertificateValidation.fingerprints([fp]))).toEqual({ ignore: 'false', tofu: undefined, fingerprints: fp });
    expect(render(RdpCertificateValidation.ignore('lab network, no other hosts on the path'))).toEqual({ ignore: 'true', tofu: undefined, fingerprints: undefined });
  });

  test('bad certificate checks fail with the fix', () => {
    expect(() => RdpCertificateValidation.fingerprints([])).toThrow(/RdpCertificateValidation\.fingerprints: is \[\]; give at least one fingerprint/);
    expect(() => RdpCertificateValidation.fingerprints(['md5:ab:cd'])).toThrow(/RdpCertificateValidation\.fingerprints\[0\]: "md5:ab:cd" is not a certificate fingerprint/);
    expect(() => RdpCertificateValidation.ignore('')).toThrow(/RdpCertificateValidation\.ignore\.reason: is ""; say in at least 10 characters why/);
    expect(() => new RdpConnection({ name: 'D', hostname: 'h.example', ignoreCert: true, certificateValidation: RdpCertificateValidation.verified() }))
      .toThrow(/RdpConnection\.ignoreCert: is set together with certificateValidation/);
    expect(() => new RdpConnection({ name: 'D', hostname: 'h.example', certificateValidation: { check: 'ignored' } as unknown as RdpCertificateValidation }))
      .toThrow(/RdpConnection\.certificateValidation: is \{"check":"ignored"\}/);
  });

  test('features enabled by both the connection and the policy appear; drive is per user', () => {
    // GIVEN
    const connection = new RdpConnection({
      name: 'Desktop', hostname: '10.0.12.7', port: 3390, security: RdpSecurityMode.TLS, ignoreCert: true,
      enableClipboardCopy: true, enableClipboardPaste: true, enableDrive: true, enableFileDownload: true,
    });
    // WHEN
    const parameters = connection.parameters(OPEN_POLICY);
    // THEN
    expect(parameters).toEqual(expect.objectContaining({
      'port': '3390',
      'security': 'tls',
      'ignore-cert': 'true',
      'disable-copy': 'false',
      'disable-paste': 'false',
      'enable-drive': 'true',
      'drive-path': '/var/lib/guacamole/drive/${GUAC_USERNAME}',
      'create-drive-path': 'true',
      'disable-download': 'false',
      'disable-upload': 'true',
    }));
  });

  test('the gateway recording policy records every connection in a folder the web app can find', () => {
    // WHEN
    const parameters = new RdpConnection({ name: 'Desktop', hostname: 'host.example' }).parameters({ ...OPEN_POLICY, recordSessions: true });
    // THEN
    expect(parameters).toEqual(expect.objectContaining({
      'recording-path': '${HISTORY_PATH}/${HISTORY_UUID}',
      'create-recording-path': 'true',
      'recording-include-keys': 'false',
    }));
  });

  test.each([
    ['enableClipboardCopy', { enableClipboardCopy: true }],
    ['enableClipboardPaste', { enableClipboardPaste: true }],
    ['enableDrive', { enableDrive: true }],
  ])('%s without the gateway allowing it fails', (prop, extra) => {
    // GIVEN
    const connection = new RdpConnection({ name: 'Desktop', hostname: 'host.example', ...extra });
    // THEN
    expect(() => connection.parameters()).toThrow(new RegExp(`RdpConnection\\.${prop}: the gateway does not allow`));
  });

  test.each([
    ['not a host!', /RdpConnection\.hostname: "not a host!" is neither a DNS name nor an IP address/],
    ['-leading.example', /RdpConnection\.hostname/],
    ['a'.repeat(64) + '.example', /RdpConnection\.hostname/],
    ['http://desktop.example', /RdpConnection\.hostname/],
  ])('hostname %s is refused', (hostname, error) => {
    expect(() => new RdpConnection({ name: 'Desktop', hostname })).toThrow(error);
  });

  test.each(['10.0.0.1', 'fd00::1', 'desktop', 'desktop.user-1.svc.cluster.local'])('hostname %s is accepted', (hostname) => {
    expect(new RdpConnection({ name: 'Desktop', hostname }).hostname).toBe(hostname);
  });

  test.each([0, 65536, 33.5])('port %s is refused', (port) => {
    expect(() => new RdpConnection({ name: 'Desktop', hostname: 'h.example', port })).toThrow(/RdpConnection\.port: got .*; use a whole number from 1 to 65535/);
  });

  test('an unknown security mode, an empty name, or file transfer without the drive are refused', () => {
    expect(() => new RdpConnection({ name: 'D', hostname: 'h.example', security: 'ssl' as RdpSecurityMode })).toThrow(/RdpConnection\.security: is "ssl", not a RdpSecurityMode; use one of .*RdpSecurityMode\.TLS/);
    expect(() => new RdpConnection({ name: ' ', hostname: 'h.example' })).toThrow(/RdpConnection\.name/);
    expect(() => new RdpConnection({ name: 'D', hostname: 'h.example', enableFileUpload: true })).toThrow(/RdpConnection\.enableDrive: file download or upload is enabled but the drive is not/);
    expect(() => RdpConnection.toKubeVirtDesktop({ name: 'D', serviceName: 'Desktop_RDP', namespace: 'u' })).toThrow(/RdpConnection\.serviceName/);
  });
});

describe('encryptGuacamoleJsonAuth', () => {
  // A key made up for the test (never a deployed one).
  const key = '00112233445566778899aabbccddeeff';

  test('produces what guacamole-auth-json decrypts: AES-128-CBC, zero IV, HMAC-SHA256 + JSON', () => {
    // GIVEN
    const payload = {
      username: '9f2c1a7e-0000-4000-8000-000000000001',
      expires: 1_900_000_000_000,
      connections: { Desktop: RdpConnection.toKubeVirtDesktop({ name: 'Desktop', serviceName: 'desktop', namespace: 'user-1' }).toJsonConnection() },
    };
    // WHEN
    const data = encryptGuacamoleJsonAuth(payload, key);
    // THEN: decrypt as the extension does
    const decipher = createDecipheriv('aes-128-cbc', Buffer.from(key, 'hex'), Buffer.alloc(16));
    const plain = Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]);
    const signature = plain.subarray(0, 32);
    const json = plain.subarray(32);
    expect(signature.equals(createHmac('sha256', Buffer.from(key, 'hex')).update(json).digest())).toBe(true);
    expect(JSON.parse(json.toString('utf8'))).toEqual(payload);
  });

  test('refuses a key that is not 128 bits of hex and a payload that never expires', () => {
    expect(() => encryptGuacamoleJsonAuth({ username: 'u', expires: 1, connections: {} }, 'short')).toThrow(/secretKeyHex: is not 32 hexadecimal digits/);
    expect(() => encryptGuacamoleJsonAuth({ username: 'u', expires: 0, connections: {} }, key)).toThrow(/GuacamoleJsonAuthPayload\.expires: got 0/);
  });
});
