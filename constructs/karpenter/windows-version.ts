import { Token } from 'aws-cdk-lib';
import { describeValue } from '../common/validate';
import { ValidationError } from '../common/validation-error';
import { compareVersions } from '../common/version-compare';
import { WINDOWS_2025_MIN_KARPENTER, WINDOWS_2025_MIN_KUBERNETES, WINDOWS_BUILDS } from '../common/versions';
import { IKarpenter } from './karpenter-reference';
import { NodeTaint, TaintEffect } from './node-pool-types';

/** Well-known node labels that tell Windows nodes apart (set by the kubelet). */
export const LABEL_OS = 'kubernetes.io/os';
export const LABEL_ARCH = 'kubernetes.io/arch';
export const LABEL_WINDOWS_BUILD = 'node.kubernetes.io/windows-build';

/**
 * The taint every Windows node of this library carries, `os=windows:NoSchedule`: Linux pods
 * (and Linux DaemonSets) without a matching toleration stay off Windows nodes. The Windows
 * RuntimeClasses tolerate it, so a Windows workload only sets `runtimeClassName`.
 */
export const WINDOWS_NODE_TAINT: NodeTaint = Object.freeze({ key: 'os', value: 'windows', effect: TaintEffect.NO_SCHEDULE });

type WindowsYear = keyof typeof WINDOWS_BUILDS;

/**
 * A Windows Server release that EKS nodes can run (Long-Term Servicing Channel).
 *
 * A Windows container runs only on a node of the same build, so the build is part of every
 * node pool requirement and RuntimeClass node selector.
 *
 * @see https://docs.aws.amazon.com/eks/latest/userguide/windows-support.html
 */
export class WindowsVersion {
  /** Windows Server 2019 (build 10.0.17763). */
  public static readonly WINDOWS_2019 = new WindowsVersion('2019');
  /** Windows Server 2022 (build 10.0.20348). */
  public static readonly WINDOWS_2022 = new WindowsVersion('2022');
  /** Windows Server 2025 (build 10.0.26100); needs Karpenter ≥ 1.9 and Kubernetes ≥ 1.35. */
  public static readonly WINDOWS_2025 = new WindowsVersion('2025', WINDOWS_2025_MIN_KARPENTER, WINDOWS_2025_MIN_KUBERNETES);

  /** Every supported version, oldest first. */
  public static readonly ALL: readonly WindowsVersion[] = [WindowsVersion.WINDOWS_2019, WindowsVersion.WINDOWS_2022, WindowsVersion.WINDOWS_2025];

  /**
   * The version released in `year` (`'2019'`, `'2022'`, `'2025'`), e.g. from a context value.
   * Fails for any other value.
   */
  public static of(year: string): WindowsVersion {
    if (typeof year !== 'string') {
      const text = typeof year === 'number' ? ` ('${year}')` : '';
      throw new ValidationError('WindowsVersion.of(year)', `is ${describeValue(year)}; give the year as a string${text}, e.g. WindowsVersion.of('2022') (for a number from JSON: WindowsVersion.of(String(value))).`);
    }
    const found = WindowsVersion.ALL.find((v) => v.year === year.trim());
    if (!found) {
      const allowed = WindowsVersion.ALL.map((v) => `'${v.year}'`).join(', ');
      throw new ValidationError('windowsVersion', `"${year}" is not a supported Windows Server version; use one of ${allowed} (or WindowsVersion.WINDOWS_2022, ...).`);
    }
    return found;
  }

  /** Release year, e.g. `2022`. */
  public readonly year: string;
  /** Build number, value of the `node.kubernetes.io/windows-build` node label, e.g. `10.0.20348`. */
  public readonly build: string;
  /** Karpenter alias of the latest EKS optimized AMI, e.g. `windows2022@latest`. */
  public readonly amiAlias: string;
  /** Name of the RuntimeClass for this version, e.g. `windows-2022`. */
  public readonly runtimeClassName: string;
  /** Default name of the node pool (and node class) for this version, e.g. `windows-2022`. */
  public readonly nodePoolName: string;
  /**
   * Oldest Karpenter that can launch nodes of this version.
   * @default - any Karpenter v1
   */
  public readonly minKarpenterVersion?: string;
  /**
   * Oldest Kubernetes (EKS) version with AMIs of this version.
   * @default - any version EKS supports
   */
  public readonly minKubernetesVersion?: string;

