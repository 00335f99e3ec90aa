import { App, Stack } from 'aws-cdk-lib';
import { App as CdkApp, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { DesktopCluster } from '../constructs/cluster/desktop-cluster';
import { WindowsClusterSupport } from '../constructs/cluster/windows-cluster-support';
import { WindowsManagedNodeGroup } from '../constructs/cluster/windows-managed-node-group';
import { ValidationError } from '../constructs/common/validation-error';
import { GuacamoleDatabase } from '../constructs/guacamole/guacamole-database';
import { NodeDesktopIsolation } from '../constructs/node-desktops/node-desktop-isolation';
import { NodeDesktops } from '../constructs/node-desktops/node-desktops';
import { GuacamoleGateway } from '../constructs/guacamole/guacamole-gateway';
import { RdpConnection } from '../constructs/guacamole/rdp-connection';
import { Karpenter } from '../constructs/karpenter/karpenter';
import { WarmCapacity } from '../constructs/karpenter/warm-capacity';
import { WindowsNodePool } from '../constructs/karpenter/windows-node-pool';
import { WindowsVersion } from '../constructs/karpenter/windows-version';
import { GoldenImage } from '../constructs/kubevirt/golden-image';
import { GoldenImageSource } from '../constructs/kubevirt/golden-image-source';
import { KubeVirt } from '../constructs/kubevirt/kubevirt';
import { VmHostPool } from '../constructs/kubevirt/vm-host-pool';
import { WindowsDesktopVm } from '../constructs/kubevirt/windows-desktop-vm';
import { EnableFastLaunch } from '../constructs/windows-ami/enable-fast-launch';
import { FastLaunchWindowsAmi } from '../constructs/windows-ami/fast-launch-windows-ami';
import { KubectlV35Layer } from '@aws-cdk/lambda-layer-kubectl-v35';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks';
import * as iam from 'aws-cdk-lib/aws-iam';
import { CERTIFICATE_ARN, HOSTNAME } from './guacamole/guacamole-fixtures';
import { TEST_LICENSING } from './kubevirt/kubevirt-test-support';
import { FakeKarpenter } from './support/eks-fixtures';

/**
 * Every prop of every public construct, given a value of each JSON type (as cdk.json may hold
 * it), either works or fails with the library's `ValidationError` naming that prop; never a
 * `TypeError` or an aws-cdk-lib message. `null` always fails.
 */

type Props = Record<string, unknown>;
interface Subject {
  readonly name: string;
  readonly props: readonly string[];
  readonly build: (scope: Construct, chart: Chart, props: Props) => unknown;
}

interface Fixtures {
  readonly cluster: eks.ICluster;
  readonly karpenter: FakeKarpenter;
}

/** A fresh app; the cheap imported cluster and the Karpenter stand-in are built on first use. */
function world(): { scope: Construct; chart: Chart; fixtures: Fixtures } {
  const app = new App({ context: { '@aws-cdk/aws-eks:useNativeOidcProvider': true } });
  const stack = new Stack(app, 'Test', { env: { account: '123456789012', region: 'us-east-1' } });
  let cluster: eks.ICluster | undefined;
  let karpenter: FakeKarpenter | undefined;
  const fixtures: Fixtures = {
    get cluster(): eks.ICluster {
      // An imported VPC and cluster: these cases never synthesize.
      cluster ??= eks.Cluster.fromClusterAttributes(stack, 'Cluster', {
        clusterName: 'imported',
        vpc: ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
          vpcId: 'vpc-12345678', vpcCidrBlock: '10.0.0.0/16', availabilityZones: ['us-east-1a', 'us-east-1b'], privateSubnetIds: ['subnet-11111111', 'subnet-22222222'],
        }),
        clusterSecurityGroupId: 'sg-0123456789abcdef0',
        kubectlRoleArn: 'arn:aws:iam::123456789012:role/kubectl',
        kubectlLayer: new KubectlV35Layer(stack, 'Kubectl'),
        openIdConnectProvider: iam.OpenIdConnectProvider.fromOpenIdConnectProviderArn(stack, 'Oidc', 'arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE'),
      });
      return cluster;
    },
    get karpenter(): FakeKarpenter {
      karpenter ??= new FakeKarpenter(stack, 'Karpenter', { cluster: fixtures.cluster });
      return karpenter;
    },
  };
  return { scope: new Construct(stack, 'Scope'), chart: new Chart(new CdkApp(), 'Chart', { namespace: 'desktops' }), fixtures };
}

const JUNK: ReadonlyArray<readonly [string, unknown]> = [
  ['a number', 42], ['a string', 'junk'], ['a boolean', true], ['an object', { a: 1 }], ['an array', ['x']], ['null', null],
];

