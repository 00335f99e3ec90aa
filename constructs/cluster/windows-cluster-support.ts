import { Stack, Tags, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { CfnAddon } from 'aws-cdk-lib/aws-eks';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { IEksCluster } from '../common/eks-cluster';
import { claimUnique } from '../common/uniqueness';
import { checkProps, isArrayOf, isBoolean, isConstruct, isString, required } from '../common/validate';
import { reportsConstructPath, ValidationError } from '../common/validation-error';
import { addWarning } from '../common/warnings';

/** Tag Karpenter's EC2NodeClasses select subnets by (see `WindowsNodePool.subnetSelectorTerms`). */
export const KARPENTER_DISCOVERY_TAG = 'karpenter.sh/discovery';

/**
 * Props of `WindowsClusterSupport`.
 */
export interface WindowsClusterSupportProps {
  /** The existing cluster (from `aws-eks` or `aws-eks-v2`, created or imported). */
  readonly cluster: IEksCluster;

  /**
   * Name the private subnets are tagged with for Karpenter discovery
   * (`karpenter.sh/discovery=<name>`). Give the cluster's name as a literal: when the cluster
   * is created in the same stack, `cluster.clusterName` is a deploy-time value and tagging its
   * own subnets with it would make the subnets depend on the cluster that depends on them.
   */
  readonly karpenterDiscoveryName: string;

  /**
   * The cluster's IAM role, which Windows IPAM needs `AmazonEKSVPCResourceController` on.
   * @default - none: attach the policy to the cluster role yourself (an imported cluster's
   * role cannot be changed here)
   */
  readonly clusterRole?: iam.IRole;

  /**
   * Subnets Karpenter may launch nodes into.
   * @default - the cluster VPC's private subnets
   */
  readonly subnets?: ec2.ISubnet[];

  /**
   * Whether to install the VPC CNI as an EKS managed add-on with Windows IPAM switched on.
   * Turn it off when the cluster already has the `vpc-cni` managed add-on in CDK: set its
   * configuration to `{"enableWindowsIpam":"true"}` there instead (a cluster cannot hold the
   * same add-on twice).
   * @default true
   */
  readonly manageVpcCni?: boolean;

  /**
   * Version of the VPC CNI add-on.
   * @default - EKS's default version for the cluster's Kubernetes version
   */
  readonly vpcCniVersion?: string;
}

/**
 * What Windows nodes need from a cluster this library did not create: the VPC CNI's Windows
 * IPAM (a managed add-on setting, not a hand-applied ConfigMap), the VPC resource controller
 * policy on the cluster role, and the subnet tags Karpenter discovers subnets by.
 *
 * `DesktopCluster` does all of this itself; use this construct with an existing `aws-eks` or
 * `aws-eks-v2` cluster (an eks-blueprints cluster, say) before adding Windows node pools.
 *
 * @see https://docs.aws.amazon.com/eks/latest/userguide/windows-support.html
 */
@reportsConstructPath
export class WindowsClusterSupport extends Construct {
  /** The VPC CNI add-on with Windows IPAM, when this construct manages it. */
  public readonly vpcCni?: CfnAddon;

  constructor(scope: Construct, id: string, props: WindowsClusterSupportProps) {
    super(scope, id);
    const p = 'WindowsClusterSupport';
    checkProps(p, props, {
      cluster: required(isConstruct('an EKS cluster (aws-eks or aws-eks-v2)')),
      karpenterDiscoveryName: required(isString("'desktops'")),
      clusterRole: isConstruct('an iam.IRole'),
      subnets: isArrayOf(isConstruct('an ec2.ISubnet'), '[subnet]'),
      manageVpcCni: isBoolean(),
      vpcCniVersion: isString("'v1.21.1-eksbuild.1'"),
    });

    const manageVpcCni = props.manageVpcCni ?? true;
    const subnets = props.subnets ?? props.cluster.vpc.privateSubnets;

    if (!Token.isUnresolved(props.karpenterDiscoveryName) && props.karpenterDiscoveryName.trim() === '') {
      throw new ValidationError('WindowsClusterSupport.karpenterDiscoveryName', 'is empty; give the cluster\'s name, e.g. "desktops".');
    }
    if (Token.isUnresolved(props.karpenterDiscoveryName) && Stack.of(props.cluster) === Stack.of(this)) {
      throw new ValidationError(`${p}.karpenterDiscoveryName`, 'is a deploy-time value of this stack (such as cluster.clusterName); tagging the cluster\'s subnets with it makes them depend on the cluster, which depends on them (a dependency cycle). Give the cluster\'s name as a literal string, e.g. "desktops".');
    }
    if (subnets.length === 0) {
      throw new ValidationError('WindowsClusterSupport.subnets', 'is empty and the cluster VPC has no private subnets; list the subnets Windows nodes may use.');
    }

    if (manageVpcCni) {
      claimUnique(props.cluster, 'EKS add-on', 'vpc-cni', this, `${p}.manageVpcCni`,
        'A cluster holds one add-on of a name: when the cluster already has the vpc-cni add-on (a DesktopCluster installs it with Windows IPAM on), set manageVpcCni: false.');
      this.vpcCni = new CfnAddon(this, 'VpcCni', {
        clusterName: props.cluster.clusterName,
        addonName: 'vpc-cni',
        addonVersion: props.vpcCniVersion,
        // A string, as the add-on's configuration schema requires.
        configurationValues: JSON.stringify({ enableWindowsIpam: 'true' }),
        // The add-on takes over the self-managed aws-node DaemonSet every cluster starts with.
        resolveConflicts: 'OVERWRITE',
      });
    }

    if (props.clusterRole) {
      props.clusterRole.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonEKSVPCResourceController'));
    } else {
      addWarning(this, 'vpcResourceControllerPolicy',
        'No clusterRole given: make sure the cluster role has the AmazonEKSVPCResourceController managed policy, which Windows IPAM needs.');
    }

    const untagged: string[] = [];
    for (const subnet of subnets) {
      if (ec2.Subnet.isVpcSubnet(subnet)) Tags.of(subnet).add(KARPENTER_DISCOVERY_TAG, props.karpenterDiscoveryName);
      else untagged.push(Token.isUnresolved(subnet.subnetId) ? '(unknown id)' : subnet.subnetId);
    }
    if (untagged.length > 0) {
      addWarning(this, 'untaggedSubnets',
        `Cannot tag imported subnets ${untagged.join(', ')}: tag them ${KARPENTER_DISCOVERY_TAG}=${props.karpenterDiscoveryName} yourself, or give the node pools subnetSelectorTerms.`);
    }
  }
}
