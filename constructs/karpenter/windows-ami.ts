import { Ec2NodeClassSpecAmiFamily, Ec2NodeClassSpecAmiSelectorTerms } from '../imports/karpenter.k8s.aws';
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
 * The AMI of a Windows node pool.
 *
 * Only the EKS optimized AMI (`alias()`) exists today; selecting an own AMI (e.g. one with EC2
 * Fast Launch from the `windows-ami` pipeline) will be another static factory returning a
 * subclass, so adding it changes no existing API.
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

  /** Renders the AMI selection for nodes of `windowsVersion`. */
  public abstract bind(windowsVersion: WindowsVersion): WindowsAmiSelection;
}

class AliasWindowsAmi extends WindowsAmi {
  public bind(windowsVersion: WindowsVersion): WindowsAmiSelection {
    return { amiSelectorTerms: [{ alias: windowsVersion.amiAlias }] };
  }
}
