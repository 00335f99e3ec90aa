import { Token } from 'aws-cdk-lib';
import { describeValue, isStringMap } from '../common/validate';
import { ValidationError } from '../common/validation-error';
import { compareVersions } from '../common/version-compare';
import { Ec2NodeClassSpecAmiFamily, Ec2NodeClassSpecAmiSelectorTerms } from '../imports/karpenter.k8s.aws';
import { isWindowsVersion } from './private/node-pool-validation';
import { WindowsVersion } from './windows-version';

/**
 * How an EC2NodeClass finds its AMI: the `amiSelectorTerms`, plus `amiFamily` when the terms
 * carry no alias (Karpenter then needs the family to write the user data).
 */
export interface WindowsAmiSelection {
  /** `spec.amiSelectorTerms` of the EC2NodeClass. */
  readonly amiSelectorTerms: Ec2NodeClassSpecAmiSelectorTerms[];
  /**
   * `spec.amiFamily` of the EC2NodeClass.
   * @default - inferred by Karpenter from the alias
   */
  readonly amiFamily?: Ec2NodeClassSpecAmiFamily;
}

/**
 * What a node pool tells its AMI when it renders the selection.
 */
export interface WindowsAmiBindOptions {
  /**
   * Path of the prop that holds the AMI, named in errors (e.g. `WindowsNodePool.ami`).
   * @default 'ami'
   */
  readonly prop?: string;
  /**
   * Kubernetes version of the cluster the nodes join, e.g. `1.35`.
   * @default - unknown: the AMI's kubelet version is not checked
   */
  readonly kubernetesVersion?: string;
}

/**
 * An AMI source that tags its output AMIs, such as `FastLaunchWindowsAmi` (the Image Builder
 * pipeline of `constructs/windows-ami`). Declared here so node pools depend on this shape only.
 */
export interface IWindowsAmiSource {
  /** Windows Server version of the AMIs. */
  readonly windowsVersion: WindowsVersion;
  /** Kubernetes version whose kubelet the AMIs carry, e.g. `1.35`. */
  readonly kubernetesVersion: string;
  /** Tags that every AMI of this source carries and no other AMI does. */
  readonly amiSelectorTags: Record<string, string>;
}

/** Karpenter's AMI family of each Windows Server release (EC2NodeClass `spec.amiFamily` enum). */
const AMI_FAMILIES: Record<string, Ec2NodeClassSpecAmiFamily> = {
  2019: Ec2NodeClassSpecAmiFamily.WINDOWS2019,
  2022: Ec2NodeClassSpecAmiFamily.WINDOWS2022,
  2025: Ec2NodeClassSpecAmiFamily.WINDOWS2025,
};
/** EC2NodeClass CRD: at most 20 tags per selector term, none empty. */
const MAX_SELECTOR_TAGS = 20;

/**
 * The AMI of a Windows node pool.
 *
 * - `alias()` (the default): the latest EKS optimized AMI of the pool's Windows version.
 * - `fromFastLaunchAmi(ami)`: the newest AMI of an own pipeline (e.g. `FastLaunchWindowsAmi`,
 *   with EC2 Fast Launch and pre-pulled images), selected by its tags. Karpenter's explicit
 *   block device mappings keep its nodes off the Fast Launch snapshots
 *   (aws/karpenter-provider-aws#9014); the pre-pulled images still help.
 * - `fromTags(tags, windowsVersion)`: the newest AMI with these tags, built anywhere.
 *
 * Karpenter picks the newest AMI that matches the selector; when a newer one appears, the
 * pool's nodes drift and are replaced, paced by the pool's disruption budgets.
 *
 * @see https://karpenter.sh/docs/concepts/nodeclasses/#specamiselectorterms
 */
export abstract class WindowsAmi {
  /**
   * The latest EKS optimized Windows AMI of the pool's Windows version, through Karpenter's
   * alias (`windows2022@latest`). Windows aliases cannot be pinned to a release: nodes drift
   * to each new AMI, paced by the pool's disruption budgets.
   */
  public static alias(): WindowsAmi {
    return new AliasWindowsAmi();
  }

  /**
   * The newest AMI an own AMI source produced, selected by the tags it puts on every AMI.
   * The pool must run the source's Windows version, and the source's kubelet must not be newer
   * than the cluster.
   *
   * @param source  e.g. a `FastLaunchWindowsAmi`
   */
  public static fromFastLaunchAmi(source: IWindowsAmiSource): WindowsAmi {
    const prop = 'WindowsAmi.fromFastLaunchAmi(source)';
    if (typeof source !== 'object' || source === null || !(source.windowsVersion instanceof WindowsVersion)) {
      throw new ValidationError(prop, `is ${describeValue(source)}; give a FastLaunchWindowsAmi (or an object with windowsVersion, kubernetesVersion and amiSelectorTags).`);
    }
    isStringMap("{ 'desktop.io/ami': 'windows-2022' }")(`${prop}.amiSelectorTags`, source.amiSelectorTags);
    return new TaggedWindowsAmi(source.amiSelectorTags, source.windowsVersion, source.kubernetesVersion);
  }

