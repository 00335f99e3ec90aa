import { Token } from 'aws-cdk-lib';
import { ValidationError } from '../common/validation-error';

/** EC2 tenancy of VM hosts (the values of Karpenter's `karpenter.k8s.aws/instance-tenancy`). */
export enum VmHostTenancy {
  /** Shared hardware (EC2's `default` tenancy). */
  SHARED = 'default',
  /** Dedicated Instances: hardware that runs only this AWS account's instances. */
  DEDICATED = 'dedicated',
}

/** Shortest statement of a licensing basis that can be a sentence, not a placeholder. */
const MIN_BASIS_LENGTH = 10;
/** Longest EC2 tag value. */
const MAX_BASIS_LENGTH = 256;

/** Tag on every VM host with the licensing basis of its guests. */
export const GUEST_LICENSING_TAG = 'desktop.io/guest-licensing';

/**
 * On what licensing basis the guests of a VM host pool run, and so the EC2 tenancy of the
 * hosts. There is no default: a Windows guest inside an EC2 instance is never
 * license-included, and which of the customer's own licenses may run there depends on the
 * hardware being dedicated to the customer. Read the README section "Licensing of VM
 * desktops" before choosing.
 *
 * @see https://aws.amazon.com/windows/faq/
 * @see https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/dedicated-instance.html
 */
export class VmGuestLicensing {
  /**
   * Guests use the customer's own licenses that require hardware dedicated to the customer
   * (e.g. Windows 10/11 with per-user Windows VDA E3/E5): the hosts are EC2 Dedicated
   * Instances (Karpenter ≥ 1.9, NodePool requirement `karpenter.k8s.aws/instance-tenancy In
   * [dedicated]`). EC2 documents nested virtualization for C8i/M8i/R8i without saying it is
   * available on Dedicated Instances, so dedicated pools use bare-metal hosts by default.
   * Karpenter cannot launch Dedicated Hosts; licenses that need a Dedicated Host (Windows
   * Server BYOL) are not served by this choice.
   */
  public static dedicatedInstances(): VmGuestLicensing {
    return new VmGuestLicensing(VmHostTenancy.DEDICATED, 'customer licenses on EC2 Dedicated Instances');
  }

  /**
   * Guests run on shared-tenancy hosts, on a basis the customer states and answers for:
   * e.g. Linux guests only, or a license that explicitly allows shared cloud hardware. The
   * statement is tagged on every host (`desktop.io/guest-licensing`) so that an audit finds it.
   *
   * @param basis  the licensing basis in words (10 to 256 characters), e.g.
   *   'Linux guests only; no Windows guests run on these hosts'
   */
  public static sharedTenancy(basis: string): VmGuestLicensing {
    if (typeof basis !== 'string') {
      throw new ValidationError('VmGuestLicensing.sharedTenancy.basis', `is ${JSON.stringify(basis)}; state the licensing basis of the guests in words, e.g. 'Linux guests only'.`);
    }
    if (!Token.isUnresolved(basis) && (basis.trim().length < MIN_BASIS_LENGTH || basis.trim().length > MAX_BASIS_LENGTH)) {
      throw new ValidationError('VmGuestLicensing.sharedTenancy.basis', `"${basis}" does not state a licensing basis in ${MIN_BASIS_LENGTH} to ${MAX_BASIS_LENGTH} characters (an EC2 tag value), e.g. 'Linux guests only'. Windows 10/11 guests need VmGuestLicensing.dedicatedInstances().`);
    }
    return new VmGuestLicensing(VmHostTenancy.SHARED, basis.trim());
  }

  private constructor(
    /** EC2 tenancy of the hosts. */
    public readonly tenancy: VmHostTenancy,
    /** The licensing basis in words (tagged `desktop.io/guest-licensing` on the hosts). */
    public readonly basis: string,
  ) {}

  /** Whether the hosts are Dedicated Instances. */
  public get dedicated(): boolean {
    return this.tenancy === VmHostTenancy.DEDICATED;
  }
}
