import { IPolicyValidationContext } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { IConstruct } from 'constructs';
import { AwsSolutionsAudit } from '../../lib/aws-solutions-audit';
import { WindowsDesktopsStack } from '../../lib/windows-desktops-stack';
import { cdkJsonContext, projectApp } from '../support/app';
import { checkTemplateAgainstRegistry } from '../support/cloudformation-schemas';
import { gvk, KINDS_WITHOUT_SCHEMA } from '../guacamole/guacamole-fixtures';
import { runControlTowerAudit } from '../support/control-tower-audit';
import { scanTemplateForSecrets } from '../support/secret-scan';
import { karpenterCelViolations } from '../support/karpenter-cel';
import { registerKubeVirtSchemas } from '../support/kubevirt-schemas';
import { helmReleasesOf, KubernetesObject, kubernetesObjectsByResource, kubernetesObjectsOf, validateKubernetesObjects } from '../support/kubernetes-schemas';
import { karpenterAdmissionProblems, NodeOverlayObject, NodePoolObject } from '../support/karpenter-admission';
import { KubeVirtClusterConfig, renderLauncherPod } from '../support/kubevirt-launcher';

const CONTEXT = cdkJsonContext();
const ZONES = CONTEXT['windows-desktops:availabilityZones'] as string[];

function synthReferenceStack(): { stack: WindowsDesktopsStack; template: Template } {
  const app = projectApp();
  const stack = new WindowsDesktopsStack(app, 'WindowsDesktops', {
    env: { account: '123456789012', region: 'us-east-1' },
    availabilityZones: ZONES,
    gatewayHostname: CONTEXT['windows-desktops:gatewayHostname'] as string,
    gatewayCertificateArn: CONTEXT['windows-desktops:gatewayCertificateArn'] as string,
  });
  return { stack, template: Template.fromStack(stack) };
}

