import { Token } from 'aws-cdk-lib';
import { isNumber } from '../common/validate';
import { ValidationError } from '../common/validation-error';

/** Least memory Windows 10/11 and Windows Server desktops are given (Windows 11's floor). */
export const MIN_WINDOWS_MEMORY_GIB = 4;
/** Most vCPUs a desktop may have: the largest nested-virtualization hosts (`*.48xlarge`) have 192. */
const MAX_VCPUS = 64;
/** Most memory a desktop may have. */
const MAX_MEMORY_GIB = 512;

/**
 * CPU and memory of a Windows desktop VM.
 *
 * The VM is given exactly this much: requests equal the guest's size, so the scheduler places
 * it on a host that really has the room (no CPU overcommit for interactive desktops).
 */
export class DesktopSize {
  /** 2 vCPUs, 4 GiB: light office work (Windows 11's minimum). */
  public static readonly SMALL = new DesktopSize(2, 4);
  /** 4 vCPUs, 8 GiB: typical knowledge work. */
  public static readonly MEDIUM = new DesktopSize(4, 8);
  /** 8 vCPUs, 16 GiB: developers, heavy browser and Office use. */
  public static readonly LARGE = new DesktopSize(8, 16);
  /** 16 vCPUs, 32 GiB: builds, data work. */
  public static readonly XLARGE = new DesktopSize(16, 32);

  /**
   * A size of your own.
   *
   * @param vcpus  virtual CPUs, a whole number from 1 to 64 (Windows 11 needs at least 2)
   * @param memoryGiB  memory in whole GiB, from 4 (what Windows needs) to 512
   */
  public static custom(vcpus: number, memoryGiB: number): DesktopSize {
    isNumber('4')('DesktopSize.custom.vcpus', vcpus);
    isNumber('8')('DesktopSize.custom.memoryGiB', memoryGiB);
    if (Token.isUnresolved(vcpus) || Token.isUnresolved(memoryGiB)) {
      throw new ValidationError('DesktopSize.custom', 'vcpus and memoryGiB must be known at synth time; give numbers, not deploy-time values.');
    }
    if (!Number.isInteger(vcpus) || vcpus < 1 || vcpus > MAX_VCPUS) {
      throw new ValidationError('DesktopSize.custom.vcpus', `got ${vcpus}; give a whole number of vCPUs from 1 to ${MAX_VCPUS} (Windows 11 needs at least 2).`);
    }
    if (!Number.isInteger(memoryGiB) || memoryGiB < MIN_WINDOWS_MEMORY_GIB || memoryGiB > MAX_MEMORY_GIB) {
      throw new ValidationError('DesktopSize.custom.memoryGiB', `got ${memoryGiB}; Windows needs at least ${MIN_WINDOWS_MEMORY_GIB} GiB: give whole GiB from ${MIN_WINDOWS_MEMORY_GIB} to ${MAX_MEMORY_GIB}, e.g. DesktopSize.custom(4, 8).`);
    }
    return new DesktopSize(vcpus, memoryGiB);
  }

  /** Virtual CPUs (cores of one socket: Windows client editions use at most two sockets). */
  public readonly vcpus: number;
  /** Memory in GiB. */
  public readonly memoryGiB: number;

  private constructor(vcpus: number, memoryGiB: number) {
    this.vcpus = vcpus;
    this.memoryGiB = memoryGiB;
  }

  /** Memory as a Kubernetes quantity, e.g. `8Gi`. */
  public get memory(): string {
    return `${this.memoryGiB}Gi`;
  }

  /** e.g. `4 vCPU / 8 GiB`. */
  public toString(): string {
    return `${this.vcpus} vCPU / ${this.memoryGiB} GiB`;
  }
}