  private constructor(year: WindowsYear, minKarpenterVersion?: string, minKubernetesVersion?: string) {
    this.year = year;
    this.build = WINDOWS_BUILDS[year].build;
    this.amiAlias = WINDOWS_BUILDS[year].amiAlias;
    this.runtimeClassName = `windows-${year}`;
    this.nodePoolName = `windows-${year}`;
    this.minKarpenterVersion = minKarpenterVersion;
    this.minKubernetesVersion = minKubernetesVersion;
  }

  /**
   * Node labels that select nodes of this version: OS, architecture (EKS Windows AMIs are
   * x86-64 only) and build. A fresh object on each call, safe to extend.
   */
  public get nodeSelector(): Record<string, string> {
    return { [LABEL_OS]: 'windows', [LABEL_ARCH]: 'amd64', [LABEL_WINDOWS_BUILD]: this.build };
  }

  /**
   * Fails unless a cluster of `kubernetesVersion` can run nodes of this version. A version
   * with a Kubernetes minimum also fails when `kubernetesVersion` is unknown.
   *
   * @param prop  the prop that carries the Kubernetes version, named in the error
   * @param kubernetesVersion  the cluster's version, e.g. `1.35`; `undefined` when unknown
   */
  public checkKubernetesVersion(prop: string, kubernetesVersion: string | undefined): void {
    const min = this.minKubernetesVersion;
    if (min === undefined) return;
    if (kubernetesVersion === undefined) {
      throw new ValidationError(prop, `is unknown, but Windows Server ${this.year} nodes need Kubernetes ≥ ${min}. `
        + `Set \`kubernetesVersion\` to the cluster's version (on \`Karpenter\` when the nodes come from a Karpenter node pool), e.g. '${min}'.`);
    }
    if (Token.isUnresolved(kubernetesVersion)) return;
    if (compareVersions(kubernetesVersion, min) < 0) {
      throw new ValidationError(prop, `is '${kubernetesVersion}', but Windows Server ${this.year} nodes need Kubernetes ≥ ${min}. `
        + `Upgrade the cluster to ${min} or later, or use an older Windows version (WindowsVersion.WINDOWS_2022).`);
    }
  }

  /**
   * Fails unless Karpenter `karpenterVersion` can launch nodes of this version.
   *
   * @param prop  the prop that carries the Karpenter version, named in the error
   * @param karpenterVersion  e.g. `1.14.1`
   */
  public checkKarpenterVersion(prop: string, karpenterVersion: string): void {
    const min = this.minKarpenterVersion;
    if (min === undefined || Token.isUnresolved(karpenterVersion)) return;
    if (compareVersions(karpenterVersion, min) < 0) {
      throw new ValidationError(prop, `is '${karpenterVersion}', but Windows Server ${this.year} nodes need Karpenter ≥ ${min}. `
        + `Upgrade Karpenter, or use an older Windows version (WindowsVersion.WINDOWS_2022).`);
    }
  }

  /**
   * Fails unless `karpenter` (its version and its cluster's Kubernetes version) can launch
   * nodes of this version.
   *
   * @param prop  the prop holding the Karpenter installation, e.g. `WindowsNodePool.karpenter`
   */
  public checkSupportedBy(prop: string, karpenter: IKarpenter): void {
    this.checkKarpenterVersion(`${prop}.version`, karpenter.version);
    this.checkKubernetesVersion(`${prop}.kubernetesVersion`, karpenter.kubernetesVersion);
  }

  /** e.g. `Windows Server 2022`. */
  public toString(): string {
    return `Windows Server ${this.year}`;
  }
}
