import { ApiObject, App, Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-29';
import { Construct } from 'constructs';
import { validateDns1123Label, validateInteger } from '../common/validate';
import { ValidationError } from '../common/validation-error';
import {
  DEDICATED_USER_TAINT_KEY,
  DESKTOP_KIND_LABEL,
  GUACD_POD_LABELS,
  NAMESPACE_NAME_LABEL,
  POD_SECURITY_AUDIT_LABEL,
  POD_SECURITY_ENFORCE_LABEL,
  POD_SECURITY_WARN_LABEL,
  RDP_PORT,
  USER_LABEL,
} from '../common/well-known';
import { NodeOverlay, NodePool } from '../imports/karpenter.sh';
import { TaintEffect } from '../karpenter/node-pool-types';
import { validateLabelValue, validateQualifiedName } from '../karpenter/private/node-pool-validation';
import { GoldenImageReference, goldenImageCloneBindingName, goldenImageCloneRoleName } from '../kubevirt/golden-image';
import { VmHostPlacement } from '../kubevirt/vm-host-placement';
import { vmHostDeviceOverlayProps, vmHostNodePoolProps, VmHostPoolChartProps } from '../kubevirt/vm-host-pool-chart';
import { WindowsDesktopVm, WindowsDesktopVmProps } from '../kubevirt/windows-desktop-vm';
import { DesktopKind, DesktopUser, resolveDesktopUser, ResolvedDesktopUser, UserIsolationMode } from './desktop-user';
import { DEFAULT_ROOT_DISK_GIB, DEFAULT_USER_DISK_GIB, defaultUserQuota, renderQuota, VmDiskSizes } from './private/quota';
import { UserQuota } from './user-quota';
import { desktopKindLabelValue } from '../common/desktop-kind';
import { dedicatedUserNodePool, NodePoolJson } from './dedicated-user-node-pool';

/** Name of the VirtualMachine in each user's namespace (one desktop per namespace). */
export const USER_DESKTOP_NAME = 'desktop';
/** Annotation of a user namespace with the exact user id (labels cannot hold `@`). */
export const USER_ID_ANNOTATION = 'desktop.io/user-id';
/** Annotation of a user namespace with the user's display name. */
export const USER_DISPLAY_NAME_ANNOTATION = 'desktop.io/display-name';
/** CDI's label of its upload server pod, which receives a host-assisted clone of the golden image. */
const CDI_UPLOAD_SERVER_LABELS = { 'cdi.kubevirt.io': 'cdi-upload-server' };
const CDI_UPLOAD_SERVER_PORT = 8443;

/**
 * Pod Security level of a user namespace by desktop kind: the most restrictive level the
 * desktop's pods pass.
 *
 * - VM desktops: `baseline`. KubeVirt 1.9's virt-launcher runs as non-root (UID 107) with all
 *   capabilities dropped but `NET_BIND_SERVICE` and no privilege escalation, but sets no seccomp
 *   profile unless the KubeVirt CR configures one (kubevirt v1.9.0:
 *   pkg/virt-controller/services/rendercontainer.go, template.go), which `restricted` requires.
 * - Node desktops: `privileged`: the session pod is a Windows HostProcess pod, which only the
 *   privileged level admits.
 */
export const POD_SECURITY_LEVEL: Readonly<Record<DesktopKind, string>> = Object.freeze({
  [DesktopKind.VM]: 'baseline',
  [DesktopKind.NODE]: 'privileged',
});

/** A Kubernetes object as rendered: plain JSON. */
export interface KubernetesObjectJson {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly [key: string]: unknown };
  readonly [key: string]: unknown;
}

/** Egress a desktop may have beyond DNS: a CIDR and, optionally, ports. */
export interface EgressRule {
  /** Destination CIDR, e.g. `10.0.0.0/16` or `0.0.0.0/0`. */
  readonly cidr: string;
  /**
   * Destination ports (TCP).
   * @default - every port
   */
  readonly tcpPorts?: number[];
  /**
   * Destination ports (UDP).
   * @default - none when `tcpPorts` is given, else every port
   */
  readonly udpPorts?: number[];
}

