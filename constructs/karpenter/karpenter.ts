import { Duration, Lazy, Stack, Token } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledgeAwsSolutions } from '../common/acknowledge';
import { createServiceAccountRole, dependOnAlbController, IEksCluster, requireOidcProvider } from '../common/eks-cluster';
import { validateCpuQuantity, validateMemoryQuantity } from '../common/quantity';
import { claimUnique } from '../common/uniqueness';
import {
  checkProps, isConstruct, isEnumMember, isNumber, isShape, isString, required,
  validateDns1123Label, validateInteger, validateKubernetesVersion,
} from '../common/validate';
import { reportsConstructPath, ValidationError } from '../common/validation-error';
import { compareVersions } from '../common/version-compare';
import { KARPENTER_CHART_REPOSITORY, KARPENTER_CRD_CHART_REPOSITORY, KARPENTER_VERSION } from '../common/versions';
import { KarpenterInterruptionQueue } from './karpenter-interruption-queue';
import { IKarpenter } from './karpenter-reference';
import { WindowsNodePool, WindowsNodePoolOptions } from './windows-node-pool';
import { createControllerPolicies } from './private/controller-policies';
import { mergeValues } from './private/merge-values';
import { createNodeRole } from './private/node-role';

/**
 * How nodes launched by Karpenter are allowed to join the cluster.
 */
export enum NodeAccess {
  /**
   * EKS access entries: `EC2_WINDOWS` for the Windows node role, `EC2_LINUX` for the Linux
   * node role. Needs the cluster's authentication mode to be `API` or `API_AND_CONFIG_MAP`.
   */
  ACCESS_ENTRY = 'ACCESS_ENTRY',
  /**
   * Role mappings in the `aws-auth` ConfigMap (`system:bootstrappers`, `system:nodes`, and
   * `eks:kube-proxy-windows` for the Windows role). Needs an `aws-eks` `Cluster` defined in this
   * app, whose `awsAuth` the library can extend.
   */
  AWS_AUTH = 'AWS_AUTH',
}

/**
 * Options of a Karpenter installation, without the cluster: what `addKarpenter()` takes.
 */
export interface KarpenterOptions {
  /**
   * Karpenter version: both Helm charts (`karpenter-crd` and `karpenter`) are installed at it.
   * Must be `x.y.z` and at least `1.0.0` (the v1 API this library writes).
   *
   * @default KARPENTER_VERSION (1.14.1)
   * @see https://github.com/aws/karpenter-provider-aws/releases
   */
  readonly version?: string;

  /**
   * Namespace Karpenter runs in. A Fargate profile must select it (Karpenter runs on Fargate).
   *
   * @default 'karpenter'
   */
  readonly namespace?: string;

  /**
   * How Karpenter's nodes join the cluster.
   *
   * @default - `AWS_AUTH` when the cluster's authentication mode is `CONFIG_MAP` (which an
   * `aws-eks` `Cluster` defaults to), otherwise `ACCESS_ENTRY`
   * @see https://docs.aws.amazon.com/eks/latest/userguide/grant-k8s-access.html
   */
  readonly nodeAccess?: NodeAccess;

  /**
   * CPU of each controller pod (Kubernetes quantity), used as both request and limit: Fargate
   * sizes the pod's micro-VM from the requests.
   *
   * @default '1'
   * @see https://karpenter.sh/docs/getting-started/getting-started-with-karpenter/
   */
  readonly controllerCpu?: string;

  /**
   * Memory of each controller pod (Kubernetes quantity), used as both request and limit.
   *
   * @default '1Gi'
   */
  readonly controllerMemory?: string;

  /**
   * Number of controller replicas (one leader, the others stand by). 1 to 10.
   *
   * @default 2
   */
  readonly replicas?: number;

  /**
   * Extra values for the `karpenter` Helm chart, deep-merged last over the values this
   * construct sets: nested objects merge key by key, arrays and scalars replace. Overriding a
   * list (e.g. `controller.env`) replaces it whole, so repeat the entries you keep
   * (`AWS_REGION` is needed on Fargate).
   *
   * @default - no extra values
   * @see https://github.com/aws/karpenter-provider-aws/blob/main/charts/karpenter/values.yaml
   */
  readonly helmValues?: Record<string, unknown>;

