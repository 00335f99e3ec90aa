import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Testing } from 'cdk8s';
import { DesktopCertificateAuthority } from '../../constructs/certificates/desktop-certificate-authority';
import { RDP_CERTIFICATE_MOUNT_PATH } from '../../constructs/certificates/desktop-certificates';
import { GuacamoleGateway } from '../../constructs/guacamole/guacamole-gateway';
import { RdpCertificateValidation } from '../../constructs/guacamole/rdp-certificate-validation';
import { NodeDesktopIsolation, NodeDesktopIsolationMode } from '../../constructs/node-desktops/node-desktop-isolation';
import { NodeDesktopSession, sessionCertificateSecretName, sessionName } from '../../constructs/node-desktops/node-desktop-session';
import { NodeDesktops } from '../../constructs/node-desktops/node-desktops';
import { renderSessionScript, SessionAccountKind } from '../../constructs/node-desktops/session-script';
import { CERTIFICATE_ARN, HOSTNAME, v2Cluster } from '../guacamole/guacamole-fixtures';
import { sampleTemplate } from '../node-desktops/node-desktops-fixtures';
import { FakeKarpenter } from '../support/eks-fixtures';
import { KubernetesObject, kubernetesObjectsOf, validateKubernetesObjects } from '../support/kubernetes-schemas';
import { scanTemplateForSecrets } from '../support/secret-scan';

interface PodSpec {
  containers: Array<{ env?: Array<{ name: string; value?: string }>; volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean }>; args?: string[] }>;
  volumes?: Array<{ name: string; secret?: { secretName: string; items?: Array<{ key: string; path: string }> } }>;
}

function decode(args: string[]): string {
  return Buffer.from(args[args.length - 1], 'base64').toString('utf16le');
}

describe('session script with the desktop CA certificate', () => {
  const script = renderSessionScript({ account: SessionAccountKind.LOCAL, rdpCertificate: true });
  const plain = renderSessionScript({ account: SessionAccountKind.LOCAL });

  test('imports the mounted key pair into the machine store and makes it the RDP-Tcp listener certificate', () => {
    // THEN
    expect(script).toContain("Join-Path $env:CONTAINER_SANDBOX_MOUNT_POINT 'var\\run\\desktop\\rdp-certificate'");
    expect(script).toContain("'tls.crt'");
    expect(script).toContain("'RSA PRIVATE KEY'");
    expect(script).toContain("X509Store ('My', 'LocalMachine')");
    expect(script).toContain('CspProviderFlags]::UseMachineKeyStore');
    expect(script).toContain('Win32_TSGeneralSetting');
    expect(script).toContain("TerminalName='RDP-Tcp'");
    expect(script).toContain('SSLCertificateSHA1Hash = $certificate.Thumbprint');
  });

  test('lets only SYSTEM, Administrators and NETWORK SERVICE (the Remote Desktop service) read the key', () => {
    // THEN
    expect(script).toMatch(/icacls\.exe \$keyFile \/inheritance:r \/grant:r '\*S-1-5-18:F' '\*S-1-5-32-544:F' '\*S-1-5-20:R'/);
    expect(script).toContain('if ($LASTEXITCODE -ne 0) { throw "icacls failed on $keyFile" }');
  });

  test('installs the certificate before the desktop is marked ready, and is idempotent on a restart', () => {
    // THEN
    expect(script.indexOf('SSLCertificateSHA1Hash')).toBeGreaterThan(-1);
    expect(script.indexOf('SSLCertificateSHA1Hash')).toBeLessThan(script.indexOf('New-Item -ItemType File -Path $ready'));
    expect(script).toContain('$_.Thumbprint -eq $certificate.Thumbprint -and $_.HasPrivateKey');
    expect(script).toMatch(/FriendlyName -eq 'desktop-rdp' -and \$_\.Thumbprint -ne \$certificate\.Thumbprint \} \| ForEach-Object \{ \$store\.Remove/);
  });

  test('holds no key material, no password and never a self-signed certificate or a weakened RDP security layer', () => {
    // THEN
    expect(script).not.toMatch(/-----BEGIN [A-Z ]*PRIVATE KEY-----/);
    const section = script.slice(script.indexOf('# RDP presents a certificate'), script.indexOf('# Ready'));
    expect(section).toContain('SSLCertificateSHA1Hash');
    expect(section).not.toMatch(/New-SelfSignedCertificate|Import-PfxCertificate|password/i);
    expect(script).not.toMatch(/New-SelfSignedCertificate/);
    expect(script).not.toMatch(/SecurityLayer -Value [01]\b/);
    expect(script).toContain('SecurityLayer -Value 2');
    expect(script).toContain('UserAuthentication -Value 1');
  });

  test('without the option the listener keeps its certificate', () => {
    // THEN
    expect(plain).not.toContain('SSLCertificateSHA1Hash');
    expect(plain).not.toContain('CONTAINER_SANDBOX_MOUNT_POINT');
  });
});

