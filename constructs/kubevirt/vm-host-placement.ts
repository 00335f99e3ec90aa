import { NodeTaint, TaintEffect } from '../karpenter/node-pool-types';
import { LABEL_DOMAIN } from '../common/well-known';

/** Node label every VM host carries; KubeVirt, CDI and desktop VMs select it. */
export const VM_HOST_LABEL = `${LABEL_DOMAIN}/vm-host`;

/**
 * The taint every VM host carries, `desktop.io/vm-host=true:NoSchedule`: only pods that
 * tolerate it (KubeVirt, CDI, desktop VMs and the installer Job) land on the costly KVM hosts.
 */
export const VM_HOST_TAINT: NodeTaint = Object.freeze({ key: VM_HOST_LABEL, value: 'true', effect: TaintEffect.NO_SCHEDULE });

/**
 * Where VM workloads run: the node labels they select and the taints they tolerate. Plain data,
 * so that a chart stamping desktops (e.g. a session service) can use it without the CDK stack.
 */
export interface VmHostPlacement {
  /** Node labels a pod must match. */
  readonly nodeSelector: Readonly<Record<string, string>>;
  /** Taints the pods tolerate (each rendered as an `Equal` toleration, or `Exists` without value). */
  readonly toleratedTaints: readonly NodeTaint[];
}

/** Placement on any VM host pool of this library: label `desktop.io/vm-host: "true"` and its taint. */
export const DEFAULT_VM_HOST_PLACEMENT: VmHostPlacement = Object.freeze({
  nodeSelector: Object.freeze({ [VM_HOST_LABEL]: 'true' }),
  toleratedTaints: Object.freeze([VM_HOST_TAINT]),
});