  /**
   * Name of the interruption SQS queue.
   *
   * @default - the cluster name, as upstream does
   */
  readonly interruptionQueueName?: string;
}

/**
 * Properties of `Karpenter`.
 */
export interface KarpenterProps extends KarpenterOptions {
  /**
   * The cluster to install Karpenter into: a cluster from `aws-cdk-lib/aws-eks` (created or
   * imported) or from `aws-cdk-lib/aws-eks-v2`. It needs a kubectl handler and an OpenID
   * Connect provider (IRSA).
   */
  readonly cluster: IEksCluster;

  /**
   * Kubernetes version of the cluster, e.g. `1.35`. Node pools use it to refuse combinations
   * that cannot work (Windows Server 2025 needs 1.35).
   *
   * @default - unknown
   */
  readonly kubernetesVersion?: string;
}

/** Helm values this construct sets on the `karpenter` chart (all present in its values.yaml). */
interface KarpenterChartValues {
  readonly replicas: number;
  readonly serviceAccount: { readonly name: string; readonly annotations: Record<string, string> };
  readonly settings: { readonly clusterName: string; readonly interruptionQueue: string };
  readonly controller: {
    readonly env: ReadonlyArray<{ readonly name: string; readonly value: string }>;
    readonly resources: {
      readonly requests: { readonly cpu: string; readonly memory: string };
      readonly limits: { readonly cpu: string; readonly memory: string };
    };
  };
}

/** The service account the chart creates, which the IRSA role trusts. */
const SERVICE_ACCOUNT = 'karpenter';

/**
 * Karpenter v1 on an EKS cluster, running on Fargate: the AWS side of Karpenter's
 * getting-started CloudFormation template (node roles, controller policies, interruption queue
 * and rules), node access for Windows and Linux nodes, and both Helm charts.
 *
 * Windows and Linux nodes get separate node roles because an IAM principal can be in only one
 * access entry, and Windows nodes need the `EC2_WINDOWS` type (or the `eks:kube-proxy-windows`
 * group in aws-auth).
 *
 * The controller uses IRSA (Pod Identity does not work on Fargate); the cluster must have a
 * Fargate profile for `namespace` and CoreDNS running before this deploys.
 *
 * @see https://karpenter.sh/docs/getting-started/getting-started-with-karpenter/
 */
@reportsConstructPath
export class Karpenter extends Construct implements IKarpenter {
  /** The cluster Karpenter runs in. */
  public readonly cluster: IEksCluster;
  /** Karpenter version installed (both charts). */
  public readonly version: string;
  /** Namespace Karpenter runs in. */
  public readonly namespace: string;
  /** Kubernetes version of the cluster, when given. */
  public readonly kubernetesVersion?: string;
  /** How nodes join the cluster (given or detected). */
  public readonly nodeAccess: NodeAccess;
  /** The controller's IRSA role. */
  public readonly controllerRole: iam.IRole;
  /** The SQS queue Karpenter reads interruption events from. */
  public readonly interruptionQueue: sqs.IQueue;
  /** Node role of Windows nodes (`EC2_WINDOWS` access entry, or aws-auth with `eks:kube-proxy-windows`). */
  public readonly windowsNodeRole: iam.IRole;
  /** Node role of Linux nodes (`EC2_LINUX` access entry, or aws-auth). */
  public readonly linuxNodeRole: iam.IRole;
  /** The `karpenter` Helm release (installed after the `karpenter-crd` release). */
  public readonly controller: Construct;

  /** Whether a pool needs NodeOverlays (set by `enableNodeOverlay()`, read when the Helm values are rendered). */
  private nodeOverlay = false;

