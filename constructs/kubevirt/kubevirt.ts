import { Duration, Names, Token } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as cdk8s from 'cdk8s';
import { Construct, DependencyGroup, IDependable } from 'constructs';
import { guardChartHandover } from '../common/chart-handover';
import { dependOnAlbController, IEksCluster } from '../common/eks-cluster';
import { claimUnique } from '../common/uniqueness';
import { addWarning } from '../common/warnings';
import { checkProps, isArrayOf, isBoolean, isConstruct, isInstanceOf, isString, required, validateDns1123Label, validateDns1123Subdomain } from '../common/validate';
import { reportsConstructPath, ValidationError } from '../common/validation-error';
import { compareVersions } from '../common/version-compare';
import { CDI_MIN_VERSION, CDI_VERSION, KUBECTL_IMAGE, KUBEVIRT_MIN_VERSION, KUBEVIRT_VERSION } from '../common/versions';
import {
  CDI_CRD_NAME,
  CDI_NAMESPACE,
  KUBEVIRT_NAMESPACE,
  KubeVirtInstallChart,
  USER_DISK_STORAGE_CLASS,
} from './kubevirt-install-chart';
import { kubernetesObjectValue } from './private/object-value';
import { IVmHostPool } from './vm-host-pool';
import { VmHostPlacement } from './vm-host-placement';

/** A Lambda-backed custom resource stops at 15 minutes; leave room for kubeconfig and retries. */
const MAX_READINESS_TIMEOUT = Duration.minutes(14);
const SEMVER = /^\d+\.\d+\.\d+$/;
/** An image reference pinned by tag or digest (`latest` is not a pin). */
const PINNED_IMAGE = /^[a-z0-9.-]+(:\d+)?(\/[a-z0-9._-]+)+(:[A-Za-z0-9._-]+|@sha256:[0-9a-f]{64})$/;
const FEATURE_GATE = /^[A-Za-z][A-Za-z0-9]*$/;

/**
 * Properties of `KubeVirt`.
 */
export interface KubeVirtProps {
  /**
   * The cluster to install into (from `aws-cdk-lib/aws-eks` or `aws-eks-v2`, with a kubectl
   * handler). Must be the cluster of `hostPool`.
   */
  readonly cluster: IEksCluster;

  /**
   * The VM hosts. KubeVirt, CDI, their operators and the installer Job run there (by its
   * `placement`), and the install starts after its NodePool is applied.
   */
  readonly hostPool: IVmHostPool;

  /**
   * StorageClass of persistent VM state: the TPM (BitLocker keys, Windows Hello) and EFI
   * variables of each desktop live in a small PVC. Leave it unset: KubeVirt then uses the
   * cluster's default class (gp3 on a `DesktopCluster`) with ReadWriteOnce. A class named here
   * makes KubeVirt 1.9 request ReadWriteMany Filesystem unless the class's CDI StorageProfile
   * lists ReadWriteOnce Filesystem, which CDI's built-in EBS profile does not, and EBS cannot
   * serve ReadWriteMany: every desktop with a persistent TPM or EFI would then stay Pending.
   * @default - the cluster's default StorageClass, ReadWriteOnce
   * @see https://kubevirt.io/user-guide/compute/persistent_tpm_and_uefi_state/
   */
  readonly vmStateStorageClass?: string;

  /**
   * KubeVirt release to install (`x.y.z`, at least 1.9.0: the API this library writes).
   * @default KUBEVIRT_VERSION (1.9.0)
   * @see https://github.com/kubevirt/kubevirt/releases
   */
  readonly kubevirtVersion?: string;

  /**
   * CDI (Containerized Data Importer) release to install (`x.y.z`, at least 1.66.0).
   * @default CDI_VERSION (1.66.0)
   * @see https://github.com/kubevirt/containerized-data-importer/releases
   */
  readonly cdiVersion?: string;

  /**
   * kubectl image of the installer Job, pinned by tag or digest. It needs egress to
   * github.com (release manifests), and the hosts to quay.io (KubeVirt and CDI images):
   * through NAT or a proxy. Mirror it (and the releases) to run without internet access.
   * @default KUBECTL_IMAGE (registry.k8s.io/kubectl:v1.35.0)
   */
  readonly installerImage?: string;

  /**
   * Namespace of the installer Job.
   * @default 'kubevirt-installer'
   */
  readonly installerNamespace?: string;

