import { Token } from 'aws-cdk-lib';
import { checkProps, isEnumMember, isString } from '../common/validate';
import { ValidationError } from '../common/validation-error';
import { DataVolumeSource } from '../imports/cdi.kubevirt.io';

/**
 * How CDI pulls an image from a registry.
 */
export enum RegistryPullMethod {
  /**
   * The node's container runtime pulls the image, with the node's credentials: images in ECR
   * of the same account need no Secret (the Karpenter node role may pull from ECR). The image
   * lands in the host's root volume first.
   */
  NODE = 'node',
  /** An importer pod pulls the image (needs a pull Secret for private registries). */
  POD = 'pod',
}

/**
 * Options of `GoldenImageSource.http()`.
 */
export interface HttpGoldenImageSourceOptions {
  /**
   * Expected checksum of the downloaded file, `<algorithm>:<hex>` with `md5`, `sha1`,
   * `sha256` or `sha512`; the import fails on a mismatch.
   * @default - not checked
   */
  readonly checksum?: string;

  /**
   * ConfigMap (in the image's namespace) with the CA certificate of a private HTTPS endpoint.
   * @default - the importer's system CAs
   */
  readonly certConfigMap?: string;
}

/**
 * Options of `GoldenImageSource.registry()`.
 */
export interface RegistryGoldenImageSourceOptions {
  /**
   * Who pulls the image.
   * @default RegistryPullMethod.NODE
   */
  readonly pullMethod?: RegistryPullMethod;

  /**
   * Secret (in the image's namespace) with registry credentials (`accessKeyId`, `secretKey`),
   * for `RegistryPullMethod.POD` only.
   * @default - anonymous pull
   */
  readonly secretName?: string;
}

const CHECKSUM = /^(md5|sha1|sha256|sha512):[0-9a-f]+$/;
/** A container image reference with a tag or a sha256 digest. */
const IMAGE = /^[a-z0-9.-]+(:\d+)?(\/[a-z0-9._-]+)+(:[A-Za-z0-9._-]+|@sha256:[0-9a-f]{64})$/;

/**
 * Where CDI imports the golden Windows image from.
 *
 * CDI's S3 source takes static access keys only, so S3 is reached through an HTTPS URL
 * (a presigned URL) instead; an image in ECR is reached through the node role.
 *
 * @see https://github.com/kubevirt/containerized-data-importer/blob/main/doc/datavolumes.md
 */
export abstract class GoldenImageSource {
  /**
   * A disk image (qcow2, raw, vmdk, vhd(x), optionally gz/xz compressed) at an HTTPS URL, e.g.
   * a presigned S3 URL. The URL is written into the manifest (and, when applied through
   * CloudFormation, the template): give a presigned URL a short expiry; the import runs once,
   * right after deployment.
   *
   * @param url  `https://` URL of the image
   * @param options  checksum and private CA
   */
  public static http(url: string, options: HttpGoldenImageSourceOptions = {}): GoldenImageSource {
    isString("'https://images.example.com/windows11.qcow2'")('GoldenImageSource.http(url)', url);
    checkProps('GoldenImageSource.http(options)', options, { checksum: isString("'sha256:9f86d0...'"), certConfigMap: isString("'image-ca'") });
    return new HttpSource(url, options);
  }

  /**
   * A "container disk" image in a registry: the disk file under `/disk/` of an image, e.g.
   * `123456789012.dkr.ecr.us-east-1.amazonaws.com/golden/windows11:2026-11`, pulled by the
   * node by default (ECR through the node role, no Secret).
   *
   * @param image  image reference with a tag or digest, with or without `docker://`
   * @param options  pull method and credentials
   */
  public static registry(image: string, options: RegistryGoldenImageSourceOptions = {}): GoldenImageSource {
    isString("'123456789012.dkr.ecr.us-east-1.amazonaws.com/golden/windows11:2026-11'")('GoldenImageSource.registry(image)', image);
    checkProps('GoldenImageSource.registry(options)', options, { pullMethod: isEnumMember(RegistryPullMethod, 'RegistryPullMethod'), secretName: isString("'registry-credentials'") });
    return new RegistrySource(image, options);
  }

  /**
   * Renders the DataVolume source.
   *
   * @param prop  path of the prop holding the source, named in errors
   */
  public abstract bind(prop: string): DataVolumeSource;
}

class HttpSource extends GoldenImageSource {
  constructor(private readonly url: string, private readonly options: HttpGoldenImageSourceOptions) {
    super();
  }

  public bind(prop: string): DataVolumeSource {
    if (!Token.isUnresolved(this.url) && !/^https:\/\/[^\s/]+\/\S*$/.test(this.url)) {
      throw new ValidationError(`${prop}.url`, `"${redact(this.url)}" is not an https:// URL; serve the image over HTTPS (e.g. a presigned S3 URL), or push it to ECR and use GoldenImageSource.registry().`);
    }
    const checksum = this.options.checksum;
    if (checksum !== undefined && !Token.isUnresolved(checksum) && !CHECKSUM.test(checksum)) {
      throw new ValidationError(`${prop}.checksum`, `"${checksum}" is not "<algorithm>:<hex>"; use md5, sha1, sha256 or sha512, e.g. "sha256:9f86d0...".`);
    }
    return { http: { url: this.url, checksum, certConfigMap: this.options.certConfigMap } };
  }
}

class RegistrySource extends GoldenImageSource {
  constructor(private readonly image: string, private readonly options: RegistryGoldenImageSourceOptions) {
    super();
  }

  public bind(prop: string): DataVolumeSource {
    const pullMethod = this.options.pullMethod ?? RegistryPullMethod.NODE;
    const reference = this.image.replace(/^docker:\/\//, '');
    if (!Token.isUnresolved(this.image) && !IMAGE.test(reference)) {
      throw new ValidationError(`${prop}.image`, `"${this.image}" is not an image reference pinned by tag or digest; use e.g. "123456789012.dkr.ecr.us-east-1.amazonaws.com/golden/windows11:2026-11".`);
    }
    if (!Token.isUnresolved(this.image) && reference.endsWith(':latest')) {
      throw new ValidationError(`${prop}.image`, `"${this.image}" uses the tag "latest"; pin a version tag or digest so every host imports the same image.`);
    }
    if (this.options.secretName !== undefined && pullMethod === RegistryPullMethod.NODE) {
      throw new ValidationError(`${prop}.secretName`, 'is ignored when the node pulls the image (RegistryPullMethod.NODE uses the node role); remove it, or set pullMethod: RegistryPullMethod.POD.');
    }
    return { registry: { url: `docker://${reference}`, pullMethod, secretRef: this.options.secretName } };
  }
}

/** Drops the query string (a presigned URL's signature) from error messages. */
function redact(url: string): string {
  const q = url.indexOf('?');
  return q >= 0 ? `${url.slice(0, q)}?...` : url;
}
