import { Token } from 'aws-cdk-lib';
import { ValidationError } from '../common/validation-error';
import { Ec2NodeClassSpecAmiFamily } from '../imports/karpenter.k8s.aws';
import { IWindowsAmiSource, WindowsAmi, WindowsAmiSelection } from '../karpenter/windows-ami';
import { WindowsVersion } from '../karpenter/windows-version';

/** Karpenter's AMI family per Windows Server release (needed when no alias selects the AMI). */
const AMI_FAMILIES: Record<string, Ec2NodeClassSpecAmiFamily> = {
  2019: Ec2NodeClassSpecAmiFamily.WINDOWS2019,
  2022: Ec2NodeClassSpecAmiFamily.WINDOWS2022,
  2025: Ec2NodeClassSpecAmiFamily.WINDOWS2025,
};

/** An AMI source that says which Windows Server edition it builds (`FastLaunchWindowsAmi` does). */
export interface IDesktopAmiSource extends IWindowsAmiSource {
  /** Windows Server edition of the AMIs: `Full` (Desktop Experience) or `Core`. */
  readonly edition: string;
}

/**
 * The AMI of desktop nodes: always Windows Server **with Desktop Experience**. Karpenter's
 * Windows aliases (`windows2022@latest`) resolve to Server Core only, which has no desktop
 * (karpenter-provider-aws v1.14.1: pkg/providers/amifamily/windows.go), so they are not offered.
 */
export abstract class NodeDesktopAmi {
  /**
   * The latest EKS-optimized Windows Server Full AMI, through its public SSM parameter
   * (`/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-EKS_Optimized-1.35/image_id`).
   * Karpenter's default controller policy may read these parameters. Needs the cluster's
   * Kubernetes version.
   *
   * @see https://docs.aws.amazon.com/eks/latest/userguide/retrieve-windows-ami-id.html
   */
  public static eksOptimizedFull(): NodeDesktopAmi {
    return new SsmFullAmi();
  }

  /**
   * The newest AMI of an own pipeline built from the Full parent (e.g. a `FastLaunchWindowsAmi`
   * with `edition: WindowsServerEdition.FULL`, with FSLogix and pre-pulled images). Karpenter
   * may bypass Fast Launch's pre-provisioned snapshots (aws/karpenter-provider-aws#9014): check
   * the root volume's source snapshot before counting on the speed-up.
   */
  public static fromFastLaunchAmi(source: IDesktopAmiSource): NodeDesktopAmi {
    return new PipelineAmi(source);
  }

  /**
   * Renders the EC2NodeClass AMI selection.
   *
   * @param prop  prop path named in errors
   * @param windowsVersion  the desktops' Windows Server version
   * @param kubernetesVersion  the cluster's version, e.g. `1.35` (`undefined` when unknown)
   */
  public abstract bind(prop: string, windowsVersion: WindowsVersion, kubernetesVersion: string | undefined): WindowsAmiSelection;
}

class SsmFullAmi extends NodeDesktopAmi {
  public bind(prop: string, windowsVersion: WindowsVersion, kubernetesVersion: string | undefined): WindowsAmiSelection {
    if (kubernetesVersion === undefined || Token.isUnresolved(kubernetesVersion)) {
      throw new ValidationError(prop, `NodeDesktopAmi.eksOptimizedFull() needs the cluster's Kubernetes version to name the SSM parameter, but it is ${kubernetesVersion === undefined ? 'unknown' : 'a deploy-time value'}; `
        + 'set `kubernetesVersion` on the Karpenter installation (e.g. \'1.35\'), or use NodeDesktopAmi.fromFastLaunchAmi(ami).');
    }
    const parameter = `/aws/service/ami-windows-latest/Windows_Server-${windowsVersion.year}-English-Full-EKS_Optimized-${kubernetesVersion}/image_id`;
    return { amiSelectorTerms: [{ ssmParameter: parameter }], amiFamily: AMI_FAMILIES[windowsVersion.year] };
  }
}

class PipelineAmi extends NodeDesktopAmi {
  constructor(private readonly source: IDesktopAmiSource) {
    super();
  }

  public bind(prop: string, windowsVersion: WindowsVersion, kubernetesVersion: string | undefined): WindowsAmiSelection {
    if (this.source.edition !== 'Full') {
      throw new ValidationError(prop, `selects ${this.source.edition} AMIs, which have no desktop; build the pipeline with edition: WindowsServerEdition.FULL (Desktop Experience), or use NodeDesktopAmi.eksOptimizedFull().`);
    }
    return WindowsAmi.fromFastLaunchAmi(this.source).bind(windowsVersion, { prop, kubernetesVersion });
  }
}