let fixtures: Fixtures;
const SUBJECTS: Subject[] = [
  {
    name: 'WindowsNodePool',
    props: ['windowsVersion', 'name', 'ami', 'capacityTypes', 'instanceCategories', 'minInstanceGeneration', 'cpuLimit', 'memoryLimit', 'expireAfter', 'consolidationPolicy', 'consolidateAfter', 'disruptionBudgets', 'rootVolumeSize', 'additionalTaints', 'weight', 'rootVolumeEncryptionKey', 'subnetSelectorTerms', 'securityGroupSelectorTerms', 'labels', 'tags'],
    build: (scope, _chart, props) => new WindowsNodePool(scope, 'Subject', { karpenter: fixtures.karpenter, windowsVersion: WindowsVersion.WINDOWS_2022, ...props }),
  },
  {
    name: 'VmHostPool',
    props: ['virtualization', 'name', 'instanceFamilies', 'capacityTypes', 'cpuLimit', 'memoryLimit', 'expireAfter', 'consolidateAfter', 'disruptionBudgets', 'rootVolumeSize', 'additionalTaints', 'weight', 'labels', 'tags'],
    build: (scope, _chart, props) => new VmHostPool(scope, 'Subject', { karpenter: fixtures.karpenter, guestLicensing: TEST_LICENSING, ...props }),
  },
  {
    name: 'Karpenter',
    props: ['version', 'namespace', 'nodeAccess', 'controllerCpu', 'controllerMemory', 'replicas', 'helmValues', 'interruptionQueueName', 'kubernetesVersion'],
    build: (scope, _chart, props) => new Karpenter(scope, 'Subject', { cluster: fixtures.cluster, ...props }),
  },
  {
    name: 'WarmCapacity',
    props: ['slotCpu', 'slotMemory', 'replicas', 'name', 'namespace', 'createNamespace', 'priority', 'image', 'runtimeClassName', 'scaleSchedules', 'timeZone', 'scalerNamespace', 'scalerImage'],
    build: (scope, _chart, props) => new WarmCapacity(scope, 'Subject', {
      pool: new WindowsNodePool(scope, 'Pool', { karpenter: fixtures.karpenter, windowsVersion: WindowsVersion.WINDOWS_2022 }), slotCpu: '2', slotMemory: '8Gi', ...props,
    }),
  },
  {
    name: 'DesktopCluster',
    props: ['vpc', 'availabilityZones', 'natGateways', 'clusterName', 'kubernetesVersion', 'kubectlLayer', 'publicEndpointCidrs', 'clusterLogging', 'secretsEncryptionKey', 'adminRoles', 'systemNamespaces', 'addonVersions', 'albController', 'efsCsi', 'mountpointS3Csi', 'volumeEncryptionKey', 'windowsManagedNodeGroup'],
    // Only the validation is exercised: a valid prop goes on to build the whole cluster, so
    // these props are checked with a second bad prop that stops construction afterwards.
    build: (scope, _chart, props) => new DesktopCluster(scope, 'Subject', { availabilityZones: ['us-east-1a', 'us-east-1b'], natGateways: 0, ...props }),
  },
  {
    name: 'WindowsClusterSupport',
    props: ['karpenterDiscoveryName', 'clusterRole', 'subnets', 'manageVpcCni', 'vpcCniVersion'],
    build: (scope, _chart, props) => new WindowsClusterSupport(scope, 'Subject', { cluster: fixtures.cluster, karpenterDiscoveryName: 'desktops', ...props }),
  },
  {
    name: 'WindowsManagedNodeGroup',
    props: ['windowsVersion', 'instanceTypes', 'minSize', 'desiredSize', 'maxSize', 'rootVolumeSizeGiB', 'labels', 'kubernetesVersion'],
    build: (scope, _chart, props) => new WindowsManagedNodeGroup(scope, 'Subject', { cluster: fixtures.cluster as never, minSize: -1, ...props }),
  },
  {
    name: 'KubeVirt',
    props: ['vmStateStorageClass', 'kubevirtVersion', 'cdiVersion', 'installerImage', 'installerNamespace', 'featureGates', 'userDiskStorageClassName', 'userDiskEncryptionKey', 'waitForReadiness', 'readinessTimeout'],
    build: (scope, _chart, props) => new KubeVirt(scope, 'Subject', { cluster: fixtures.cluster, hostPool: new VmHostPool(scope, 'Hosts', { karpenter: fixtures.karpenter, guestLicensing: TEST_LICENSING }), ...props }),
  },
  {
    name: 'GoldenImage',
    props: ['name', 'source', 'namespace', 'createNamespace', 'size', 'storageClassName', 'cloneNamespaces'],
    build: (_scope, chart, props) => new GoldenImage(chart, 'Subject', { name: 'windows-11', source: GoldenImageSource.http('https://images.example.com/w11.qcow2'), cloneNamespaces: ['desktops'], ...props }),
  },
  {
    name: 'WindowsDesktopVm',
    props: ['name', 'userId', 'goldenImage', 'namespace', 'size', 'runStrategy', 'windows11', 'secureBoot', 'tpm', 'rootDiskSize', 'rootDiskStorageClassName', 'userDiskSize', 'userDiskStorageClassName', 'sysprepSecretName', 'cloudbaseInitSecretName', 'placement', 'labels', 'shutdownGracePeriod'],
    build: (_scope, chart, props) => new WindowsDesktopVm(chart, 'Subject', { name: 'alice', userId: 'alice@example.com', goldenImage: { dataSourceName: 'w11', namespace: 'images' }, ...props }),
  },
  {
    name: 'GuacamoleGateway',
    props: ['vpc', 'hostname', 'certificateArn', 'namespace', 'internetFacing', 'allowedCidrs', 'idleTimeout', 'sslPolicy', 'wafWebAclArn', 'ingressClassName', 'authentication', 'totp', 'adminUsers', 'webReplicas', 'guacdReplicas', 'webCpu', 'webMemory', 'guacdCpu', 'guacdMemory', 'database', 'sessionRecording', 'recordingFileSystem', 'recordingRetention', 'recordingPruneSchedule', 'allowClipboardCopy', 'allowClipboardPaste', 'allowDriveRedirection', 'installExternalSecrets', 'externalSecretsNamespace', 'secretsRefreshInterval', 'credentialRestartSchedule', 'desktopSecurityGroupIds'],
    build: (scope, _chart, props) => new GuacamoleGateway(scope, 'Subject', { cluster: fixtures.cluster, hostname: HOSTNAME, certificateArn: CERTIFICATE_ARN, webReplicas: 0, ...props }),
  },
  {
    name: 'FastLaunchWindowsAmi',
    props: ['windowsVersion', 'kubernetesVersion', 'edition', 'name', 'prePulledImages', 'additionalComponents', 'subnetSelection', 'buildInstanceTypes', 'rootVolumeSize', 'encryptionKey', 'maxParallelLaunches', 'expectedBurst', 'schedule', 'startCondition', 'buildOnDeploy', 'logBucket', 'logPrefix', 'amiTags'],
    build: (scope, _chart, props) => new FastLaunchWindowsAmi(scope, 'Subject', { vpc: fixtures.cluster.vpc, windowsVersion: WindowsVersion.WINDOWS_2022, kubernetesVersion: '1.35', maxParallelLaunches: 1, ...props }),
  },
  {
    name: 'EnableFastLaunch',
    props: ['imageId', 'subnetSelection', 'maxParallelLaunches', 'expectedBurst', 'encryptionKey'],
    build: (scope, _chart, props) => new EnableFastLaunch(scope, 'Subject', { imageId: 'ami-0123456789abcdef0', vpc: fixtures.cluster.vpc, maxParallelLaunches: 1, ...props }),
  },
  {
    name: 'NodeDesktops',
    props: ['windowsVersion', 'name', 'namespace', 'users', 'ami', 'capacityType', 'acceptSpotDataLoss', 'instanceTypes', 'maxSessionDuration', 'emptyNodeTtl', 'warmDesktops', 'warmNodeMaxWait', 'directory', 'rdsLicenseServers', 'profiles', 'egress', 'rdpSourceCidrs', 'hostProcessImage', 'placeholderImage', 'rootVolumeSize', 'rootVolumeEncryptionKey', 'subnetSelectorTerms', 'tags'],
    build: (scope, _chart, props) => new NodeDesktops(scope, 'Subject', {
      karpenter: fixtures.karpenter, isolation: NodeDesktopIsolation.sharedPool(),
      rdpClientSecurityGroup: ec2.SecurityGroup.fromSecurityGroupId(scope, 'Guacd', 'sg-0123456789abcdef0'), ...props,
    }),
  },
  {
    name: 'GuacamoleDatabase',
    props: ['subnets', 'instanceType', 'minCapacity', 'maxCapacity', 'readers', 'engineVersion', 'storageEncryptionKey', 'backupRetentionDays', 'deletionProtection', 'removalPolicy', 'iamAuthentication', 'rotationDays'],
    build: (scope, _chart, props) => new GuacamoleDatabase(scope, 'Subject', { vpc: fixtures.cluster.vpc, readers: -1, ...props }),
  },
  {
    name: 'RdpConnection',
    props: ['name', 'hostname', 'port', 'security', 'ignoreCert', 'username', 'password', 'domain', 'enableClipboardCopy', 'enableClipboardPaste', 'enableDrive', 'enableFileDownload', 'enableFileUpload', 'recording', 'recordingIncludeKeys'],
    build: (_scope, _chart, props) => new RdpConnection({ name: 'Desktop', hostname: 'h.example.com', ...props } as never),
  },
];

describe.each(SUBJECTS.map((s) => [s.name, s] as const))('%s', (_name, subject) => {
  const cases = subject.props.flatMap((prop) => JUNK.map(([kind, value]) => [prop, kind, value] as const));
  test.each(cases)('%s given %s', (prop, _kind, value) => {
    const w = world();
    fixtures = w.fixtures;
    let error: unknown;
    try {
      subject.build(w.scope, w.chart, { [prop]: value });
    } catch (e) {
      error = e;
    }
    // Some subjects carry a second bad prop so that valid values stop before building
    // everything; the error must then name that prop, not crash on this one.
    if (error === undefined) {
      expect(value).not.toBeNull();
      return;
    }
    if (!(error instanceof ValidationError)) throw error;
    if (value === null) expect(error.prop).toBe(`${subject.name}.${prop}`);
  });
});
