import { IPolicyValidationContext } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { IConstruct } from 'constructs';
import { AwsSolutionsAudit } from '../../lib/aws-solutions-audit';
import { WindowsDesktopsStack } from '../../lib/windows-desktops-stack';
import { cdkJsonContext, projectApp } from '../support/app';
import { checkTemplateAgainstRegistry } from '../support/cloudformation-schemas';
import { gvk, KINDS_WITHOUT_SCHEMA } from '../guacamole/guacamole-fixtures';
import { scanTemplateForSecrets } from '../support/secret-scan';
import { karpenterCelViolations } from '../support/karpenter-cel';
import { registerKubeVirtSchemas } from '../support/kubevirt-schemas';
import { helmReleasesOf, kubernetesObjectsOf, validateKubernetesObjects } from '../support/kubernetes-schemas';

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
    expect(objects.filter((o) => o.kind === 'NodePool' && !o.metadata?.name?.startsWith('desktops-')).map((o) => o.metadata?.name).sort()).toEqual(['vm-hosts-nested', 'vm-hosts-nested-per-user', 'windows-2019', 'windows-2022']);
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
      .toEqual(['ExternalSecret', 'ExternalSecret', 'ExternalSecret', 'SecretStore', 'SecurityGroupPolicy']);
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

  test('snapshot', () => {
    expect(template.toJSON()).toMatchSnapshot();
  });
});
