import { CfnJson, Duration, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, IConstruct } from 'constructs';
import { acknowledgeControlTower } from './acknowledge';
import { ValidationError } from './validation-error';

/**
 * Helm chart options that both `aws-eks` and `aws-eks-v2` accept.
 */
export interface EksHelmChartOptions {
  /** Chart name (or OCI reference when `repository` is empty). */
  readonly chart: string;
  /** Chart repository, e.g. `oci://public.ecr.aws/karpenter/karpenter`. */
  readonly repository?: string;
  /** Pinned chart version. */
  readonly version?: string;
  /** Namespace to install into. */
  readonly namespace?: string;
  /** Helm release name. */
  readonly release?: string;
  /** Chart values. */
  readonly values?: Record<string, unknown>;
  /** Create the namespace when it does not exist. */
  readonly createNamespace?: boolean;
  /** Wait for the release's resources to be ready. */
  readonly wait?: boolean;
  /** How long Helm may wait. */
  readonly timeout?: Duration;
  /** Do not install the chart's `crds/` folder. */
  readonly skipCrds?: boolean;
}

/**
 * The part of an EKS cluster this library uses.
 *
 * Both `aws-cdk-lib/aws-eks` (`eks.Cluster`, `eks.Cluster.fromClusterAttributes`, every
 * eks-blueprints cluster) and `aws-cdk-lib/aws-eks-v2` clusters satisfy it structurally, so
 * every construct that takes an `IEksCluster` works with a cluster from either module. Only
 * members the two modules share are listed.
 */
export interface IEksCluster extends IConstruct {
  /** Name of the EKS cluster. */
  readonly clusterName: string;
  /** ARN of the EKS cluster. */
  readonly clusterArn: string;
  /** API server endpoint. */
  readonly clusterEndpoint: string;
  /** Security group EKS created for the control plane and managed nodes. */
  readonly clusterSecurityGroupId: string;
  /** VPC the cluster runs in. */
  readonly vpc: ec2.IVpc;
  /** IAM OIDC provider of the cluster (needed for IRSA). */
  readonly openIdConnectProvider: iam.IOpenIdConnectProvider;
  /**
   * Authentication mode (only `aws-eks` clusters expose it; `aws-eks-v2` clusters always
   * accept access entries).
   * @default - unknown
   */
  readonly authenticationMode?: string;
  /** Applies Kubernetes objects through the cluster's kubectl handler. */
  addManifest(id: string, ...manifest: Record<string, unknown>[]): Construct;
  /** Installs a Helm chart through the cluster's kubectl handler. */
  addHelmChart(id: string, options: EksHelmChartOptions): Construct;
  /** Applies a cdk8s chart through the cluster's kubectl handler. */
  addCdk8sChart(id: string, chart: Construct): Construct;
}

/**
 * Reads the cluster's OIDC provider, turning the opaque error of an imported cluster without
 * one into an error that says which attribute to pass.
 */
export function requireOidcProvider(prop: string, cluster: IEksCluster): iam.IOpenIdConnectProvider {
  try {
    return cluster.openIdConnectProvider;
  } catch {
    throw new ValidationError(prop, 'the cluster has no OpenID Connect provider, which IRSA needs (Karpenter runs on Fargate, where Pod Identity does not work). '
      + 'Pass `openIdConnectProvider` to `Cluster.fromClusterAttributes(...)`, or create one with `new eks.OpenIdConnectProvider(...)`.');
  }
}

/**
 * Creates an IAM role that one Kubernetes service account assumes through IRSA.
 *
 * Written here rather than with `cluster.addServiceAccount()` because the two EKS modules
 * return different types, and Karpenter's chart creates its own service account: only the role
 * and its trust policy are needed.
 */
export function createServiceAccountRole(scope: Construct, id: string, cluster: IEksCluster, namespace: string, serviceAccountName: string): iam.Role {
  const provider = requireOidcProvider(`${id}.cluster`, cluster);
  // The issuer is a deploy-time value used as a JSON key: CfnJson resolves it in place.
  const conditions = new CfnJson(scope, `${id}TrustConditions`, {
    value: {
      [`${provider.openIdConnectProviderIssuer}:aud`]: 'sts.amazonaws.com',
      [`${provider.openIdConnectProviderIssuer}:sub`]: `system:serviceaccount:${namespace}:${serviceAccountName}`,
    },
  });
  // CfnJson resolves through a singleton provider of aws-cdk-lib at stack level.
  const cfnUtils = Stack.of(scope).node.tryFindChild('AWSCDKCfnUtilsProviderCustomResourceProvider');
  if (cfnUtils !== undefined) {
    acknowledgeControlTower(cfnUtils, {
      lambda_inside_vpc_check: 'aws-cdk-lib\'s CfnJson provider only turns JSON into a CloudFormation value during deployment; it calls no service and reaches no network resource.',
    });
  }
  return new iam.Role(scope, id, {
    assumedBy: new iam.OpenIdConnectPrincipal(provider).withConditions({ StringEquals: conditions }),
    description: `IRSA role of ${namespace}/${serviceAccountName}`,
  });
}

/**
 * The AWS Load Balancer Controller that the cluster construct installed (`albController` of
 * `aws-eks` and `aws-eks-v2` clusters), if any.
 */
export function albControllerOf(cluster: IEksCluster): IConstruct | undefined {
  const candidate = (cluster as IEksCluster & { readonly albController?: IConstruct }).albController;
  return candidate !== undefined && Construct.isConstruct(candidate) ? candidate : undefined;
}

/**
 * Makes `dependant` (a manifest or Helm release that creates a Service or an Ingress) wait for
 * the cluster's AWS Load Balancer Controller. The controller's chart registers a mutating
 * webhook on every Service CREATE and a validating webhook on Ingresses, both failing closed,
 * and the kubectl handler retries only i/o timeouts: applied before the controller is ready,
 * such objects are refused. On delete the order reverses, so the controller outlives the
 * Ingress and removes its ALB.
 *
 * @see https://github.com/kubernetes-sigs/aws-load-balancer-controller/blob/main/helm/aws-load-balancer-controller/templates/webhook.yaml
 */
export function dependOnAlbController(dependant: IConstruct, cluster: IEksCluster): void {
  const controller = albControllerOf(cluster);
  if (controller !== undefined) dependant.node.addDependency(controller);
}
