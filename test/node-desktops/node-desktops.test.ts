import { Duration, Size, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { Testing } from 'cdk8s';
import { kubernetesNameForUser } from '../../constructs/common/kubernetes-name';
import { RdpCertificateValidation } from '../../constructs/guacamole/rdp-certificate-validation';
import { CapacityType } from '../../constructs/karpenter/node-pool-types';
import { WindowsVersion } from '../../constructs/karpenter/windows-version';
import { IDesktopAmiSource, NodeDesktopAmi } from '../../constructs/node-desktops/node-desktop-ami';
import { NodeDesktopDirectory } from '../../constructs/node-desktops/node-desktop-directory';
import { NodeDesktopIsolation } from '../../constructs/node-desktops/node-desktop-isolation';
import { NodeDesktopProfiles } from '../../constructs/node-desktops/node-desktop-profiles';
import { NodeDesktops, NodeDesktopsProps } from '../../constructs/node-desktops/node-desktops';
import { WindowsServerEdition } from '../../constructs/windows-ami/fast-launch-windows-ami';
import { KubernetesObject, kubernetesObjectsOf, schemasAvailable, validateKubernetesObjects } from '../support/kubernetes-schemas';
import { scanTemplateForSecrets } from '../support/secret-scan';
import { FakeKarpenter, stackWithV2Cluster } from '../support/eks-fixtures';
import { karpenterCelViolations } from '../support/karpenter-cel';
import { ofKind } from './node-desktops-fixtures';

const SAMPLE_SG = 'sg-0123456789abcdef0';

interface Fixture { stack: Stack; cluster: eks.Cluster; karpenter: FakeKarpenter; guacd: ec2.SecurityGroup }
function fixture(kubernetesVersion?: string | null): Fixture {
  const { stack, cluster } = stackWithV2Cluster();
  const karpenter = new FakeKarpenter(stack, 'Karpenter', { cluster, kubernetesVersion });
  const guacd = new ec2.SecurityGroup(stack, 'Guacd', { vpc: cluster.vpc });
  return { stack, cluster, karpenter, guacd };
}

/** The chart's objects with the node security group's deploy-time id replaced by a sample, for schema checks. */
/** Every object of the pool: the main chart, then the per-user NodePool charts. */
function allObjects(nd: NodeDesktops): KubernetesObject[] {
  return [nd.chart, ...nd.userPoolCharts].flatMap((chart) => Testing.synth(chart) as KubernetesObject[]);
}

function checkable(nd: NodeDesktops): KubernetesObject[] {
  return allObjects(nd).map((o) => (o.kind !== 'EC2NodeClass' ? o : {
    ...o, spec: { ...(o.spec as object), securityGroupSelectorTerms: [{ id: SAMPLE_SG }] },
  }));
}

interface NodePoolSpec {
  template: { metadata?: { labels?: Record<string, string> }; spec: { requirements: Array<{ key: string; operator: string; values?: string[] }>; taints: Array<Record<string, string>>; expireAfter: string; nodeClassRef: Record<string, string> } };
  disruption: { consolidationPolicy: string; consolidateAfter: string };
  limits: Record<string, number>;
}
type NodePool = KubernetesObject & { spec: NodePoolSpec };

describe('NodeDesktops with a NodePool per user', () => {
  let f: Fixture;
  let nd: NodeDesktops;
  let objects: KubernetesObject[];
  let template: Template;
  const alice = kubernetesNameForUser('t', 'alice@example.com');
  const bob = kubernetesNameForUser('t', 'bob@example.com');

  beforeAll(() => {
    // GIVEN
    f = fixture();
    // WHEN
    nd = new NodeDesktops(f.stack, 'Desktops', {
      karpenter: f.karpenter,
      isolation: NodeDesktopIsolation.nodePoolPerUser(),
      rdpClientSecurityGroup: f.guacd,
      users: [{ userId: 'alice@example.com' }, { userId: 'bob@example.com', instanceTypes: ['m7i.xlarge'] }],
    });
    objects = allObjects(nd);
    template = Template.fromStack(f.stack);
  });

  test('renders the namespace, the EC2NodeClass and one NodePool per user, schema- and CEL-valid', () => {
    // THEN
    expect(schemasAvailable()).toBe(true);
    expect(objects.map((o) => `${o.kind}/${o.metadata?.name}`)).toEqual([
      'Namespace/node-desktops', 'ConfigMap/node-desktops-session-template', 'EC2NodeClass/node-desktops', `NodePool/node-desktops-${alice}`, `NodePool/node-desktops-${bob}`,
    ]);
    expect(validateKubernetesObjects(checkable(nd))).toEqual([]);
    expect(checkable(nd).flatMap(karpenterCelViolations)).toEqual([]);
    expect(nd.userNodePoolNames).toEqual([`node-desktops-${alice}`, `node-desktops-${bob}`]);
  });

  test('the namespace admits HostProcess pods (Pod Security privileged)', () => {
    // THEN
    expect((ofKind(objects, 'Namespace')[0].metadata as { labels: Record<string, string> }).labels['pod-security.kubernetes.io/enforce']).toBe('privileged');
  });

  test('the EC2NodeClass boots the Full (Desktop Experience) EKS-optimized AMI by SSM parameter, IMDSv2, encrypted root, own security group', () => {
    // THEN
    const spec = ofKind(objects, 'EC2NodeClass')[0].spec as Record<string, unknown>;
    expect(spec.amiSelectorTerms).toEqual([{ ssmParameter: '/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-EKS_Optimized-1.35/image_id' }]);
    expect(spec.amiFamily).toBe('Windows2022');
    expect(spec.metadataOptions).toEqual({ httpEndpoint: 'enabled', httpProtocolIPv6: 'disabled', httpPutResponseHopLimit: 1, httpTokens: 'required' });
    expect(spec.blockDeviceMappings).toEqual([{ deviceName: '/dev/sda1', ebs: { volumeType: 'gp3', volumeSize: '100Gi', encrypted: true, deleteOnTermination: true } }]);
    expect(spec.securityGroupSelectorTerms).toEqual([{ id: nd.nodeSecurityGroup.securityGroupId }]);
    expect(spec.role).toBe(f.karpenter.windowsNodeRole.roleName);
  });

  test('each user pool: on-demand, labelled and tainted for its user, one node, WhenEmpty after 1m, 12h hard limit', () => {
    // THEN
    const pool = ofKind(objects, 'NodePool')[0] as NodePool;
    expect(pool.spec.template.metadata?.labels).toEqual({ 'desktop.io/user-id': alice });
    expect(pool.spec.template.spec.taints).toEqual([
      { key: 'os', value: 'windows', effect: 'NoSchedule' },
      { key: 'desktop.io/node-desktop', value: 'node-desktops', effect: 'NoSchedule' },
      { key: 'dedicated-user', value: alice, effect: 'NoSchedule' },
    ]);
    expect(pool.spec.template.spec.requirements).toEqual([
      { key: 'kubernetes.io/os', operator: 'In', values: ['windows'] },
      { key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] },
      { key: 'node.kubernetes.io/windows-build', operator: 'In', values: ['10.0.20348'] },
      { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] },
      { key: 'node.kubernetes.io/instance-type', operator: 'In', values: ['m7i.large', 'm6i.large', 'm7a.large', 'm6a.large'] },
    ]);
    expect(pool.spec.limits).toEqual({ nodes: 1 });
    expect(pool.spec.disruption).toMatchObject({ consolidationPolicy: 'WhenEmpty', consolidateAfter: '1m' });
    expect(pool.spec.template.spec.expireAfter).toBe('12h');
  });

  test('a user\'s own instance types apply to that user\'s pool only', () => {
    // THEN
    const [alicePool, bobPool] = ofKind(objects, 'NodePool') as NodePool[];
    expect(bobPool.spec.template.spec.requirements).toContainEqual({ key: 'node.kubernetes.io/instance-type', operator: 'In', values: ['m7i.xlarge'] });
    expect(alicePool.spec.template.spec.requirements).not.toContainEqual({ key: 'node.kubernetes.io/instance-type', operator: 'In', values: ['m7i.xlarge'] });
  });

  test('the manifest is applied after the Karpenter controller, and nothing secret is synthesized', () => {
    // THEN
    const manifests = Object.values(template.findResources('Custom::AWSCDK-EKS-KubernetesResource'))
      .filter((r) => JSON.stringify(r.Properties.Manifest).includes('karpenter.k8s.aws/v1\\",\\"kind\\":\\"EC2NodeClass'));
    expect(manifests).toHaveLength(1);
    const [controllerId] = Object.keys(template.findResources('Custom::AWSCDK-EKS-HelmChart'));
    expect(manifests[0].DependsOn).toContain(controllerId);
    expect(scanTemplateForSecrets(template)).toEqual([]);
    expect(validateKubernetesObjects(kubernetesObjectsOf(template).filter((o) => o.kind !== 'EC2NodeClass'))).toEqual([]);
  });

  describe('security group of the desktop nodes', () => {
    test('has no outbound-to-anywhere default; RDP only from the guacd pods; kubelet from the cluster', () => {
      // THEN
      template.hasResourceProperties('AWS::EC2::SecurityGroup', {
        GroupDescription: 'Node desktops: RDP from the gateway only',
        SecurityGroupEgress: Match.arrayWith([
          Match.objectLike({ CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443, IpProtocol: 'tcp' }),
          Match.objectLike({ CidrIp: '0.0.0.0/0', FromPort: 80, ToPort: 80, IpProtocol: 'tcp' }),
        ]),
      });
      const sgId = f.stack.resolve(nd.nodeSecurityGroup.securityGroupId);
      const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress'))
        .map((r) => r.Properties as Record<string, unknown>)
        .filter((p) => JSON.stringify(p.GroupId) === JSON.stringify(sgId));
      expect(ingress.map((p) => [p.FromPort, p.ToPort, p.IpProtocol])).toEqual([[3389, 3389, 'tcp'], [10250, 10250, 'tcp']]);
      const rdp = ingress.find((p) => p.FromPort === 3389)!;
      expect(rdp.SourceSecurityGroupId).toEqual(f.stack.resolve(f.guacd.securityGroupId));
      expect(rdp.CidrIp).toBeUndefined();
      expect(ingress.find((p) => p.FromPort === 10250)!.SourceSecurityGroupId).toEqual(f.stack.resolve(f.cluster.clusterSecurityGroupId));
      // No egress rule opens everything.
      const groups = Object.values(template.findResources('AWS::EC2::SecurityGroup', { Properties: { GroupDescription: 'Node desktops: RDP from the gateway only' } }));
      const egress = groups[0].Properties.SecurityGroupEgress as Array<Record<string, unknown>>;
      expect(egress.filter((e) => e.IpProtocol === '-1')).toEqual([]);
    });

    test('the cluster security group admits the desktop nodes for the API and DNS only', () => {
      // THEN
      const sgId = f.stack.resolve(nd.nodeSecurityGroup.securityGroupId);
      const toCluster = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress'))
        .map((r) => r.Properties as Record<string, unknown>)
        .filter((p) => JSON.stringify(p.SourceSecurityGroupId) === JSON.stringify(sgId));
      expect(toCluster.map((p) => `${p.IpProtocol}/${p.FromPort}`).sort()).toEqual(['tcp/443', 'tcp/53', 'udp/53']);
    });
  });

  test('publishes the session template for the controller as JSON, deploy-time values resolved by CloudFormation', () => {
    // THEN
    const configMap = ofKind(objects, 'ConfigMap')[0] as KubernetesObject & { data: Record<string, string> };
    expect(configMap.metadata?.namespace).toBe('node-desktops');
    const parsed = JSON.parse(configMap.data['template.json']) as Record<string, unknown>;
    expect(parsed).toEqual(JSON.parse(JSON.stringify(nd.sessionTemplate)));
    // In the template the VPC CIDR (a deploy-time value) is joined into the JSON string.
    const deployed = kubernetesObjectsOf(template).find((o) => o.kind === 'ConfigMap') as KubernetesObject & { data: Record<string, string> };
    expect((JSON.parse(deployed.data['template.json']) as { rdpSources: string }).rdpSources).toBe('TOKEN');
  });

  test('rdpConnectionFor gives the gateway the session Service with NLA', () => {
    // WHEN
    const connection = nd.rdpConnectionFor('alice@example.com', { name: 'Alice\'s desktop', certificateValidation: RdpCertificateValidation.fingerprints(['sha256:ab:cd']) });
    // THEN
    expect(connection.hostname).toBe(`nd-${alice}.node-desktops.svc.cluster.local`);
    expect(connection.parameters()).toMatchObject({ port: '3389', security: 'nla', 'ignore-cert': 'false' });
    // Without a desktop CA, no default check would accept the node's self-signed certificate.
    expect(() => nd.rdpConnectionFor('alice@example.com', { name: 'Alice\'s desktop' })).toThrow(/NodeDesktops\.rdpConnectionFor\.certificateValidation/);
  });
});

