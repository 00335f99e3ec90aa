import { Size } from 'aws-cdk-lib';
import { k8s } from 'cdk8s-plus-29';
import { Construct } from 'constructs';
import { claimUnique } from '../common/uniqueness';
import {
  checkProps, isArrayOf, isBoolean, isInstanceOf, isString, required,
  validateDns1123Label, validateDns1123Subdomain, validateOwnedNamespace, wholeGibibytes,
} from '../common/validate';
import { reportsConstructPath, ValidationError } from '../common/validation-error';
import { DataSource, DataVolume, V1Beta1StorageSpecAccessModes } from '../imports/cdi.kubevirt.io';
import { GoldenImageSource } from './golden-image-source';
import { LABEL_DOMAIN } from '../common/well-known';

/** Default namespace of golden images. */
export const GOLDEN_IMAGE_NAMESPACE = 'desktop-images';
/** Asks CDI to bind the claim at once even on a `WaitForFirstConsumer` class (gp3). */
export const IMMEDIATE_BIND_ANNOTATION = 'cdi.kubevirt.io/storage.bind.immediate.requested';
/** Label of a golden image's objects. */
export const GOLDEN_IMAGE_LABEL = `${LABEL_DOMAIN}/golden-image`;

/** Smallest golden image volume: Windows 10/Server installs need about 20 GiB, updates more. */
const MIN_IMAGE_GIB = 32;
const MAX_IMAGE_GIB = 16384;

/** Name of the Role that grants cloning the golden image `name` (bound per namespace). */
export function goldenImageCloneRoleName(name: string): string {
  return `${name}-clone`;
}

/**
 * Name of the RoleBinding (in the image's namespace) that lets user namespace `namespace` clone
 * golden image `dataSourceName`: one per image and namespace, since a user may have desktops of
 * several images (classes) and a RoleBinding's roleRef cannot change. At most 133 characters.
 */
export function goldenImageCloneBindingName(dataSourceName: string, namespace: string): string {
  return `${goldenImageCloneRoleName(dataSourceName)}-${namespace}`;
}

/**
 * A golden image desktops clone their root disk from: the namespace and name of its
 * DataSource. `GoldenImage` implements it; an image imported some other way can be described
 * by hand.
 */
export interface GoldenImageReference {
  /** Name of the CDI DataSource. */
  readonly dataSourceName: string;
  /** Namespace of the DataSource (and of the volume it points at). */
  readonly namespace: string;
  /**
   * Size of the image's volume: a clone must be at least as large.
   * @default - unknown: not checked
   */
  readonly size?: Size;
}

/**
 * Properties of `GoldenImage`.
 */
export interface GoldenImageProps {
  /**
   * Name of the DataVolume, its PVC and the DataSource (DNS-1123 label).
   */
  readonly name: string;

  /**
   * Where CDI imports the image from.
   */
  readonly source: GoldenImageSource;

  /**
   * Namespace of the image. Desktops in any namespace may clone from it (see
   * `cloneNamespaces`).
   * @default GOLDEN_IMAGE_NAMESPACE ('desktop-images')
   */
  readonly namespace?: string;

  /**
   * Create the namespace. Set false when it exists already or another image creates it.
   * @default true
   */
  readonly createNamespace?: boolean;

  /**
   * Size of the image's volume, whole GiB from 32 GiB: at least the image's virtual disk
   * size. Desktop root disks are cloned from it and must be at least as large.
   * @default Size.gibibytes(64)
   */
  readonly size?: Size;

  /**
   * StorageClass of the image's volume.
   * @default - the cluster's default class (gp3 on a `DesktopCluster`)
   */
  readonly storageClassName?: string;

  /**
   * Namespaces of the desktops that clone the image. KubeVirt and CDI check that the `default`
   * service account of the VM's namespace may create `datavolumes/source` in the image's
   * namespace; this grants it to exactly that account of each namespace listed, and to no
   * other account. Namespaces created later (e.g. per user) need a RoleBinding of their own
   * to the `<name>-clone` Role.
   * @see https://kubevirt.io/user-guide/storage/clone_api/
   */
  readonly cloneNamespaces: string[];
}

/**
 * The golden Windows image desktops clone: a CDI DataVolume that imports it once into an EBS
 * volume, and a DataSource that publishes that volume under a stable name.
 *
 * The gp3 class binds on first consumer; a standalone DataVolume has none, so it asks CDI for
 * immediate binding (the importer pod then is the consumer, on a VM host). Also grants the
 * clone permission to desktops' service accounts.
 *
 * Preparing the image: install Windows in a VM with the virtio-win drivers (storage, network,
 * balloon, guest agent) so that it boots from a virtio disk and network; install cloudbase-init
 * if you pass it data; apply updates; then generalize it with
 * `sysprep /generalize /oobe /shutdown` (with `/mode:vm`), and upload the disk (qcow2) to S3 or
 * wrap it in a container image (`FROM scratch`, disk file under `/disk/`) pushed to ECR.
 *
 * A pure cdk8s construct: use it in any chart, e.g. one applied with `KubeVirt.addCdk8sChart()`.
 *
 * @see https://github.com/kubevirt/containerized-data-importer/blob/main/doc/datasource.md
 */