/** Which pods may open RDP to desktops: the gateway's guacd. */
export interface GatewaySelector {
  /**
   * Namespace of the gateway.
   * @default 'guacamole'
   */
  readonly namespace?: string;
  /**
   * Labels of the guacd pods.
   * @default GUACD_POD_LABELS
   */
  readonly podLabels?: Record<string, string>;
}

/**
 * A template pool as objects, for per-user pools derived at run time: the session controller
 * reads the template NodePool (and its device NodeOverlay) from the cluster.
 */
export interface DedicatedPoolTemplateObjects {
  /** The template NodePool (`karpenter.sh/v1`). */
  readonly nodePool: NodePoolJson;
  /**
   * KubeVirt's device capacity from the template's NodeOverlay (`spec.capacity`).
   * @default - no NodeOverlay for the user's pool
   */
  readonly deviceCapacity?: Record<string, string>;
}

/** The user's VM desktop: every `WindowsDesktopVm` prop but those the isolation decides. */
export type UserDesktopVmOptions = Omit<WindowsDesktopVmProps, 'name' | 'userId' | 'namespace' | 'placement' | 'size'>;

/**
 * Props of `DesktopUserIsolation`: plain, typed data, so that the session controller can
 * render the same objects at run time with `renderDesktopUserObjects`.
 */
export interface DesktopUserIsolationProps {
  /** The user. */
  readonly user: DesktopUser;

  /**
   * The gateway whose guacd pods may reach RDP (3389) in the user's namespace.
   * @default - namespace 'guacamole', labels GUACD_POD_LABELS
   */
  readonly gateway?: GatewaySelector;

  /**
   * Egress the administrator allows desktops besides DNS (CoreDNS in `kube-system`), e.g. the
   * directory's domain controllers or a proxy.
   * @default - DNS only
   */
  readonly allowedEgress?: EgressRule[];

  /**
   * The golden image VM desktops clone: the user's namespace (only) is granted the clone
   * permission on it. Required for VM desktop users.
   * @default - none
   */
  readonly goldenImage?: GoldenImageReference;

  /**
   * Render the user's VM desktop (named `desktop`) in their namespace, placed on their hosts.
   * The session controller leaves it out and creates desktops on demand.
   * @default - no desktop, only the namespace and its policies
   */
  readonly desktop?: UserDesktopVmOptions;

  /**
   * Where VM desktops of this user run before the per-user part is added: the `placement` of
   * the `VmHostPool` of the user's mode (the `perUserHosts` pool for `SHARED_POOL`, the
   * template pool for `DEDICATED_POOL`, any pool for `SHARED_HOSTS`). Required with `desktop`.
   * @default - none
   */
  readonly hostPlacement?: VmHostPlacement;

  /**
   * Settings of the pool that per-user pools copy (`VmHostPool.settings`): the user's NodePool
   * uses its EC2NodeClass and settings, with the user's label and taint. Required for
   * `DEDICATED_POOL` users with a VM desktop kind.
   * @default - none
   */
  readonly dedicatedPoolTemplate?: VmHostPoolChartProps;

  /**
   * The template pool as objects read from the cluster, instead of `dedicatedPoolTemplate`
   * (the session controller's case). Both go through `dedicatedUserNodePool`.
   * @default - none: `dedicatedPoolTemplate` is used
   */
  readonly dedicatedPoolTemplateObjects?: DedicatedPoolTemplateObjects;

  /**
   * The namespace's quota.
   * @default - room for one desktop of the user's size (see `UserQuota`)
   */
  readonly quota?: UserQuota;

  /**
   * ClusterRole bound to the user's `group` in their namespace.
   * @default 'view'
   */
  readonly groupRole?: string;
}

