import type { ClusterAddOn, ClusterInfo } from '@aws-quickstart/eks-blueprints';
import { WindowsRuntimeClasses, WindowsRuntimeClassesProps } from '../karpenter/windows-runtime-classes';

/** Props of `WindowsRuntimeClassesAddOn`. */
export interface WindowsRuntimeClassesAddOnProps extends Omit<WindowsRuntimeClassesProps, 'cluster' | 'kubernetesVersion'> {
  /**
   * Construct id of the `WindowsRuntimeClasses` in the blueprint's stack.
   * @default 'RuntimeClasses'
   */
  readonly constructId?: string;
}

/**
 * eks-blueprints add-on that creates one RuntimeClass per Windows Server build
 * (`WindowsRuntimeClasses`), so Windows pods land on nodes of their build. The blueprint's
 * Kubernetes version is passed on, so combinations that cannot work fail at synth time.
 *
 * Builds everything synchronously at `deploy`; nothing is fetched at synth time.
 */
export class WindowsRuntimeClassesAddOn implements ClusterAddOn {
  public readonly id: string;

  constructor(private readonly props: WindowsRuntimeClassesAddOnProps) {
    this.id = props.constructId ?? 'RuntimeClasses';
  }

  public deploy(clusterInfo: ClusterInfo): void {
    const { constructId: _, ...props } = this.props;
    new WindowsRuntimeClasses(clusterInfo.cluster.stack, this.id, {
      ...props,
      cluster: clusterInfo.cluster,
      kubernetesVersion: clusterInfo.version.version,
    });
  }
}