  constructor(scope: Construct, id: string, props: KarpenterProps) {
    super(scope, id);

    checkProps('Karpenter', props, {
      cluster: required(isConstruct('an EKS cluster (aws-eks or aws-eks-v2)')),
      version: isString(`'${KARPENTER_VERSION}'`),
      namespace: isString("'karpenter'"),
      nodeAccess: isEnumMember(NodeAccess, 'NodeAccess'),
      controllerCpu: isString("'1'"),
      controllerMemory: isString("'1Gi'"),
      replicas: isNumber('2'),
      helmValues: isShape({}, '{ logLevel: \'debug\' }'),
      interruptionQueueName: isString("'my-cluster'"),
    }, { otherProps: ['kubernetesVersion'] });
    if (props.kubernetesVersion !== undefined) validateKubernetesVersion('Karpenter.kubernetesVersion', props.kubernetesVersion);

    // Defaults.
    const cluster = props.cluster;
    const version = props.version ?? KARPENTER_VERSION;
    const namespace = props.namespace ?? 'karpenter';
    const cpu = props.controllerCpu ?? '1';
    const memory = props.controllerMemory ?? '1Gi';
    const replicas = props.replicas ?? 2;
    const queueName = props.interruptionQueueName ?? cluster.clusterName;
    const nodeAccess = props.nodeAccess ?? detectNodeAccess(cluster);

    // Validation.
    validateVersion(version);
    validateDns1123Label('Karpenter.namespace', namespace);
    validateCpuQuantity('Karpenter.controllerCpu', cpu, '1');
    validateMemoryQuantity('Karpenter.controllerMemory', memory, '1Gi');
    validateInteger('Karpenter.replicas', replicas, 1, 10);
    if (props.interruptionQueueName === undefined && !Token.isUnresolved(queueName) && !/^[A-Za-z0-9_-]{1,80}$/.test(queueName)) {
      throw new ValidationError('Karpenter.interruptionQueueName', `the default queue name is the cluster name "${queueName}", which SQS does not accept (1 to 80 letters, digits, '-' and '_'); set interruptionQueueName.`);
    }
    validateNodeAccess(cluster, nodeAccess);
    requireOidcProvider('Karpenter.cluster', cluster);
    // A second installation would fight the first over the same CRDs, Helm releases and queue.
    claimUnique(cluster, 'Karpenter installation', '', this, 'Karpenter.cluster',
      'A cluster runs one Karpenter: call addKarpenter() (or new Karpenter(...)) once per cluster and add every node pool to that installation.');

    // AWS side: node roles, interruption queue, controller role and its policies.
    const windowsNodeRole = createNodeRole(this, 'WindowsNodeRole', 'Node role of Windows nodes launched by Karpenter');
    const linuxNodeRole = createNodeRole(this, 'LinuxNodeRole', 'Node role of Linux nodes launched by Karpenter');
    const interruption = new KarpenterInterruptionQueue(this, 'InterruptionQueue', { queueName });
    const controllerRole = createServiceAccountRole(this, 'ControllerRole', cluster, namespace, SERVICE_ACCOUNT);
    for (const policy of createControllerPolicies(this, {
      clusterName: cluster.clusterName,
      clusterArn: cluster.clusterArn,
      nodeRoleArns: [windowsNodeRole.roleArn, linuxNodeRole.roleArn],
      interruptionQueueArn: interruption.queueArn,
    })) {
      controllerRole.addManagedPolicy(policy);
    }

    // Node access.
    const nodeAccessResources: Construct[] = [];
    if (nodeAccess === NodeAccess.ACCESS_ENTRY) {
      nodeAccessResources.push(
        new eks.CfnAccessEntry(this, 'WindowsNodeAccessEntry', { clusterName: cluster.clusterName, principalArn: windowsNodeRole.roleArn, type: 'EC2_WINDOWS' }),
        new eks.CfnAccessEntry(this, 'LinuxNodeAccessEntry', { clusterName: cluster.clusterName, principalArn: linuxNodeRole.roleArn, type: 'EC2_LINUX' }),
      );
    } else {
      // validateNodeAccess() made sure of this.
      const awsAuth = (cluster as eks.Cluster).awsAuth;
      const username = 'system:node:{{EC2PrivateDNSName}}';
      awsAuth.addRoleMapping(windowsNodeRole, { username, groups: ['system:bootstrappers', 'system:nodes', 'eks:kube-proxy-windows'] });
      awsAuth.addRoleMapping(linuxNodeRole, { username, groups: ['system:bootstrappers', 'system:nodes'] });
      nodeAccessResources.push(awsAuth);
    }

    // Cluster side: CRDs first, then the controller (whose own copy of the CRDs is skipped).
    // For an oci:// repository the kubectl handler runs `helm pull <repository>` and installs
    // the folder named after the reference's last segment: `chart` must equal that segment.
    const crds = cluster.addHelmChart(`${id}-crd`, {
      chart: 'karpenter-crd',
      repository: KARPENTER_CRD_CHART_REPOSITORY,
      version,
      namespace,
      release: 'karpenter-crd',
      createNamespace: true,
      wait: true,
    });
    const values: KarpenterChartValues = {
      replicas,
      serviceAccount: { name: SERVICE_ACCOUNT, annotations: { 'eks.amazonaws.com/role-arn': controllerRole.roleArn } },
      settings: { clusterName: cluster.clusterName, interruptionQueue: interruption.queueName },
      controller: {
        // Fargate pods have no instance metadata to learn the region from.
        env: [{ name: 'AWS_REGION', value: Stack.of(this).region }],
        resources: { requests: { cpu, memory }, limits: { cpu, memory } },
      },
    };
    const controller = cluster.addHelmChart(`${id}-controller`, {
      chart: 'karpenter',
      repository: KARPENTER_CHART_REPOSITORY,
      version,
      namespace,
      release: 'karpenter',
      createNamespace: true,
      // aws-eks honours this; the aws-eks-v2 handler (2.261.0) drops it, which is harmless:
      // Helm skips CRDs from a chart's crds/ folder that already exist (the CRD chart's).
      skipCrds: true,
      wait: true,
      // Each Fargate pod starts on a fresh micro-VM: allow more than Helm's 5-minute default.
      timeout: Duration.minutes(10),
      values: withLazyFeatureGates(mergeValues(values, props.helmValues ?? {}), () => this.nodeOverlay),
    });

    this.cluster = cluster;
    this.version = version;
    this.namespace = namespace;
    this.kubernetesVersion = props.kubernetesVersion;
    this.nodeAccess = nodeAccess;
    this.controllerRole = controllerRole;
    this.interruptionQueue = interruption.queue;
    this.windowsNodeRole = windowsNodeRole;
    this.linuxNodeRole = linuxNodeRole;
    this.controller = controller;

    // Whatever depends on the controller (node pools) also waits for the CRDs, and for node
    // access: a node that starts before its access entry or aws-auth mapping never joins.
    controller.node.addDependency(crds);
    for (const resource of nodeAccessResources) controller.node.addDependency(resource);
    // The chart creates Services (metrics, webhook): the ALB controller's webhook must be up.
    dependOnAlbController(controller, cluster);

    acknowledgeAwsSolutions(this, {
      'AwsSolutions-IAM4': 'Node roles carry the AWS-managed worker-node, CNI, ECR pull-only and SSM policies, exactly as Karpenter\'s getting-started template does; AWS keeps them in step with EKS.',
      'AwsSolutions-IAM5': 'The controller\'s permissions are upstream\'s: instance, fleet, launch-template and instance-profile names are chosen at run time, so resources are wildcards scoped by region and conditioned on the cluster and node-pool tags.',
      'AwsSolutions-SQS3': 'The interruption queue is drained by Karpenter and its events are useless after 5 minutes (300 s retention): a dead-letter queue would only hold stale events.',
    });
  }

