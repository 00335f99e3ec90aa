import {
  Ec2NodeClassSpecBlockDeviceMappings,
  Ec2NodeClassSpecBlockDeviceMappingsEbsVolumeType,
  Ec2NodeClassSpecMetadataOptions,
  Ec2NodeClassSpecMetadataOptionsHttpEndpoint,
  Ec2NodeClassSpecMetadataOptionsHttpProtocolIPv6,
  Ec2NodeClassSpecMetadataOptionsHttpTokens,
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
