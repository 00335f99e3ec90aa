import { WINDOWS_ROOT_DEVICE } from '../../common/well-known';
import {
  Ec2NodeClassSpec,
  Ec2NodeClassSpecAmiFamily,
  Ec2NodeClassSpecAmiSelectorTerms,
  Ec2NodeClassSpecBlockDeviceMappings,
  Ec2NodeClassSpecBlockDeviceMappingsEbsVolumeType,
  Ec2NodeClassSpecMetadataOptions,
  Ec2NodeClassSpecMetadataOptionsHttpEndpoint,
  Ec2NodeClassSpecMetadataOptionsHttpProtocolIPv6,
  Ec2NodeClassSpecMetadataOptionsHttpTokens,
  Ec2NodeClassSpecSecurityGroupSelectorTerms,
  Ec2NodeClassSpecSubnetSelectorTerms,
} from '../../imports/karpenter.k8s.aws';

/**
 * The security defaults every EC2NodeClass of the library writes, in one place.
 */

/** IMDSv2 only, one hop: pods cannot reach the node role's credentials through IMDS. */
export function imdsV2Only(): Ec2NodeClassSpecMetadataOptions {
  return {
    httpEndpoint: Ec2NodeClassSpecMetadataOptionsHttpEndpoint.ENABLED,
    httpProtocolIPv6: Ec2NodeClassSpecMetadataOptionsHttpProtocolIPv6.DISABLED,
    httpPutResponseHopLimit: 1,
    httpTokens: Ec2NodeClassSpecMetadataOptionsHttpTokens.REQUIRED,
  };
}

/**
 * An encrypted gp3 root volume, deleted with the node.
 *
 * @param deviceName  root device of the AMI family (`/dev/sda1` Windows, `/dev/xvda` AL2023)
 * @param volumeSize  Kubernetes quantity, e.g. `100Gi`
 * @param kmsKeyId  customer managed key; the account's default EBS key when undefined
 */
export function encryptedGp3Root(deviceName: string, volumeSize: string, kmsKeyId?: string): Ec2NodeClassSpecBlockDeviceMappings {
  return {
    deviceName,
    ebs: {
      volumeType: Ec2NodeClassSpecBlockDeviceMappingsEbsVolumeType.GP3,
      volumeSize,
      encrypted: true,
      kmsKeyId,
      deleteOnTermination: true,
    },
  };
}

/**
 * Resolved settings of a Windows EC2NodeClass: what Windows node pools and node desktops share.
 */
export interface WindowsNodeClassSettings {
  /** Name (not ARN) of the IAM role of the nodes; Karpenter creates the instance profile. */
  readonly nodeRoleName: string;
  /** AMI selector terms of the EC2NodeClass. */
  readonly amiSelectorTerms: Ec2NodeClassSpecAmiSelectorTerms[];
  /**
   * AMI family, needed when the AMI terms carry no alias.
   * @default - inferred from the alias
   */
  readonly amiFamily?: Ec2NodeClassSpecAmiFamily;
  /** Subnet selector terms of the EC2NodeClass. */
  readonly subnetSelectorTerms: Ec2NodeClassSpecSubnetSelectorTerms[];
  /** Security group selector terms of the EC2NodeClass. */
  readonly securityGroupSelectorTerms: Ec2NodeClassSpecSecurityGroupSelectorTerms[];
  /** Root volume size as a Kubernetes quantity, e.g. `100Gi`. */
  readonly rootVolumeSize: string;
  /**
   * KMS key (id, alias or ARN) that encrypts the root volume.
   * @default - the account's default EBS key
   */
  readonly rootVolumeKmsKeyId?: string;
  /**
   * Tags of the instances, volumes and launch templates Karpenter creates.
   * @default - Karpenter's own tags only
   */
  readonly tags?: Record<string, string>;
}

/**
 * The spec of a Windows EC2NodeClass with the library's security defaults: IMDSv2 only with one
 * hop (pods cannot reach the node role's credentials), and an encrypted gp3 root volume large
 * enough for Windows images (several GiB per base layer).
 */
export function windowsNodeClassSpec(settings: WindowsNodeClassSettings): Ec2NodeClassSpec {
  return {
    role: settings.nodeRoleName,
    amiFamily: settings.amiFamily,
    amiSelectorTerms: settings.amiSelectorTerms,
    subnetSelectorTerms: settings.subnetSelectorTerms,
    securityGroupSelectorTerms: settings.securityGroupSelectorTerms,
    metadataOptions: imdsV2Only(),
    blockDeviceMappings: [encryptedGp3Root(WINDOWS_ROOT_DEVICE, settings.rootVolumeSize, settings.rootVolumeKmsKeyId)],
    tags: settings.tags,
  };
}