describe('NodeDesktops with a shared pool, warm desktops, a directory and FSLogix', () => {
  let f: Fixture;
  let nd: NodeDesktops;
  let objects: KubernetesObject[];
  let template: Template;

  beforeAll(() => {
    // GIVEN
    f = fixture();
    // WHEN
    nd = new NodeDesktops(f.stack, 'Desktops', {
      karpenter: f.karpenter,
      name: 'shared',
      isolation: NodeDesktopIsolation.sharedPool({ maxDesktops: 40 }),
      rdpClientSecurityGroup: f.guacd,
      windowsVersion: WindowsVersion.WINDOWS_2025,
      warmDesktops: 3,
      maxSessionDuration: Duration.hours(8),
      directory: NodeDesktopDirectory.awsManagedMicrosoftAd({
        domainName: 'corp.example.com', netBiosName: 'CORP', dnsServers: ['10.0.0.10', '10.0.1.10'], joinSecretName: 'domain-join',
        organizationalUnit: 'OU=Desktops,DC=corp,DC=example,DC=com',
      }),
      profiles: NodeDesktopProfiles.fsLogix({ share: '\\\\fs.corp.example.com\\share\\profiles' }),
      egress: { fileShareCidrs: ['10.0.2.0/24'] },
      rdsLicenseServers: ['10.0.3.10', '10.0.4.10'],
      users: [{ userId: 'alice@example.com' }, { userId: 'bob@example.com' }],
    });
    objects = Testing.synth(nd.chart) as KubernetesObject[];
    template = Template.fromStack(f.stack);
  });

  test('renders the shared pool, the warm pool and its placeholders, schema- and CEL-valid', () => {
    // THEN
    expect(objects.map((o) => `${o.kind}/${o.metadata?.name}`)).toEqual([
      'Namespace/shared', 'ConfigMap/shared-session-template', 'EC2NodeClass/shared', 'NodePool/shared', 'NodePool/shared-warm', 'PriorityClass/shared-warm', 'Deployment/shared-warm',
    ]);
    expect(validateKubernetesObjects(checkable(nd))).toEqual([]);
    expect(checkable(nd).flatMap(karpenterCelViolations)).toEqual([]);
  });

  test('the shared pool declares the user label with Exists and limits nodes to maxDesktops', () => {
    // THEN
    const pool = ofKind(objects, 'NodePool')[0] as NodePool;
    expect(pool.spec.template.spec.requirements).toContainEqual({ key: 'desktop.io/user-id', operator: 'Exists' });
    expect(pool.spec.template.metadata).toBeUndefined();
    expect(pool.spec.limits).toEqual({ nodes: 40 });
    expect(pool.spec.template.spec.expireAfter).toBe('8h');
    expect(pool.spec.template.spec.requirements).toContainEqual({ key: 'node.kubernetes.io/windows-build', operator: 'In', values: ['10.0.26100'] });
  });

  test('the warm pool taints and labels its nodes warm; three placeholders at negative priority keep them', () => {
    // THEN
    const warm = ofKind(objects, 'NodePool')[1] as NodePool;
    expect(warm.spec.template.metadata?.labels).toEqual({ 'desktop.io/warm': 'true' });
    expect(warm.spec.template.spec.taints).toContainEqual({ key: 'desktop.io/warm', value: 'true', effect: 'NoSchedule' });
    const priority = ofKind(objects, 'PriorityClass')[0] as KubernetesObject & { value: number; preemptionPolicy: string };
    expect(priority.value).toBeLessThan(0);
    expect(priority.preemptionPolicy).toBe('Never');
    expect((ofKind(objects, 'Deployment')[0].spec as { replicas: number }).replicas).toBe(3);
    // A node claimed after waiting still gives its session the full 8 h: 8 h + 12 h of waiting.
    expect(warm.spec.template.spec.expireAfter).toBe('20h');
    expect(nd.sessionTemplate.warmNodeExpireAfter).toBe('20h');
  });

  test('the Windows 2025 Full AMI by SSM parameter', () => {
    // THEN
    expect((ofKind(objects, 'EC2NodeClass')[0].spec as Record<string, unknown>).amiSelectorTerms)
      .toEqual([{ ssmParameter: '/aws/service/ami-windows-latest/Windows_Server-2025-English-Full-EKS_Optimized-1.35/image_id' }]);
  });

  test('the session template carries the directory and the share, and the script joins the domain with FSLogix', () => {
    // THEN
    expect(nd.sessionTemplate.environment).toEqual({
      DESKTOP_DOMAIN_NAME: 'corp.example.com',
      DESKTOP_DOMAIN_NETBIOS_NAME: 'CORP',
      DESKTOP_DOMAIN_DNS_SERVERS: '10.0.0.10,10.0.1.10',
      DESKTOP_DOMAIN_OU: 'OU=Desktops,DC=corp,DC=example,DC=com',
      DESKTOP_PROFILE_SHARE: '\\\\fs.corp.example.com\\share\\profiles',
      DESKTOP_RDS_LICENSE_SERVERS: '10.0.3.10,10.0.4.10',
    });
    expect(nd.sessionTemplate.script).toEqual({ account: 'domain', organizationalUnit: true, fsLogixProfileSizeMb: 30720, rdsLicensing: true });
    expect(nd.sessionTemplate.joinSecretName).toBe('domain-join');
  });

  test('desktop nodes may reach the domain controllers on the AD ports and the file share on 445 only', () => {
    // THEN
    const groups = Object.values(template.findResources('AWS::EC2::SecurityGroup', { Properties: { GroupDescription: 'Node desktops: RDP from the gateway only' } }));
    const egress = groups[0].Properties.SecurityGroupEgress as Array<{ CidrIp?: string; IpProtocol: string; FromPort: number; ToPort: number }>;
    const to = (cidr: string) => egress.filter((e) => e.CidrIp === cidr).map((e) => `${e.IpProtocol}/${e.FromPort}-${e.ToPort}`).sort();
    expect(to('10.0.0.10/32')).toEqual(['tcp/135-135', 'tcp/3268-3269', 'tcp/389-389', 'tcp/445-445', 'tcp/464-464', 'tcp/49152-65535', 'tcp/53-53', 'tcp/636-636', 'tcp/88-88', 'udp/389-389', 'udp/464-464', 'udp/53-53', 'udp/88-88']);
    expect(to('10.0.1.10/32')).toHaveLength(13);
    expect(to('10.0.2.0/24')).toEqual(['tcp/445-445']);
  });

  test('nothing secret is synthesized', () => {
    // THEN
    expect(scanTemplateForSecrets(template)).toEqual([]);
  });
});

