import { Token } from 'aws-cdk-lib';
import { validateInteger } from '../common/validate';
import { ValidationError } from '../common/validation-error';

/** Where a desktop user's profile and files live. */
export enum NodeDesktopProfilesKind {
  /** On the node's root volume: gone when the node is. */
  EPHEMERAL = 'Ephemeral',
  /** FSLogix profile containers (VHDX) on an SMB share, e.g. FSx for Windows File Server. */
  FSLOGIX = 'FSLogix',
}

/** Options of {@link NodeDesktopProfiles.fsLogix}. */
export interface FsLogixProfilesOptions {
  /**
   * UNC path of the profile share, e.g. `\\amznfsxabcd1234.corp.example.com\share\profiles`
   * (an FSx for Windows File Server joined to the desktops' directory). Users need Modify on
   * their own folder only; see FSLogix's recommended share permissions.
   */
  readonly share: string;
  /**
   * Largest size of one user's profile container, whole GiB (dynamic VHDX: only used space is
   * stored).
   * @default 30
   */
  readonly maxSizeGiB?: number;
}

/**
 * What survives the desktop node.
 *
 * - `fsLogix(...)` (needs a directory): the Windows profile (documents, desktop, settings) is
 *   a VHDX on the share, attached at sign-in and written through while the user works. A Spot
 *   interruption or a node failure loses only what applications had not yet written to disk;
 *   the container can need a check on next sign-in. This is the pattern AWS documents for
 *   user profiles on FSx for Windows File Server.
 * - `ephemeral()`: the profile lives on the node's root volume and is deleted with the node at
 *   the end of every session. Only for kiosk-like use or users who keep files elsewhere.
 *
 * @see https://docs.aws.amazon.com/fsx/latest/WindowsGuide/using-file-shares.html
 * @see https://learn.microsoft.com/fslogix/overview-what-is-fslogix
 */
export class NodeDesktopProfiles {
  /** Profiles on the node only, lost with it. */
  public static ephemeral(): NodeDesktopProfiles {
    return new NodeDesktopProfiles(NodeDesktopProfilesKind.EPHEMERAL, undefined, undefined);
  }

  /** FSLogix profile containers on an SMB share. */
  public static fsLogix(options: FsLogixProfilesOptions): NodeDesktopProfiles {
    return new NodeDesktopProfiles(NodeDesktopProfilesKind.FSLOGIX, options.share, options.maxSizeGiB ?? 30);
  }

  /** The kind. */
  public readonly kind: NodeDesktopProfilesKind;
  /**
   * UNC path of the share.
   * @default - none (ephemeral)
   */
  public readonly share?: string;
  /**
   * Largest profile container, GiB.
   * @default - none (ephemeral)
   */
  public readonly maxSizeGiB?: number;

  private constructor(kind: NodeDesktopProfilesKind, share: string | undefined, maxSizeGiB: number | undefined) {
    this.kind = kind;
    this.share = share;
    this.maxSizeGiB = maxSizeGiB;
  }

  /** Fails unless the settings are usable. */
  public validate(prop: string): void {
    if (this.kind !== NodeDesktopProfilesKind.FSLOGIX) return;
    const share = this.share;
    if (typeof share !== 'string' || (!Token.isUnresolved(share) && !/^\\\\[A-Za-z0-9.-]+\\[^\\/:*?"<>|]+(\\[^\\/:*?"<>|]+)*$/.test(share))) {
      throw new ValidationError(`${prop}.share`, `is ${JSON.stringify(share)}; give a UNC path of an SMB share, e.g. "\\\\fs.corp.example.com\\share\\profiles".`);
    }
    validateInteger(`${prop}.maxSizeGiB`, this.maxSizeGiB as number, 1, 1024);
  }
}