@reportsConstructPath
export class GoldenImage extends Construct implements GoldenImageReference {
  /** Name of the DataSource (and of the DataVolume and PVC). */
  public readonly dataSourceName: string;
  /** Namespace of the image. */
  public readonly namespace: string;
  /** Size of the image's volume. */
  public readonly size: Size;
  /** Namespaces whose desktops may clone the image. */
  public readonly cloneNamespaces: string[];
  /** The DataVolume that imports the image. */
  public readonly dataVolume: DataVolume;
  /** The DataSource desktops clone from. */
  public readonly dataSource: DataSource;

  constructor(scope: Construct, id: string, props: GoldenImageProps) {
    super(scope, id);
    const p = 'GoldenImage';
    checkProps(p, props, {
      name: required(isString("'windows-11'")),
      source: required(isInstanceOf(GoldenImageSource, "GoldenImageSource.http('https://...') or GoldenImageSource.registry('...')")),
      namespace: isString(`'${GOLDEN_IMAGE_NAMESPACE}'`),
      createNamespace: isBoolean(),
      size: isInstanceOf(Size, 'an aws-cdk-lib Size, e.g. Size.gibibytes(64)'),
      storageClassName: isString("'gp3'"),
      cloneNamespaces: isArrayOf(isString("'desktops'"), "['desktops']"),
    });

    // Defaults.
    const name = props.name;
    const namespace = props.namespace ?? GOLDEN_IMAGE_NAMESPACE;
    const createNamespace = props.createNamespace ?? true;
    const size = props.size ?? Size.gibibytes(64);
    const cloneNamespaces = props.cloneNamespaces;

    // Validation.
    validateDns1123Label(`${p}.name`, name);
    validateDns1123Label(`${p}.namespace`, namespace);
    validateOwnedNamespace(`${p}.namespace`, namespace, createNamespace);
    if (createNamespace) claimUnique(this.node.root, 'Namespace', namespace, this, `${p}.namespace`, 'Only one construct may create (and, when removed, delete) a namespace: set createNamespace: false on all but one of them, or give each its own namespace.');
    claimUnique(this.node.root, 'golden image', `${namespace}/${name}`, this, `${p}.name`,
      'Its DataVolume, DataSource and clone role would replace the first one\'s: give each golden image its own `name` (or namespace).');
    const gib = wholeGibibytes(`${p}.size`, size, 'Size.gibibytes(64)');
    if (gib < MIN_IMAGE_GIB || gib > MAX_IMAGE_GIB) {
      throw new ValidationError(`${p}.size`, `is ${gib} GiB; give ${MIN_IMAGE_GIB} GiB to ${MAX_IMAGE_GIB} GiB, at least the image's virtual disk size (Windows 11 needs 64 GiB).`);
    }
    if (props.storageClassName !== undefined) validateDns1123Subdomain(`${p}.storageClassName`, props.storageClassName);
    if (!Array.isArray(cloneNamespaces) || cloneNamespaces.length === 0) {
      throw new ValidationError(`${p}.cloneNamespaces`, `is ${cloneNamespaces === undefined ? 'missing' : JSON.stringify(cloneNamespaces)}, so no desktop could clone the image; list the desktops' namespaces, e.g. ['desktops'].`);
    }
    cloneNamespaces.forEach((ns, i) => validateDns1123Label(`${p}.cloneNamespaces[${i}]`, ns));
    const source = props.source.bind(`${p}.source`);

    // Children.
    const labels = { [GOLDEN_IMAGE_LABEL]: name };
    if (createNamespace) {
      new k8s.KubeNamespace(this, 'Namespace', { metadata: { name: namespace } });
    }
    this.dataVolume = new DataVolume(this, 'DataVolume', {
      metadata: { name, namespace, labels, annotations: { [IMMEDIATE_BIND_ANNOTATION]: 'true' } },
      spec: {
        source,
        // `storage` (not `pvc`) lets CDI complete the claim from the class's StorageProfile
        // (volume mode) and add room for filesystem overhead.
        storage: {
          accessModes: [V1Beta1StorageSpecAccessModes.READ_WRITE_ONCE],
          resources: { requests: { storage: `${gib}Gi` } },
          storageClassName: props.storageClassName,
        },
      },
    });
    this.dataSource = new DataSource(this, 'DataSource', {
      metadata: { name, namespace, labels },
      spec: { source: { pvc: { name, namespace } } },
    });

    // Clone permission for desktops: KubeVirt asks whether the VM's service account may
    // create `datavolumes/source` here.
    const cloner = new k8s.KubeRole(this, 'CloneRole', {
      metadata: { name: goldenImageCloneRoleName(name), namespace, labels },
      rules: [
        { apiGroups: ['cdi.kubevirt.io'], resources: ['datavolumes/source'], verbs: ['create'] },
        { apiGroups: ['cdi.kubevirt.io'], resources: ['datasources'], resourceNames: [name], verbs: ['get'] },
      ],
    });
    new k8s.KubeRoleBinding(this, 'CloneRoleBinding', {
      metadata: { name: `${name}-clone`, namespace, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: cloner.name },
      // The namespaces' `default` accounts only: the account KubeVirt checks for a VM's clone.
      subjects: cloneNamespaces.map((ns) => ({ kind: 'ServiceAccount', name: 'default', namespace: ns })),
    });

    // Attributes.
    this.dataSourceName = name;
    this.namespace = namespace;
    this.size = size;
    this.cloneNamespaces = [...cloneNamespaces];
  }
}