describe('NodeDesktops with many users in per-user mode', () => {
  test('splits the user NodePools into manifests of at most 40, each far below the Lambda event limit, after the EC2NodeClass', () => {
    // GIVEN
    const f = fixture();
    const users = Array.from({ length: 120 }, (_, i) => ({ userId: `user-${i}@example.com` }));
    // WHEN
    const nd = new NodeDesktops(f.stack, 'Desktops', { karpenter: f.karpenter, isolation: NodeDesktopIsolation.nodePoolPerUser(), rdpClientSecurityGroup: f.guacd, users });
    const template = Template.fromStack(f.stack);
    // THEN
    expect(nd.userPoolCharts.map((c) => (Testing.synth(c) as KubernetesObject[]).length)).toEqual([40, 40, 40]);
    const manifests = Object.entries(template.findResources('Custom::AWSCDK-EKS-KubernetesResource'))
      .filter(([, r]) => JSON.stringify(r.Properties.Manifest).includes('\\"kind\\":\\"NodePool\\"'));
    expect(manifests).toHaveLength(3);
    const [mainId] = Object.entries(template.findResources('Custom::AWSCDK-EKS-KubernetesResource'))
      .find(([, r]) => JSON.stringify(r.Properties.Manifest).includes('karpenter.k8s.aws/v1\\",\\"kind\\":\\"EC2NodeClass'))!;
    for (const [, manifest] of manifests) {
      // An update request carries old and new manifests: twice this, with room for the event's
      // envelope, must stay under CloudFormation's 262,144-byte limit.
      expect(JSON.stringify(manifest.Properties).length * 2).toBeLessThan(262144 * 0.5);
      expect(manifest.DependsOn).toContain(mainId);
    }
    expect(nd.userNodePoolNames).toHaveLength(120);
    expect(new Set(allObjects(nd).filter((o) => o.kind === 'NodePool').map((o) => o.metadata?.name)).size).toBe(120);
  });
});

