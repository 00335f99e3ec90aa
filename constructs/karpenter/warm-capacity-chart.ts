import { Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-29';
import { Construct } from 'constructs';
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from '../common/pod-security';
import { LABEL_OS } from './windows-version';
import { APP_INSTANCE_LABEL, APP_NAME_LABEL } from '../common/well-known';

/** A change of the number of warm slots at a recurring time. */
export interface WarmCapacityScale {
  /** Standard 5-field cron expression (`'0 8 * * 1-5'`) or macro (`'@daily'`). */
  readonly schedule: string;
  /** Number of warm slots from then on (0 or more). */
  readonly replicas: number;
}

/**
 * Resolved settings of a warm-capacity chart. `WarmCapacity` applies the defaults and
 * validates; this chart only renders, so it can also be synthesized to YAML for a GitOps engine.
 */
export interface WarmCapacityChartProps {
  /** Name of the Deployment of placeholder pods (and prefix of the other objects). */
  readonly name: string;
  /** Namespace of the placeholder pods. */
  readonly namespace: string;
  /** Whether the chart creates `namespace`. */
  readonly createNamespace: boolean;
  /** Name of the PriorityClass of the placeholder pods. */
  readonly priorityClassName: string;
  /** Its (negative) value. */
  readonly priority: number;
  /** Placeholder container image: a pause image with a variant for the nodes' Windows build. */
  readonly image: string;
  /** Number of warm slots. */
  readonly replicas: number;
  /** CPU request of one slot (one desktop), a Kubernetes quantity. */
  readonly cpu: string;
  /** Memory request of one slot, a Kubernetes quantity. */
  readonly memory: string;
  /** Node selector of the target pool. */
  readonly nodeSelector: Record<string, string>;
  /** Tolerations of the target pool's taints. */
  readonly tolerations: k8s.Toleration[];
  /**
   * RuntimeClass of the placeholder pods.
   * @default - none (the node selector and tolerations place them)
   */
  readonly runtimeClassName?: string;
  /**
   * Scheduled changes of the number of slots, one CronJob each.
   * @default - none
   */
  readonly scaleSchedules?: WarmCapacityScale[];
  /**
   * IANA time zone of the schedules.
   * @default - the kube-controller-manager's (UTC on EKS)
   */
  readonly timeZone?: string;
  /** Namespace of the scaling CronJobs (where Linux pods can run). */
  readonly scalerNamespace: string;
  /** Image with `kubectl` as entrypoint, for the scaling Jobs. */
  readonly scalerImage: string;
}

/** Priority of warm placeholders unless given: below every pod at the default priority (0). */
export const DEFAULT_WARM_PRIORITY = -10;

/**
 * The PriorityClass of warm placeholders (`WarmCapacity` and the session controller's warm
 * slots): negative, never preempting anything, so that any workload preempts them.
 */
export function warmPriorityClassProps(name: string, priority: number, labels: Record<string, string>, owner: string): k8s.KubePriorityClassProps {
  return {
    metadata: { name, labels },
    value: priority,
    globalDefault: false,
    // Placeholders never evict anything; everything at the default priority evicts them.
    preemptionPolicy: 'Never',
    description: `Warm-capacity placeholders of ${owner}: preempted by any workload.`,
  };
}

/** UID of the scaling Jobs (kubectl runs as whichever non-root user it is given). */
const SCALER_UID = 65532;

/**
 * Warm capacity for one node pool: a PriorityClass below every workload, a Deployment of pause
 * pods that each request one desktop's CPU and memory on the pool's nodes, and, for scheduled
 * sizes, CronJobs that run `kubectl scale` with a Role limited to that one Deployment.
 *
 * Karpenter keeps nodes for the pending placeholders like for any pod; a real desktop pod
 * preempts a placeholder and starts at once on the warm node, and the evicted placeholder
 * makes Karpenter launch the next node in the background.
 *
 * @see https://kubernetes.io/docs/concepts/scheduling-eviction/pod-priority-preemption/
 */
export class WarmCapacityChart extends Chart {
  /** The PriorityClass of the placeholders. */
  public readonly priorityClass: k8s.KubePriorityClass;
  /** The Deployment of placeholder pods. */
  public readonly deployment: k8s.KubeDeployment;
  /** The CronJobs that change the number of slots, in the order of `scaleSchedules`. */
  public readonly scaleJobs: k8s.KubeCronJob[];

  constructor(scope: Construct, id: string, props: WarmCapacityChartProps) {
    super(scope, id);
    const labels = { [APP_NAME_LABEL]: 'warm-capacity', [APP_INSTANCE_LABEL]: props.name };

    if (props.createNamespace) {
      new k8s.KubeNamespace(this, 'Namespace', { metadata: { name: props.namespace, labels } });
    }

    this.priorityClass = new k8s.KubePriorityClass(this, 'PriorityClass', warmPriorityClassProps(props.priorityClassName, props.priority, labels, props.name));

    const resources = {
      cpu: k8s.Quantity.fromString(props.cpu),
      memory: k8s.Quantity.fromString(props.memory),
    };
    this.deployment = new k8s.KubeDeployment(this, 'Placeholders', {
      metadata: { name: props.name, namespace: props.namespace, labels },
      spec: {
        replicas: props.replicas,
        selector: { matchLabels: labels },
        // A rolling update would briefly double the warm nodes.
        strategy: { type: 'Recreate' },
        revisionHistoryLimit: 2,
        template: {
          metadata: { labels },
          spec: {
            priorityClassName: props.priorityClassName,
            // Preempted placeholders must free the slot at once.
            terminationGracePeriodSeconds: 0,
            os: { name: 'windows' },
            nodeSelector: props.nodeSelector,
            tolerations: props.tolerations,
            runtimeClassName: props.runtimeClassName,
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            containers: [{
              name: 'pause',
              image: props.image,
              resources: { requests: resources, limits: resources },
              securityContext: { windowsOptions: { runAsUserName: 'ContainerUser' } },
            }],
          },
        },
      },
    });

    const schedules = props.scaleSchedules ?? [];
    this.scaleJobs = [];
    if (schedules.length === 0) return;

    const scalerName = `${props.name}-scaler`;
    new k8s.KubeServiceAccount(this, 'ScalerServiceAccount', {
      metadata: { name: scalerName, namespace: props.scalerNamespace, labels },
    });
    // Only this Deployment's scale: kubectl reads the Deployment, then patches its scale.
    new k8s.KubeRole(this, 'ScalerRole', {
      metadata: { name: scalerName, namespace: props.namespace, labels },
      rules: [
        { apiGroups: ['apps'], resources: ['deployments'], resourceNames: [props.name], verbs: ['get'] },
        { apiGroups: ['apps'], resources: ['deployments/scale'], resourceNames: [props.name], verbs: ['get', 'patch', 'update'] },
      ],
    });
    new k8s.KubeRoleBinding(this, 'ScalerRoleBinding', {
      metadata: { name: scalerName, namespace: props.namespace, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: scalerName },
      subjects: [{ kind: 'ServiceAccount', name: scalerName, namespace: props.scalerNamespace }],
    });

    schedules.forEach((scale, i) => {
      this.scaleJobs.push(new k8s.KubeCronJob(this, `Scale${i}`, {
        metadata: { name: `${props.name}-scale-${i}`, namespace: props.scalerNamespace, labels },
        spec: {
          schedule: scale.schedule,
          timeZone: props.timeZone,
          concurrencyPolicy: 'Forbid',
          startingDeadlineSeconds: 600,
          successfulJobsHistoryLimit: 1,
          failedJobsHistoryLimit: 3,
          jobTemplate: {
            spec: {
              backoffLimit: 3,
              activeDeadlineSeconds: 300,
              ttlSecondsAfterFinished: 86400,
              template: {
                metadata: { labels },
                spec: {
                  serviceAccountName: scalerName,
                  restartPolicy: 'OnFailure',
                  nodeSelector: { [LABEL_OS]: 'linux' },
                  enableServiceLinks: false,
                  securityContext: restrictedPodSecurityContext(SCALER_UID),
                  containers: [{
                    name: 'kubectl',
                    image: props.scalerImage,
                    args: ['scale', `deployment/${props.name}`, `--namespace=${props.namespace}`, `--replicas=${scale.replicas}`],
                    // kubectl caches discovery under $HOME: give it a writable one.
                    env: [{ name: 'HOME', value: '/tmp' }],
                    volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
                    resources: {
                      requests: { cpu: k8s.Quantity.fromString('50m'), memory: k8s.Quantity.fromString('64Mi') },
                      limits: { memory: k8s.Quantity.fromString('128Mi') },
                    },
                    securityContext: restrictedContainerSecurityContext(),
                  }],
                  volumes: [{ name: 'tmp', emptyDir: {} }],
                },
              },
            },
          },
        },
      }));
    });
  }
}
