/**
 * What KubeVirt 1.9 asks of a node before it schedules a VM's virt-launcher pod there, as
 * virt-controller renders the pod (kubevirt v1.9.0: pkg/virt-controller/services/
 * nodeselectorrenderer.go, renderresources.go, template.go). A Karpenter pool of VM hosts must
 * promise all of it up front: Karpenter only launches a node for a pending pod when the pool's
 * labels, requirements and (through a `NodeOverlay`) capacity admit the pod.
 */

/** Node label virt-handler keeps at "true" on healthy hosts; every launcher pod selects it. */
export const KUBEVIRT_SCHEDULABLE_LABEL = 'kubevirt.io/schedulable';

/** Prefix of the node labels naming the machine types a host supports (`.../q35: "true"`). */
export const KUBEVIRT_MACHINE_TYPE_LABEL_PREFIX = 'machine-type.node.kubevirt.io/';

/** Machine type of the desktop VMs (the only one that takes UEFI secure boot and a TPM). */
export const DESKTOP_MACHINE_TYPE = 'q35';

/** Device plugin resource of `/dev/kvm` (requested whenever emulation is off, as here). */
export const KVM_DEVICE_RESOURCE = 'devices.kubevirt.io/kvm';
/** Device plugin resource of `/dev/net/tun` (requested by every VM with a pod interface). */
export const TUN_DEVICE_RESOURCE = 'devices.kubevirt.io/tun';
/** Device plugin resource of `/dev/vhost-net` (requested by virtio interfaces without emulation). */
export const VHOST_NET_DEVICE_RESOURCE = 'devices.kubevirt.io/vhost-net';

/** The device resources a desktop VM's launcher pod requests (one of each). */
export const KUBEVIRT_DEVICE_RESOURCES: readonly string[] = Object.freeze([KVM_DEVICE_RESOURCE, TUN_DEVICE_RESOURCE, VHOST_NET_DEVICE_RESOURCE]);

/**
 * How many of each device virt-handler's device plugins advertise per node (its `--max-devices`
 * default; kubevirt v1.9.0: cmd/virt-handler/virt-handler.go). The node's pod limit binds long
 * before this does.
 */
export const KUBEVIRT_DEVICES_PER_HOST = 1000;

/**
 * Node labels a VM host must carry from the start for launcher pods of desktop VMs
 * (`machine.type: q35`) to be schedulable there.
 */
export function kubevirtHostLabels(): Record<string, string> {
  return {
    [KUBEVIRT_SCHEDULABLE_LABEL]: 'true',
    [`${KUBEVIRT_MACHINE_TYPE_LABEL_PREFIX}${DESKTOP_MACHINE_TYPE}`]: 'true',
  };
}

/** Extended resources a VM host offers, as a `NodeOverlay`'s `spec.capacity`. */
export function kubevirtDeviceCapacity(): Record<string, string> {
  return Object.fromEntries(KUBEVIRT_DEVICE_RESOURCES.map((r) => [r, String(KUBEVIRT_DEVICES_PER_HOST)]));
}