describe('NodeDesktops AMIs', () => {
  const source = (edition: WindowsServerEdition): IDesktopAmiSource => ({
    windowsVersion: WindowsVersion.WINDOWS_2022, kubernetesVersion: '1.35', amiSelectorTags: { 'desktop.io/ami': 'desktops' }, edition,
  });

  test('a Full Fast Launch pipeline is selected by its tags with the Windows2022 family', () => {
    // GIVEN
    const f = fixture();
    // WHEN
    const nd = new NodeDesktops(f.stack, 'D', { karpenter: f.karpenter, isolation: NodeDesktopIsolation.sharedPool(), rdpClientSecurityGroup: f.guacd, ami: NodeDesktopAmi.fromFastLaunchAmi(source(WindowsServerEdition.FULL)) });
    // THEN
    const spec = ofKind(Testing.synth(nd.chart) as KubernetesObject[], 'EC2NodeClass')[0].spec as Record<string, unknown>;
    expect(spec.amiSelectorTerms).toEqual([{ tags: { 'desktop.io/ami': 'desktops' } }]);
    expect(spec.amiFamily).toBe('Windows2022');
  });

  test('a Core pipeline is refused', () => {
    // GIVEN
    const f = fixture();
    // WHEN / THEN
    expect(() => new NodeDesktops(f.stack, 'D', { karpenter: f.karpenter, isolation: NodeDesktopIsolation.sharedPool(), rdpClientSecurityGroup: f.guacd, ami: NodeDesktopAmi.fromFastLaunchAmi(source(WindowsServerEdition.CORE)) }))
      .toThrow(/^Test\/D: NodeDesktops\.ami: selects Core AMIs, which have no desktop; build the pipeline with edition: WindowsServerEdition\.FULL/);
  });

  test('the SSM parameter needs the cluster\'s Kubernetes version', () => {
    // GIVEN
    const f = fixture(null);
    // WHEN / THEN
    expect(() => new NodeDesktops(f.stack, 'D', { karpenter: f.karpenter, isolation: NodeDesktopIsolation.sharedPool(), rdpClientSecurityGroup: f.guacd }))
      .toThrow(/Test\/D: NodeDesktops\.ami: NodeDesktopAmi\.eksOptimizedFull\(\) needs the cluster's Kubernetes version/);
  });
});

describe('NodeDesktops bad input', () => {
  const directory = (overrides: Record<string, unknown>) => NodeDesktopDirectory.selfManagedAd({
    domainName: 'corp.example.com', netBiosName: 'CORP', dnsServers: ['10.0.0.10'], joinSecretName: 'join', ...overrides,
  } as never);
  test.each<[string, Partial<NodeDesktopsProps>, RegExp]>([
    ['Windows Server 2019', { windowsVersion: WindowsVersion.WINDOWS_2019 }, /NodeDesktops\.windowsVersion: is Windows Server 2019; node desktops run Windows Server 2022 or 2025/],
    ['a version string from JSON', { windowsVersion: '2022' as unknown as WindowsVersion }, /NodeDesktops\.windowsVersion: is "2022"; node desktops run/],
    ['an isolation that is no NodeDesktopIsolation', { isolation: 'shared' as unknown as NodeDesktopIsolation }, /NodeDesktops\.isolation: is "shared"; use NodeDesktopIsolation\.nodePoolPerUser\(\)/],
    ['Spot without accepting data loss', { capacityType: CapacityType.SPOT }, /NodeDesktops\.capacityType: is CapacityType\.SPOT, but acceptSpotDataLoss is not true/],
    ['an unknown capacity type', { capacityType: 'reserved' as CapacityType }, /NodeDesktops\.capacityType: is "reserved"/],
    ['duplicate users', { users: [{ userId: 'a@example.com' }, { userId: 'a@example.com' }] }, /NodeDesktops\.users\[1\]\.userId: "a@example.com" is listed twice/],
    ['an unmappable user id', { users: [{ userId: '' }] }, /NodeDesktops\.users\[0\]\.userId: is ""; give the user's non-empty id/],
    ['users that are no list', { users: 'alice' as unknown as [] }, /NodeDesktops\.users: is "alice"; give a list of users/],
    ['per-user instance types with the shared pool', { users: [{ userId: 'a@example.com', instanceTypes: ['m7i.xlarge'] }] }, /NodeDesktops\.users\[0\]\.instanceTypes: is set, but with the shared pool/],
    ['warm desktops with per-user pools', { isolation: NodeDesktopIsolation.nodePoolPerUser(), warmDesktops: 2 }, /NodeDesktops\.warmDesktops: is 2, but warm desktops need NodeDesktopIsolation\.sharedPool\(\)/],
    ['too many warm desktops', { warmDesktops: 51 }, /NodeDesktops\.warmDesktops: got 51; use a whole number from 0 to 50/],
    ['a fractional warm count', { warmDesktops: 1.5 }, /NodeDesktops\.warmDesktops: got 1\.5/],
    ['a shared pool of 0 desktops', { isolation: NodeDesktopIsolation.sharedPool({ maxDesktops: 0 }) }, /NodeDesktops\.isolation\.maxDesktops: got 0/],
    ['FSLogix without a directory', { profiles: NodeDesktopProfiles.fsLogix({ share: '\\\\fs\\profiles' }) }, /NodeDesktops\.profiles: use FSLogix profiles on a share.* but no directory is set/],
    ['a share that is no UNC path', { directory: directory({}), profiles: NodeDesktopProfiles.fsLogix({ share: 'fs/profiles' }) }, /NodeDesktops\.profiles\.share: is "fs\/profiles"; give a UNC path/],
    ['a directory without DNS servers', { directory: directory({ dnsServers: [] }) }, /NodeDesktops\.directory\.dnsServers: is empty; the node finds the domain controllers through the domain's DNS/],
    ['a directory DNS server that is no address', { directory: directory({ dnsServers: ['dc1.corp'] }) }, /NodeDesktops\.directory\.dnsServers\[0\]: "dc1\.corp" is not an IPv4 address/],
    ['a directory without a join Secret', { directory: directory({ joinSecretName: undefined }) }, /NodeDesktops\.directory\.joinSecretName: is undefined; name the Kubernetes Secret/],
    ['a single-label domain', { directory: directory({ domainName: 'corp' }) }, /NodeDesktops\.directory\.domainName: is "corp"; give the domain's DNS name with at least two labels/],
    ['a NetBIOS name over 15 characters', { directory: directory({ netBiosName: 'A'.repeat(16) }) }, /NodeDesktops\.directory\.netBiosName/],
    ['an OU that is no distinguished name', { directory: directory({ organizationalUnit: 'Desktops' }) }, /NodeDesktops\.directory\.organizationalUnit: "Desktops" is not a distinguished name/],
    ['a Graviton instance type', { instanceTypes: ['m7g.large'] }, /NodeDesktops\.instanceTypes\[0\]: 'm7g\.large' is a Graviton \(Arm\) type/],
    ['no instance types', { instanceTypes: [] }, /NodeDesktops\.instanceTypes: is empty/],
    ['a pool name over 30 characters', { name: 'a'.repeat(31) }, /NodeDesktops\.name: "a{31}" has 31 characters; use at most 30/],
    ['a pool name that is no DNS label', { name: 'Desktops' }, /NodeDesktops\.name: "Desktops" is not a valid Kubernetes name/],
    ['a root volume too small for a Full AMI', { rootVolumeSize: Size.gibibytes(50) }, /NodeDesktops\.rootVolumeSize: is 50 GiB; a Windows Server Full node needs 60 GiB/],
    ['RDS license servers without a directory', { rdsLicenseServers: ['lic.example.com'] }, /NodeDesktops\.rdsLicenseServers: is set, but no directory is/],
    ['an empty list of RDS license servers', { directory: directory({}), rdsLicenseServers: [] }, /NodeDesktops\.rdsLicenseServers: is empty/],
    ['an RDS license server that is no address', { directory: directory({}), rdsLicenseServers: ['https://lic'] }, /NodeDesktops\.rdsLicenseServers\[0\]: is "https:\/\/lic"; give a DNS name or IP address/],
    ['an image without a tag', { hostProcessImage: 'mcr.microsoft.com/oss/kubernetes/windows-host-process-containers-base-image' }, /NodeDesktops\.hostProcessImage: is "mcr\.microsoft\.com\/oss\/kubernetes\/windows-host-process-containers-base-image"; give an image reference with a tag or digest/],
    ['a placeholder image of the wrong type', { placeholderImage: 3 as unknown as string }, /NodeDesktops\.placeholderImage: is the number 3/],
    ['a bad directory CIDR', { egress: { directoryCidrs: ['10.0.0.0/33'] } }, /NodeDesktops\.egress\.directoryCidrs\[0\]: "10\.0\.0\.0\/33" is not an IPv4 CIDR/],
    ['a bad RDP source CIDR', { rdpSourceCidrs: ['10.0.0.0'] }, /NodeDesktops\.rdpSourceCidrs\[0\]: "10\.0\.0\.0" is not an IPv4 CIDR/],
    ['RDP sources that are no list', { rdpSourceCidrs: '10.0.0.0/16' as unknown as string[] }, /NodeDesktops\.rdpSourceCidrs: is "10\.0\.0\.0\/16"; give a list of CIDRs/],
    ['a directory from JSON', { directory: { domainName: 'corp.example.com' } as unknown as NodeDesktopDirectory }, /NodeDesktops\.directory: is an object .*; use NodeDesktopDirectory\.awsManagedMicrosoftAd/],
    ['profiles from JSON', { profiles: 'fslogix' as unknown as NodeDesktopProfiles }, /NodeDesktops\.profiles: is "fslogix"; use NodeDesktopProfiles\.fsLogix/],
    ['an AMI from JSON', { ami: 'ami-0123' as unknown as NodeDesktopAmi }, /NodeDesktops\.ami: is "ami-0123"; use NodeDesktopAmi\.eksOptimizedFull\(\)/],
  ])('%s fails with the construct path, the prop and the fix', (_what, props, message) => {
    // GIVEN
    const f = fixture();
    // WHEN / THEN
    expect(() => new NodeDesktops(f.stack, 'Desktops', { karpenter: f.karpenter, isolation: NodeDesktopIsolation.sharedPool(), rdpClientSecurityGroup: f.guacd, ...props }))
      .toThrow(new RegExp(`^Test/Desktops: ${message.source}`));
  });

  test('mirrored images replace the public ones', () => {
    // GIVEN
    const f = fixture();
    // WHEN
    const nd = new NodeDesktops(f.stack, 'Desktops', {
      karpenter: f.karpenter, isolation: NodeDesktopIsolation.sharedPool(), rdpClientSecurityGroup: f.guacd, warmDesktops: 1,
      hostProcessImage: '123456789012.dkr.ecr.us-east-1.amazonaws.com/hostprocess:v1.0.0',
      placeholderImage: '123456789012.dkr.ecr.us-east-1.amazonaws.com/pause:3.10.2',
      egress: { internet: false },
    });
    // THEN
    expect(nd.sessionTemplate.hostProcessImage).toBe('123456789012.dkr.ecr.us-east-1.amazonaws.com/hostprocess:v1.0.0');
    const deployment = ofKind(Testing.synth(nd.chart) as KubernetesObject[], 'Deployment')[0];
    expect(JSON.stringify(deployment)).toContain('123456789012.dkr.ecr.us-east-1.amazonaws.com/pause:3.10.2');
    // Egress is then only to the cluster (API, DNS): no CIDR rule at all.
    const template = Template.fromStack(f.stack);
    const groups = Object.values(template.findResources('AWS::EC2::SecurityGroup', { Properties: { GroupDescription: 'Node desktops: RDP from the gateway only' } }));
    expect(((groups[0].Properties.SecurityGroupEgress ?? []) as Array<{ CidrIp?: string }>).filter((e) => e.CidrIp !== undefined && e.CidrIp !== '255.255.255.255/32')).toEqual([]);
    const sgId = JSON.stringify(f.stack.resolve(nd.nodeSecurityGroup.securityGroupId));
    const egress = Object.values(template.findResources('AWS::EC2::SecurityGroupEgress')).map((r) => r.Properties).filter((p) => JSON.stringify(p.GroupId) === sgId);
    expect(egress.map((e) => `${e.IpProtocol}/${e.FromPort}`).sort()).toEqual(['tcp/443', 'tcp/53', 'udp/53']);
    expect(egress.every((e) => e.DestinationSecurityGroupId !== undefined)).toBe(true);
  });

  test('Spot with the data loss accepted is allowed and is the only capacity type', () => {
    // GIVEN
    const f = fixture();
    // WHEN
    const nd = new NodeDesktops(f.stack, 'Desktops', { karpenter: f.karpenter, isolation: NodeDesktopIsolation.sharedPool(), rdpClientSecurityGroup: f.guacd, capacityType: CapacityType.SPOT, acceptSpotDataLoss: true });
    // THEN
    expect(nd.sessionTemplate.capacityTypes).toEqual(['spot']);
  });

  test('two pools of one cluster may not share a name', () => {
    // GIVEN
    const f = fixture();
    new NodeDesktops(f.stack, 'A', { karpenter: f.karpenter, isolation: NodeDesktopIsolation.sharedPool(), rdpClientSecurityGroup: f.guacd });
    // WHEN / THEN
    expect(() => new NodeDesktops(f.stack, 'B', { karpenter: f.karpenter, isolation: NodeDesktopIsolation.nodePoolPerUser(), rdpClientSecurityGroup: f.guacd }))
      .toThrow(/^Test\/B: NodeDesktops\.name: "node-desktops" \(namespace "node-desktops"\) is already used by the node desktops at Test\/A/);
  });

  test('a user in two pools is allowed, with a warning', () => {
    // GIVEN
    const f = fixture();
    new NodeDesktops(f.stack, 'A', { karpenter: f.karpenter, name: 'a', isolation: NodeDesktopIsolation.sharedPool(), rdpClientSecurityGroup: f.guacd, users: [{ userId: 'alice@example.com' }] });
    // WHEN
    new NodeDesktops(f.stack, 'B', { karpenter: f.karpenter, name: 'b', isolation: NodeDesktopIsolation.nodePoolPerUser(), rdpClientSecurityGroup: f.guacd, users: [{ userId: 'alice@example.com' }, { userId: 'bob@example.com' }] });
    // THEN
    Annotations.fromStack(f.stack).hasWarning('/Test/B', Match.stringLikeRegexp('alice@example\\.com also has node desktops at Test/A'));
  });

  test('Windows 2025 on an older Karpenter fails with the Karpenter version', () => {
    // GIVEN
    const { stack, cluster } = stackWithV2Cluster();
    const karpenter = new FakeKarpenter(stack, 'K', { cluster, version: '1.8.0' });
    // WHEN / THEN
    expect(() => new NodeDesktops(stack, 'Desktops', { karpenter, isolation: NodeDesktopIsolation.sharedPool(), rdpClientSecurityGroup: new ec2.SecurityGroup(stack, 'G', { vpc: cluster.vpc }), windowsVersion: WindowsVersion.WINDOWS_2025 }))
      .toThrow(/^Test\/Desktops: NodeDesktops\.karpenter\.version: is '1\.8\.0', but Windows Server 2025 nodes need Karpenter ≥ 1\.9\.0/);
  });
});
