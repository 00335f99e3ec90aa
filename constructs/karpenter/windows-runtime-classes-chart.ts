import { Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-29';
import { Construct } from 'constructs';
import { WINDOWS_NODE_TAINT, WindowsVersion } from './windows-version';

/**
 * containerd's handler for Windows containers with process isolation, the only isolation the
 * EKS Windows AMIs configure (Hyper-V isolation, `runhcs-wcow-hypervisor`, is not set up).
 *
 * @see https://kubernetes.io/docs/concepts/windows/user-guide/#ensuring-os-specific-workloads-land-on-the-appropriate-container-host
 */
export const WINDOWS_RUNTIME_HANDLER = 'runhcs-wcow-process';

/**
 * Resolved settings of the Windows RuntimeClasses.
 */
export interface WindowsRuntimeClassesChartProps {
  /** One RuntimeClass per version, named `version.runtimeClassName`. */
  readonly windowsVersions: WindowsVersion[];
}

/**
 * One `node.k8s.io/v1` RuntimeClass per Windows Server version. Each carries the node selector
 * (OS, architecture, build) and the toleration of the Windows taint, which Kubernetes merges
 * into every pod that names it: a Windows workload only sets `runtimeClassName`.
 *
 * @see https://kubernetes.io/docs/concepts/containers/runtime-class/#scheduling
 */
export class WindowsRuntimeClassesChart extends Chart {
  /** The RuntimeClasses, in the order of `windowsVersions`. */
  public readonly runtimeClasses: k8s.KubeRuntimeClass[];

  constructor(scope: Construct, id: string, props: WindowsRuntimeClassesChartProps) {
    super(scope, id);
    this.runtimeClasses = props.windowsVersions.map((version) => new k8s.KubeRuntimeClass(this, `RuntimeClass${version.year}`, {
      metadata: { name: version.runtimeClassName },
      handler: WINDOWS_RUNTIME_HANDLER,
      scheduling: {
        nodeSelector: version.nodeSelector,
        tolerations: [{
          key: WINDOWS_NODE_TAINT.key,
          operator: 'Equal',
          value: WINDOWS_NODE_TAINT.value,
          effect: WINDOWS_NODE_TAINT.effect,
        }],
      },
    }));
  }
}
