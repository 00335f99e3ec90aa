import { Duration } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { Testing } from 'cdk8s';
import { DesktopCertificateAuthority } from '../../constructs/certificates/desktop-certificate-authority';
import { renderRdpServerCertificate, serviceDnsNames } from '../../constructs/certificates/desktop-certificates';
import { CERT_MANAGER_VERSION } from '../../constructs/common/versions';
import { helmReleasesOf, KubernetesObject, validateKubernetesObjects } from '../support/kubernetes-schemas';
import { scanTemplateForSecrets } from '../support/secret-scan';
import { stackWithV2Cluster } from '../support/eks-fixtures';

/** The Fargate kubelet's port, which no Fargate pod may bind. */
const FARGATE_KUBELET_PORT = 10250;

describe('DesktopCertificateAuthority', () => {
  test('installs the pinned cert-manager chart with its webhook off the Fargate kubelet port, CRDs and owner references on', () => {
    // GIVEN
    const { stack, cluster } = stackWithV2Cluster();
    // WHEN
    new DesktopCertificateAuthority(stack, 'Ca', { cluster });
    // THEN
    const template = Template.fromStack(stack);
    template.hasResourceProperties('Custom::AWSCDK-EKS-HelmChart', { Chart: 'cert-manager', CreateNamespace: true, Wait: true, Release: 'cert-manager' });
    const releases = helmReleasesOf(template).filter((r) => r.chart === 'cert-manager');
    expect(releases).toHaveLength(1);
    const release = releases[0];
    expect(release).toMatchObject({ repository: 'https://charts.jetstack.io', version: CERT_MANAGER_VERSION, namespace: 'cert-manager' });
    const values = release.values as { webhook: { securePort: number }; crds: unknown; enableCertificateOwnerRef: boolean };
    expect(values.webhook.securePort).toBe(10260);
    expect(values.webhook.securePort).not.toBe(FARGATE_KUBELET_PORT);
    expect(values.crds).toEqual({ enabled: true, keep: true });
    expect(values.enableCertificateOwnerRef).toBe(true);
  });

  test('creates a self-signed root, kept key on renewal, and a CA ClusterIssuer, all schema-valid', () => {
    // GIVEN
    const { stack, cluster } = stackWithV2Cluster();
    // WHEN
    const ca = new DesktopCertificateAuthority(stack, 'Ca', { cluster, issuerName: 'corp-rdp', rootCertificateDuration: Duration.days(1000) });
    // THEN
    const objects = Testing.synth(ca.chart) as KubernetesObject[];
    expect(validateKubernetesObjects(objects)).toEqual([]);
    expect(objects.map((o) => `${o.kind}/${o.metadata?.name}`).sort()).toEqual(['Certificate/corp-rdp-root', 'ClusterIssuer/corp-rdp', 'ClusterIssuer/corp-rdp-root']);
    const root = objects.find((o) => o.kind === 'Certificate')!;
    expect(root.metadata?.namespace).toBe('cert-manager');
    expect(root.spec).toMatchObject({
      isCA: true,
      secretName: 'corp-rdp-root',
      duration: '24000h',
      privateKey: { algorithm: 'RSA', rotationPolicy: 'Never' },
      issuerRef: { name: 'corp-rdp-root', kind: 'ClusterIssuer' },
    });
    expect(objects.find((o) => o.metadata?.name === 'corp-rdp-root' && o.kind === 'ClusterIssuer')!.spec).toEqual({ selfSigned: {} });
    expect(objects.find((o) => o.metadata?.name === 'corp-rdp')!.spec).toEqual({ ca: { secretName: 'corp-rdp-root' } });
    expect(ca.issuerName).toBe('corp-rdp');
    expect(ca.issuerKind).toBe('ClusterIssuer');
  });

  test('the issuers wait for cert-manager, which waits for the ALB controller (its Services) and the cluster', () => {
    // GIVEN
    const { stack, cluster } = stackWithV2Cluster();
    // WHEN
    const ca = new DesktopCertificateAuthority(stack, 'Ca', { cluster });
    // THEN
    expect(ca.manifest.node.dependencies).toContain(ca.certManager);
    const resources = Template.fromStack(stack).toJSON().Resources as Record<string, { Type: string; DependsOn?: string[] }>;
    const [issuersId] = Object.entries(resources).find(([id, r]) => r.Type === 'Custom::AWSCDK-EKS-KubernetesResource' && id.includes('Issuers'))!;
    const [helmId] = Object.entries(resources).find(([, r]) => r.Type === 'Custom::AWSCDK-EKS-HelmChart')!;
    expect(resources[issuersId].DependsOn).toEqual(expect.arrayContaining([helmId]));
    expect(scanTemplateForSecrets(Template.fromStack(stack))).toEqual([]);
  });

  test('warns when the cluster runs system pods on Fargate but no profile selects cert-manager\'s namespace', () => {
    // GIVEN
    const { stack, cluster } = stackWithV2Cluster();
    cluster.addFargateProfile('System', { selectors: [{ namespace: 'guacamole' }] });
    const { stack: covered, cluster: coveredCluster } = stackWithV2Cluster();
    coveredCluster.addFargateProfile('System', { selectors: [{ namespace: 'guacamole' }] });
    coveredCluster.addFargateProfile('CertManager', { selectors: [{ namespace: 'cert-manager' }] });
    // WHEN
    new DesktopCertificateAuthority(stack, 'Ca', { cluster });
    new DesktopCertificateAuthority(covered, 'Ca', { cluster: coveredCluster });
    // THEN
    Annotations.fromStack(stack).hasWarning('/Test/Ca', Match.stringLikeRegexp('namespace "cert-manager" has no Fargate profile.*DesktopCluster\\.systemNamespaces'));
    Annotations.fromStack(covered).hasNoWarning('/Test/Ca', Match.stringLikeRegexp('Fargate profile'));
  });

  test('with installCertManager: false only the issuers are applied', () => {
    // GIVEN
    const { stack, cluster } = stackWithV2Cluster();
    // WHEN
    const ca = new DesktopCertificateAuthority(stack, 'Ca', { cluster, installCertManager: false });
    // THEN
    expect(ca.certManager).toBeUndefined();
    expect(helmReleasesOf(Template.fromStack(stack))).toHaveLength(0);
  });

  test.each([
    [{ webhookPort: FARGATE_KUBELET_PORT }, /Ca\/Resource|DesktopCertificateAuthority\.webhookPort: is 10250, the Fargate kubelet's port/],
    [{ webhookPort: 80 }, /DesktopCertificateAuthority\.webhookPort/],
    [{ webhookPort: '10260' as unknown as number }, /DesktopCertificateAuthority\.webhookPort/],
    [{ issuerName: 'RDP_CA' }, /DesktopCertificateAuthority\.issuerName: "RDP_CA"/],
    [{ rootCertificateDuration: Duration.days(1) }, /DesktopCertificateAuthority\.rootCertificateDuration: is 1 days; use 30 to 7300 days/],
    [{ rootCertificateDuration: '3650d' as unknown as Duration }, /DesktopCertificateAuthority\.rootCertificateDuration: is "3650d"; use a Duration/],
    [{ installCertManager: 'yes' as unknown as boolean }, /DesktopCertificateAuthority\.installCertManager: is "yes"/],
  ])('bad input %p fails at synth time with the path, prop and fix', (extra, error) => {
    // GIVEN
    const { stack, cluster } = stackWithV2Cluster();
    // WHEN / THEN
    expect(() => new DesktopCertificateAuthority(stack, 'Ca', { cluster, ...extra })).toThrow(error);
    expect(() => new DesktopCertificateAuthority(stack, 'Ca2', { cluster, ...extra })).toThrow(/^Test\/Ca2/);
  });
});

describe('DesktopCertificateAuthority.fromIssuerName', () => {
  test('a gateway in another app trusts the same issuer by name', () => {
    // GIVEN
    const { stack, cluster } = stackWithV2Cluster();
    // WHEN
    const ca = DesktopCertificateAuthority.fromIssuerName(stack, 'Ca', 'desktop-rdp-ca');
    // THEN
    expect(ca.issuerName).toBe('desktop-rdp-ca');
    expect(ca.issuerKind).toBe('ClusterIssuer');
    expect(helmReleasesOf(Template.fromStack(stack))).toHaveLength(0);
    expect(cluster).toBeDefined();
  });

  test('a name that is no DNS label fails with the path and the prop', () => {
    // GIVEN
    const { stack } = stackWithV2Cluster();
    // WHEN / THEN
    expect(() => DesktopCertificateAuthority.fromIssuerName(stack, 'Ca', 'Desktop CA')).toThrow(/^Test: DesktopCertificateAuthority\.fromIssuerName\.issuerName: "Desktop CA"/);
  });
});

describe('renderRdpServerCertificate', () => {
  test('names the Service in both cluster DNS forms, RSA PKCS#1, server auth only, and validates', () => {
    // GIVEN
    const chart = Testing.chart();
    // WHEN
    renderRdpServerCertificate(chart, 'C', {
      name: 'nd-alice-rdp', namespace: 'desktops', secretName: 'nd-alice-rdp-tls',
      dnsNames: serviceDnsNames('nd-alice', 'desktops'), issuer: { issuerName: 'desktop-rdp-ca', duration: '36h' },
    });
    // THEN
    const objects = Testing.synth(chart) as KubernetesObject[];
    expect(validateKubernetesObjects(objects)).toEqual([]);
    expect(objects[0].spec).toMatchObject({
      dnsNames: ['nd-alice.desktops.svc.cluster.local', 'nd-alice.desktops.svc'],
      commonName: 'nd-alice.desktops.svc.cluster.local',
      privateKey: { algorithm: 'RSA', encoding: 'PKCS1', rotationPolicy: 'Always' },
      usages: ['server auth', 'digital signature', 'key encipherment'],
      issuerRef: { name: 'desktop-rdp-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' },
    });
  });

  test('the schema check catches a wrong value (the validator is not a no-op)', () => {
    // GIVEN
    const bad: KubernetesObject = { apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata: { name: 'x' }, spec: { secretName: 'x', issuerRef: { name: 'i' }, privateKey: { algorithm: 'DSA' } } };
    // WHEN / THEN
    expect(validateKubernetesObjects([bad]).join('\n')).toMatch(/algorithm/);
    expect(validateKubernetesObjects([{ ...bad, spec: { issuerRef: { name: 'i' } } }]).join('\n')).toMatch(/secretName/);
  });
});