describe('NodeDesktopSession with a certificate issuer', () => {
  const template = sampleTemplate(NodeDesktopIsolationMode.SHARED_POOL, {
    script: { account: SessionAccountKind.LOCAL, rdpCertificate: true },
    rdpCertificate: { issuerName: 'desktop-rdp-ca', duration: '36h' },
  });

  test('renders a schema-valid Certificate for the session Service and mounts only its tls.crt and tls.key', () => {
    // GIVEN
    const chart = Testing.chart();
    // WHEN
    const session = new NodeDesktopSession(chart, 'S', { template, userId: 'alice@example.com' });
    // THEN
    const objects = Testing.synth(chart) as KubernetesObject[];
    expect(validateKubernetesObjects(objects)).toEqual([]);
    const name = sessionName('alice@example.com');
    const certificate = objects.find((o) => o.kind === 'Certificate')!;
    expect(certificate.metadata).toMatchObject({ name: `${name}-rdp`, namespace: 'desktops' });
    expect(certificate.spec).toMatchObject({
      secretName: sessionCertificateSecretName('alice@example.com'),
      dnsNames: [`${name}.desktops.svc.cluster.local`, `${name}.desktops.svc`],
      duration: '36h',
      issuerRef: { name: 'desktop-rdp-ca', kind: 'ClusterIssuer' },
    });
    expect(session.service.name).toBe(name);
    const pod = objects.find((o) => o.kind === 'Pod')!.spec as PodSpec;
    expect(pod.volumes).toEqual([{ name: 'rdp-certificate', secret: { secretName: `${name}-rdp-tls`, items: [{ key: 'tls.crt', path: 'tls.crt' }, { key: 'tls.key', path: 'tls.key' }] } }]);
    expect(pod.containers[0].volumeMounts).toEqual([{ name: 'rdp-certificate', mountPath: RDP_CERTIFICATE_MOUNT_PATH, readOnly: true }]);
    expect(decode(pod.containers[0].args!)).toContain('SSLCertificateSHA1Hash');
  });

  test('a template whose script and issuer disagree fails', () => {
    // WHEN / THEN
    expect(() => new NodeDesktopSession(Testing.chart(), 'S', { template: { ...template, rdpCertificate: undefined }, userId: 'a@example.com' }))
      .toThrow(/NodeDesktopSession\.template\.rdpCertificate: and template\.script\.rdpCertificate disagree/);
  });

  test('without an issuer there is no Certificate and no volume', () => {
    // GIVEN
    const chart = Testing.chart();
    // WHEN
    new NodeDesktopSession(chart, 'S', { template: sampleTemplate(NodeDesktopIsolationMode.SHARED_POOL), userId: 'alice@example.com' });
    // THEN
    const objects = Testing.synth(chart) as KubernetesObject[];
    expect(objects.filter((o) => o.kind === 'Certificate')).toHaveLength(0);
    expect((objects.find((o) => o.kind === 'Pod')!.spec as PodSpec).volumes).toBeUndefined();
  });
});

