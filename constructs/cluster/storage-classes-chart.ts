import { Chart, ChartProps } from 'cdk8s';
import { k8s } from 'cdk8s-plus-29';
import { Construct } from 'constructs';
import { validateDns1123Subdomain } from '../common/validate';

/** Annotation that makes a StorageClass the cluster default. */
const DEFAULT_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';

/**
 * Properties of {@link StorageClassesChart}.
 */
export interface StorageClassesChartProps extends ChartProps {
  /**
   * Name of the EBS gp3 StorageClass, which becomes the cluster default.
   * @default 'gp3'
   */
  readonly ebsStorageClassName?: string;

  /**
   * KMS key (id, ARN or alias ARN) that encrypts the EBS volumes. The EBS CSI controller's
   * role needs grants on it.
   * @default - the account's AWS managed `aws/ebs` key
   * @see https://github.com/kubernetes-sigs/aws-ebs-csi-driver/blob/master/docs/parameters.md
   */
  readonly ebsKmsKeyId?: string;

  /**
   * EFS file system in which the `efs` class creates one access point per volume. Only Linux
   * pods can mount EFS volumes: the EFS CSI driver has no Windows support.
   * @default - no EFS StorageClass
   * @see https://github.com/kubernetes-sigs/aws-efs-csi-driver/tree/master/examples/kubernetes/dynamic_provisioning
   */
  readonly efsFileSystemId?: string;

  /**
   * Name of the EFS StorageClass (only used with `efsFileSystemId`).
   * @default 'efs'
   */
  readonly efsStorageClassName?: string;
}

/**
 * The cluster's StorageClasses: an encrypted gp3 EBS class marked as the default (EKS stopped
 * marking `gp2` as default from Kubernetes 1.30, so nothing else competes for it) and, when an
 * EFS file system is given, a dynamically provisioned EFS class.
 *
 * The EBS class waits for the first consumer so that the volume is created in the zone of the
 * node the pod lands on; Windows pods can use it when the EBS CSI node DaemonSet for Windows
 * is enabled (the `DesktopCluster` does so).
 */
export class StorageClassesChart extends Chart {
  /** Name of the default (EBS gp3) StorageClass. */
  public readonly ebsStorageClassName: string;

  /** Name of the EFS StorageClass, when one was created. */
  public readonly efsStorageClassName?: string;

  constructor(scope: Construct, id: string, props: StorageClassesChartProps = {}) {
    super(scope, id, props);

    const ebsName = props.ebsStorageClassName ?? 'gp3';
    const efsName = props.efsFileSystemId !== undefined ? (props.efsStorageClassName ?? 'efs') : undefined;

    validateDns1123Subdomain('StorageClassesChart.ebsStorageClassName', ebsName);
    if (efsName !== undefined) validateDns1123Subdomain('StorageClassesChart.efsStorageClassName', efsName);

    const ebsParameters: Record<string, string> = {
      type: 'gp3',
      encrypted: 'true',
      ...(props.ebsKmsKeyId !== undefined ? { kmsKeyId: props.ebsKmsKeyId } : {}),
    };
    // No `csi.storage.k8s.io/fstype`: the driver's default suits both Linux (ext4) and Windows
    // (NTFS) nodes, whereas a fixed value would break one of them.
    new k8s.KubeStorageClass(this, 'Ebs', {
      metadata: { name: ebsName, annotations: { [DEFAULT_CLASS_ANNOTATION]: 'true' } },
      provisioner: 'ebs.csi.aws.com',
      parameters: ebsParameters,
      volumeBindingMode: 'WaitForFirstConsumer',
      allowVolumeExpansion: true,
      reclaimPolicy: 'Delete',
    });

    if (props.efsFileSystemId !== undefined && efsName !== undefined) {
      new k8s.KubeStorageClass(this, 'Efs', {
        metadata: { name: efsName },
        provisioner: 'efs.csi.aws.com',
        parameters: {
          provisioningMode: 'efs-ap',
          fileSystemId: props.efsFileSystemId,
          // Each volume's root directory is private to the access point's POSIX identity.
          directoryPerms: '700',
        },
        reclaimPolicy: 'Delete',
      });
    }

    this.ebsStorageClassName = ebsName;
    this.efsStorageClassName = efsName;
  }
}