/**
 * Everything one user gets, as cdk8s objects in any chart (a bare `cdk8s.Chart` will do; no CDK
 * stack is needed):
 *
 * - a namespace named `kubernetesNameForUser(user.id)`, labelled with the user and desktop kind
 *   and with Pod Security `enforce`/`audit`/`warn` at `POD_SECURITY_LEVEL[kind]`;
 * - a ResourceQuota (desktops, CPU and memory requests, claims, storage, Services; no
 *   LoadBalancer or NodePort Services) and a LimitRange (default requests, claim size cap);
 * - NetworkPolicies: default deny in and out; RDP (3389) in only from the gateway's guacd
 *   pods; DNS out to CoreDNS; the administrator's `allowedEgress`; for VM desktops, CDI's clone
 *   traffic (8443 to CDI's upload server, from the golden image's namespace);
 * - the `default` ServiceAccount without token automount;
 * - a RoleBinding of the user's `group` (optional);
 * - for VM desktops, the clone permission on the golden image for this namespace only;
 * - for `DEDICATED_POOL` VM users, a NodePool of their own (label and taint of the user) and
 *   its NodeOverlay with KubeVirt's device resources;
 * - optionally the VM desktop, selecting the user's hosts.
 *
 * The session controller creates the same objects at run time: `renderDesktopUserObjects`.
 */
export class DesktopUserIsolation extends Construct {
  /** The resolved user. */
  public readonly user: ResolvedDesktopUser;
  /** Name of the user's namespace. */
  public readonly namespaceName: string;
  /** Where the user's VM desktops run (node selector with the user label, tolerations). */
  public readonly placement?: VmHostPlacement;
  /** The namespace. */
  public readonly namespace: k8s.KubeNamespace;
  /** The user's own NodePool (`DEDICATED_POOL` VM users), from `dedicatedUserNodePool`. */
  public readonly nodePool?: ApiObject;
  /** The user's VM desktop, when `desktop` was given. */
  public readonly desktop?: WindowsDesktopVm;

