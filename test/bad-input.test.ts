import { KubectlV35Layer } from '@aws-cdk/lambda-layer-kubectl-v35';
import { App, Duration, Size, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eksv1 from 'aws-cdk-lib/aws-eks';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as events from 'aws-cdk-lib/aws-events';
import { Chart, Testing } from 'cdk8s';
import { Construct } from 'constructs';
import { DesktopCluster, DesktopClusterProps } from '../constructs/cluster/desktop-cluster';
import { WindowsClusterSupport, WindowsClusterSupportProps } from '../constructs/cluster/windows-cluster-support';
import { WindowsManagedNodeGroup, WindowsManagedNodeGroupProps } from '../constructs/cluster/windows-managed-node-group';
import { kubernetesNameForUser } from '../constructs/common/kubernetes-name';
import { ValidationError } from '../constructs/common/validation-error';
import { GuacamoleAuthentication } from '../constructs/guacamole/guacamole-authentication';
import { GuacamoleGateway, GuacamoleGatewayProps } from '../constructs/guacamole/guacamole-gateway';
import { encryptGuacamoleJsonAuth } from '../constructs/guacamole/json-auth';
import { RdpConnection, RdpConnectionProps } from '../constructs/guacamole/rdp-connection';
import { Karpenter, KarpenterProps } from '../constructs/karpenter/karpenter';
import { KarpenterInterruptionQueue } from '../constructs/karpenter/karpenter-interruption-queue';
import { CapacityType, KarpenterDuration } from '../constructs/karpenter/node-pool-types';
import { WarmCapacity, WarmCapacityProps } from '../constructs/karpenter/warm-capacity';
import { WindowsAmi } from '../constructs/karpenter/windows-ami';
import { WindowsNodePool, WindowsNodePoolProps } from '../constructs/karpenter/windows-node-pool';
import { WindowsRuntimeClasses } from '../constructs/karpenter/windows-runtime-classes';
import { WindowsVersion } from '../constructs/karpenter/windows-version';
import { DesktopSize } from '../constructs/kubevirt/desktop-size';
import { GoldenImage, GoldenImageProps } from '../constructs/kubevirt/golden-image';
import { GoldenImageSource } from '../constructs/kubevirt/golden-image-source';
import { KubeVirt } from '../constructs/kubevirt/kubevirt';
import { VmHostPool, VmHostPoolProps } from '../constructs/kubevirt/vm-host-pool';
import { WindowsDesktopVm, WindowsDesktopVmProps } from '../constructs/kubevirt/windows-desktop-vm';
import { EnableFastLaunch } from '../constructs/windows-ami/enable-fast-launch';
import { ImageComponent } from '../constructs/windows-ami/image-component';
import { FastLaunchWindowsAmi, FastLaunchWindowsAmiProps } from '../constructs/windows-ami/fast-launch-windows-ami';
import { NodeDesktopIsolation } from '../constructs/node-desktops/node-desktop-isolation';
import { NodeDesktops, NodeDesktopsProps } from '../constructs/node-desktops/node-desktops';
import { WindowsDesktopsStack, WindowsDesktopsStackProps } from '../lib/windows-desktops-stack';
import { CERTIFICATE_ARN, HOSTNAME, importedCluster } from './guacamole/guacamole-fixtures';
import { TEST_LICENSING } from './kubevirt/kubevirt-test-support';
import { FakeKarpenter } from './support/eks-fixtures';

/**
 * Bad input, table-driven: every case gives one public construct or function a value a user
 * could type or load from cdk.json, and checks that it fails at synth time with the library's
 * `ValidationError` naming the construct path, the prop and a fragment of the fix (never a
 * `TypeError`, an aws-cdk-lib message or silently wrong output).
 *
 * Classes (issue 9): 1 wrong runtime type or enum member, 2 duplicates across constructs,
 * 3 user ids, 4 schedules and time zones, 5 wiring across constructs, 6 where and which fix,
 * 7 one vocabulary (one rule gives one answer in every construct).
 */

type IssueClass = 1 | 2 | 3 | 4 | 5 | 6 | 7;

interface BadInput {
  readonly issueClass: IssueClass;
  readonly name: string;
  /** Builds the bad input in a fresh world. */
  readonly act: (w: World) => unknown;
  /** Expected construct path; `undefined` for plain functions called outside a construct. */
  readonly path: string | undefined;
  /** Expected prop. */
  readonly prop: string;
  /** A fragment of the fix the message must give. */
  readonly fix: string;
  /** Other fragments the message must contain (e.g. the other construct of a duplicate). */
  readonly mentions?: string[];
}

/** Gives a value of the wrong runtime type to a typed prop, as JSON or cdk.json would. */
function bad<T>(value: unknown): T {
  return value as T;
}

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const POOL = 'Test/Desktops/Karpenter/Windows2022';

/** A fresh app per case (the duplicate registries live per cluster and app). */
class World {
  public readonly app = new App({ context: { '@aws-cdk/aws-eks:useNativeOidcProvider': true } });
  public readonly stack = new Stack(this.app, 'Test', { env: { account: ACCOUNT, region: REGION } });
  public readonly desktops = new Construct(this.stack, 'Desktops');
  private importedCluster?: eksv1.ICluster;
  private fakeKarpenter?: FakeKarpenter;

  /** An imported cluster with an OIDC provider and a VPC (cheap; enough to fail validation). */
  public get cluster(): eksv1.ICluster {
    this.importedCluster ??= importedCluster(this.stack);
    return this.importedCluster;
  }

  /** A Karpenter stand-in at `Test/Desktops/Karpenter` on `cluster`. */
  public get karpenter(): FakeKarpenter {
    this.fakeKarpenter ??= new FakeKarpenter(this.desktops, 'Karpenter', { cluster: this.cluster });
    return this.fakeKarpenter;
  }

  /** A Windows pool under the Karpenter stand-in, `Windows<year>` by default. */
  public pool(props: Partial<WindowsNodePoolProps> = {}, id?: string): WindowsNodePool {
    const windowsVersion = props.windowsVersion ?? WindowsVersion.WINDOWS_2022;
    return new WindowsNodePool(this.karpenter, id ?? `Windows${windowsVersion.year}`, { karpenter: this.karpenter, windowsVersion, ...props });
  }

  public warm(props: Partial<WarmCapacityProps> = {}, id = 'Warm', pool?: WindowsNodePool): WarmCapacity {
    return new WarmCapacity(this.desktops, id, { pool: pool ?? this.pool(), slotCpu: '2', slotMemory: '8Gi', ...props });
  }

  public hostPool(props: Partial<VmHostPoolProps> = {}, id = 'VmHosts'): VmHostPool {
    return new VmHostPool(this.desktops, id, { karpenter: this.karpenter, guestLicensing: TEST_LICENSING, ...props });
  }

  public karpenterInstall(props: Partial<KarpenterProps> = {}, id = 'Karpenter'): Karpenter {
    return new Karpenter(this.desktops, id, { cluster: this.cluster, ...props });
  }

  public desktopCluster(props: DesktopClusterProps = {}): DesktopCluster {
    return new DesktopCluster(this.desktops, 'Cluster', { availabilityZones: [`${REGION}a`, `${REGION}b`], clusterName: 'desktops', ...props });
  }

  /** A plain aws-eks-v2 cluster (no ALB controller, no Fargate profiles unless asked). */
  public v2Cluster(options: { alb?: boolean; profiles?: string[] } = {}): eks.Cluster {
    const cluster = new eks.Cluster(this.stack, 'V2Cluster', {
      version: eks.KubernetesVersion.V1_35,
      vpc: new ec2.Vpc(this.stack, 'V2Vpc', { availabilityZones: [`${REGION}a`, `${REGION}b`], natGateways: 1 }),
      kubectlProviderOptions: { kubectlLayer: new KubectlV35Layer(this.stack, 'V2Kubectl') },
      defaultCapacity: 0,
      defaultCapacityType: eks.DefaultCapacityType.NODEGROUP,
      albController: options.alb ? { version: eks.AlbControllerVersion.V3_2_2 } : undefined,
    });
    for (const namespace of options.profiles ?? []) cluster.addFargateProfile(namespace, { selectors: [{ namespace }] });
    return cluster;
  }

  public gateway(props: Partial<GuacamoleGatewayProps> = {}, cluster: GuacamoleGatewayProps['cluster'] = this.cluster): GuacamoleGateway {
    return new GuacamoleGateway(this.desktops, 'Gateway', { cluster, hostname: HOSTNAME, certificateArn: CERTIFICATE_ARN, ...props });
  }

  public nodeDesktops(props: Partial<NodeDesktopsProps> = {}, id = 'NodeDesktops'): NodeDesktops {
    return new NodeDesktops(this.desktops, id, {
      karpenter: this.karpenter, isolation: NodeDesktopIsolation.sharedPool(),
      rdpClientSecurityGroup: ec2.SecurityGroup.fromSecurityGroupId(this.stack, `${id}Guacd`, 'sg-0123456789abcdef0'), ...props,
    });
  }

  public ami(props: Partial<FastLaunchWindowsAmiProps> = {}, id = 'Ami'): FastLaunchWindowsAmi {
    return new FastLaunchWindowsAmi(this.desktops, id, {
      vpc: this.cluster.vpc, windowsVersion: WindowsVersion.WINDOWS_2022, kubernetesVersion: '1.35', name: 'desktops-2022', ...props,
    });
  }

  public nodeGroup(props: Partial<WindowsManagedNodeGroupProps> = {}): WindowsManagedNodeGroup {
    return new WindowsManagedNodeGroup(this.desktops, 'NodeGroup', { cluster: bad<eks.ICluster>(this.cluster), kubernetesVersion: '1.35', ...props });
  }

  public clusterSupport(props: Partial<WindowsClusterSupportProps> = {}, id = 'WindowsSupport'): WindowsClusterSupport {
    return new WindowsClusterSupport(this.desktops, id, { karpenterDiscoveryName: 'desktops', ...props, cluster: props.cluster ?? this.cluster });
  }

  /** A cdk8s chart for the Kubernetes-side constructs: paths start with `Desktops`. */
  public readonly chart = new Chart(Testing.app(), 'Desktops', { namespace: 'desktops' });

  public goldenImage(props: Partial<GoldenImageProps> = {}, id = 'Windows11'): GoldenImage {
    return new GoldenImage(this.chart, id, { name: 'windows-11', source: GoldenImageSource.registry('123456789012.dkr.ecr.us-east-1.amazonaws.com/golden/windows11:2026-11'), cloneNamespaces: ['desktops'], ...props });
  }

  public desktop(props: Partial<WindowsDesktopVmProps> = {}, id = 'Alice'): WindowsDesktopVm {
    return new WindowsDesktopVm(this.chart, id, {
      name: 'alice', userId: 'alice@example.com', goldenImage: { dataSourceName: 'windows-11', namespace: 'desktop-images' }, ...props,
    });
  }
}

const RDP: RdpConnectionProps = { name: 'Desktop', hostname: 'alice-rdp.desktops.svc.cluster.local' };
const SECONDS_NOW = 1_798_000_000;

const CASES: BadInput[] = [
  // ---- 1. wrong runtime types and enum members -------------------------------------------
  { issueClass: 1, name: 'WindowsVersion.of(2022): a number', act: () => WindowsVersion.of(bad(2022)), path: undefined, prop: 'WindowsVersion.of(year)', fix: "WindowsVersion.of('2022')" },
  { issueClass: 1, name: 'WindowsVersion.of("2021"): no such release', act: () => WindowsVersion.of('2021'), path: undefined, prop: 'windowsVersion', fix: "use one of '2019', '2022', '2025'" },
  { issueClass: 1, name: 'WindowsNodePool.windowsVersion: the number 2022', act: (w) => w.pool({ windowsVersion: bad(2022) }, 'Windows2022'), path: POOL, prop: 'WindowsNodePool.windowsVersion', fix: "WindowsVersion.of('2022')" },
  { issueClass: 1, name: 'WindowsNodePool.windowsVersion: the string "2022"', act: (w) => w.pool({ windowsVersion: bad('2022') }, 'Windows2022'), path: POOL, prop: 'WindowsNodePool.windowsVersion', fix: 'WindowsVersion.WINDOWS_2022' },
  { issueClass: 1, name: 'WindowsNodePool.windowsVersion: missing', act: (w) => new WindowsNodePool(w.karpenter, 'Windows2022', bad({ karpenter: w.karpenter })), path: POOL, prop: 'WindowsNodePool.windowsVersion', fix: 'give a value' },
  { issueClass: 1, name: "capacityTypes: ['Spot']", act: (w) => w.pool({ capacityTypes: bad(['Spot']) }), path: POOL, prop: 'WindowsNodePool.capacityTypes[0]', fix: "Did you mean CapacityType.SPOT ('spot')" },
  { issueClass: 1, name: "capacityTypes: 'spot' (not a list)", act: (w) => w.pool({ capacityTypes: bad('spot') }), path: POOL, prop: 'WindowsNodePool.capacityTypes', fix: 'give an array' },
  { issueClass: 1, name: "consolidationPolicy: 'WhenUnderutilized' (Karpenter v1beta1)", act: (w) => w.pool({ consolidationPolicy: bad('WhenUnderutilized') }), path: POOL, prop: 'WindowsNodePool.consolidationPolicy', fix: 'ConsolidationPolicy.WHEN_EMPTY_OR_UNDERUTILIZED' },
  { issueClass: 1, name: "taint effect 'NoSchedul'", act: (w) => w.pool({ additionalTaints: [{ key: 'example.com/gpu', effect: bad('NoSchedul') }] }), path: POOL, prop: 'WindowsNodePool.additionalTaints[0].effect', fix: 'TaintEffect.NO_SCHEDULE' },
  { issueClass: 1, name: 'taint without a key', act: (w) => w.pool({ additionalTaints: [bad({ effect: 'NoSchedule' })] }), path: POOL, prop: 'WindowsNodePool.additionalTaints[0].key', fix: 'give a value' },
  { issueClass: 1, name: "expireAfter: '720h' (a string)", act: (w) => w.pool({ expireAfter: bad('720h') }), path: POOL, prop: 'WindowsNodePool.expireAfter', fix: 'KarpenterDuration.parse("720h")' },
  { issueClass: 1, name: "consolidateAfter: '30s' (a string)", act: (w) => w.pool({ consolidateAfter: bad('30s') }), path: POOL, prop: 'WindowsNodePool.consolidateAfter', fix: 'KarpenterDuration.parse("30s")' },
  { issueClass: 1, name: 'expireAfter: a Duration instead of a KarpenterDuration', act: (w) => w.pool({ expireAfter: bad(Duration.days(30)) }), path: POOL, prop: 'WindowsNodePool.expireAfter', fix: 'KarpenterDuration.of(Duration.hours(720))' },
  { issueClass: 1, name: "KarpenterDuration.parse('30d'): no day unit", act: () => KarpenterDuration.parse('30d'), path: undefined, prop: 'KarpenterDuration.parse(text)', fix: 'write "720h"' },
  { issueClass: 1, name: "KarpenterDuration.parse('never'): casing", act: () => KarpenterDuration.parse('never'), path: undefined, prop: 'KarpenterDuration.parse(text)', fix: 'capital N' },
  { issueClass: 1, name: "KarpenterDuration.parse('1.5h'): fractions", act: () => KarpenterDuration.parse('1.5h'), path: undefined, prop: 'KarpenterDuration.parse(text)', fix: '"1h30m"' },
  { issueClass: 1, name: "KarpenterDuration.parse('30 m'): a space", act: () => KarpenterDuration.parse('30 m'), path: undefined, prop: 'KarpenterDuration.parse(text)', fix: 'whole hours, minutes and seconds' },
  { issueClass: 1, name: 'KarpenterDuration.parse(720): a number', act: () => KarpenterDuration.parse(bad(720)), path: undefined, prop: 'KarpenterDuration.parse(text)', fix: '"720h"' },
  { issueClass: 1, name: "KarpenterDuration.of('720h')", act: () => KarpenterDuration.of(bad('720h')), path: undefined, prop: 'KarpenterDuration.of(duration)', fix: 'KarpenterDuration.parse("720h")' },
  { issueClass: 1, name: "cpuLimit: '200' (a string)", act: (w) => w.pool({ cpuLimit: bad('200') }), path: POOL, prop: 'WindowsNodePool.cpuLimit', fix: 'Number(...)' },
  { issueClass: 1, name: "memoryLimit: '800Gi' (a string)", act: (w) => w.pool({ memoryLimit: bad('800Gi') }), path: POOL, prop: 'WindowsNodePool.memoryLimit', fix: 'Size.gibibytes(800)' },
  { issueClass: 1, name: 'rootVolumeSize: 100 (a number)', act: (w) => w.pool({ rootVolumeSize: bad(100) }), path: POOL, prop: 'WindowsNodePool.rootVolumeSize', fix: 'Size.gibibytes(100)' },
  { issueClass: 1, name: 'labels: a number value', act: (w) => w.pool({ labels: bad({ team: 5 }) }), path: POOL, prop: 'WindowsNodePool.labels["team"]', fix: 'quote numbers' },
  { issueClass: 1, name: "weight: '10'", act: (w) => w.pool({ weight: bad('10') }), path: POOL, prop: 'WindowsNodePool.weight', fix: 'give a number' },
  { issueClass: 1, name: 'name: null from JSON', act: (w) => w.pool({ name: bad(null) }), path: POOL, prop: 'WindowsNodePool.name', fix: 'leave it out (undefined) for the default' },
  { issueClass: 1, name: 'disruption budget nodes: 10 (a number)', act: (w) => w.pool({ disruptionBudgets: [{ nodes: bad(10) }] }), path: POOL, prop: 'WindowsNodePool.disruptionBudgets[0].nodes', fix: "'10%'" },
  { issueClass: 1, name: "disruption budget reasons: ['drifted']", act: (w) => w.pool({ disruptionBudgets: [{ nodes: '1', reasons: bad(['drifted']) }] }), path: POOL, prop: 'WindowsNodePool.disruptionBudgets[0].reasons[0]', fix: 'DisruptionReason.DRIFTED' },
  { issueClass: 1, name: 'ami: a plain object', act: (w) => w.pool({ ami: bad({ alias: 'windows2022@latest' }) }), path: POOL, prop: 'WindowsNodePool.ami', fix: 'WindowsAmi.alias()' },
  { issueClass: 1, name: 'WindowsAmi.fromTags with a number tag value', act: () => WindowsAmi.fromTags(bad({ 'desktop.io/ami': 2022 }), WindowsVersion.WINDOWS_2022), path: undefined, prop: 'WindowsAmi.fromTags(tags)["desktop.io/ami"]', fix: 'give a string value' },
  { issueClass: 1, name: 'WindowsAmi.fromFastLaunchAmi with an AMI id', act: () => WindowsAmi.fromFastLaunchAmi(bad('ami-0123456789abcdef0')), path: undefined, prop: 'WindowsAmi.fromFastLaunchAmi(source)', fix: 'give a FastLaunchWindowsAmi' },
  { issueClass: 1, name: 'ImageComponent.awsManaged with a number version', act: () => ImageComponent.awsManaged('update-windows', bad(1)), path: undefined, prop: 'ImageComponent.awsManaged(version)', fix: "'x.x.x'" },
  { issueClass: 1, name: 'Karpenter.kubernetesVersion: the number 1.3 (JSON 1.30)', act: (w) => w.karpenterInstall({ kubernetesVersion: bad(1.3) }), path: 'Test/Desktops/Karpenter', prop: 'Karpenter.kubernetesVersion', fix: "'1.30'" },
  { issueClass: 1, name: "Karpenter.replicas: '2'", act: (w) => w.karpenterInstall({ replicas: bad('2') }), path: 'Test/Desktops/Karpenter', prop: 'Karpenter.replicas', fix: 'give a number' },
  { issueClass: 1, name: "Karpenter.nodeAccess: 'access-entry'", act: (w) => w.karpenterInstall({ nodeAccess: bad('access-entry') }), path: 'Test/Desktops/Karpenter', prop: 'Karpenter.nodeAccess', fix: 'NodeAccess.ACCESS_ENTRY' },
  { issueClass: 1, name: 'Karpenter.helmValues: a JSON string', act: (w) => w.karpenterInstall({ helmValues: bad('{"logLevel":"debug"}') }), path: 'Test/Desktops/Karpenter', prop: 'Karpenter.helmValues', fix: 'give an object' },
  { issueClass: 1, name: 'DesktopCluster.kubernetesVersion: of(1.3) (a number)', act: (w) => w.desktopCluster({ kubernetesVersion: eks.KubernetesVersion.of(bad(1.3)) }), path: 'Test/Desktops/Cluster', prop: 'DesktopCluster.kubernetesVersion', fix: 'as a string' },
  { issueClass: 1, name: "DesktopCluster.kubernetesVersion: the string '1.35'", act: (w) => w.desktopCluster({ kubernetesVersion: bad('1.35') }), path: 'Test/Desktops/Cluster', prop: 'DesktopCluster.kubernetesVersion', fix: "eks.KubernetesVersion.of('1.35')" },
  { issueClass: 1, name: "DesktopCluster.natGateways: '1'", act: (w) => w.desktopCluster({ natGateways: bad('1') }), path: 'Test/Desktops/Cluster', prop: 'DesktopCluster.natGateways', fix: 'Number(...)' },
  { issueClass: 1, name: "DesktopCluster.albController: 'false'", act: (w) => w.desktopCluster({ albController: bad('false') }), path: 'Test/Desktops/Cluster', prop: 'DesktopCluster.albController', fix: 'not a string' },
  { issueClass: 1, name: 'DesktopCluster.publicEndpointCidrs: one string', act: (w) => w.desktopCluster({ publicEndpointCidrs: bad('203.0.113.0/24') }), path: 'Test/Desktops/Cluster', prop: 'DesktopCluster.publicEndpointCidrs', fix: 'give an array' },
  { issueClass: 1, name: "DesktopCluster.clusterLogging: ['Audit']", act: (w) => w.desktopCluster({ clusterLogging: bad(['Audit']) }), path: 'Test/Desktops/Cluster', prop: 'DesktopCluster.clusterLogging[0]', fix: "Did you mean eks.ClusterLoggingTypes.AUDIT ('audit')" },
  { issueClass: 1, name: 'DesktopCluster.systemNamespaces: a number', act: (w) => w.desktopCluster({ systemNamespaces: bad([42]) }), path: 'Test/Desktops/Cluster', prop: 'DesktopCluster.systemNamespaces[0]', fix: "'guacamole'" },
  { issueClass: 1, name: 'DesktopCluster.addonVersions.vpcCni: a number', act: (w) => w.desktopCluster({ addonVersions: { vpcCni: bad(1.21) } }), path: 'Test/Desktops/Cluster', prop: 'DesktopCluster.addonVersions.vpcCni', fix: "'v1.21.1-eksbuild.1'" },
  { issueClass: 1, name: 'WindowsManagedNodeGroup.windowsVersion: 2022 (a number)', act: (w) => w.nodeGroup({ windowsVersion: bad(2022) }), path: 'Test/Desktops/NodeGroup', prop: 'WindowsManagedNodeGroup.windowsVersion', fix: '(e.g. "2022")' },
  { issueClass: 1, name: "WindowsManagedNodeGroup.minSize: '1'", act: (w) => w.nodeGroup({ minSize: bad('1') }), path: 'Test/Desktops/NodeGroup', prop: 'WindowsManagedNodeGroup.minSize', fix: 'give a number' },
  { issueClass: 1, name: "WindowsManagedNodeGroup.instanceTypes: ['m6i.xlarge'] (strings)", act: (w) => w.nodeGroup({ instanceTypes: bad(['m6i.xlarge']) }), path: 'Test/Desktops/NodeGroup', prop: 'WindowsManagedNodeGroup.instanceTypes[0]', fix: "new ec2.InstanceType('m6i.xlarge')" },
  { issueClass: 1, name: 'WarmCapacity.slotCpu: 2 (a number)', act: (w) => w.warm({ slotCpu: bad(2) }), path: 'Test/Desktops/Warm', prop: 'WarmCapacity.slotCpu', fix: "'2'" },
  { issueClass: 1, name: "WarmCapacity.scaleSchedules[0].replicas: '3'", act: (w) => w.warm({ scaleSchedules: [{ schedule: '0 7 * * 1-5', replicas: bad('3') }] }), path: 'Test/Desktops/Warm', prop: 'WarmCapacity.scaleSchedules[0].replicas', fix: 'Number(...)' },
  { issueClass: 1, name: "WarmCapacity.createNamespace: 'true'", act: (w) => w.warm({ createNamespace: bad('true') }), path: 'Test/Desktops/Warm', prop: 'WarmCapacity.createNamespace', fix: 'give true or false' },
  { issueClass: 1, name: 'WarmCapacity.pool: a pool name', act: (w) => w.warm({ pool: bad('windows-2022') }), path: 'Test/Desktops/Warm', prop: 'WarmCapacity.pool', fix: 'a WindowsNodePool' },
  { issueClass: 1, name: 'WindowsDesktopVm.size: a plain { vcpus, memoryGiB }', act: (w) => w.desktop({ size: bad({ vcpus: 4, memoryGiB: 8 }) }), path: 'Desktops/Alice', prop: 'WindowsDesktopVm.size', fix: 'DesktopSize.custom(4, 8)' },
  { issueClass: 1, name: "WindowsDesktopVm.runStrategy: 'always'", act: (w) => w.desktop({ runStrategy: bad('always') }), path: 'Desktops/Alice', prop: 'WindowsDesktopVm.runStrategy', fix: 'RunStrategy.ALWAYS' },
  { issueClass: 1, name: "WindowsDesktopVm.windows11: 'false'", act: (w) => w.desktop({ windows11: bad('false') }), path: 'Desktops/Alice', prop: 'WindowsDesktopVm.windows11', fix: 'give true or false' },
  { issueClass: 1, name: 'WindowsDesktopVm.rootDiskSize: 64 (a number)', act: (w) => w.desktop({ rootDiskSize: bad(64) }), path: 'Desktops/Alice', prop: 'WindowsDesktopVm.rootDiskSize', fix: 'Size.gibibytes(64)' },
  { issueClass: 1, name: "DesktopSize.custom('4', 8)", act: () => DesktopSize.custom(bad('4'), 8), path: undefined, prop: 'DesktopSize.custom.vcpus', fix: 'Number(...)' },
  { issueClass: 1, name: "VmHostPool.virtualization: 'Nested'", act: (w) => w.hostPool({ virtualization: bad('Nested') }), path: 'Test/Desktops/VmHosts', prop: 'VmHostPool.virtualization', fix: 'VmHostVirtualization.NESTED' },
  { issueClass: 1, name: 'GoldenImage.size: 64 (a number)', act: (w) => w.goldenImage({ size: bad(64) }), path: 'Desktops/Windows11', prop: 'GoldenImage.size', fix: 'Size.gibibytes(64)' },
  { issueClass: 1, name: 'GoldenImage.source: a URL string', act: (w) => w.goldenImage({ source: bad('https://images.example.com/w11.qcow2') }), path: 'Desktops/Windows11', prop: 'GoldenImage.source', fix: 'GoldenImageSource.http(' },
  { issueClass: 1, name: "GoldenImageSource.registry: pullMethod 'Node'", act: () => GoldenImageSource.registry('123456789012.dkr.ecr.us-east-1.amazonaws.com/w11:1', { pullMethod: bad('Node') }), path: undefined, prop: 'GoldenImageSource.registry(options).pullMethod', fix: 'RegistryPullMethod.NODE' },
  { issueClass: 1, name: 'GoldenImageSource.http(42)', act: () => GoldenImageSource.http(bad(42)), path: undefined, prop: 'GoldenImageSource.http(url)', fix: 'give a string' },
  { issueClass: 1, name: "GuacamoleGateway.webReplicas: '2'", act: (w) => w.gateway({ webReplicas: bad('2') }), path: 'Test/Desktops/Gateway', prop: 'GuacamoleGateway.webReplicas', fix: 'Number(...)' },
  { issueClass: 1, name: 'GuacamoleGateway.authentication: a plain object', act: (w) => w.gateway({ authentication: bad({ cognito: {} }) }), path: 'Test/Desktops/Gateway', prop: 'GuacamoleGateway.authentication', fix: 'GuacamoleAuthentication.cognito()' },
  { issueClass: 1, name: 'GuacamoleGateway.idleTimeout: 3600 (a number)', act: (w) => w.gateway({ idleTimeout: bad(3600) }), path: 'Test/Desktops/Gateway', prop: 'GuacamoleGateway.idleTimeout', fix: 'Duration.hours(1)' },
  { issueClass: 1, name: "GuacamoleAuthentication.cognito: mfa 'REQUIRED'", act: () => GuacamoleAuthentication.cognito({ mfa: bad('REQUIRED') }), path: undefined, prop: 'GuacamoleAuthentication.cognito.mfa', fix: "cognito.Mfa.REQUIRED ('ON')" },
  { issueClass: 1, name: "RdpConnection.port: '3389'", act: () => new RdpConnection({ ...RDP, port: bad('3389') }), path: undefined, prop: 'RdpConnection.port', fix: 'Number(...)' },
  { issueClass: 1, name: "RdpConnection.security: 'NLA'", act: () => new RdpConnection({ ...RDP, security: bad('NLA') }), path: undefined, prop: 'RdpConnection.security', fix: 'RdpSecurityMode.NLA' },
  { issueClass: 1, name: 'FastLaunchWindowsAmi.kubernetesVersion: 1.3 (JSON 1.30)', act: (w) => w.ami({ kubernetesVersion: bad(1.3) }), path: 'Test/Desktops/Ami', prop: 'FastLaunchWindowsAmi.kubernetesVersion', fix: "'1.30'" },
  { issueClass: 1, name: "FastLaunchWindowsAmi.edition: 'Desktop'", act: (w) => w.ami({ edition: bad('Desktop') }), path: 'Test/Desktops/Ami', prop: 'FastLaunchWindowsAmi.edition', fix: "WindowsServerEdition.FULL ('Full')" },
  { issueClass: 1, name: "FastLaunchWindowsAmi.windowsVersion: '2022'", act: (w) => w.ami({ windowsVersion: bad('2022') }), path: 'Test/Desktops/Ami', prop: 'FastLaunchWindowsAmi.windowsVersion', fix: "WindowsVersion.of('2022')" },
  { issueClass: 1, name: 'EnableFastLaunch.imageId: a number', act: (w) => new EnableFastLaunch(w.desktops, 'FastLaunch', { imageId: bad(123), vpc: w.cluster.vpc }), path: 'Test/Desktops/FastLaunch', prop: 'EnableFastLaunch.imageId', fix: "'ami-0123456789abcdef0'" },
  { issueClass: 1, name: "WindowsClusterSupport.manageVpcCni: 'false'", act: (w) => w.clusterSupport({ manageVpcCni: bad('false') }), path: 'Test/Desktops/WindowsSupport', prop: 'WindowsClusterSupport.manageVpcCni', fix: 'give true or false' },
  { issueClass: 1, name: 'KarpenterInterruptionQueue.queueName: a number', act: (w) => new KarpenterInterruptionQueue(w.desktops, 'Queue', { queueName: bad(5) }), path: 'Test/Desktops/Queue', prop: 'KarpenterInterruptionQueue.queueName', fix: "'my-cluster'" },
  { issueClass: 1, name: "WindowsRuntimeClasses.windowsVersions: ['2022']", act: (w) => new WindowsRuntimeClasses(w.desktops, 'RuntimeClasses', { cluster: w.cluster, windowsVersions: bad(['2022']) }), path: 'Test/Desktops/RuntimeClasses', prop: 'WindowsRuntimeClasses.windowsVersions[0]', fix: "WindowsVersion.of('2022')" },

  { issueClass: 1, name: 'a misspelled pool option from cdk.json (expireAftr)', act: (w) => w.pool(bad({ expireAftr: '720h' })), path: POOL, prop: 'WindowsNodePool.expireAftr', fix: 'did you mean `expireAfter`?' },
  { issueClass: 1, name: 'a prop in the wrong case (CapacityTypes)', act: (w) => w.pool(bad({ CapacityTypes: ['spot'] })), path: POOL, prop: 'WindowsNodePool.CapacityTypes', fix: 'did you mean `capacityTypes`?' },
  { issueClass: 1, name: 'a snake_case prop (slot_cpu)', act: (w) => w.warm(bad({ slot_cpu: '4' })), path: 'Test/Desktops/Warm', prop: 'WarmCapacity.slot_cpu', fix: 'did you mean `slotCpu`?' },
  { issueClass: 1, name: 'a misspelled cluster prop (clusterNmae)', act: (w) => w.desktopCluster(bad({ clusterNmae: 'desktops' })), path: 'Test/Desktops/Cluster', prop: 'DesktopCluster.clusterNmae', fix: 'did you mean `clusterName`?' },
  { issueClass: 1, name: 'a misspelled Karpenter prop (kubernetesversion)', act: (w) => w.karpenterInstall(bad({ kubernetesversion: '1.35' })), path: 'Test/Desktops/Karpenter', prop: 'Karpenter.kubernetesversion', fix: 'did you mean `kubernetesVersion`?' },
  { issueClass: 1, name: 'a misspelled nested budget prop (schedul)', act: (w) => w.pool({ disruptionBudgets: [bad({ nodes: '0', schedul: '@daily' })] }), path: POOL, prop: 'WindowsNodePool.disruptionBudgets[0].schedul', fix: 'did you mean `schedule`?' },
  { issueClass: 1, name: 'a misspelled gateway prop (adminUser)', act: (w) => w.gateway(bad({ adminUser: ['x'] })), path: 'Test/Desktops/Gateway', prop: 'GuacamoleGateway.adminUser', fix: 'did you mean `adminUsers`?' },

  { issueClass: 1, name: "NodeDesktops.capacityType: 'Spot'", act: (w) => w.nodeDesktops({ capacityType: bad('Spot') }), path: 'Test/Desktops/NodeDesktops', prop: 'NodeDesktops.capacityType', fix: 'CapacityType.SPOT' },
  { issueClass: 1, name: "NodeDesktops.maxSessionDuration: '8h'", act: (w) => w.nodeDesktops({ maxSessionDuration: bad('8h') }), path: 'Test/Desktops/NodeDesktops', prop: 'NodeDesktops.maxSessionDuration', fix: 'Duration' },
  { issueClass: 1, name: "NodeDesktops.warmDesktops: '2'", act: (w) => w.nodeDesktops({ warmDesktops: bad('2') }), path: 'Test/Desktops/NodeDesktops', prop: 'NodeDesktops.warmDesktops', fix: 'number' },
  { issueClass: 1, name: 'NodeDesktops.isolation: a string', act: (w) => w.nodeDesktops({ isolation: bad('shared') }), path: 'Test/Desktops/NodeDesktops', prop: 'NodeDesktops.isolation', fix: 'NodeDesktopIsolation.sharedPool()' },
  { issueClass: 2, name: 'a node desktop pool named like a Windows pool', act: (w) => { w.pool({ name: 'desktops' }, 'A'); w.nodeDesktops({ name: 'desktops' }); }, path: 'Test/Desktops/NodeDesktops', prop: 'NodeDesktops.name', fix: 'its own `name`', mentions: ['Test/Desktops/Karpenter/A'] },

  // ---- 2. duplicates across the construct tree -------------------------------------------
  { issueClass: 2, name: 'two Windows pools of one version (one default name)', act: (w) => { w.pool({}, 'Desktops'); w.pool({}, 'Apps'); }, path: 'Test/Desktops/Karpenter/Apps', prop: 'WindowsNodePool.name', fix: 'give each pool its own `name`', mentions: ['NodePool "windows-2022"', 'Test/Desktops/Karpenter/Desktops'] },
  { issueClass: 2, name: 'two Windows pools of one explicit name', act: (w) => { w.pool({ name: 'desktops' }, 'A'); w.pool({ name: 'desktops', windowsVersion: WindowsVersion.WINDOWS_2019 }, 'B'); }, path: 'Test/Desktops/Karpenter/B', prop: 'WindowsNodePool.name', fix: 'its own `name`', mentions: ['Test/Desktops/Karpenter/A'] },
  { issueClass: 2, name: 'a VM host pool named like a Windows pool', act: (w) => { w.pool({ name: 'hosts' }, 'A'); w.hostPool({ name: 'hosts' }); }, path: 'Test/Desktops/VmHosts', prop: 'VmHostPool.name', fix: 'its own `name`', mentions: ['Test/Desktops/Karpenter/A'] },
  { issueClass: 2, name: 'two VM host pools with default names', act: (w) => { w.hostPool({}, 'HostsA'); w.hostPool({}, 'HostsB'); }, path: 'Test/Desktops/HostsB', prop: 'VmHostPool.name', fix: 'host pools of one virtualization get the same default name', mentions: ['"vm-hosts-nested"', 'Test/Desktops/HostsA'] },
  { issueClass: 2, name: 'two WarmCapacity on one pool', act: (w) => { const pool = w.pool(); w.warm({ name: 'warm-a' }, 'WarmA', pool); w.warm({ name: 'warm-b' }, 'WarmB', pool); }, path: 'Test/Desktops/WarmB', prop: 'WarmCapacity.pool', fix: 'A pool takes one WarmCapacity', mentions: ['Test/Desktops/WarmA'] },
  { issueClass: 2, name: 'two WarmCapacity of one name (one PriorityClass)', act: (w) => { w.warm({ name: 'warm' }, 'WarmA', w.pool()); w.warm({ name: 'warm', namespace: 'warm-b' }, 'WarmB', w.pool({ windowsVersion: WindowsVersion.WINDOWS_2019 })); }, path: 'Test/Desktops/WarmB', prop: 'WarmCapacity.name', fix: 'PriorityClasses are cluster-wide', mentions: ['Test/Desktops/WarmA'] },
  { issueClass: 2, name: 'two desktops with one name in one namespace', act: (w) => { w.desktop({}, 'Alice'); w.desktop({ userId: 'bob@example.com' }, 'Bob'); }, path: 'Desktops/Bob', prop: 'WindowsDesktopVm.name', fix: 'give each desktop its own `name`', mentions: ['desktop "desktops/alice"', 'Desktops/Alice'] },
  { issueClass: 2, name: 'two golden images with one name', act: (w) => { w.goldenImage({}, 'A'); w.goldenImage({ createNamespace: false }, 'B'); }, path: 'Desktops/B', prop: 'GoldenImage.name', fix: 'give each golden image its own `name`', mentions: ['Desktops/A'] },
  { issueClass: 2, name: 'two golden images that both create their namespace', act: (w) => { w.goldenImage({}, 'A'); w.goldenImage({ name: 'windows-10' }, 'B'); }, path: 'Desktops/B', prop: 'GoldenImage.namespace', fix: 'set createNamespace: false on all but one', mentions: ['Namespace "desktop-images"', 'Desktops/A'] },
  { issueClass: 2, name: 'a warm capacity creating the gateway\'s namespace', act: (w) => { w.gateway(); w.warm({ namespace: 'guacamole' }); }, path: 'Test/Desktops/Warm', prop: 'WarmCapacity.namespace', fix: 'set createNamespace: false', mentions: ['Test/Desktops/Gateway'] },
  { issueClass: 2, name: 'Karpenter installed twice on one cluster', act: (w) => { w.karpenterInstall({}, 'KarpenterA'); w.karpenterInstall({ interruptionQueueName: 'second' }, 'KarpenterB'); }, path: 'Test/Desktops/KarpenterB', prop: 'Karpenter.cluster', fix: 'A cluster runs one Karpenter', mentions: ['Test/Desktops/KarpenterA'] },
  { issueClass: 2, name: 'addKarpenter() twice on one DesktopCluster', act: (w) => { const c = w.desktopCluster(); c.addKarpenter('Karpenter'); c.addKarpenter('Karpenter2', { interruptionQueueName: 'second' }); }, path: 'Test/Desktops/Cluster/Karpenter2', prop: 'Karpenter.cluster', fix: 'call addKarpenter() (or new Karpenter(...)) once per cluster', mentions: ['Test/Desktops/Cluster/Karpenter'] },
  { issueClass: 2, name: 'WindowsClusterSupport with its own vpc-cni on a DesktopCluster', act: (w) => { const c = w.desktopCluster(); new WindowsClusterSupport(w.desktops, 'WindowsSupport', { cluster: c.cluster, karpenterDiscoveryName: 'desktops' }); }, path: 'Test/Desktops/WindowsSupport', prop: 'WindowsClusterSupport.manageVpcCni', fix: 'set manageVpcCni: false', mentions: ['EKS add-on "vpc-cni"', 'Test/Desktops/Cluster'] },
  { issueClass: 2, name: 'WindowsClusterSupport twice on one cluster', act: (w) => { w.clusterSupport({}, 'SupportA'); w.clusterSupport({}, 'SupportB'); }, path: 'Test/Desktops/SupportB', prop: 'WindowsClusterSupport.manageVpcCni', fix: 'set manageVpcCni: false', mentions: ['Test/Desktops/SupportA'] },
  { issueClass: 2, name: 'two WindowsRuntimeClasses for one version', act: (w) => { new WindowsRuntimeClasses(w.desktops, 'A', { cluster: w.cluster, windowsVersions: [WindowsVersion.WINDOWS_2022] }); new WindowsRuntimeClasses(w.desktops, 'B', { cluster: w.cluster, windowsVersions: [WindowsVersion.WINDOWS_2022] }); }, path: 'Test/Desktops/B', prop: 'WindowsRuntimeClasses.windowsVersions', fix: 'one WindowsRuntimeClasses per cluster', mentions: ['RuntimeClass "windows-2022"', 'Test/Desktops/A'] },
  { issueClass: 2, name: 'one Windows version listed twice in WindowsRuntimeClasses', act: (w) => new WindowsRuntimeClasses(w.desktops, 'RuntimeClasses', { cluster: w.cluster, windowsVersions: [WindowsVersion.WINDOWS_2022, WindowsVersion.WINDOWS_2022] }), path: 'Test/Desktops/RuntimeClasses', prop: 'WindowsRuntimeClasses.windowsVersions', fix: 'list each version once' },
  { issueClass: 2, name: 'KubeVirt installed twice on one cluster', act: (w) => { const hostPool = w.hostPool(); new KubeVirt(w.desktops, 'KubeVirtA', { cluster: w.cluster, hostPool }); new KubeVirt(w.desktops, 'KubeVirtB', { cluster: w.cluster, hostPool }); }, path: 'Test/Desktops/KubeVirtB', prop: 'KubeVirt.cluster', fix: 'A cluster runs one KubeVirt', mentions: ['Test/Desktops/KubeVirtA'] },
  { issueClass: 2, name: 'two Fast Launch AMI pipelines with one name', act: (w) => { w.ami({}, 'AmiA'); w.ami({}, 'AmiB'); }, path: 'Test/Desktops/AmiB', prop: 'FastLaunchWindowsAmi.name', fix: 'its own `name`', mentions: ['"desktops-2022"', 'Test/Desktops/AmiA'] },
  { issueClass: 2, name: 'a capacity type listed twice', act: (w) => w.pool({ capacityTypes: [CapacityType.SPOT, CapacityType.SPOT] }), path: POOL, prop: 'WindowsNodePool.capacityTypes', fix: 'list each once' },
  { issueClass: 2, name: 'a system namespace listed twice', act: (w) => w.desktopCluster({ systemNamespaces: ['guacamole', 'guacamole'] }), path: 'Test/Desktops/Cluster', prop: 'DesktopCluster.systemNamespaces[1]', fix: 'remove it from systemNamespaces' },

  // ---- 3. user ids -----------------------------------------------------------------------
  { issueClass: 3, name: 'an empty user id', act: (w) => w.desktop({ userId: '' }), path: 'Desktops/Alice', prop: 'WindowsDesktopVm.userId', fix: "give the user's non-empty id" },
  { issueClass: 3, name: 'a user id with surrounding white space', act: (w) => w.desktop({ userId: ' alice@example.com' }), path: 'Desktops/Alice', prop: 'WindowsDesktopVm.userId', fix: 'remove it (ids are matched exactly)' },
  { issueClass: 3, name: 'a user id with a control character', act: (w) => w.desktop({ userId: 'alice\n@example.com' }), path: 'Desktops/Alice', prop: 'WindowsDesktopVm.userId', fix: 'exactly as the identity provider issues it' },
  { issueClass: 3, name: 'a user id over 320 characters', act: (w) => w.desktop({ userId: `${'a'.repeat(321)}` }), path: 'Desktops/Alice', prop: 'WindowsDesktopVm.userId', fix: 'ids of at most 320 characters' },
  { issueClass: 3, name: 'a user id that is a number (from JSON)', act: (w) => w.desktop({ userId: bad(42) }), path: 'Desktops/Alice', prop: 'WindowsDesktopVm.userId', fix: "give a string, e.g. 'alice@example.com'" },
  { issueClass: 3, name: 'kubernetesNameForUser with null', act: () => kubernetesNameForUser('users[0]', bad(null)), path: undefined, prop: 'users[0]', fix: 'give the user id as a string' },

  // ---- 4. schedules and time zones -------------------------------------------------------
  { issueClass: 4, name: 'CronJob schedule with hour 25', act: (w) => w.warm({ scaleSchedules: [{ schedule: '0 25 * * 1-5', replicas: 2 }] }), path: 'Test/Desktops/Warm', prop: 'WarmCapacity.scaleSchedules[0].schedule', fix: 'hour 25 is out of range 0-23' },
  { issueClass: 4, name: 'CronJob schedule with day-of-week 7', act: (w) => w.warm({ scaleSchedules: [{ schedule: '0 7 * * 1-7', replicas: 2 }] }), path: 'Test/Desktops/Warm', prop: 'WarmCapacity.scaleSchedules[0].schedule', fix: 'Sunday is 0 here, not 7' },
  { issueClass: 4, name: 'CronJob schedule Monday-Friday', act: (w) => w.warm({ scaleSchedules: [{ schedule: '0 7 * * Monday-Friday', replicas: 2 }] }), path: 'Test/Desktops/Warm', prop: 'WarmCapacity.scaleSchedules[0].schedule', fix: 'three-letter names SUN, MON' },
  { issueClass: 4, name: 'CronJob schedule with a seconds field', act: (w) => w.warm({ scaleSchedules: [{ schedule: '0 0 7 * * 1-5', replicas: 2 }] }), path: 'Test/Desktops/Warm', prop: 'WarmCapacity.scaleSchedules[0].schedule', fix: 'a seconds or year field is not supported' },
  { issueClass: 4, name: 'CronJob schedule with TZ=', act: (w) => w.warm({ scaleSchedules: [{ schedule: 'TZ=Europe/Berlin 0 7 * * 1-5', replicas: 2 }] }), path: 'Test/Desktops/Warm', prop: 'WarmCapacity.scaleSchedules[0].schedule', fix: 'give the zone in timeZone instead' },
  { issueClass: 4, name: 'CronJob schedule with an unknown macro', act: (w) => w.warm({ scaleSchedules: [{ schedule: '@fortnightly', replicas: 2 }] }), path: 'Test/Desktops/Warm', prop: 'WarmCapacity.scaleSchedules[0].schedule', fix: '@yearly, @annually' },
  { issueClass: 4, name: 'CronJob schedule with a step of 0', act: (w) => w.warm({ scaleSchedules: [{ schedule: '*/0 7 * * *', replicas: 2 }] }), path: 'Test/Desktops/Warm', prop: 'WarmCapacity.scaleSchedules[0].schedule', fix: 'must be at least 1' },
  { issueClass: 4, name: 'CronJob schedule with a reversed range', act: (w) => w.warm({ scaleSchedules: [{ schedule: '0 19-7 * * *', replicas: 2 }] }), path: 'Test/Desktops/Warm', prop: 'WarmCapacity.scaleSchedules[0].schedule', fix: 'starts after it ends' },
  { issueClass: 4, name: 'time zone with a typo', act: (w) => w.warm({ scaleSchedules: [{ schedule: '0 7 * * 1-5', replicas: 2 }], timeZone: 'Europe/Berln' }), path: 'Test/Desktops/Warm', prop: 'WarmCapacity.timeZone', fix: "'Europe/Berlin'" },
  { issueClass: 4, name: 'time zone in lower case', act: (w) => w.warm({ scaleSchedules: [{ schedule: '0 7 * * 1-5', replicas: 2 }], timeZone: 'europe/berlin' }), path: 'Test/Desktops/Warm', prop: 'WarmCapacity.timeZone', fix: "use 'Europe/Berlin'" },
  { issueClass: 4, name: 'time zone abbreviation PST', act: (w) => w.warm({ scaleSchedules: [{ schedule: '0 7 * * 1-5', replicas: 2 }], timeZone: 'PST' }), path: 'Test/Desktops/Warm', prop: 'WarmCapacity.timeZone', fix: 'not a city alone' },
  { issueClass: 4, name: 'time zone Local', act: (w) => w.warm({ scaleSchedules: [{ schedule: '0 7 * * 1-5', replicas: 2 }], timeZone: 'Local' }), path: 'Test/Desktops/Warm', prop: 'WarmCapacity.timeZone', fix: 'IANA time zone name' },
  { issueClass: 4, name: 'time zone as an offset', act: (w) => w.warm({ scaleSchedules: [{ schedule: '0 7 * * 1-5', replicas: 2 }], timeZone: '+01:00' }), path: 'Test/Desktops/Warm', prop: 'WarmCapacity.timeZone', fix: "'America/New_York'" },
  { issueClass: 4, name: 'businessHours weekDays Monday-Friday', act: () => WarmCapacity.businessHours({ replicas: 2, weekDays: 'Monday-Friday' }), path: undefined, prop: 'WarmCapacity.businessHours.weekDays', fix: 'three-letter names' },
  { issueClass: 4, name: 'businessHours startHour 24', act: () => WarmCapacity.businessHours({ replicas: 2, startHour: 24 }), path: undefined, prop: 'WarmCapacity.businessHours.startHour', fix: 'a whole number from 0 to 23' },
  { issueClass: 4, name: 'budget schedule with day-of-week 1-7', act: (w) => w.pool({ disruptionBudgets: [{ nodes: '0', schedule: '0 9 * * 1-7', duration: Duration.hours(8) }] }), path: POOL, prop: 'WindowsNodePool.disruptionBudgets[0].schedule', fix: 'Sunday is 0 here, not 7' },
  { issueClass: 4, name: 'budget schedule @every (Karpenter refuses it)', act: (w) => w.pool({ disruptionBudgets: [{ nodes: '0', schedule: '@every 1h', duration: Duration.hours(1) }] }), path: POOL, prop: 'WindowsNodePool.disruptionBudgets[0].schedule', fix: 'unknown macro' },
  { issueClass: 4, name: 'budget schedule with a time zone', act: (w) => w.pool({ disruptionBudgets: [{ nodes: '0', schedule: 'CRON_TZ=Europe/Berlin 0 9 * * 1-5', duration: Duration.hours(8) }] }), path: POOL, prop: 'WindowsNodePool.disruptionBudgets[0].schedule', fix: 'write the times in UTC' },
  { issueClass: 4, name: 'budget duration of 90 seconds', act: (w) => w.pool({ disruptionBudgets: [{ nodes: '0', schedule: '@daily', duration: Duration.seconds(90) }] }), path: POOL, prop: 'WindowsNodePool.disruptionBudgets[0].duration', fix: 'whole minutes or hours' },
  { issueClass: 4, name: 'budget schedule without duration', act: (w) => w.pool({ disruptionBudgets: [{ nodes: '0', schedule: '@daily' }] }), path: POOL, prop: 'WindowsNodePool.disruptionBudgets[0]', fix: "set both for a recurring window" },
  { issueClass: 4, name: 'Image Builder cron with five fields', act: (w) => w.ami({ schedule: events.Schedule.expression('cron(0 3 * * SUN)') }), path: 'Test/Desktops/Ami', prop: 'FastLaunchWindowsAmi.schedule', fix: 'six (the last one is the year)' },
  { issueClass: 4, name: 'Image Builder cron with both day fields set', act: (w) => w.ami({ schedule: events.Schedule.expression('cron(0 3 * * SUN *)') }), path: 'Test/Desktops/Ami', prop: 'FastLaunchWindowsAmi.schedule', fix: "exactly one of day-of-month and day-of-week must be '?'" },
  { issueClass: 4, name: 'Image Builder cron with hour 24', act: (w) => w.ami({ schedule: events.Schedule.cron({ minute: '0', hour: '24', weekDay: 'SUN' }) }), path: 'Test/Desktops/Ami', prop: 'FastLaunchWindowsAmi.schedule', fix: 'hours 24 is out of range 0-23' },
  { issueClass: 4, name: 'Image Builder cron with day-of-week 0', act: (w) => w.ami({ schedule: events.Schedule.expression('cron(0 3 ? * 0 *)') }), path: 'Test/Desktops/Ami', prop: 'FastLaunchWindowsAmi.schedule', fix: 'day of week 0 is out of range 1-7' },
  { issueClass: 4, name: 'Image Builder schedule as a rate', act: (w) => w.ami({ schedule: events.Schedule.rate(Duration.days(7)) }), path: 'Test/Desktops/Ami', prop: 'FastLaunchWindowsAmi.schedule', fix: 'Image Builder pipelines take cron only' },
  { issueClass: 4, name: 'recording prune schedule with day-of-week 8', act: (w) => w.gateway({ recordingFileSystem: bad({ fileSystemId: 'fs-1', node: { path: 'fs' } }), recordingPruneSchedule: '17 3 * * 8' }), path: 'Test/Desktops/Gateway', prop: 'GuacamoleGateway.recordingPruneSchedule', fix: 'day of week 8 is out of range 0-6' },
  { issueClass: 4, name: 'credential restart schedule with minute 61', act: (w) => w.gateway({ credentialRestartSchedule: '61 4 * * 0' }), path: 'Test/Desktops/Gateway', prop: 'GuacamoleGateway.credentialRestartSchedule', fix: 'minute 61 is out of range 0-59' },

  // ---- 5. wiring across constructs -------------------------------------------------------
  { issueClass: 5, name: 'gateway on a cluster without the load balancer controller', act: (w) => w.gateway({}, w.v2Cluster({ profiles: ['guacamole', 'external-secrets'] })), path: 'Test/Desktops/Gateway', prop: 'GuacamoleGateway.cluster', fix: 'Create the cluster with albController' },
  { issueClass: 5, name: 'gateway namespaces without Fargate profiles', act: (w) => w.gateway({}, w.v2Cluster({ alb: true, profiles: ['guacamole'] })), path: 'Test/Desktops/Gateway', prop: 'GuacamoleGateway.namespace', fix: 'Add it to DesktopCluster systemNamespaces', mentions: ['"external-secrets" has no Fargate profile'] },
  { issueClass: 5, name: 'ACM certificate of another region', act: (w) => w.gateway({ certificateArn: `arn:aws:acm:eu-west-1:${ACCOUNT}:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789` }), path: 'Test/Desktops/Gateway', prop: 'GuacamoleGateway.certificateArn', fix: 'Request or import the certificate in us-east-1' },
  { issueClass: 5, name: 'desktop namespace the golden image gives no clone permission to', act: (w) => { const image = w.goldenImage({ cloneNamespaces: ['team-a'] }); w.desktop({ goldenImage: image, namespace: 'team-b' }); }, path: 'Desktops/Alice', prop: 'WindowsDesktopVm.namespace', fix: 'Add "team-b" to the golden image\'s cloneNamespaces' },
  { issueClass: 5, name: 'a desktop that tolerates fewer taints than its hosts carry', act: (w) => w.desktop({ placement: { nodeSelector: { 'desktop.io/vm-host': 'true' }, toleratedTaints: [] } }), path: 'Desktops/Alice', prop: 'WindowsDesktopVm.placement', fix: "Pass the host pool's own placement (vmHostPool.placement)" },
  { issueClass: 5, name: 'warm capacity with the RuntimeClass of another Windows build', act: (w) => w.warm({ runtimeClassName: 'windows-2019' }), path: 'Test/Desktops/Warm', prop: 'WarmCapacity.runtimeClassName', fix: 'Use "windows-2022"' },
  { issueClass: 5, name: 'pre-pulled images of another Windows build', act: (w) => w.ami({ prePulledImages: ['mcr.microsoft.com/windows/servercore:ltsc2019'] }), path: 'Test/Desktops/Ami', prop: 'FastLaunchWindowsAmi.prePulledImages[0]', fix: '":ltsc2022"' },
  { issueClass: 5, name: 'arm64 build instances for an x86-64 AMI', act: (w) => w.ami({ buildInstanceTypes: [new ec2.InstanceType('m7g.xlarge')] }), path: 'Test/Desktops/Ami', prop: 'FastLaunchWindowsAmi.buildInstanceTypes[0]', fix: 'x86-64 type such as m6i.xlarge' },
  { issueClass: 5, name: 'arm64 instances for a Windows managed node group', act: (w) => w.nodeGroup({ instanceTypes: [new ec2.InstanceType('m7g.xlarge')] }), path: 'Test/Desktops/NodeGroup', prop: 'WindowsManagedNodeGroup.instanceTypes[0]', fix: 'Windows AMIs are x86-64 only' },
  { issueClass: 5, name: 'an admin given as an e-mail where Cognito sends the sub', act: (w) => w.gateway({ adminUsers: ['alice@example.com'] }), path: 'Test/Desktops/Gateway', prop: 'GuacamoleGateway.adminUsers', fix: "list the sub" },
  { issueClass: 5, name: 'JSON auth expires in seconds', act: () => encryptGuacamoleJsonAuth({ username: 'alice', expires: SECONDS_NOW, connections: {} }, '0123456789abcdef0123456789abcdef'), path: undefined, prop: 'GuacamoleJsonAuthPayload.expires', fix: `Use ${SECONDS_NOW} * 1000` },
  { issueClass: 5, name: 'database rotation faster than the credential restart', act: (w) => w.gateway({ database: { rotationDays: 3 } }), path: 'Test/Desktops/Gateway', prop: 'GuacamoleGateway.credentialRestartSchedule', fix: 'Restart at least every 3 days' },
  { issueClass: 5, name: "golden image namespace 'kube-system' with namespace creation", act: (w) => w.goldenImage({ namespace: 'kube-system' }), path: 'Desktops/Windows11', prop: 'GoldenImage.namespace', fix: 'set createNamespace: false' },
  { issueClass: 5, name: "warm capacity namespace 'kube-system' with namespace creation", act: (w) => w.warm({ namespace: 'kube-system' }), path: 'Test/Desktops/Warm', prop: 'WarmCapacity.namespace', fix: 'Use a namespace of your own' },
  { issueClass: 5, name: "gateway namespace 'kube-system'", act: (w) => w.gateway({ namespace: 'kube-system' }), path: 'Test/Desktops/Gateway', prop: 'GuacamoleGateway.namespace', fix: 'deleted with it' },
  { issueClass: 5, name: "golden image namespace 'default' with namespace creation", act: (w) => w.goldenImage({ namespace: 'default' }), path: 'Desktops/Windows11', prop: 'GoldenImage.namespace', fix: 'Use a namespace of your own' },
  { issueClass: 5, name: 'OpenID authorization endpoint over http://', act: () => GuacamoleAuthentication.openId({ authorizationEndpoint: 'http://idp.example.com/authorize', jwksEndpoint: 'https://idp.example.com/jwks', issuer: 'https://idp.example.com', clientId: 'guacamole' }), path: undefined, prop: 'GuacamoleAuthentication.openId.authorizationEndpoint', fix: 'use "https://idp.example.com/authorize"' },
  { issueClass: 5, name: 'OpenID JWKS endpoint without a scheme', act: () => GuacamoleAuthentication.openId({ authorizationEndpoint: 'https://idp.example.com/authorize', jwksEndpoint: 'idp.example.com/jwks', issuer: 'https://idp.example.com', clientId: 'guacamole' }), path: undefined, prop: 'GuacamoleAuthentication.openId.jwksEndpoint', fix: 'absolute https:// URL' },
  { issueClass: 5, name: "WindowsClusterSupport given the cluster's own name token", act: (w) => { const cluster = w.v2Cluster(); w.clusterSupport({ cluster, karpenterDiscoveryName: cluster.clusterName }); }, path: 'Test/Desktops/WindowsSupport', prop: 'WindowsClusterSupport.karpenterDiscoveryName', fix: "Give the cluster's name as a literal string" },
  { issueClass: 5, name: 'KubeVirt with the host pool of another cluster', act: (w) => { const other = new World(); new KubeVirt(w.desktops, 'KubeVirt', { cluster: w.cluster, hostPool: other.hostPool() }); }, path: 'Test/Desktops/KubeVirt', prop: 'KubeVirt.hostPool', fix: 'pass the VmHostPool of the cluster KubeVirt is installed into' },
  { issueClass: 5, name: 'a root disk smaller than its golden image', act: (w) => w.desktop({ goldenImage: { dataSourceName: 'windows-11', namespace: 'desktop-images', size: Size.gibibytes(100) }, rootDiskSize: Size.gibibytes(80) }), path: 'Desktops/Alice', prop: 'WindowsDesktopVm.rootDiskSize', fix: 'give at least Size.gibibytes(100)' },
  { issueClass: 5, name: 'Windows 2025 pool on Kubernetes 1.34', act: (w) => new WindowsNodePool(w.desktops, 'Windows2025', { karpenter: new FakeKarpenter(w.desktops, 'Old', { cluster: w.cluster, kubernetesVersion: '1.34' }), windowsVersion: WindowsVersion.WINDOWS_2025 }), path: 'Test/Desktops/Windows2025', prop: 'WindowsNodePool.karpenter.kubernetesVersion', fix: 'Upgrade the cluster to 1.35' },

  // ---- 6. where it happened, and the right fix -------------------------------------------
  { issueClass: 6, name: "Kubernetes version 'v1.35' says to drop the v", act: (w) => w.karpenterInstall({ kubernetesVersion: 'v1.35' }), path: 'Test/Desktops/Karpenter', prop: 'Karpenter.kubernetesVersion', fix: 'drop it: "1.35"' },
  { issueClass: 6, name: "KubernetesVersion.of('v1.35') on DesktopCluster", act: (w) => w.desktopCluster({ kubernetesVersion: eks.KubernetesVersion.of('v1.35') }), path: 'Test/Desktops/Cluster', prop: 'DesktopCluster.kubernetesVersion', fix: 'drop it: "1.35"' },
  { issueClass: 6, name: 'a patch version says major.minor', act: (w) => w.ami({ kubernetesVersion: '1.35.2' }), path: 'Test/Desktops/Ami', prop: 'FastLaunchWindowsAmi.kubernetesVersion', fix: 'give only major.minor: "1.35"' },
  { issueClass: 6, name: 'addKarpenter with another namespace names the cluster construct', act: (w) => w.desktopCluster().addKarpenter('Karpenter', { namespace: 'kube-system' }), path: 'Test/Desktops/Cluster', prop: 'addKarpenter(Karpenter).namespace', fix: 'leave it unset' },
  { issueClass: 6, name: 'a certificate that is not an ARN fails before aws-cdk-lib', act: (w) => w.gateway({ certificateArn: 'desktops-certificate' }), path: 'Test/Desktops/Gateway', prop: 'GuacamoleGateway.certificateArn', fix: 'arn:aws:acm:us-east-1:123456789012:certificate/' },
  { issueClass: 6, name: 'a negative root volume fails before EC2 (launch template)', act: (w) => w.nodeGroup({ rootVolumeSizeGiB: -5 }), path: 'Test/Desktops/NodeGroup', prop: 'WindowsManagedNodeGroup.rootVolumeSizeGiB', fix: 'a whole number from 50 to 16384' },
  { issueClass: 6, name: 'memory "512m" means millibytes', act: (w) => w.warm({ slotMemory: '512m' }), path: 'Test/Desktops/Warm', prop: 'WarmCapacity.slotMemory', fix: 'Did you mean "512Mi"' },
  { issueClass: 6, name: 'memory "8GB" is no Kubernetes suffix', act: (w) => w.karpenterInstall({ controllerMemory: '8GB' }), path: 'Test/Desktops/Karpenter', prop: 'Karpenter.controllerMemory', fix: 'Did you mean "8Gi"' },
  { issueClass: 6, name: 'memory "1024" (bytes) is too small', act: (w) => w.warm({ slotMemory: '1024' }), path: 'Test/Desktops/Warm', prop: 'WarmCapacity.slotMemory', fix: 'did you forget the unit' },
  { issueClass: 6, name: 'a zero CPU slot', act: (w) => w.warm({ slotCpu: '0' }), path: 'Test/Desktops/Warm', prop: 'WarmCapacity.slotCpu', fix: 'positive CPU quantity' },
  { issueClass: 6, name: 'pool errors name the nested construct path', act: (w) => w.pool({ name: 'Windows_2022' }), path: POOL, prop: 'WindowsNodePool.name', fix: 'DNS-1123 label' },
  { issueClass: 6, name: 'a bad taint value names the pool', act: (w) => w.pool({ additionalTaints: [{ key: 'example.com/team', value: 'a b', effect: bad('NoSchedule') }] }), path: POOL, prop: 'WindowsNodePool.additionalTaints[0].value', fix: 'at most 63 letters' },

  { issueClass: 6, name: 'reference stack: an admin role name instead of an ARN', act: (w) => new WindowsDesktopsStack(w.app, 'WindowsDesktops', { gatewayHostname: HOSTNAME, gatewayCertificateArn: CERTIFICATE_ARN, adminRoleArns: ['Admin'] }), path: 'WindowsDesktops', prop: 'WindowsDesktopsStack.adminRoleArns[0]', fix: '"arn:aws:iam::123456789012:role/Admin"' },
  { issueClass: 1, name: 'reference stack: gatewayHostname missing from cdk.json', act: (w) => new WindowsDesktopsStack(w.app, 'WindowsDesktops', bad<WindowsDesktopsStackProps>({ gatewayCertificateArn: CERTIFICATE_ARN })), path: 'WindowsDesktops', prop: 'WindowsDesktopsStack.gatewayHostname', fix: 'give a value' },
  { issueClass: 1, name: 'reference stack: availabilityZones as one string', act: (w) => new WindowsDesktopsStack(w.app, 'WindowsDesktops', { gatewayHostname: HOSTNAME, gatewayCertificateArn: CERTIFICATE_ARN, availabilityZones: bad('us-east-1a,us-east-1b') }), path: 'WindowsDesktops', prop: 'WindowsDesktopsStack.availabilityZones', fix: 'give an array' },

  // ---- 7. one vocabulary: one rule, one answer in every construct --------------------------
  { issueClass: 7, name: 'CIDR with host bits on the cluster endpoint', act: (w) => w.desktopCluster({ publicEndpointCidrs: ['10.0.0.7/24'] }), path: 'Test/Desktops/Cluster', prop: 'DesktopCluster.publicEndpointCidrs[0]', fix: 'use the network address "10.0.0.0/24"' },
  { issueClass: 7, name: 'the same CIDR on the gateway gets the same answer', act: (w) => w.gateway({ allowedCidrs: ['10.0.0.7/24'] }), path: 'Test/Desktops/Gateway', prop: 'GuacamoleGateway.allowedCidrs', fix: 'use the network address "10.0.0.0/24"' },
  { issueClass: 7, name: 'a /33 prefix on the gateway', act: (w) => w.gateway({ allowedCidrs: ['10.0.0.0/33'] }), path: 'Test/Desktops/Gateway', prop: 'GuacamoleGateway.allowedCidrs', fix: 'n from 0 to 32' },
  { issueClass: 7, name: 'a short security group id on a node pool', act: (w) => w.pool({ securityGroupSelectorTerms: [{ id: 'sg-123' }] }), path: POOL, prop: 'WindowsNodePool.securityGroupSelectorTerms[0].id', fix: '8 or 17 lowercase hex digits' },
  { issueClass: 7, name: 'the same security group id on the gateway gets the same answer', act: (w) => w.gateway({ desktopSecurityGroupIds: ['sg-123'] }), path: 'Test/Desktops/Gateway', prop: 'GuacamoleGateway.desktopSecurityGroupIds[0]', fix: '8 or 17 lowercase hex digits' },
  { issueClass: 7, name: 'an upper-case subnet id', act: (w) => w.hostPool({ subnetSelectorTerms: [{ id: 'subnet-0123456789ABCDEF0' }] }), path: 'Test/Desktops/VmHosts', prop: 'VmHostPool.subnetSelectorTerms[0].id', fix: '"subnet-0123456789abcdef0"' },
  { issueClass: 7, name: 'a short AMI id', act: (w) => new EnableFastLaunch(w.desktops, 'FastLaunch', { imageId: 'ami-123', vpc: w.cluster.vpc }), path: 'Test/Desktops/FastLaunch', prop: 'EnableFastLaunch.imageId', fix: '"ami-0123456789abcdef0"' },
  { issueClass: 7, name: 'memory "2GB" on the gateway (same rule as Karpenter)', act: (w) => w.gateway({ webMemory: '2GB' }), path: 'Test/Desktops/Gateway', prop: 'GuacamoleGateway.webMemory', fix: 'Did you mean "2Gi"' },
  { issueClass: 7, name: 'memory "2GB" on warm capacity (same rule)', act: (w) => w.warm({ slotMemory: '2GB' }), path: 'Test/Desktops/Warm', prop: 'WarmCapacity.slotMemory', fix: 'Did you mean "2Gi"' },
  { issueClass: 7, name: 'CPU "1 core" on the gateway', act: (w) => w.gateway({ guacdCpu: '1 core' }), path: 'Test/Desktops/Gateway', prop: 'GuacamoleGateway.guacdCpu', fix: 'millicores ("500m")' },
  { issueClass: 7, name: 'CPU "1 core" on Karpenter (same rule)', act: (w) => w.karpenterInstall({ controllerCpu: '1 core' }), path: 'Test/Desktops/Karpenter', prop: 'Karpenter.controllerCpu', fix: 'millicores ("500m")' },
  { issueClass: 7, name: 'a reserved label domain on a VM host pool (same rule as Windows pools)', act: (w) => w.hostPool({ labels: { 'node.kubernetes.io/team': 'a' } }), path: 'Test/Desktops/VmHosts', prop: 'VmHostPool.labels', fix: "Use a domain of your own, e.g. 'example.com/team'" },
];

describe('bad input fails at synth time with the construct path, the prop and the fix', () => {
  test.each(CASES.map((c) => [`[${c.issueClass}] ${c.name}`, c] as const))('%s', (_name, c) => {
    // GIVEN a fresh app
    const world = new World();

    // WHEN
    let error: unknown;
    try {
      c.act(world);
    } catch (e) {
      error = e;
    }

    // THEN the library's error, naming where, what and how to fix it
    expect(error).toBeInstanceOf(ValidationError);
    const v = error as ValidationError;
    expect({ path: v.constructPath, prop: v.prop }).toEqual({ path: c.path, prop: c.prop });
    expect(v.message).toContain(c.fix);
    for (const mention of c.mentions ?? []) expect(v.message).toContain(mention);
    if (c.path !== undefined) expect(v.message.startsWith(`${c.path}: ${c.prop}: `)).toBe(true);
  });

  test('the table covers at least 120 bad inputs and every class of the issue', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(120);
    const classes = new Set(CASES.map((c) => c.issueClass));
    expect([...classes].sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    // Every case has a distinct name, so a failure points at one row.
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
  });
});