  /**
   * KubeVirt feature gates to turn on. None are needed for Windows desktops (persistent
   * TPM/EFI state is GA).
   * @default - none
   * @see https://kubevirt.io/user-guide/cluster_admin/activating_feature_gates/
   */
  readonly featureGates?: string[];

  /**
   * Name of the StorageClass created for user disks: EBS gp3, encrypted, reclaim policy
   * `Retain`, so that a user's data survives the deletion of the VM and of the claim.
   * @default USER_DISK_STORAGE_CLASS ('gp3-retain')
   */
  readonly userDiskStorageClassName?: string;

  /**
   * Customer managed KMS key of user disks. The EBS CSI controller's role needs grants on it.
   * @default - the account's default EBS encryption key
   */
  readonly userDiskEncryptionKey?: kms.IKey;

  /**
   * Make the deployment wait until KubeVirt and CDI report `Available` (the installer Job
   * succeeded), so that charts added with `addCdk8sChart()` find their CRDs and webhooks.
   * Without it, `ready` is only the applied installer and dependants may race the install.
   * @default true
   */
  readonly waitForReadiness?: boolean;

  /**
   * How long each of the deployment's two waits may take: first until the operator manifests
   * are applied (a VM host launched and the installer running), then until the installer Job
   * succeeded. A Lambda-backed custom resource cannot wait longer than 14 minutes; the Job
   * itself keeps going for up to 45 minutes.
   * @default Duration.minutes(14)
   */
  readonly readinessTimeout?: Duration;
}

/**
 * KubeVirt and CDI on an EKS cluster, installed at deploy time from their pinned upstream
 * releases by a Job on the VM hosts (see `KubeVirtInstallChart`), plus the StorageClass of
 * user disks.
 *
 * The deployment waits until the Job succeeded (`readinessTimeout`), read through the EKS
 * module's `KubernetesObjectValue`; `ready` is what dependants wait on and `addCdk8sChart()`
 * applies a chart (desktops, golden images) after it.
 *
 * Removing this construct does not uninstall KubeVirt (the operators and custom resources
 * were applied by the Job): delete the `kubevirt` and `cdi` custom resources, then the
 * operator manifests, once no VM is left.
 *
 * @see https://kubevirt.io/user-guide/cluster_admin/installation/
 * @see https://github.com/kubevirt/containerized-data-importer#deploy-it
 */
@reportsConstructPath
export class KubeVirt extends Construct {
  /** The cluster KubeVirt runs in. */
  public readonly cluster: IEksCluster;
  /** KubeVirt release installed. */
  public readonly kubevirtVersion: string;
  /** CDI release installed. */
  public readonly cdiVersion: string;
  /** Namespace of KubeVirt (`kubevirt`, fixed by the release manifest). */
  public readonly namespace: string;
  /** Namespace of CDI (`cdi`, fixed by the release manifest). */
  public readonly cdiNamespace: string;
  /** Namespace of the installer Job. */
  public readonly installerNamespace: string;
  /** Name of the installer Job. */
  public readonly installerJobName: string;
  /** StorageClass of persistent TPM/EFI state, when set explicitly (otherwise the cluster's default class). */
  public readonly vmStateStorageClass?: string;
  /** StorageClass of user disks (`Retain`). */
  public readonly userDiskStorageClassName: string;
  /** Where VM workloads run (the host pool's placement); desktops use it. */
  public readonly placement: VmHostPlacement;
  /** The chart applied to the cluster (installer, RBAC, user-disk StorageClass). */
  public readonly installChart: KubeVirtInstallChart;
  /** The Kubernetes manifest that applies `installChart`. */
  public readonly manifest: Construct;
  /**
   * The custom resource that waits for the installer Job, when `waitForReadiness`.
   */
  public readonly readinessCheck?: Construct;
  /** Done when KubeVirt and CDI are available (or, without `waitForReadiness`, when the installer is applied). */
  public readonly ready: IDependable;

