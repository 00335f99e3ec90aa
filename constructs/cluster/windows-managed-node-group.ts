import { Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { CfnCluster, CfnNodegroup } from 'aws-cdk-lib/aws-eks';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import {
  checkProps, isArrayOf, isConstruct, isInstanceOf, isNumber, isStringMap, PropCheck, required,
  validateInteger, validateKubernetesVersion, validateNonEmpty,
} from '../common/validate';
import { describeValue } from '../common/validate';
import { reportsConstructPath, ValidationError } from '../common/validation-error';
import { compareVersions } from '../common/version-compare';
import { WINDOWS_2025_MIN_KUBERNETES, WINDOWS_BUILDS } from '../common/versions';
import { WINDOWS_ROOT_DEVICE } from '../common/well-known';

/** Root volume device of the EKS optimized Windows AMIs. */
/** Windows Server Core with the container images it caches needs this much disk at least. */
const MIN_ROOT_VOLUME_GIB = 50;
/** Label prefixes the managed node group API rejects (`node.kubernetes.io/...` included). */
const RESERVED_LABEL_PREFIXES = ['kubernetes.io/', 'k8s.io/', 'eks.amazonaws.com/'];

/**
 * EKS managed node group AMI type per Windows Server version (Server Core editions). The v2
 * `NodegroupAmiType` enum stops at 2022; CloudFormation accepts the 2025 value (UPSTREAM-FACTS).
 */
const AMI_TYPES: Record<string, string> = {
  2019: eks.NodegroupAmiType.WINDOWS_CORE_2019_X86_64,
  2022: eks.NodegroupAmiType.WINDOWS_CORE_2022_X86_64,
  2025: 'WINDOWS_CORE_2025_x86_64',
};

/**
 * Options of a Windows managed node group, as taken by `DesktopCluster.windowsManagedNodeGroup`.
 */
export interface WindowsManagedNodeGroupOptions {
  /**
   * Windows Server version of the nodes: one of the keys of `WINDOWS_BUILDS` ("2019", "2022",
   * "2025"). Windows Server 2025 needs Kubernetes 1.35 or later.
   * @default '2022'
   * @see https://docs.aws.amazon.com/eks/latest/userguide/eks-optimized-windows-ami.html
   */
  readonly windowsVersion?: string;

  /**
   * Instance types of the nodes (x86_64 types that support Windows).
   * @default [m6i.xlarge] - 4 vCPU / 16 GiB, room for Windows' own footprint (~2 GiB)
   */
  readonly instanceTypes?: ec2.InstanceType[];

  /**
   * Minimum number of nodes.
   * @default 1
   */
  readonly minSize?: number;

  /**
   * Number of nodes to start with (`minSize` ≤ `desiredSize` ≤ `maxSize`).
   * @default - `minSize`
   */
  readonly desiredSize?: number;

  /**
   * Maximum number of nodes (at least 1).
   * @default - the larger of 3 and `desiredSize`
   */
  readonly maxSize?: number;

  /**
   * Size of the encrypted gp3 root volume in GiB (at least 50).
   * @default 100
   */
  readonly rootVolumeSizeGiB?: number;

  /**
   * Extra node labels. Keys under `kubernetes.io/`, `k8s.io/` or `eks.amazonaws.com/` are
   * rejected by the managed node group API. The kubelet labels every Windows node with
   * `node.kubernetes.io/windows-build` itself, so RuntimeClasses can select on the build.
   * @default - none
   */
  readonly labels?: { [key: string]: string };
}

/**
 * Properties of {@link WindowsManagedNodeGroup}.
 */
export interface WindowsManagedNodeGroupProps extends WindowsManagedNodeGroupOptions {
  /** The cluster (aws-eks-v2) the nodes join. */
  readonly cluster: eks.ICluster;

  /**
   * Kubernetes version of the cluster, e.g. "1.35" (checked against the Windows version).
   * @default - the version of the cluster's `AWS::EKS::Cluster` resource when the cluster is
   *   defined in this app; unchecked for an imported cluster
   */
  readonly kubernetesVersion?: string;
}

/**
 * An EKS managed node group of Windows Server Core nodes, for teams that do not run Karpenter.
 *
 * Nodes are tainted `os=windows:NoSchedule` so that only pods that tolerate it (and select
 * `kubernetes.io/os: windows`) land there. The launch template requires IMDSv2 with a hop limit
 * of 1, so containers cannot borrow the node role, and encrypts the gp3 root volume.
 *
 * Access: with the API authentication mode that aws-eks-v2 clusters use, EKS itself creates an
 * `EC2_WINDOWS` access entry for the node role of a managed node group with a Windows AMI type;
 * aws-cdk-lib's `Nodegroup` creates none and none is needed. Because an IAM role can be in only
 * one access entry, the group gets its own node role: do not reuse Karpenter's Windows node role.
 */
/** A Windows Server year as a string; a number from JSON gets the quoted form as the fix. */
const WINDOWS_YEAR: PropCheck = (prop, value) => {
  if (typeof value === 'string') return;
  throw new ValidationError(prop, `is ${describeValue(value)}; give the year as a string: one of ${Object.keys(WINDOWS_BUILDS).map((v) => `"${v}"`).join(', ')}${typeof value === 'number' ? ` (e.g. "${value}")` : ''}.`);
};

@reportsConstructPath
export class WindowsManagedNodeGroup extends Construct {
  /** The managed node group. */
  public readonly nodegroup: eks.Nodegroup;
  /** IAM role of the nodes. */
  public readonly role: iam.IRole;
  /** Launch template (IMDSv2, encrypted root volume). */
  public readonly launchTemplate: ec2.LaunchTemplate;
  /** Windows Server version, e.g. "2022". */
  public readonly windowsVersion: string;
  /** Windows build, e.g. "10.0.20348" (the nodes' `node.kubernetes.io/windows-build` label). */
  public readonly windowsBuild: string;
  /** AMI type of the node group, e.g. `WINDOWS_CORE_2022_x86_64`. */
  public readonly amiType: string;

  constructor(scope: Construct, id: string, props: WindowsManagedNodeGroupProps) {
    super(scope, id);
    const p = 'WindowsManagedNodeGroup';
    checkProps(p, props, {
      cluster: required(isConstruct('an aws-eks-v2 cluster')),
      windowsVersion: WINDOWS_YEAR,
      instanceTypes: isArrayOf(isInstanceOf(ec2.InstanceType, "an ec2.InstanceType, e.g. new ec2.InstanceType('m6i.xlarge')"), "[new ec2.InstanceType('m6i.xlarge')]"),
      minSize: isNumber('1'),
      desiredSize: isNumber('1'),
      maxSize: isNumber('3'),
      rootVolumeSizeGiB: isNumber('100'),
      labels: isStringMap("{ 'example.com/team': 'desktops' }"),
    }, { otherProps: ['kubernetesVersion'] });
    if (props.kubernetesVersion !== undefined) validateKubernetesVersion(`${p}.kubernetesVersion`, props.kubernetesVersion);

    const windowsVersion = props.windowsVersion ?? '2022';
    const instanceTypes = props.instanceTypes ?? [ec2.InstanceType.of(ec2.InstanceClass.M6I, ec2.InstanceSize.XLARGE)];
    const minSize = props.minSize ?? 1;
    const desiredSize = props.desiredSize ?? minSize;
    const maxSize = props.maxSize ?? Math.max(3, desiredSize);
    const rootVolumeSizeGiB = props.rootVolumeSizeGiB ?? 100;
    const labels = props.labels ?? {};
    const clusterResource = props.cluster.node.defaultChild;
    const kubernetesVersion = props.kubernetesVersion ?? (clusterResource instanceof CfnCluster ? clusterResource.version : undefined);

    const build = Object.prototype.hasOwnProperty.call(WINDOWS_BUILDS, windowsVersion)
      ? WINDOWS_BUILDS[windowsVersion as keyof typeof WINDOWS_BUILDS]
      : undefined;
    if (build === undefined) {
      throw new ValidationError('WindowsManagedNodeGroup.windowsVersion', `"${windowsVersion}" is not a supported Windows Server version; use one of ${Object.keys(WINDOWS_BUILDS).map((v) => `"${v}"`).join(', ')}.`);
    }
    if (windowsVersion === '2025' && kubernetesVersion !== undefined && !Token.isUnresolved(kubernetesVersion)
      && compareVersions(kubernetesVersion, WINDOWS_2025_MIN_KUBERNETES) < 0) {
      throw new ValidationError('WindowsManagedNodeGroup.windowsVersion', `Windows Server 2025 nodes need Kubernetes ${WINDOWS_2025_MIN_KUBERNETES} or later, but the cluster runs ${kubernetesVersion}; use "2022" or upgrade the cluster.`);
    }
    validateNonEmpty('WindowsManagedNodeGroup.instanceTypes', instanceTypes, 'give at least one instance type that supports Windows, e.g. m6i.xlarge.');
    // Checked here so that the message names the prop, before aws-cdk-lib's Nodegroup refuses them.
    instanceTypes.forEach((type, i) => {
      if (type.architecture !== ec2.InstanceArchitecture.X86_64) {
        throw new ValidationError(`${p}.instanceTypes[${i}]`, `"${type}" is an ${type.architecture} instance type; Windows AMIs are x86-64 only. Use an x86-64 type such as m6i.xlarge.`);
      }
    });
    validateInteger('WindowsManagedNodeGroup.minSize', minSize, 0);
    validateInteger('WindowsManagedNodeGroup.desiredSize', desiredSize, 0);
    validateInteger('WindowsManagedNodeGroup.maxSize', maxSize, 1);
    if (!Token.isUnresolved(minSize) && !Token.isUnresolved(maxSize) && minSize > maxSize) {
      throw new ValidationError('WindowsManagedNodeGroup.minSize', `minSize ${minSize} is greater than maxSize ${maxSize}; use minSize ≤ desiredSize ≤ maxSize.`);
    }
    if (!Token.isUnresolved(desiredSize) && !Token.isUnresolved(minSize) && !Token.isUnresolved(maxSize)
      && (desiredSize < minSize || desiredSize > maxSize)) {
      throw new ValidationError('WindowsManagedNodeGroup.desiredSize', `desiredSize ${desiredSize} is outside [minSize ${minSize}, maxSize ${maxSize}]; use minSize ≤ desiredSize ≤ maxSize.`);
    }
    validateInteger('WindowsManagedNodeGroup.rootVolumeSizeGiB', rootVolumeSizeGiB, MIN_ROOT_VOLUME_GIB, 16384);
    for (const key of Object.keys(labels)) {
      const reserved = RESERVED_LABEL_PREFIXES.find((p) => key.startsWith(p) || key.includes(`.${p}`));
      if (reserved !== undefined) {
        throw new ValidationError('WindowsManagedNodeGroup.labels', `label "${key}" uses the reserved prefix "${reserved}", which the managed node group API rejects; use your own prefix, e.g. "desktop.io/".`);
      }
    }

    this.launchTemplate = new ec2.LaunchTemplate(this, 'LaunchTemplate', {
      // IMDSv2 only, and one hop: a container one network hop further cannot reach it.
      requireImdsv2: true,
      httpPutResponseHopLimit: 1,
      blockDevices: [{
        deviceName: WINDOWS_ROOT_DEVICE,
        volume: ec2.BlockDeviceVolume.ebs(rootVolumeSizeGiB, {
          volumeType: ec2.EbsDeviceVolumeType.GP3,
          encrypted: true,
          deleteOnTermination: true,
        }),
      }],
    });

    const amiType = AMI_TYPES[windowsVersion];
    this.nodegroup = new eks.Nodegroup(this, 'Resource', {
      cluster: props.cluster,
      // 2025 is not in the enum: pass 2022 so that aws-cdk-lib still checks that the instance
      // types support Windows, then set the real AMI type on the L1 below.
      amiType: windowsVersion === '2025' ? eks.NodegroupAmiType.WINDOWS_CORE_2022_X86_64 : amiType as eks.NodegroupAmiType,
      instanceTypes,
      minSize,
      desiredSize,
      maxSize,
      launchTemplateSpec: {
        id: this.launchTemplate.launchTemplateId!,
        version: this.launchTemplate.latestVersionNumber,
      },
      taints: [{ key: 'os', value: 'windows', effect: eks.TaintEffect.NO_SCHEDULE }],
      labels: Object.keys(labels).length > 0 ? labels : undefined,
    });
    (this.nodegroup.node.defaultChild as CfnNodegroup).amiType = amiType;

    this.role = this.nodegroup.role;
    this.windowsVersion = windowsVersion;
    this.windowsBuild = build.build;
    this.amiType = amiType;
  }
}