  constructor(scope: Construct, id: string, props: DesktopUserIsolationProps) {
    super(scope, id);
    const p = 'DesktopUserIsolation';

    // Defaults and validation (errors name this construct's path).
    const { user, gatewayNamespace, gatewayLabels, groupRole, egress, quota } = ValidationError.within(this, () => {
      const user = resolveDesktopUser(`${p}.user`, props.user);
      const vm = user.desktopKind === DesktopKind.VM;
      const gatewayNamespace = props.gateway?.namespace ?? 'guacamole';
      const gatewayLabels = props.gateway?.podLabels ?? { ...GUACD_POD_LABELS };
      const groupRole = props.groupRole ?? 'view';
      validateDns1123Label(`${p}.gateway.namespace`, gatewayNamespace);
      // ClusterRole names are path segments: `view`, `system:aggregate-to-view`, ...
      if (typeof groupRole !== 'string' || !/^[^/%\s]{1,253}$/.test(groupRole) || groupRole === '.' || groupRole === '..') {
        throw new ValidationError(`${p}.groupRole`, `is ${JSON.stringify(groupRole)}; give the name of a ClusterRole, e.g. 'view' or 'edit'.`);
      }
      for (const [key, value] of Object.entries(gatewayLabels)) {
        validateQualifiedName(`${p}.gateway.podLabels`, key);
        validateLabelValue(`${p}.gateway.podLabels["${key}"]`, value);
      }
      const egress = (props.allowedEgress ?? []).map((rule, i) => renderEgressRule(`${p}.allowedEgress[${i}]`, rule));
      if (vm && props.goldenImage === undefined) {
        throw new ValidationError(`${p}.goldenImage`, `is missing for VM desktop user "${user.id}"; pass the GoldenImage their desktop clones, so that their namespace may clone it.`);
      }
      if (props.desktop !== undefined && !vm) {
        throw new ValidationError(`${p}.desktop`, `is set for user "${user.id}", whose desktop kind is '${user.desktopKind}'; a VM desktop is only rendered for DesktopKind.VM users.`);
      }
      if (props.desktop !== undefined && props.hostPlacement === undefined) {
        throw new ValidationError(`${p}.hostPlacement`, `is missing; a desktop for "${user.id}" needs the placement of the VmHostPool of mode '${user.isolation}'.`);
      }
      if (vm && user.isolation === UserIsolationMode.DEDICATED_POOL && props.dedicatedPoolTemplate === undefined && props.dedicatedPoolTemplateObjects === undefined) {
        throw new ValidationError(`${p}.dedicatedPoolTemplate`, `is missing for "${user.id}" (mode '${user.isolation}'); pass VmHostPool.settings of the pool whose EC2NodeClass per-user pools share.`);
      }
      const disks: VmDiskSizes = {
        rootGiB: diskGiB(props.desktop?.rootDiskSize ?? props.desktop?.goldenImage.size ?? props.goldenImage?.size, DEFAULT_ROOT_DISK_GIB),
        userGiB: diskGiB(props.desktop?.userDiskSize, DEFAULT_USER_DISK_GIB),
      };
      const quota = renderQuota(`${p}.quota`, user, disks, props.quota ?? defaultUserQuota(user, disks));
      return { user, gatewayNamespace, gatewayLabels, groupRole, egress, quota };
    });
    const ns = user.name;
    const vm = user.desktopKind === DesktopKind.VM;

    // Children. The namespace comes first: kubectl applies in order.
    const userLabels = { [USER_LABEL]: ns };
    const level = POD_SECURITY_LEVEL[user.desktopKind];
    this.namespace = new k8s.KubeNamespace(this, 'Namespace', {
      metadata: {
        name: ns,
        labels: {
          ...userLabels,
          [DESKTOP_KIND_LABEL]: desktopKindLabelValue(user.desktopKind),
          [POD_SECURITY_ENFORCE_LABEL]: level,
          [POD_SECURITY_AUDIT_LABEL]: level,
          [POD_SECURITY_WARN_LABEL]: level,
        },
        annotations: {
          [USER_ID_ANNOTATION]: user.id,
          ...(user.displayName !== undefined ? { [USER_DISPLAY_NAME_ANNOTATION]: user.displayName } : {}),
        },
      },
    });
    const meta = (name: string) => ({ name, namespace: ns, labels: userLabels });

    new k8s.KubeResourceQuota(this, 'Quota', { metadata: meta('desktop-quota'), spec: { hard: quota.hard } });
    new k8s.KubeLimitRange(this, 'Limits', { metadata: meta('desktop-limits'), spec: { limits: quota.limits } });

    // No token in desktop pods: nothing in a desktop talks to the Kubernetes API.
    new k8s.KubeServiceAccount(this, 'DefaultServiceAccount', { metadata: meta('default'), automountServiceAccountToken: false });

    new k8s.KubeNetworkPolicy(this, 'DefaultDeny', {
      metadata: meta('default-deny'),
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    });
    new k8s.KubeNetworkPolicy(this, 'AllowRdpFromGateway', {
      metadata: meta('allow-rdp-from-gateway'),
      spec: {
        podSelector: {},
        policyTypes: ['Ingress'],
        ingress: [{
          // Both selectors in one peer: guacd pods *in* the gateway's namespace.
          from: [{ namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: gatewayNamespace } }, podSelector: { matchLabels: gatewayLabels } }],
          ports: [{ protocol: 'TCP', port: k8s.IntOrString.fromNumber(RDP_PORT) }],
        }],
      },
    });
    new k8s.KubeNetworkPolicy(this, 'AllowDns', {
      metadata: meta('allow-dns'),
      spec: {
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [{
          to: [{ namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
          ports: [
            { protocol: 'UDP', port: k8s.IntOrString.fromNumber(53) },
            { protocol: 'TCP', port: k8s.IntOrString.fromNumber(53) },
          ],
        }],
      },
    });
    if (egress.length > 0) {
      new k8s.KubeNetworkPolicy(this, 'AllowEgress', {
        metadata: meta('allow-egress'),
        spec: { podSelector: {}, policyTypes: ['Egress'], egress },
      });
    }

    if (user.group !== undefined) {
      new k8s.KubeRoleBinding(this, 'GroupBinding', {
        metadata: meta('desktop-user'),
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: groupRole },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: user.group }],
      });
    }

    if (vm) {
      const image = props.goldenImage!;
      // A host-assisted clone streams the golden image from CDI's source pod (in the image's
      // namespace) to CDI's upload server here.
      new k8s.KubeNetworkPolicy(this, 'AllowCloneUpload', {
        // One per image namespace: a user with classes whose images live in different namespaces keeps each.
        metadata: meta(`allow-golden-image-clone-${image.namespace}`),
        spec: {
          podSelector: { matchLabels: CDI_UPLOAD_SERVER_LABELS },
          policyTypes: ['Ingress'],
          ingress: [{
            from: [{ namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: image.namespace } } }],
            ports: [{ protocol: 'TCP', port: k8s.IntOrString.fromNumber(CDI_UPLOAD_SERVER_PORT) }],
          }],
        },
      });
      // Clone permission on the golden image for this namespace only.
      new k8s.KubeRoleBinding(this, 'CloneBinding', {
        metadata: { name: goldenImageCloneBindingName(image.dataSourceName, ns), namespace: image.namespace, labels: userLabels },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: goldenImageCloneRoleName(image.dataSourceName) },
        // The namespace's `default` account only: the account KubeVirt checks for a VM's clone.
        subjects: [{ kind: 'ServiceAccount', name: 'default', namespace: ns }],
      });

      if (user.isolation === UserIsolationMode.DEDICATED_POOL) {
        // One derivation for synth time (the template's settings, rendered) and run time (the template read from the cluster).
        const template: DedicatedPoolTemplateObjects = props.dedicatedPoolTemplateObjects ?? {
          nodePool: NodePool.manifest(vmHostNodePoolProps(props.dedicatedPoolTemplate!)) as NodePoolJson,
          deviceCapacity: props.dedicatedPoolTemplate!.deviceCapacity,
        };
        const pool = dedicatedUserNodePool(template.nodePool, user);
        this.nodePool = new ApiObject(this, 'NodePool', pool);
        if (template.deviceCapacity !== undefined) {
          // Karpenter learns of KubeVirt's devices per NodePool: the user's pool needs its own overlay.
          new NodeOverlay(this, 'DeviceOverlay', vmHostDeviceOverlayProps(user.name, template.deviceCapacity));
        }
      }
      if (props.hostPlacement !== undefined) {
        this.placement = userPlacement(user, props.hostPlacement);
      }
      if (props.desktop !== undefined) {
        const image = props.desktop.goldenImage;
        this.desktop = new WindowsDesktopVm(this, 'Desktop', {
          ...props.desktop,
          // A plain reference: this namespace's clone right is the CloneBinding above, not the
          // image's own `cloneNamespaces` list (which the desktop would otherwise require).
          goldenImage: { dataSourceName: image.dataSourceName, namespace: image.namespace, size: image.size },
          name: USER_DESKTOP_NAME,
          userId: user.id,
          namespace: ns,
          size: user.size,
          placement: this.placement,
        });
      }
    }

    // Attributes.
    this.user = user;
    this.namespaceName = ns;
  }
}