  constructor(scope: Construct, id: string, props: KubeVirtProps) {
    super(scope, id);
    const p = 'KubeVirt';
    checkProps(p, props, {
      cluster: required(isConstruct('an EKS cluster')),
      hostPool: required(isConstruct('a VmHostPool')),
      vmStateStorageClass: isString("'gp3'"),
      kubevirtVersion: isString(`'${KUBEVIRT_VERSION}'`),
      cdiVersion: isString(`'${CDI_VERSION}'`),
      installerImage: isString(`'${KUBECTL_IMAGE}'`),
      installerNamespace: isString("'kubevirt-installer'"),
      featureGates: isArrayOf(isString("'Snapshot'"), "['Snapshot']"),
      userDiskStorageClassName: isString(`'${USER_DISK_STORAGE_CLASS}'`),
      userDiskEncryptionKey: isConstruct('a kms.IKey'),
      waitForReadiness: isBoolean(),
      readinessTimeout: isInstanceOf(Duration, 'an aws-cdk-lib Duration, e.g. Duration.minutes(14)'),
    });

    // Defaults.
    const cluster = props.cluster;
    const hostPool = props.hostPool;
    const vmStateStorageClass = props.vmStateStorageClass;
    const kubevirtVersion = props.kubevirtVersion ?? KUBEVIRT_VERSION;
    const cdiVersion = props.cdiVersion ?? CDI_VERSION;
    const installerImage = props.installerImage ?? KUBECTL_IMAGE;
    const installerNamespace = props.installerNamespace ?? 'kubevirt-installer';
    const featureGates = props.featureGates ?? [];
    const userDiskStorageClassName = props.userDiskStorageClassName ?? USER_DISK_STORAGE_CLASS;
    const waitForReadiness = props.waitForReadiness ?? true;
    const readinessTimeout = props.readinessTimeout ?? MAX_READINESS_TIMEOUT;

    // Validation.
    if (hostPool.cluster !== cluster) {
      throw new ValidationError(`${p}.hostPool`, `belongs to cluster ${hostPool.cluster.node.path}, not to ${cluster.node.path}; pass the VmHostPool of the cluster KubeVirt is installed into.`);
    }
    validateRelease(`${p}.kubevirtVersion`, kubevirtVersion, KUBEVIRT_MIN_VERSION, 'KubeVirt');
    validateRelease(`${p}.cdiVersion`, cdiVersion, CDI_MIN_VERSION, 'CDI');
    if (!Token.isUnresolved(installerImage) && (!PINNED_IMAGE.test(installerImage) || installerImage.endsWith(':latest'))) {
      throw new ValidationError(`${p}.installerImage`, `"${installerImage}" is not pinned; give registry/repository with a version tag or a sha256 digest, e.g. "${KUBECTL_IMAGE}".`);
    }
    validateDns1123Label(`${p}.installerNamespace`, installerNamespace);
    if ([KUBEVIRT_NAMESPACE, CDI_NAMESPACE].includes(installerNamespace)) {
      throw new ValidationError(`${p}.installerNamespace`, `"${installerNamespace}" is the namespace of the upstream release; use a namespace of its own, e.g. 'kubevirt-installer'.`);
    }
    if (vmStateStorageClass !== undefined) {
      validateDns1123Subdomain(`${p}.vmStateStorageClass`, vmStateStorageClass);
      addWarning(this, 'vmStateStorageClassRwx',
        `KubeVirt.vmStateStorageClass is "${vmStateStorageClass}": KubeVirt then requests ReadWriteMany Filesystem volumes for TPM/EFI state unless that class's CDI StorageProfile lists ReadWriteOnce Filesystem (CDI's EBS profile does not). Leave it unset to use the default class with ReadWriteOnce.`);
    }
    validateDns1123Subdomain(`${p}.userDiskStorageClassName`, userDiskStorageClassName);
    featureGates.forEach((gate, i) => {
      if (!Token.isUnresolved(gate) && !FEATURE_GATE.test(gate)) {
        throw new ValidationError(`${p}.featureGates[${i}]`, `"${gate}" is not a feature gate name; use the CamelCase names of the KubeVirt docs, e.g. 'Snapshot'.`);
      }
    });
    if (new Set(featureGates).size !== featureGates.length) {
      throw new ValidationError(`${p}.featureGates`, `lists a gate twice (${featureGates.join(', ')}); list each once.`);
    }
    if (readinessTimeout.isUnresolved()) {
      throw new ValidationError(`${p}.readinessTimeout`, 'is a deploy-time value; give a duration known at synth time, e.g. Duration.minutes(14).');
    }
    if (readinessTimeout.toSeconds() < 60 || readinessTimeout.toSeconds() > MAX_READINESS_TIMEOUT.toSeconds()) {
      throw new ValidationError(`${p}.readinessTimeout`, `is ${readinessTimeout.toHumanString()}; give 1 to 14 minutes (a kubectl custom resource runs in Lambda, which stops at 15 minutes).`);
    }

    // Claimed once the props are valid, so that a refused installation holds no claim.
    claimUnique(props.cluster, 'KubeVirt installation', '', this, `${p}.cluster`, 'A cluster runs one KubeVirt and one CDI: install KubeVirt once and give all desktops its host pool.');

    // Children.
    this.installChart = new KubeVirtInstallChart(new cdk8s.App(), 'KubeVirtInstall', {
      kubevirtVersion,
      cdiVersion,
      installerImage,
      installerNamespace,
      placement: hostPool.placement,
      vmStateStorageClass,
      featureGates: [...featureGates],
      userDiskStorageClassName,
      userDiskKmsKeyId: props.userDiskEncryptionKey?.keyArn,
    });
    this.manifest = cluster.addCdk8sChart(`KubeVirt${Names.uniqueId(this)}`, this.installChart);
    guardChartHandover(this.manifest, this.installChart, 'KubeVirt.installChart');
    const ready = new DependencyGroup(this.manifest);
    if (waitForReadiness) {
      // Two waits of up to `readinessTimeout` each, so that a first deploy can take a host
      // launch plus both operators starting (one Lambda-backed wait stops at 15 minutes):
      // 1. the operator manifests are applied, which needs a VM host launched and the
      //    installer pod running on it (CDI's CRD comes with the second manifest);
      const hostsUp = kubernetesObjectValue(this, 'OperatorsApplied', cluster, {
        objectType: 'customresourcedefinition',
        objectName: CDI_CRD_NAME,
        objectNamespace: installerNamespace,
        jsonPath: '.metadata.name',
        timeout: readinessTimeout,
      });
      hostsUp.resource.node.addDependency(this.manifest);
      // 2. the installer Job succeeded: `.status.succeeded` stays empty until its last step
      //    (both `kubectl wait`s for Available) passed.
      const check = kubernetesObjectValue(this, 'Ready', cluster, {
        objectType: 'job',
        objectName: this.installChart.jobName,
        objectNamespace: installerNamespace,
        jsonPath: '.status.succeeded',
        timeout: readinessTimeout,
      });
      check.resource.node.addDependency(hostsUp.resource);
      this.readinessCheck = check.resource;
      ready.add(check.resource);
    }

    // Attributes.
    this.cluster = cluster;
    this.kubevirtVersion = kubevirtVersion;
    this.cdiVersion = cdiVersion;
    this.namespace = KUBEVIRT_NAMESPACE;
    this.cdiNamespace = CDI_NAMESPACE;
    this.installerNamespace = installerNamespace;
    this.installerJobName = this.installChart.jobName;
    this.vmStateStorageClass = vmStateStorageClass;
    this.userDiskStorageClassName = userDiskStorageClassName;
    this.placement = hostPool.placement;
    this.ready = ready;

    // Dependencies: the installer Job needs a host to run on, hence the NodePool.
    this.manifest.node.addDependency(hostPool.manifest);
  }

