import { k8s } from 'cdk8s-plus-29';
import * as cdi from '../../imports/cdi.kubevirt.io';
import * as kubevirt from '../../imports/kubevirt.io';
import { NodeTaint, TaintEffect } from '../../karpenter/node-pool-types';
import { VmHostPlacement } from '../vm-host-placement';

/**
 * Renders a `VmHostPlacement` in the typed shapes of each API that takes one: core pods,
 * KubeVirt (`NodePlacement`, VMI spec) and CDI (`NodePlacement`, `ComponentConfig`). A taint
 * with a value becomes an `Equal` toleration, one without a value `Exists`.
 */

function operator(taint: NodeTaint): 'Equal' | 'Exists' {
  return taint.value === undefined ? 'Exists' : 'Equal';
}

/** Tolerations for core Kubernetes pods (Jobs, Deployments). */
export function coreTolerations(placement: VmHostPlacement): k8s.Toleration[] {
  return placement.toleratedTaints.map((t) => ({ key: t.key, operator: operator(t), value: t.value, effect: t.effect }));
}

const KUBEVIRT_EFFECTS: Record<TaintEffect, kubevirt.K8SIoApiCoreV1TolerationEffect> = {
  [TaintEffect.NO_SCHEDULE]: kubevirt.K8SIoApiCoreV1TolerationEffect.NO_SCHEDULE,
  [TaintEffect.PREFER_NO_SCHEDULE]: kubevirt.K8SIoApiCoreV1TolerationEffect.PREFER_NO_SCHEDULE,
  [TaintEffect.NO_EXECUTE]: kubevirt.K8SIoApiCoreV1TolerationEffect.NO_EXECUTE,
};

/** Tolerations in KubeVirt's API (KubeVirt CR node placement, VMI spec). */
export function kubevirtTolerations(placement: VmHostPlacement): kubevirt.Toleration[] {
  return placement.toleratedTaints.map((t) => ({
    key: t.key,
    operator: t.value === undefined ? kubevirt.K8SIoApiCoreV1TolerationOperator.EXISTS : kubevirt.K8SIoApiCoreV1TolerationOperator.EQUAL,
    value: t.value,
    effect: KUBEVIRT_EFFECTS[t.effect],
  }));
}

/** KubeVirt `NodePlacement` (KubeVirt CR `spec.infra` / `spec.workloads`). */
export function kubevirtNodePlacement(placement: VmHostPlacement): kubevirt.NodePlacement {
  return { nodeSelector: { ...placement.nodeSelector }, tolerations: kubevirtTolerations(placement) };
}

const CDI_EFFECTS: Record<TaintEffect, cdi.V1TolerationEffect> = {
  [TaintEffect.NO_SCHEDULE]: cdi.V1TolerationEffect.NO_SCHEDULE,
  [TaintEffect.PREFER_NO_SCHEDULE]: cdi.V1TolerationEffect.PREFER_NO_SCHEDULE,
  [TaintEffect.NO_EXECUTE]: cdi.V1TolerationEffect.NO_EXECUTE,
};

/** CDI `NodePlacement` (CDI CR `spec.workload`). */
export function cdiNodePlacement(placement: VmHostPlacement): cdi.NodePlacement {
  return {
    nodeSelector: { ...placement.nodeSelector },
    tolerations: placement.toleratedTaints.map((t) => ({
      key: t.key,
      operator: t.value === undefined ? cdi.V1TolerationOperator.EXISTS : cdi.V1TolerationOperator.EQUAL,
      value: t.value,
      effect: CDI_EFFECTS[t.effect],
    })),
  };
}
