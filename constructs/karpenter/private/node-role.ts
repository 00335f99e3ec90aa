import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/**
 * AWS managed policies every Karpenter node role carries, as in Karpenter's getting-started
 * CloudFormation template: join the cluster, run the VPC CNI, pull images from ECR, and be
 * reachable through Session Manager instead of SSH.
 */
export const NODE_ROLE_MANAGED_POLICIES = [
  'AmazonEKS_CNI_Policy',
  'AmazonEKSWorkerNodePolicy',
  'AmazonEC2ContainerRegistryPullOnly',
  'AmazonSSMManagedInstanceCore',
] as const;

/**
 * Creates a node role that EC2 instances launched by Karpenter assume. No fixed role name:
 * CloudFormation generates one, so two clusters (or two stacks) never collide.
 */
export function createNodeRole(scope: Construct, id: string, description: string): iam.Role {
  return new iam.Role(scope, id, {
    assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
    description,
    managedPolicies: NODE_ROLE_MANAGED_POLICIES.map((name) => iam.ManagedPolicy.fromAwsManagedPolicyName(name)),
  });
}
