import { Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { ValidationError } from '../../common/validation-error';
import { WINDOWS_ROOT_DEVICE } from '../../common/well-known';
import { addWarning } from '../../common/warnings';

/**
 * What `FastLaunchWindowsAmi` (Image Builder distribution) and `EnableFastLaunch` (EC2 API on
 * an existing AMI) share: the Fast Launch settings and their checks, the launch template EC2
 * uses to pre-provision snapshots, and the network it launches into.
 */

/** EC2 rejects fewer parallel launches (EnableFastLaunch API reference). */
export const MIN_PARALLEL_LAUNCHES = 6;
/** Default account quota of parallel launches across all Fast Launch AMIs of a region. */
export const PARALLEL_LAUNCHES_QUOTA = 40;
/** Device of the root volume of Windows AMIs. */
export { WINDOWS_ROOT_DEVICE };

/** Resolved Fast Launch settings. */
export interface FastLaunchSettings {
  /** Instances EC2 may launch at once to create pre-provisioned snapshots (≥ 6). */
  readonly maxParallelLaunches: number;
  /** Pre-provisioned snapshots EC2 keeps ready (`SnapshotConfiguration.TargetResourceCount`, ≥ 1). */
  readonly targetResourceCount: number;
}

/**
 * Applies the defaults and checks the Fast Launch settings.
 *
 * @param scope  the construct that gets a warning when the quota is exceeded
 * @param prefix  the construct name used in prop paths (`FastLaunchWindowsAmi`)
 */
export function resolveFastLaunchSettings(scope: Construct, prefix: string, maxParallelLaunches: number | undefined, expectedBurst: number | undefined): FastLaunchSettings {
  const parallel = maxParallelLaunches ?? MIN_PARALLEL_LAUNCHES;
  const burst = expectedBurst ?? 5;
  if (!Token.isUnresolved(parallel) && (!Number.isInteger(parallel) || parallel < MIN_PARALLEL_LAUNCHES)) {
    throw new ValidationError(`${prefix}.maxParallelLaunches`, `got ${parallel}; EC2 Fast Launch needs a whole number ≥ ${MIN_PARALLEL_LAUNCHES} (MaxParallelLaunches), e.g. ${MIN_PARALLEL_LAUNCHES}.`);
  }
  if (!Token.isUnresolved(burst) && (!Number.isInteger(burst) || burst < 1)) {
    throw new ValidationError(`${prefix}.expectedBurst`, `got ${burst}; give the number of nodes you expect to launch at once, a whole number ≥ 1 (it sets SnapshotConfiguration.TargetResourceCount, the pre-provisioned snapshots kept ready).`);
  }
  if (!Token.isUnresolved(parallel) && parallel > PARALLEL_LAUNCHES_QUOTA) {
    addWarning(scope, 'fastLaunchParallelQuota',
      `${prefix}.maxParallelLaunches is ${parallel}, above the default quota of ${PARALLEL_LAUNCHES_QUOTA} parallel launches per region (shared by every Fast Launch AMI); request a quota increase first.`);
  }
  return { maxParallelLaunches: parallel, targetResourceCount: burst };
}

/**
 * The one subnet instances are launched into: the first one `selection` picks (Image Builder
 * build instances and Fast Launch pre-provisioning instances each take a single subnet).
 */
export function selectSubnet(prop: string, vpc: ec2.IVpc, selection: ec2.SubnetSelection): ec2.ISubnet {
  const hint = 'select a private subnet with a route to the internet or to VPC endpoints (e.g. { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }).';
  let subnets: ec2.ISubnet[];
  try {
    subnets = vpc.selectSubnets(selection).subnets;
  } catch (e) {
    // aws-cdk-lib throws when the VPC has no subnet group of the asked type.
    throw new ValidationError(prop, `selects no subnet of the VPC (${(e as Error).message}); ${hint}`);
  }
  if (subnets.length === 0) {
    throw new ValidationError(prop, `selects no subnet of the VPC; ${hint}`);
  }
  return subnets[0];
}

/**
 * A security group with no inbound rule and HTTPS out only: build and pre-provisioning
 * instances call AWS APIs (SSM, S3, EC2) and container registries, and nothing calls them.
 */
export function createEgressOnlySecurityGroup(scope: Construct, id: string, vpc: ec2.IVpc, description: string): ec2.SecurityGroup {
  const group = new ec2.SecurityGroup(scope, id, { vpc, description, allowAllOutbound: false });
  group.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to AWS APIs and container registries');
  return group;
}

/** Settings of the pre-provisioning launch template. */
export interface FastLaunchLaunchTemplateOptions {
  /** Subnet of the pre-provisioning instances. */
  readonly subnet: ec2.ISubnet;
  /** Their security group. */
  readonly securityGroup: ec2.ISecurityGroup;
  /**
   * Key that encrypts their volumes (and thus the pre-provisioned snapshots).
   * @default - the account's default EBS key
   */
  readonly encryptionKey?: kms.IKey;
  /** Tags of the instances and volumes, so the cost of pre-provisioning is attributable. */
  readonly resourceTags: Record<string, string>;
  /**
   * Tags of the launch template itself. Image Builder's service-linked role may enable Fast
   * Launch only with launch templates tagged `CreatedBy: EC2 Image Builder`.
   */
  readonly templateTags: Record<string, string>;
}

/**
 * The launch template EC2 Fast Launch uses to launch the instances it snapshots: needed to use
 * a non-default VPC, and to enforce IMDSv2 (an account policy that requires IMDSv2 would
 * otherwise fail the launches). No instance profile, key pair or user data: the instances only
 * boot, finish Windows setup and stop.
 */
export function createFastLaunchLaunchTemplate(scope: Construct, id: string, options: FastLaunchLaunchTemplateOptions): ec2.CfnLaunchTemplate {
  const toTags = (tags: Record<string, string>) => Object.entries(tags).map(([key, value]) => ({ key, value }));
  return new ec2.CfnLaunchTemplate(scope, id, {
    launchTemplateData: {
      metadataOptions: { httpEndpoint: 'enabled', httpTokens: 'required', httpPutResponseHopLimit: 1 },
      // Detailed (1-minute) CloudWatch metrics of the pre-provisioning instances (AWS Control
      // Tower CT.EC2.PR.10); they run only while snapshots are being made.
      monitoring: { enabled: true },
      // Subnet and security group go on the network interface: the only place a launch template holds a subnet.
      networkInterfaces: [{
        deviceIndex: 0,
        subnetId: options.subnet.subnetId,
        groups: [options.securityGroup.securityGroupId],
        associatePublicIpAddress: false,
        deleteOnTermination: true,
      }],
      // No size: the volume takes the AMI's; encrypted whatever the AMI's snapshot is.
      blockDeviceMappings: [{
        deviceName: WINDOWS_ROOT_DEVICE,
        ebs: { encrypted: true, kmsKeyId: options.encryptionKey?.keyArn, volumeType: 'gp3', deleteOnTermination: true },
      }],
      tagSpecifications: [
        { resourceType: 'instance', tags: toTags(options.resourceTags) },
        { resourceType: 'volume', tags: toTags(options.resourceTags) },
      ],
    },
    tagSpecifications: [{ resourceType: 'launch-template', tags: toTags(options.templateTags) }],
  });
}