/**
 * Renders everything `DesktopUserIsolation` creates for one user as plain Kubernetes objects,
 * the namespace first. The entry point of the session controller, which applies these objects
 * at run time (server-side apply), so that synth-time and run-time users get the same objects.
 */
export function renderDesktopUserObjects(props: DesktopUserIsolationProps): KubernetesObjectJson[] {
  const chart = new Chart(new App(), 'User');
  try {
    new DesktopUserIsolation(chart, 'User', props);
  } catch (error) {
    // The throwaway chart's path means nothing to the caller: report the prop only.
    if (error instanceof ValidationError) throw new ValidationError(error.prop, error.detail);
    throw error;
  }
  const objects = chart.toJson() as KubernetesObjectJson[];
  // Namespace first, so that a plain `kubectl apply` of the list works in one pass.
  return [...objects.filter((o) => o.kind === 'Namespace'), ...objects.filter((o) => o.kind !== 'Namespace')];
}

/** Where a user's VM desktop runs in their isolation mode. */
export function userPlacement(user: Pick<ResolvedDesktopUser, 'isolation' | 'name'>, hostPlacement: VmHostPlacement): VmHostPlacement {
  switch (user.isolation) {
    case UserIsolationMode.SHARED_HOSTS:
      return hostPlacement;
    case UserIsolationMode.SHARED_POOL: {
      // The pool declares the user label with `Exists` and taints its hosts `dedicated-user`
      // without a value: select this user's value, tolerate the key.
      const tolerated = hostPlacement.toleratedTaints.some((t) => t.key === DEDICATED_USER_TAINT_KEY && t.value === undefined);
      return {
        nodeSelector: { ...hostPlacement.nodeSelector, [USER_LABEL]: user.name },
        toleratedTaints: tolerated
          ? hostPlacement.toleratedTaints
          : [...hostPlacement.toleratedTaints, { key: DEDICATED_USER_TAINT_KEY, effect: TaintEffect.NO_SCHEDULE }],
      };
    }
    case UserIsolationMode.DEDICATED_POOL:
      // Only the user's own pool carries this label value and taint value.
      return {
        nodeSelector: { ...hostPlacement.nodeSelector, [USER_LABEL]: user.name },
        toleratedTaints: [
          ...hostPlacement.toleratedTaints.filter((t) => t.key !== DEDICATED_USER_TAINT_KEY),
          { key: DEDICATED_USER_TAINT_KEY, value: user.name, effect: TaintEffect.NO_SCHEDULE },
        ],
      };
  }
}