  /**
   * The newest AMI in this account and region with all of `tags`, for AMIs built elsewhere
   * (e.g. with Fast Launch turned on by `EnableFastLaunch`). They must be EKS optimized
   * Windows AMIs (or derived from one) of `windowsVersion`: Karpenter bootstraps them with the
   * EKS Windows user data of that family.
   *
   * @param tags  1 to 20 tags, none empty; `'*'` as a value matches any value
   * @param windowsVersion  Windows Server version of the AMIs
   */
  public static fromTags(tags: Record<string, string>, windowsVersion: WindowsVersion): WindowsAmi {
    isStringMap("{ 'desktop.io/ami': 'windows-2022' }")('WindowsAmi.fromTags(tags)', tags);
    isWindowsVersion()('WindowsAmi.fromTags(windowsVersion)', windowsVersion);
    return new TaggedWindowsAmi(tags, windowsVersion, undefined);
  }

  /**
   * Renders the AMI selection for nodes of `windowsVersion`.
   *
   * @param windowsVersion  the pool's Windows Server version
   * @param options  the prop to name in errors and the cluster's Kubernetes version
   */
  public abstract bind(windowsVersion: WindowsVersion, options?: WindowsAmiBindOptions): WindowsAmiSelection;
}

class AliasWindowsAmi extends WindowsAmi {
  public bind(windowsVersion: WindowsVersion): WindowsAmiSelection {
    return { amiSelectorTerms: [{ alias: windowsVersion.amiAlias }] };
  }
}

class TaggedWindowsAmi extends WindowsAmi {
  private readonly tags: Record<string, string>;

  constructor(tags: Record<string, string>, private readonly windowsVersion: WindowsVersion, private readonly kubernetesVersion: string | undefined) {
    super();
    validateSelectorTags('WindowsAmi.fromTags(tags)', tags);
    this.tags = { ...tags };
  }

  public bind(poolVersion: WindowsVersion, options: WindowsAmiBindOptions = {}): WindowsAmiSelection {
    const prop = options.prop ?? 'ami';
    if (this.windowsVersion !== poolVersion) {
      throw new ValidationError(prop, `selects ${this.windowsVersion} AMIs (build ${this.windowsVersion.build}), but the pool runs ${poolVersion} (build ${poolVersion.build}); `
        + `a node boots only the AMI of its own build. Select an AMI of ${poolVersion}, or set the pool's windowsVersion to WindowsVersion.WINDOWS_${this.windowsVersion.year}.`);
    }
    const ami = this.kubernetesVersion;
    const cluster = options.kubernetesVersion;
    if (ami !== undefined && cluster !== undefined && !Token.isUnresolved(ami) && !Token.isUnresolved(cluster) && compareVersions(ami, cluster) > 0) {
      throw new ValidationError(prop, `selects AMIs with the kubelet of Kubernetes ${ami}, newer than the cluster's ${cluster}; a kubelet must not be newer than the API server. `
        + `Build the AMIs for Kubernetes ${cluster} (FastLaunchWindowsAmi.kubernetesVersion), or upgrade the cluster first.`);
    }
    // Without an alias Karpenter needs the family to write the Windows bootstrap user data.
    return { amiSelectorTerms: [{ tags: { ...this.tags } }], amiFamily: AMI_FAMILIES[poolVersion.year] };
  }
}

/** Mirrors the EC2NodeClass CRD rules for `amiSelectorTerms[].tags`. */
function validateSelectorTags(prop: string, tags: Record<string, string>): void {
  const entries = Object.entries(tags);
  if (entries.length === 0 || entries.length > MAX_SELECTOR_TAGS) {
    throw new ValidationError(prop, `has ${entries.length} tags; give 1 to ${MAX_SELECTOR_TAGS} (e.g. { 'desktop.io/ami': 'windows-2022' }).`);
  }
  for (const [key, value] of entries) {
    if (Token.isUnresolved(key) || Token.isUnresolved(value)) continue;
    if (key === '' || value === '') {
      throw new ValidationError(prop, `tag "${key}"="${value}" has an empty key or value, which Karpenter rejects; use '*' to match any value.`);
    }
  }
}