  /**
   * Applies a cdk8s chart (golden images, desktop VMs, ...) to the cluster once KubeVirt and
   * CDI are ready. Create the chart in its own `cdk8s.App`, and add every object before
   * calling this: the chart is rendered now, and synthesis fails if it grows afterwards. For
   * per-user objects of many users use `DesktopUsers`, which splits them into manifests.
   *
   * @param id  id of the manifest, unique among this construct's charts
   * @param chart  the chart to apply
   * @returns the manifest construct
   */
  public addCdk8sChart(id: string, chart: cdk8s.Chart): Construct {
    const manifest = this.cluster.addCdk8sChart(`${Names.uniqueId(this)}${id}`, chart);
    guardChartHandover(manifest, chart, `KubeVirt.addCdk8sChart('${id}')`);
    manifest.node.addDependency(this.ready);
    // Desktops come with Services (RDP): the ALB controller's Service webhook must be up.
    dependOnAlbController(manifest, this.cluster);
    return manifest;
  }
}

function validateRelease(prop: string, version: string, minimum: string, product: string): void {
  if (Token.isUnresolved(version)) return;
  if (!SEMVER.test(version)) {
    throw new ValidationError(prop, `"${version}" is not a release version; give "x.y.z" without "v", e.g. "${minimum}".`);
  }
  if (compareVersions(version, minimum) < 0) {
    throw new ValidationError(prop, `is ${version}; this library writes the ${product} ${minimum} API (typed bindings, persistent TPM/EFI state). Use ${minimum} or later.`);
  }
}