function diskGiB(size: { toGibibytes(): number } | undefined, fallback: number): number {
  return size === undefined ? fallback : Math.ceil(size.toGibibytes());
}

const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

function renderEgressRule(prop: string, rule: EgressRule): k8s.NetworkPolicyEgressRule {
  const match = typeof rule?.cidr === 'string' ? CIDR.exec(rule.cidr) : null;
  if (!match || match.slice(1, 5).some((octet) => Number(octet) > 255) || Number(match[5]) > 32) {
    throw new ValidationError(`${prop}.cidr`, `is ${JSON.stringify(rule?.cidr)}; give an IPv4 CIDR, e.g. '10.0.0.0/16' (or '0.0.0.0/0' for anywhere).`);
  }
  const tcp = rule.tcpPorts ?? [];
  const udp = rule.udpPorts ?? [];
  [...tcp.map((port, i) => [`${prop}.tcpPorts[${i}]`, port] as const), ...udp.map((port, i) => [`${prop}.udpPorts[${i}]`, port] as const)]
    .forEach(([where, port]) => validateInteger(where, port, 1, 65535));
  const ports = [
    ...tcp.map((port) => ({ protocol: 'TCP', port: k8s.IntOrString.fromNumber(port) })),
    ...udp.map((port) => ({ protocol: 'UDP', port: k8s.IntOrString.fromNumber(port) })),
  ];
  return { to: [{ ipBlock: { cidr: rule.cidr } }], ports: ports.length > 0 ? ports : undefined };
}