  /**
   * Turns on Karpenter's alpha `nodeOverlay` feature gate (Helm value
   * `settings.featureGates.nodeOverlay`), without which Karpenter ignores `NodeOverlay`
   * objects. VM host pools call it: their hosts' KubeVirt device resources are declared by a
   * NodeOverlay.
   *
   * @see https://karpenter.sh/docs/concepts/nodeoverlays/
   */
  public enableNodeOverlay(): void {
    this.nodeOverlay = true;
  }

  /**
   * Adds a Karpenter NodePool + EC2NodeClass for one Windows Server version.
   *
   * @param id  construct id of the pool (a child of this construct)
   * @param options  the Windows version and any defaults to override
   */
  public addWindowsNodePool(id: string, options: WindowsNodePoolOptions): WindowsNodePool {
    return new WindowsNodePool(this, id, { karpenter: this, ...options });
  }
}

/**
 * Renders `settings.featureGates` when the Helm values are synthesized, so that pools added
 * after the controller can still switch a gate on. Gates given in `helmValues` are kept.
 */
function withLazyFeatureGates(values: Record<string, unknown>, nodeOverlay: () => boolean): Record<string, unknown> {
  const settings = (values.settings ?? {}) as Record<string, unknown>;
  const given = (settings.featureGates ?? {}) as Record<string, unknown>;
  const featureGates = Lazy.any({
    produce: () => {
      const gates = { ...given, ...(nodeOverlay() ? { nodeOverlay: true } : {}) };
      return Object.keys(gates).length > 0 ? gates : undefined;
    },
  });
  return { ...values, settings: { ...settings, featureGates } };
}

