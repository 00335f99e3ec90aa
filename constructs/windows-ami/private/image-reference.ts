import { Token } from 'aws-cdk-lib';
import { ValidationError } from '../../common/validation-error';

/**
 * A container image reference, split into the parts the pre-pull component needs.
 */
export interface ImageReference {
  /** The reference as given, e.g. `mcr.microsoft.com/windows/servercore:ltsc2022`. */
  readonly reference: string;
  /** Registry host (with port when given), e.g. `mcr.microsoft.com`. */
  readonly registry: string;
  /**
   * Region of a private Amazon ECR registry (`<account>.dkr.ecr.<region>.amazonaws.com`),
   * which needs a login token; other registries are pulled anonymously.
   * @default - not a private ECR registry
   */
  readonly ecrRegion?: string;
}

// A hostname label, a dotted host with an optional port, and distribution's path components.
const HOST_LABEL = '[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?';
const REGISTRY = `(?:${HOST_LABEL}(?:\\.${HOST_LABEL})*(?::[0-9]{1,5})?)`;
const PATH_COMPONENT = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*';
const TAG = '[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}';
const DIGEST = 'sha256:[a-f0-9]{64}';
const REFERENCE = new RegExp(`^(${REGISTRY})/(${PATH_COMPONENT}(?:/${PATH_COMPONENT})*)(?::(${TAG}))?(?:@(${DIGEST}))?$`);
const PRIVATE_ECR = /^[0-9]{12}\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/;

/**
 * Parses a fully qualified image reference: `registry/repository` with a tag or a digest.
 *
 * `ctr` (unlike the kubelet) does not expand short names such as `nginx`, and the kubelet finds
 * a cached image only under the exact name a pod uses; so the registry is required, and so is
 * a tag or a digest (one, not both: `ctr` stores a tagged digest under another name).
 *
 * @param prop  the prop the reference came from, named in errors
 * @param reference  the reference to parse; unresolved tokens are rejected, as the reference
 *   is also written into the component's PowerShell and hashed into its name
 */
export function parseImageReference(prop: string, reference: string): ImageReference {
  if (Token.isUnresolved(reference)) {
    throw new ValidationError(prop, 'is a deploy-time value; give the image reference as a literal (it is written into the Image Builder component).');
  }
  const match = REFERENCE.exec(reference);
  const registry = match?.[1];
  const isRegistry = registry !== undefined && (registry.includes('.') || registry.includes(':') || registry === 'localhost');
  if (!match || !isRegistry || reference.length > 512) {
    throw new ValidationError(prop, `"${reference}" is not a fully qualified image reference; use registry/repository:tag or registry/repository@sha256:<digest>, `
      + 'e.g. "mcr.microsoft.com/windows/servercore:ltsc2022" or "docker.io/library/nginx:1.27" (ctr does not expand short names).');
  }
  const [, host, , tag, digest] = match;
  if (tag === undefined && digest === undefined) {
    throw new ValidationError(prop, `"${reference}" has neither a tag nor a digest; add one (e.g. ":ltsc2022"), so that the cached image is the one pods ask for.`);
  }
  if (tag !== undefined && digest !== undefined) {
    throw new ValidationError(prop, `"${reference}" has both a tag and a digest; give one of them (pods must use the same reference to find the cached image).`);
  }
  const ecr = PRIVATE_ECR.exec(host);
  return { reference, registry: host, ecrRegion: ecr ? ecr[1] : undefined };
}