describe('gateway and node desktops sharing the desktop CA', () => {
  function setup(withCaOnGateway: boolean) {
    const stack = new Stack(undefined, 'Test', { env: { account: '123456789012', region: 'us-east-1' } });
    const { cluster } = v2Cluster(stack);
    const ca = new DesktopCertificateAuthority(stack, 'Ca', { cluster });
    const gateway = new GuacamoleGateway(stack, 'Gateway', {
      cluster, hostname: HOSTNAME, certificateArn: CERTIFICATE_ARN,
      rdpCertificateAuthority: withCaOnGateway ? ca : undefined,
    });
    const karpenter = new FakeKarpenter(stack, 'Karpenter', { cluster });
    return { stack, cluster, ca, gateway, karpenter };
  }

  test('guacd trusts only the CA root: SSL_CERT_FILE points at a mount of the trust Secret\'s ca.crt alone', () => {
    // GIVEN
    const { stack, gateway, ca } = setup(true);
    // THEN
    const objects = Testing.synth(gateway.chart) as KubernetesObject[];
    const guacd = objects.find((o) => o.kind === 'Deployment' && o.metadata?.name === 'guacamole-guacd')!;
    const pod = (guacd.spec as { template: { spec: PodSpec } }).template.spec;
    expect(pod.containers[0].env).toContainEqual({ name: 'SSL_CERT_FILE', value: '/etc/guacd/rdp-trust/ca.crt' });
    expect(pod.containers[0].volumeMounts).toContainEqual({ name: 'rdp-trust', mountPath: '/etc/guacd/rdp-trust', readOnly: true });
    expect(pod.volumes).toContainEqual({ name: 'rdp-trust', secret: { secretName: 'guacd-rdp-trust', items: [{ key: 'ca.crt', path: 'ca.crt' }] } });
    const trust = objects.find((o) => o.kind === 'Certificate')!;
    expect(trust.metadata).toMatchObject({ name: 'guacd-rdp-trust', namespace: gateway.namespace });
    expect(trust.spec).toMatchObject({ secretName: 'guacd-rdp-trust', issuerRef: { name: ca.issuerName, kind: 'ClusterIssuer' } });
    expect(validateKubernetesObjects([trust])).toEqual([]);
    // The gateway's objects wait for the issuer.
    expect(gateway.manifest.node.dependencies).toContain(ca.ready);
    expect(scanTemplateForSecrets(Template.fromStack(stack))).toEqual([]);
  });

  test('node desktops take the gateway\'s CA by default: sessions get certificates, connections verify strictly', () => {
    // GIVEN
    const { gateway, ca, karpenter } = setup(true);
    // WHEN
    const nd = new NodeDesktops(gateway.node.scope!, 'Desktops', {
      karpenter, isolation: NodeDesktopIsolation.sharedPool(), rdpClientSecurityGroup: gateway.podSecurityGroup, users: [{ userId: 'alice@example.com' }],
    });
    // THEN
    expect(nd.certificateAuthority).toBe(ca);
    expect(nd.sessionTemplate.rdpCertificate).toEqual({ issuerName: 'desktop-rdp-ca', duration: '36h' });
    expect(nd.sessionTemplate.script.rdpCertificate).toBe(true);
    expect(nd.manifest.node.dependencies).toContain(ca.ready);
    const parameters = nd.rdpConnectionFor('alice@example.com', { name: 'Alice' }).parameters(gateway.connectionPolicy);
    expect(parameters).toMatchObject({ 'hostname': `${sessionName('alice@example.com')}.node-desktops.svc.cluster.local`, 'ignore-cert': 'false', 'security': 'nla' });
    expect(parameters).not.toHaveProperty('cert-tofu');
    expect(parameters).not.toHaveProperty('cert-fingerprints');
    // The certificate names exactly the host the connection uses.
    const chart = Testing.chart();
    new NodeDesktopSession(chart, 'S', { template: nd.sessionTemplate, userId: 'alice@example.com' });
    const certificate = (Testing.synth(chart) as KubernetesObject[]).find((o) => o.kind === 'Certificate')!;
    expect((certificate.spec as { dnsNames: string[] }).dnsNames).toContain(parameters.hostname);
  });

  test('a session certificate outlives three sessions, and never less than cert-manager\'s one-hour minimum', () => {
    // GIVEN
    const { stack, gateway, karpenter } = setup(true);
    // WHEN
    const long = new NodeDesktops(stack, 'Long', { name: 'long', karpenter, isolation: NodeDesktopIsolation.sharedPool(), rdpClientSecurityGroup: gateway.podSecurityGroup, maxSessionDuration: Duration.hours(8) });
    const short = new NodeDesktops(stack, 'Short', { name: 'short', karpenter, isolation: NodeDesktopIsolation.sharedPool(), rdpClientSecurityGroup: gateway.podSecurityGroup, maxSessionDuration: Duration.minutes(15) });
    // THEN
    expect(long.sessionTemplate.rdpCertificate?.duration).toBe('24h');
    expect(short.sessionTemplate.rdpCertificate?.duration).toBe('1h');
  });

  test('a CA the gateway does not trust fails at synth time with the fix', () => {
    // GIVEN
    const { stack, gateway, ca, karpenter } = setup(false);
    // WHEN / THEN
    expect(() => new NodeDesktops(stack, 'Desktops', {
      karpenter, isolation: NodeDesktopIsolation.sharedPool(), rdpClientSecurityGroup: gateway.podSecurityGroup, certificateAuthority: ca,
    })).toThrow(/^Test\/Desktops: NodeDesktops\.certificateAuthority: is the CA at Test\/Ca, but the gateway at Test\/Gateway .* trusts no desktop CA.*GuacamoleGateway\.rdpCertificateAuthority/);
  });

  test('without any CA, rdpConnectionFor needs an explicit certificate check, and the pool has no certificates', () => {
    // GIVEN
    const { stack, gateway, karpenter } = setup(false);
    const nd = new NodeDesktops(stack, 'Desktops', { karpenter, isolation: NodeDesktopIsolation.sharedPool(), rdpClientSecurityGroup: gateway.podSecurityGroup });
    // THEN
    expect(nd.sessionTemplate.rdpCertificate).toBeUndefined();
    const gatewayObjects = Testing.synth(gateway.chart) as KubernetesObject[];
    expect(gatewayObjects.filter((o) => o.kind === 'Certificate')).toHaveLength(0);
    expect(JSON.stringify(gatewayObjects)).not.toContain('SSL_CERT_FILE');
    expect(() => nd.rdpConnectionFor('alice@example.com', { name: 'Alice' }))
      .toThrow(/^Test\/Desktops: NodeDesktops\.rdpConnectionFor\.certificateValidation: is not set for "alice@example\.com", and the pool has no certificateAuthority.*DesktopCertificateAuthority/);
    const pinned = nd.rdpConnectionFor('alice@example.com', { name: 'Alice', certificateValidation: RdpCertificateValidation.fingerprints(['sha256:ab:cd']) });
    expect(pinned.parameters()).toMatchObject({ 'cert-fingerprints': 'sha256:ab:cd', 'ignore-cert': 'false' });
  });

  test('an explicit CA works without a gateway in the app (gateway elsewhere)', () => {
    // GIVEN
    const { stack, ca, karpenter } = setup(true);
    const otherGuacd = new ec2.SecurityGroup(stack, 'OtherGuacd', { vpc: karpenter.cluster.vpc });
    // WHEN
    const nd = new NodeDesktops(stack, 'Desktops', { karpenter, isolation: NodeDesktopIsolation.sharedPool(), rdpClientSecurityGroup: otherGuacd, certificateAuthority: ca });
    // THEN
    expect(nd.certificateAuthority).toBe(ca);
    expect(nd.rdpConnectionFor('a@example.com', { name: 'A' }).certificateValidation.check).toBe('verified');
  });

  test('a certificateAuthority of the wrong type fails with the fix', () => {
    // GIVEN
    const { stack, karpenter } = setup(true);
    const sg = new ec2.SecurityGroup(stack, 'Sg', { vpc: karpenter.cluster.vpc });
    // WHEN / THEN
    expect(() => new NodeDesktops(stack, 'Desktops', { karpenter, isolation: NodeDesktopIsolation.sharedPool(), rdpClientSecurityGroup: sg, certificateAuthority: 'desktop-rdp-ca' as never }))
      .toThrow(/Test\/Desktops: NodeDesktops\.certificateAuthority: is "desktop-rdp-ca"; use a DesktopCertificateAuthority/);
  });

  test('every object of the stack validates, cert-manager kinds included', () => {
    // GIVEN
    const { stack } = setup(true);
    // THEN
    const objects = kubernetesObjectsOf(Template.fromStack(stack)).filter((o) => o.apiVersion.startsWith('cert-manager.io/'));
    expect(objects.length).toBeGreaterThanOrEqual(4);
    expect(validateKubernetesObjects(objects)).toEqual([]);
  });
});