function validateVersion(version: string): void {
  const match = /^(\d+)\.(\d+)\.(\d+)$/.exec(version);
  if (!match) {
    throw new ValidationError('Karpenter.version', `"${version}" is not a Karpenter release version; use "x.y.z" without a leading "v", e.g. "${KARPENTER_VERSION}".`);
  }
  if (compareVersions(version, '1.0.0') < 0) {
    throw new ValidationError('Karpenter.version', `"${version}" predates Karpenter's v1 API (NodePool/EC2NodeClass v1) that this library writes; use 1.0.0 or later, e.g. "${KARPENTER_VERSION}".`);
  }
}

/** aws-auth when the cluster authenticates from the ConfigMap only, access entries otherwise. */
function detectNodeAccess(cluster: IEksCluster): NodeAccess {
  if (cluster.authenticationMode === eks.AuthenticationMode.CONFIG_MAP) return NodeAccess.AWS_AUTH;
  // An aws-eks Cluster without an explicit mode is created in CONFIG_MAP mode.
  if (cluster instanceof eks.Cluster && cluster.authenticationMode === undefined) return NodeAccess.AWS_AUTH;
  return NodeAccess.ACCESS_ENTRY;
}

function isConfigMapOnly(cluster: IEksCluster): boolean {
  return cluster.authenticationMode === eks.AuthenticationMode.CONFIG_MAP
    || (cluster instanceof eks.Cluster && cluster.authenticationMode === undefined);
}

function validateNodeAccess(cluster: IEksCluster, nodeAccess: NodeAccess): void {
  const prop = 'Karpenter.nodeAccess';
  if (nodeAccess === NodeAccess.ACCESS_ENTRY && isConfigMapOnly(cluster)) {
    throw new ValidationError(prop, 'ACCESS_ENTRY needs a cluster that accepts access entries, but this cluster\'s authenticationMode is CONFIG_MAP (the aws-eks default). '
      + 'Set the cluster\'s authenticationMode to API_AND_CONFIG_MAP (EKS switches an existing cluster in place), or use NodeAccess.AWS_AUTH.');
  }
  if (nodeAccess === NodeAccess.AWS_AUTH) {
    if (cluster.authenticationMode === eks.AuthenticationMode.API) {
      throw new ValidationError(prop, 'AWS_AUTH maps the node roles in the aws-auth ConfigMap, which a cluster in authenticationMode API ignores; use NodeAccess.ACCESS_ENTRY.');
    }
    if (!(cluster instanceof eks.Cluster)) {
      throw new ValidationError(prop, 'the nodes must be mapped in aws-auth (the cluster authenticates from the ConfigMap only), but this cluster is not an aws-eks Cluster defined in this app, so its aws-auth ConfigMap cannot be extended. '
        + 'Switch the cluster\'s authenticationMode to API_AND_CONFIG_MAP and use NodeAccess.ACCESS_ENTRY (the default for such clusters), or define the cluster with aws-eks.');
    }
  }
}