describe('WindowsDesktopsStack (reference stack)', () => {
  let stack: WindowsDesktopsStack;
  let template: Template;

  beforeAll(() => {
    // GIVEN the reference stack with the project's cdk.json context
    // WHEN it is synthesized
    ({ stack, template } = synthReferenceStack());
  });

  test('synthesis is deterministic', () => {
    const again = synthReferenceStack().template.toJSON();
    expect(JSON.stringify(again)).toEqual(JSON.stringify(template.toJSON()));
  });

  test('creates a private-endpoint EKS cluster with secrets encryption and all control-plane logs', () => {
    template.hasResourceProperties('AWS::EKS::Cluster', {
      ResourcesVpcConfig: Match.objectLike({ EndpointPrivateAccess: true, EndpointPublicAccess: false }),
      EncryptionConfig: [Match.objectLike({ Resources: ['secrets'] })],
      Logging: { ClusterLogging: { EnabledTypes: Match.arrayWith([{ Type: 'api' }, { Type: 'audit' }, { Type: 'authenticator' }]) } },
    });
  });

  test('spreads private subnets over three availability zones, tagged for Karpenter discovery', () => {
    const subnets = Object.values(template.findResources('AWS::EC2::Subnet', {
      Properties: { Tags: Match.arrayWith([{ Key: 'karpenter.sh/discovery', Value: 'windows-desktops' }]) },
    }));
    expect(subnets.map((s) => s.Properties.AvailabilityZone).sort()).toEqual(ZONES);
  });

  test('installs Karpenter 1.14.1 (CRDs, then controller) and Windows 2019 and 2022 pools', () => {
    const releases = helmReleasesOf(template);
    expect(releases.filter((r) => r.chart.startsWith('karpenter')).map((r) => `${r.chart}@${r.version}`).sort())
      .toEqual(['karpenter-crd@1.14.1', 'karpenter@1.14.1']);
    const objects = kubernetesObjectsOf(template);
    expect(objects.filter((o) => o.kind === 'NodePool' && !o.metadata?.name?.startsWith('desktops-')).map((o) => o.metadata?.name).sort()).toEqual(['vm-hosts-metal', 'vm-hosts-metal-per-user', 'windows-2019', 'windows-2022']);
    expect(objects.filter((o) => o.kind === 'RuntimeClass').map((o) => o.metadata?.name).sort()).toEqual(['windows-2019', 'windows-2022']);
    expect(stack.windowsPools.map((p) => p.windowsVersion.build)).toEqual(['10.0.17763', '10.0.20348']);
  });

  test('gives Windows and Linux nodes separate roles in EC2_WINDOWS and EC2_LINUX access entries', () => {
    const types = Object.values(template.findResources('AWS::EKS::AccessEntry')).map((r) => r.Properties.Type).sort();
    expect(types).toEqual(expect.arrayContaining(['EC2_LINUX', 'EC2_WINDOWS']));
  });

  test('installs KubeVirt and CDI at deploy time and applies a halted Windows 11 desktop template', () => {
    const objects = kubernetesObjectsOf(template);
    const jobs = objects.filter((o) => o.kind === 'Job');
    expect(JSON.stringify(jobs)).toContain('kubevirt/releases/download/v1.9.0/kubevirt-operator.yaml');
    const vm = objects.find((o) => o.kind === 'VirtualMachine') as unknown as { spec: { runStrategy: string; template: { spec: { domain: { firmware: { bootloader: { efi: { secureBoot: boolean } } } } } } } };
    expect(vm.spec.runStrategy).toBe('Halted');
    expect(vm.spec.template.spec.domain.firmware.bootloader.efi.secureBoot).toBe(true);
    expect(objects.filter((o) => o.kind === 'DataSource').map((o) => o.metadata?.name)).toEqual(['windows11']);
  });

  test('isolates two users per mode: namespaces, per-user pools, halted desktops on their own hosts, all schema-valid', () => {
    registerKubeVirtSchemas();
    const objects = stack.users.stacks.flatMap((s) => kubernetesObjectsOf(Template.fromStack(s)));
    const byKind = (kind: string) => objects.filter((o) => o.kind === kind);
    expect(byKind('Namespace').map((o) => o.metadata?.name)).toHaveLength(4);
    // Carol and Dave have a NodePool each; Alice and Bob share the per-user pool.
    expect(byKind('NodePool').map((o) => (o.metadata?.name ?? '').replace(/-[a-z2-7]{10}$/, '')).sort()).toEqual(['carol-example-com', 'dave-example-com']);
    for (const vm of byKind('VirtualMachine') as unknown as Array<{ metadata?: { namespace?: string }; spec: { runStrategy: string; template: { spec: { nodeSelector: Record<string, string> } } } }>) {
      expect(vm.spec.runStrategy).toBe('Halted');
      expect(vm.spec.template.spec.nodeSelector['desktop.io/user-id']).toBe(vm.metadata?.namespace);
    }
    expect(byKind('NetworkPolicy').length).toBe(4 * 4);
    expect(validateKubernetesObjects(objects)).toEqual([]);
  });

  test('the sample golden image comes from an ECR repository the stack creates', () => {
    const [repoId] = Object.keys(template.findResources('AWS::ECR::Repository', { Properties: { RepositoryName: 'golden/windows11', ImageTagMutability: 'IMMUTABLE' } }));
    expect(repoId).toBeDefined();
    const manifests = template.findResources('Custom::AWSCDK-EKS-KubernetesResource');
    const withDataVolume = Object.values(manifests).map((r) => JSON.stringify(r.Properties.Manifest)).find((m) => m.includes('DataVolume'))!;
    // The registry URL is built from the repository's own attributes.
    expect(withDataVolume).toContain(repoId);
  });

  test('has node desktops in both isolation modes: a NodePool for each of two users, and a shared pool with a warm pool', () => {
    const objects = kubernetesObjectsOf(template);
    const pools = objects.filter((o) => o.kind === 'NodePool' && o.metadata?.name?.startsWith('desktops-')).map((o) => o.metadata?.name);
    expect(pools).toEqual([...stack.dedicatedNodeDesktops.userNodePoolNames, 'desktops-shared', 'desktops-shared-warm']);
    expect(stack.dedicatedNodeDesktops.userNodePoolNames).toHaveLength(2);
    // Every Karpenter object of the stack keeps the CRDs' CEL rules (restated in the helper).
    expect(objects.flatMap(karpenterCelViolations)).toEqual([]);
    expect(objects.filter((o) => o.kind === 'EC2NodeClass').map((o) => o.metadata?.name)).toEqual(expect.arrayContaining(['desktops-dedicated', 'desktops-shared']));
    // RDP to desktop nodes from the gateway's guacd pods only.
    for (const desktops of [stack.dedicatedNodeDesktops, stack.sharedNodeDesktops]) {
      template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
        GroupId: stack.resolve(desktops.nodeSecurityGroup.securityGroupId),
        FromPort: 3389, ToPort: 3389, IpProtocol: 'tcp',
        SourceSecurityGroupId: stack.resolve(stack.gateway.podSecurityGroup.securityGroupId),
      });
    }
  });

  test('deploys the Guacamole gateway behind an HTTPS ALB, with Aurora encrypted and private', () => {
    const objects = kubernetesObjectsOf(template);
    expect(objects.filter((o) => o.kind === 'Deployment').map((o) => o.metadata?.name)).toEqual(expect.arrayContaining(['guacamole-guacd', 'guacamole-web']));
    const ingress = objects.find((o) => o.kind === 'Ingress');
    expect(ingress?.metadata?.annotations).toMatchObject({ 'alb.ingress.kubernetes.io/scheme': 'internet-facing', 'alb.ingress.kubernetes.io/auth-type': 'cognito' });
    template.hasResourceProperties('AWS::RDS::DBCluster', { StorageEncrypted: true, Engine: 'aurora-postgresql' });
    template.resourceCountIs('AWS::Cognito::UserPool', 1);
    template.hasOutput('SampleDesktopConnection', { Value: Match.stringLikeRegexp('sample-desktop-rdp\\.desktops\\.svc') });
  });

  test('installs the session controller and sign-in broker, the session CRDs and a DesktopClass', () => {
    const objects = kubernetesObjectsOf(template);
    expect(objects.filter((o) => o.kind === 'CustomResourceDefinition').map((o) => o.metadata?.name).sort()).toEqual(['desktopclasses.sessions.desktop.io', 'desktopsessions.sessions.desktop.io']);
    expect(objects.filter((o) => o.kind === 'Deployment' && o.metadata?.namespace === 'desktop-sessions').map((o) => o.metadata?.name).sort()).toEqual(['desktop-session-broker', 'desktop-session-controller']);
    expect(objects.find((o) => o.kind === 'DesktopClass')).toMatchObject({ metadata: { name: 'windows11' }, spec: { kind: 'VM', goldenImage: { namespace: 'desktops', name: 'windows11' } } });
    template.hasResourceProperties('AWS::EKS::FargateProfile', { Selectors: [{ Labels: [], Namespace: 'desktop-sessions' }] });
    template.hasOutput('SessionPortalUrl', { Value: Match.stringLikeRegexp('/portal/$') });
  });

  test('the sample connection accepts the desktop\'s self-signed certificate by trust on first use, validation not turned off', () => {
    const output = template.findOutputs('SampleDesktopConnection').SampleDesktopConnection.Value as string;
    const parameters = (JSON.parse(output) as { parameters: Record<string, string> }).parameters;
    expect(parameters['cert-tofu']).toBe('true');
    expect(parameters['ignore-cert']).toBe('false');
  });

  test('node desktop connections verify the desktop certificate strictly: the pools use the CA guacd trusts, cert-manager runs on Fargate', () => {
    const output = template.findOutputs('SampleNodeDesktopConnection').SampleNodeDesktopConnection.Value as string;
    const parameters = (JSON.parse(output) as { parameters: Record<string, string> }).parameters;
    expect(parameters['ignore-cert']).toBe('false');
    expect(parameters).not.toHaveProperty('cert-tofu');
    expect(parameters).not.toHaveProperty('cert-fingerprints');
    expect(stack.gateway.rdpCertificateAuthority).toBe(stack.certificateAuthority);
    for (const desktops of [stack.dedicatedNodeDesktops, stack.sharedNodeDesktops]) {
      expect(desktops.certificateAuthority).toBe(stack.certificateAuthority);
      expect(desktops.sessionTemplate.rdpCertificate?.issuerName).toBe(stack.certificateAuthority.issuerName);
    }
    const objects = kubernetesObjectsOf(template);
    const guacd = objects.find((o) => o.kind === 'Deployment' && o.metadata?.name === 'guacamole-guacd')!;
    expect(JSON.stringify(guacd)).toContain('"SSL_CERT_FILE"');
    expect(objects.filter((o) => o.kind === 'ClusterIssuer').map((o) => o.metadata?.name)).toEqual(expect.arrayContaining([stack.certificateAuthority.issuerName]));
    template.hasResourceProperties('AWS::EKS::FargateProfile', { Selectors: [{ Namespace: 'cert-manager' }] });
  });

  test('no plaintext secret or default credential in the template, its manifests or Helm values', () => {
    expect(scanTemplateForSecrets(template)).toEqual([]);
  });

  test('every Kubernetes object is valid against its upstream schema', () => {
    registerKubeVirtSchemas();
    const objects = kubernetesObjectsOf(template);
    // External Secrets and SecurityGroupPolicy kinds have no upstream schema in the reference
    // folder: the guacamole tests check them field by field.
    const withSchema = objects.filter((o) => !KINDS_WITHOUT_SCHEMA.includes(gvk(o)));
    expect(objects.filter((o) => KINDS_WITHOUT_SCHEMA.includes(gvk(o))).map((o) => o.kind).sort())
      .toEqual(['ExternalSecret', 'ExternalSecret', 'ExternalSecret', 'ExternalSecret', 'SecretStore', 'SecretStore', 'SecurityGroupPolicy', 'SecurityGroupPolicy', 'SecurityGroupPolicy']);
    expect(withSchema.length).toBeGreaterThan(20);
    expect(validateKubernetesObjects(withSchema)).toEqual([]);
  });

  test('every resource is valid against its CloudFormation registry schema', () => {
    const result = checkTemplateAgainstRegistry(template.toJSON());
    expect(result.checkedTypes).toEqual(expect.arrayContaining(['AWS::EKS::Cluster', 'AWS::EKS::Addon', 'AWS::SQS::Queue', 'AWS::Events::Rule', 'AWS::IAM::Role']));
    expect(result.errors).toEqual([]);
  });

  test('stays within CloudFormation template limits (1 MB, 500 resources)', () => {
    const json = template.toJSON() as { Resources: Record<string, unknown> };
    expect(Object.keys(json.Resources).length).toBeLessThan(500);
    expect(JSON.stringify(json).length).toBeLessThan(1_000_000);
  });

  test('has no unacknowledged cdk-nag AwsSolutions finding', () => {
    const context: IPolicyValidationContext & { appConstruct: IConstruct } = { templatePaths: [], appConstruct: stack.node.root };
    const report = new AwsSolutionsAudit().validate(context);
    expect(report.violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
  });

  test('every desktop launcher pod is admitted by the VM host pool (KubeVirt 1.9 rendering, Karpenter rules, NodeOverlay gate on)', () => {
    // GIVEN what the stack applies: the KubeVirt CR, the VM host pool and its overlays, the VMs
    const objects = kubernetesObjectsOf(template);
    const configMap = objects.find((o) => o.kind === 'ConfigMap' && (o as { data?: Record<string, string> }).data?.['kubevirt.json'] !== undefined) as unknown as { data: Record<string, string> };
    const kubevirtCr = JSON.parse(configMap.data['kubevirt.json']) as { spec: { configuration: { developerConfiguration: { useEmulation: boolean; featureGates?: string[]; nodeSelectors?: Record<string, string> } } } };
    const dev = kubevirtCr.spec.configuration.developerConfiguration;
    const config: KubeVirtClusterConfig = { useEmulation: dev.useEmulation, featureGates: dev.featureGates ?? [], nodeSelectors: dev.nodeSelectors };
    const pool = objects.find((o) => o.kind === 'NodePool' && o.metadata?.name === stack.vmHosts.nodePoolName) as unknown as NodePoolObject;
    const overlays = objects.filter((o) => o.kind === 'NodeOverlay') as unknown as NodeOverlayObject[];
    const karpenterValues = helmReleasesOf(template).find((r) => r.chart === 'karpenter')!.values as { settings: { featureGates?: { nodeOverlay?: boolean } } };
    const gate = karpenterValues.settings.featureGates?.nodeOverlay === true;
    const vms = objects.filter((o) => o.kind === 'VirtualMachine');
    expect(vms.length).toBeGreaterThan(0);
    // WHEN each VM's launcher pod is rendered THEN Karpenter would launch a host for it
    expect(gate).toBe(true);
    for (const vm of vms) {
      const pod = renderLauncherPod(vm as unknown as Parameters<typeof renderLauncherPod>[0], config);
      expect(pod.requests['devices.kubevirt.io/kvm']).toBe(1);
      expect({ vm: pod.vm, problems: karpenterAdmissionProblems(pod, pool, overlays, gate) }).toEqual({ vm: pod.vm, problems: [] });
    }
  });

  test("every isolated user's launcher pod is admitted by that user's pool only (KubeVirt 1.9 rendering, Karpenter rules)", () => {
    // GIVEN the KubeVirt CR, every NodePool and NodeOverlay (parent and nested stacks), the users' VMs
    const parent = kubernetesObjectsOf(template);
    const nested = stack.users.stacks.flatMap((s) => kubernetesObjectsOf(Template.fromStack(s)));
    const all = [...parent, ...nested];
    const configMap = parent.find((o) => o.kind === 'ConfigMap' && (o as { data?: Record<string, string> }).data?.['kubevirt.json'] !== undefined) as unknown as { data: Record<string, string> };
    const dev = (JSON.parse(configMap.data['kubevirt.json']) as { spec: { configuration: { developerConfiguration: { useEmulation: boolean; featureGates?: string[]; nodeSelectors?: Record<string, string> } } } }).spec.configuration.developerConfiguration;
    const config: KubeVirtClusterConfig = { useEmulation: dev.useEmulation, featureGates: dev.featureGates ?? [], nodeSelectors: dev.nodeSelectors };
    const overlays = all.filter((o) => o.kind === 'NodeOverlay') as unknown as NodeOverlayObject[];
    const vmPools = all.filter((o) => o.kind === 'NodePool' && !(o.metadata?.name ?? '').startsWith('desktops-') && !(o.metadata?.name ?? '').startsWith('windows-')) as unknown as NodePoolObject[];
    const vms = nested.filter((o) => o.kind === 'VirtualMachine');
    expect(vms).toHaveLength(4);
    for (const vm of vms) {
      const user = vm.metadata?.namespace ?? '';
      const pod = renderLauncherPod(vm as unknown as Parameters<typeof renderLauncherPod>[0], config);
      const admitting = vmPools.filter((pool) => karpenterAdmissionProblems(pod, pool, overlays, true).length === 0).map((pool) => pool.metadata?.name);
      // Alice and Bob: the shared per-user pool (a host labelled for them); Carol and Dave: their own pool.
      expect({ user, admitting }).toEqual({ user, admitting: [user.startsWith('alice') || user.startsWith('bob') ? stack.userHosts.nodePoolName : user] });
    }
  });

  test('no VM desktop needs a ReadWriteMany volume: TPM/EFI state on the default EBS class, every claim ReadWriteOnce', () => {
    const objects = kubernetesObjectsOf(template);
    const configMap = objects.find((o) => o.kind === 'ConfigMap' && (o as { data?: Record<string, string> }).data?.['kubevirt.json'] !== undefined) as unknown as { data: Record<string, string> };
    // Unset: KubeVirt 1.9 asks the default class for ReadWriteOnce.
    expect((JSON.parse(configMap.data['kubevirt.json']) as { spec: { configuration: Record<string, unknown> } }).spec.configuration.vmStateStorageClass).toBeUndefined();
    const defaults = objects.filter((o) => o.kind === 'StorageClass' && (o.metadata?.annotations as Record<string, string> | undefined)?.['storageclass.kubernetes.io/is-default-class'] === 'true');
    expect(defaults.map((o) => (o as { provisioner?: string }).provisioner)).toEqual(['ebs.csi.aws.com']);
    const accessModes = (o: KubernetesObject): string[][] => {
      const spec = o.spec as Record<string, unknown> | undefined;
      if (o.kind === 'PersistentVolumeClaim') return [(spec?.accessModes as string[]) ?? []];
      if (o.kind === 'DataVolume') return [((spec?.storage ?? spec?.pvc) as { accessModes?: string[] } | undefined)?.accessModes ?? []];
      if (o.kind === 'VirtualMachine') return ((spec?.dataVolumeTemplates as Array<{ spec: { storage?: { accessModes?: string[] } } }>) ?? []).map((t) => t.spec.storage?.accessModes ?? []);
      return [];
    };
    // The desktops' objects: VMs, their disks and the golden images (the gateway's recordings
    // share an EFS volume, ReadWriteMany on purpose, outside KubeVirt).
    const kubevirtKinds = ['VirtualMachine', 'DataVolume'];
    const desktopNamespaces = new Set(objects.filter((o) => kubevirtKinds.includes(o.kind)).map((o) => o.metadata?.namespace));
    const desktopObjects = objects.filter((o) => kubevirtKinds.includes(o.kind) || (o.kind === 'PersistentVolumeClaim' && desktopNamespaces.has(o.metadata?.namespace)));
    const modes = desktopObjects.map((o) => ({ kind: o.kind, name: o.metadata?.name, modes: accessModes(o) }));
    expect(modes.length).toBeGreaterThan(2);
    expect(modes.filter((m) => m.modes.some((list) => list.length === 0 || list.some((mode) => mode !== 'ReadWriteOnce')))).toEqual([]);
  });

  test('every resource that creates a Service or an Ingress depends on the AWS Load Balancer Controller', () => {
    const json = template.toJSON() as { Resources: Record<string, { Type: string; DependsOn?: string[]; Properties?: Record<string, unknown> }> };
    const albChartId = Object.keys(json.Resources).find((id) => json.Resources[id].Type === 'Custom::AWSCDK-EKS-HelmChart' && json.Resources[id].Properties?.Chart === 'aws-load-balancer-controller')!;
    expect(albChartId).toBeDefined();
    const byResource = kubernetesObjectsByResource(template);
    const manifestsWithServices = Object.keys(byResource).filter((id) => byResource[id].some((o) => o.kind === 'Service' || o.kind === 'Ingress'));
    // Every Helm release but the controller's own creates Services (webhooks, metrics).
    const otherCharts = Object.keys(json.Resources).filter((id) => json.Resources[id].Type === 'Custom::AWSCDK-EKS-HelmChart' && id !== albChartId);
    expect(manifestsWithServices.length).toBeGreaterThanOrEqual(2); // gateway, desktops
    expect(otherCharts.length).toBeGreaterThanOrEqual(3); // karpenter-crd, karpenter, external-secrets
    const missing = [...manifestsWithServices, ...otherCharts.filter((id) => json.Resources[id].Properties?.Chart !== 'karpenter-crd')]
      .filter((id) => !(json.Resources[id].DependsOn ?? []).includes(albChartId));
    expect(missing).toEqual([]);
    // The CRD-only chart creates no Service; it still comes before the controller that does.
    const karpenterId = otherCharts.find((id) => json.Resources[id].Properties?.Chart === 'karpenter')!;
    expect(json.Resources[karpenterId].DependsOn).toEqual(expect.arrayContaining([albChartId]));
  });

  test('the VM hosts are Dedicated Instances on bare metal, their licensing basis tagged', () => {
    const objects = kubernetesObjectsOf(template);
    const pool = objects.find((o) => o.kind === 'NodePool' && o.metadata?.name === stack.vmHosts.nodePoolName) as unknown as NodePoolObject;
    const requirements = Object.fromEntries(pool.spec.template.spec.requirements.map((r) => [r.key, r.values]));
    expect(requirements['karpenter.k8s.aws/instance-tenancy']).toEqual(['dedicated']);
    expect(requirements['karpenter.k8s.aws/instance-size']).toEqual(expect.arrayContaining(['metal']));
    const nodeClass = objects.find((o) => o.kind === 'EC2NodeClass' && o.metadata?.name === stack.vmHosts.nodeClassName) as unknown as { spec: { tags: Record<string, string>; cpuOptions?: unknown } };
    expect(nodeClass.spec.tags['desktop.io/guest-licensing']).toBe('customer licenses on EC2 Dedicated Instances');
    expect(nodeClass.spec.cpuOptions).toBeUndefined();
  });

  test('the VM network of the desktops lies outside the VPC', () => {
    const vpcCidr = (Object.values(template.findResources('AWS::EC2::VPC'))[0].Properties as { CidrBlock: string }).CidrBlock;
    const toRange = (cidr: string): [number, number] => {
      const [address, prefix] = cidr.split('/');
      const start = address.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
      return [start, start + 2 ** (32 - Number(prefix)) - 1];
    };
    const vms = kubernetesObjectsOf(template).filter((o) => o.kind === 'VirtualMachine') as unknown as Array<{ spec: { template: { spec: { networks: Array<{ pod?: { vmNetworkCIDR?: string } }> } } } }>;
    const [vpcStart, vpcEnd] = toRange(vpcCidr);
    for (const vm of vms) {
      const cidr = vm.spec.template.spec.networks[0].pod?.vmNetworkCIDR;
      expect(cidr).toBeDefined();
      const [start, end] = toRange(cidr!);
      expect(end < vpcStart || start > vpcEnd).toBe(true);
    }
    // KubeVirt's own default would have been inside the VPC (a public subnet).
    const [dStart] = toRange('10.0.2.0/24');
    expect(dStart >= vpcStart && dStart <= vpcEnd).toBe(true);
  });

  test('AWS Control Tower proactive controls (cfn-guard): no finding without a stated reason', () => {
    // A fresh app: the audit synthesizes it to files, which cfn-guard reads.
    const app = projectApp();
    new WindowsDesktopsStack(app, 'WindowsDesktops', {
      env: { account: '123456789012', region: 'us-east-1' },
      availabilityZones: ZONES,
      gatewayHostname: CONTEXT['windows-desktops:gatewayHostname'] as string,
      gatewayCertificateArn: CONTEXT['windows-desktops:gatewayCertificateArn'] as string,
    });
    const report = runControlTowerAudit(app);
    expect(report.rulesChecked).toBeGreaterThan(100);
    expect(report.open).toEqual([]);
    // Every acknowledgment carries its reason; the plugin's unattributed entries belong to rules
    // whose every attributed finding is acknowledged.
    expect(report.acknowledged.every((a) => a.reason.length > 20)).toBe(true);
    expect(report.acknowledged.map((a) => `${a.rule} ${a.constructPath}`).sort()).toEqual([
      'lambda_inside_vpc_check WindowsDesktops/AWSCDKCfnUtilsProviderCustomResourceProvider/Handler',
      'lambda_inside_vpc_check WindowsDesktops/Custom::VpcRestrictDefaultSGCustomResourceProvider/Handler',
      'lambda_inside_vpc_check WindowsDesktops/Desktops/Resource/KubectlProvider/Handler/Resource',
      'lambda_inside_vpc_check WindowsDesktops/Desktops/Resource/KubectlProvider/Provider/framework-onEvent/Resource',
      'sqs_dlq_check WindowsDesktops/Desktops/Karpenter/InterruptionQueue/Resource/Resource',
    ]);
    const acknowledgedRules = new Set(report.acknowledged.map((a) => a.rule));
    expect(report.unattributed.filter((rule) => !acknowledgedRules.has(rule))).toEqual([]);
  });

  test('snapshot', () => {
    expect(template.toJSON()).toMatchSnapshot();
  });
});
