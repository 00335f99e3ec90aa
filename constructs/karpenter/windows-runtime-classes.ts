import { Names } from 'aws-cdk-lib';
import * as cdk8s from 'cdk8s';
import { Construct } from 'constructs';
import { IEksCluster } from '../common/eks-cluster';
import { claimUnique } from '../common/uniqueness';
import { checkProps, isArrayOf, isConstruct, required, validateKubernetesVersion, validateNonEmpty } from '../common/validate';
import { reportsConstructPath, ValidationError } from '../common/validation-error';
import { isWindowsVersion } from './private/node-pool-validation';
import { WindowsRuntimeClassesChart } from './windows-runtime-classes-chart';
import { WindowsVersion } from './windows-version';

/**
 * Props of `WindowsRuntimeClasses`.
 */
export interface WindowsRuntimeClassesProps {
  /** The cluster to create the RuntimeClasses in. */
  readonly cluster: IEksCluster;

  /**
   * Windows Server versions to create a RuntimeClass for (`windows-2019`, `windows-2022`,
   * `windows-2025`); at least one, each once.
   */
  readonly windowsVersions: WindowsVersion[];

  /**
   * Kubernetes version of the cluster, e.g. `1.35`. Only needed, and then required, for
   * versions with a Kubernetes minimum (Windows Server 2025 needs 1.35).
   *
   * Taken as a plain value rather than from Karpenter because RuntimeClasses serve Windows
   * nodes from any source (Karpenter or managed node groups).
   * @default - unknown
   */
  readonly kubernetesVersion?: string;
}

/**
 * A RuntimeClass per Windows Server version, so that a Windows workload only sets
 * `runtimeClassName: windows-2022` and Kubernetes adds the node selector (Windows, amd64,
 * build) and the toleration of `os=windows:NoSchedule`.
 *
 * RuntimeClasses are core Kubernetes objects: they need no Karpenter and nothing to run first.
 */
@reportsConstructPath
export class WindowsRuntimeClasses extends Construct {
  /** Names of the RuntimeClasses, in the order of `windowsVersions`. */
  public readonly runtimeClassNames: string[];
  /** The cdk8s chart with the RuntimeClasses (also usable for GitOps). */
  public readonly chart: WindowsRuntimeClassesChart;
  /** The Kubernetes manifest that applies `chart` to the cluster. */
  public readonly manifest: Construct;

  constructor(scope: Construct, id: string, props: WindowsRuntimeClassesProps) {
    super(scope, id);
    const p = 'WindowsRuntimeClasses';
    checkProps(p, props, {
      cluster: required(isConstruct('an EKS cluster')),
      windowsVersions: required(isArrayOf(isWindowsVersion(), '[WindowsVersion.WINDOWS_2022]')),
    }, { otherProps: ['kubernetesVersion'] });
    if (props.kubernetesVersion !== undefined) validateKubernetesVersion(`${p}.kubernetesVersion`, props.kubernetesVersion);
    const versions = [...props.windowsVersions];

    validateNonEmpty(`${p}.windowsVersions`, versions, 'give at least one, e.g. [WindowsVersion.WINDOWS_2022].');
    const years = versions.map((v) => v.year);
    const duplicate = years.find((y, i) => years.indexOf(y) !== i);
    if (duplicate !== undefined) {
      throw new ValidationError(`${p}.windowsVersions`, `lists Windows Server ${duplicate} twice (${years.join(', ')}); list each version once.`);
    }
    for (const version of versions) {
      version.checkKubernetesVersion(`${p}.kubernetesVersion`, props.kubernetesVersion);
    }

    for (const version of versions) {
      claimUnique(props.cluster, 'RuntimeClass', version.runtimeClassName, this, `${p}.windowsVersions`,
        'RuntimeClasses are cluster-wide: create one WindowsRuntimeClasses per cluster listing every Windows version.');
    }

    this.chart = new WindowsRuntimeClassesChart(new cdk8s.App(), 'WindowsRuntimeClasses', { windowsVersions: versions });
    // The manifest lives under the cluster (where kubectl runs): a path-derived id keeps it unique.
    this.manifest = props.cluster.addCdk8sChart(`WindowsRuntimeClasses${Names.uniqueId(this)}`, this.chart);

    this.runtimeClassNames = versions.map((v) => v.runtimeClassName);
  }
}
