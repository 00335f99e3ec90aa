import { Duration } from 'aws-cdk-lib';
import { App, Chart } from 'cdk8s';
import { MANAGED_BY_LABEL, RDP_PORT, SESSION_LABEL, SESSION_NAMESPACE_LABEL, USER_LABEL } from '../../common/well-known';
import { VmHostPlacement } from '../../kubevirt/vm-host-placement';
import { RunStrategy, WindowsDesktopVm } from '../../kubevirt/windows-desktop-vm';
import { CONTROLLER_FIELD_MANAGER, DesktopClass, DesktopSession } from '../api';
import { SESSION_SIZE_PRESETS, VMI_RESOURCE, VMI_SUBRESOURCES, VM_RESOURCE, VM_SUBRESOURCES, refFor } from '../resources';
import { KubernetesApiError, KubernetesClient, KubernetesObject } from '../runtime/kubernetes-client';

/** What a renderer knows about the session it renders for. */
export interface DesktopRenderContext {
  readonly session: DesktopSession;
  readonly desktopClass: DesktopClass;
  /** Namespace of the desktop: the user's (`kubernetesNameForUser(userId)`) unless the renderer's `locate` says otherwise. */
  readonly namespace: string;
  /** Name of the desktop inside the namespace. */
  readonly desktopName: string;
  /** Labels every object of the session carries (user, session, managed-by). */
  readonly labels: Record<string, string>;
  /**
   * VM desktops: the user's hosts in the class's isolation mode (`userPlacement`: the user
   * label and the `dedicated-user` toleration), as the synth-time `DesktopUserIsolation` places them.
   * @default - the renderer's own default (any VM host)
   */
  readonly placement?: VmHostPlacement;
}

/** The user's objects for one session. */
export interface RenderedDesktop {
  /** Applied in order by server-side apply; deleted in reverse order when the session ends. */
  readonly objects: KubernetesObject[];
  /** Kinds that outlive the session (the user's namespace); applied but never deleted. */
  readonly retainedKinds: readonly string[];
  /** `host:port` Guacamole connects to. */
  readonly rdpEndpoint: string;
  /**
   * Objects `prepare` created once (e.g. a Secret with a random password, which must not be
   * re-rendered): never applied, deleted with the session after `objects`.
   * @default - none
   */
  readonly preparedObjects?: KubernetesObject[];
}

/** How far along the desktop is. */
export interface DesktopObservation {
  readonly ready: boolean;
  /** Set when the desktop cannot start; the session fails with this message. */
  readonly failure?: string;
  readonly progress: number;
  readonly message: string;
  readonly node?: string;
  readonly instanceType?: string;
  readonly capacityType?: string;
  /**
   * Whether the user has a Windows session on the desktop (logged on, connected or not), as the
   * desktop itself reports it: the KubeVirt guest agent's user list (VM desktops) or the session
   * pod's presence container (node desktops). The controller's log-off handling follows it.
   * @default - unknown: the desktop cannot tell, and log-off is not detected
   */
  readonly userLoggedOn?: boolean;
  /**
   * The desktop's main object (VirtualMachine, session pod) does not exist.
   * @default false
   */
  readonly gone?: boolean;
  /**
   * The desktop exists but does not run and nothing is starting it (a stopped VM): `start` may
   * start it.
   * @default false
   */
  readonly stopped?: boolean;
}

/**
 * Turns a session into its desktop's Kubernetes objects (the user's namespace and isolation are
 * applied by the controller before them), with the same constructs the synth-time
 * code uses, and reports how far the desktop has come. One per desktop kind.
 */
export interface DesktopRenderer {
  render(context: DesktopRenderContext): RenderedDesktop;
  /**
   * Objects of the user that the user's sessions of `desktopClass` need and that outlive one
   * session (a node-desktop `DedicatedPool` user's NodePool). The controller applies them at
   * admission, under the user's lock and before the desktop, and deletes them (only those it
   * made) once no remaining active session of the user renders them (`releaseUser`).
   * @default - none
   */
  userObjects?(desktopClass: DesktopClass, userId: string): KubernetesObject[];
  /**
   * Creates what must be created once rather than applied (listed in `preparedObjects`);
   * called before `objects` are applied, again after a controller restart: it must be idempotent.
   * @default - nothing to prepare
   */
  prepare?(context: DesktopRenderContext, client: KubernetesClient): Promise<void>;
  /**
   * Where the desktop lives when it is not a desktop of its own in the user's namespace (the
   * session's `status.desktopNamespace` and `desktopName`).
   * @default - the user's namespace and a name from the class and the session's uid
   */
  locate?(session: DesktopSession): { readonly namespace: string; readonly name: string };
  observe(context: DesktopRenderContext, client: KubernetesClient): Promise<DesktopObservation>;
  /**
   * Starts a desktop that exists but does not run. Idempotent: does nothing while it runs, is
   * starting, or a start is pending (a restarted controller calls it again).
   * @default - desktops of this kind run as soon as they are applied
   */
  start?(context: DesktopRenderContext, client: KubernetesClient): Promise<void>;
  /**
   * Stops the desktop and keeps its disks. Idempotent like `start`. Kinds without it cannot be
   * stopped (`onDisconnect: Stop` is refused for them).
   * @default - desktops of this kind cannot be stopped
   */
  stop?(context: DesktopRenderContext, client: KubernetesClient): Promise<void>;
  /**
   * Why this renderer cannot render the session (a field it needs is missing or bad), checked
   * when the session is admitted, before anything is created: the session fails with `reason`.
   * @default - every session the API server accepted can be rendered
   */
  refusal?(session: DesktopSession): DesktopRefusal | undefined;
}

/** Why a session cannot get its desktop: the session's `Failed` reason and message. */
export interface DesktopRefusal {
  /** A CamelCase reason, e.g. `WindowsAccountRequired`. */
  readonly reason: string;
  readonly message: string;
}

/** KubeVirt `printableStatus` values after which the VM will not come up by itself. */
const VM_FAILURES = new Set(['CrashLoopBackOff', 'ErrorUnschedulable', 'ErrImagePull', 'ImagePullBackOff', 'ErrorPvcNotFound', 'ErrorDataVolumeNotFound', 'DataVolumeError', 'Unknown']);
const VM_PROGRESS: Record<string, number> = { Provisioning: 30, WaitingForVolumeBinding: 30, Starting: 60, Running: 85 };

type VmObject = KubernetesObject & { status?: { ready?: boolean; printableStatus?: string; stateChangeRequests?: Array<{ action: string }> } };
type VmiObject = KubernetesObject & { status?: { phase?: string; nodeName?: string; conditions?: Array<{ type: string; status: string }> } };
/** The guest agent's user list (KubeVirt `VirtualMachineInstanceGuestOSUserList`). */
interface GuestUserList { readonly items?: Array<{ readonly userName: string; readonly domain?: string; readonly loginTime?: number }> }

const isFinal = (vmi: VmiObject | undefined): boolean => vmi?.status?.phase === 'Failed' || vmi?.status?.phase === 'Succeeded';

/**
 * VM desktops: the `WindowsDesktopVm` cdk8s construct (the one CDK apps synthesize) in a bare
 * cdk8s chart, rendered at run time. The user's namespace is not the renderer's: the controller
 * applies it, with its quota and policies, from `renderDesktopUserObjects` first.
 *
 * VMs run with `runStrategy: Manual`: the controller starts and stops them through KubeVirt's
 * `start` / `stop` subresources, which with Manual become state change requests in the VM's
 * status (kubevirt v1.9.0 pkg/virt-api/rest/lifecycle.go). So the applied spec never changes
 * when the VM starts or stops, and a re-apply after a controller restart cannot start or stop
 * a desktop (with Halted/Always, virt-api rewrites `spec.runStrategy`, which the controller's
 * forced apply would set back). A shutdown from inside Windows stays a shutdown.
 */
export class KubeVirtDesktopRenderer implements DesktopRenderer {
  public render(context: DesktopRenderContext): RenderedDesktop {
    const { session, desktopClass, namespace, desktopName, labels } = context;
    const image = desktopClass.spec.goldenImage;
    if (!image) throw new Error(`DesktopClass "${desktopClass.metadata.name}" has no goldenImage`);
    const chart = new Chart(new App(), 'Session');
    const { [USER_LABEL]: _user, ...extraLabels } = labels;
    const vm = new WindowsDesktopVm(chart, 'Desktop', {
      name: desktopName,
      namespace,
      userId: session.spec.userId,
      goldenImage: { dataSourceName: image.name, namespace: image.namespace },
      size: SESSION_SIZE_PRESETS[session.spec.size],
      runStrategy: RunStrategy.MANUAL,
      labels: extraLabels,
      placement: context.placement,
      // Windows disconnects the idle user itself (Guacamole cannot cut a JSON-auth connection).
      idleDisconnectTimeout: session.spec.idleDisconnectTimeoutSeconds > 0 ? Duration.seconds(session.spec.idleDisconnectTimeoutSeconds) : undefined,
    });
    return {
      objects: chart.toJson() as KubernetesObject[],
      // The user's namespace and its isolation are the controller's (renderDesktopUserObjects); all of this goes with the session.
      retainedKinds: [],
      rdpEndpoint: `${vm.rdpServiceName}.${namespace}.svc.cluster.local:${RDP_PORT}`,
    };
  }

  public async observe(context: DesktopRenderContext, client: KubernetesClient): Promise<DesktopObservation> {
    const vm = await client.tryGet<VmObject>(VM_RESOURCE(context.namespace), context.desktopName);
    if (!vm) return { ready: false, progress: 10, message: 'Creating the desktop', gone: true };
    const vmi = await client.tryGet<VmiObject>(VMI_RESOURCE(context.namespace), context.desktopName);
    const node = vmi && !isFinal(vmi) ? vmi.status?.nodeName : undefined;
    const printable = vm.status?.printableStatus ?? 'Provisioning';
    if (vm.status?.ready === true) {
      return { ready: true, progress: 100, message: 'Desktop ready', node, userLoggedOn: await this.userLoggedOn(context, client, vmi) };
    }
    if (VM_FAILURES.has(printable)) return { ready: false, progress: 0, failure: `the desktop VM cannot start: ${printable}`, message: printable, node };
    // No running instance and no start on its way: only a start request brings it up (Manual).
    const stopped = (vmi === undefined || isFinal(vmi)) && (vm.status?.stateChangeRequests ?? []).length === 0;
    return { ready: false, progress: VM_PROGRESS[printable] ?? 20, message: `Desktop ${printable.toLowerCase()}`, node, stopped };
  }

  public async start(context: DesktopRenderContext, client: KubernetesClient): Promise<void> {
    const vm = await client.tryGet<VmObject>(VM_RESOURCE(context.namespace), context.desktopName);
    if (!vm || (vm.status?.stateChangeRequests ?? []).length > 0) return; // gone, or a start/stop is underway
    const vmi = await client.tryGet<VmiObject>(VMI_RESOURCE(context.namespace), context.desktopName);
    if (vmi && !isFinal(vmi)) return; // running or starting
    await this.subresource(client, context, 'start');
  }

  public async stop(context: DesktopRenderContext, client: KubernetesClient): Promise<void> {
    const vm = await client.tryGet<VmObject>(VM_RESOURCE(context.namespace), context.desktopName);
    if (!vm || (vm.status?.stateChangeRequests ?? []).some((r) => r.action === 'Stop')) return;
    const vmi = await client.tryGet<VmiObject>(VMI_RESOURCE(context.namespace), context.desktopName);
    if (!vmi || isFinal(vmi)) return; // not running: nothing to stop
    await this.subresource(client, context, 'stop');
  }

  /** PUT start/stop; virt-api's 409 means the VM is already where the call wanted it (running, or not running). */
  private async subresource(client: KubernetesClient, context: DesktopRenderContext, action: 'start' | 'stop'): Promise<void> {
    try {
      await client.putSubresource(VM_SUBRESOURCES(context.namespace), context.desktopName, action);
    } catch (error) {
      if (!(error instanceof KubernetesApiError && error.code === 409)) throw error;
    }
  }

  /**
   * Whether anyone is signed in to Windows, from the guest agent's user list (qemu-ga lists every
   * Windows session that has a user name, connected or disconnected: qga/commands-win32.c
   * `qmp_guest_get_users`). Unknown (undefined) while the agent is not connected: virt-api then
   * answers 409 (kubevirt v1.9.0 pkg/virt-api/rest/subresource.go `UserList`).
   */
  private async userLoggedOn(context: DesktopRenderContext, client: KubernetesClient, vmi: VmiObject | undefined): Promise<boolean | undefined> {
    if (vmi?.status?.phase !== 'Running' || !(vmi.status.conditions ?? []).some((c) => c.type === 'AgentConnected' && c.status === 'True')) return undefined;
    try {
      const list = await client.getSubresource<GuestUserList>(VMI_SUBRESOURCES(context.namespace), context.desktopName, 'userlist');
      return (list.items ?? []).length > 0;
    } catch {
      return undefined; // agent went away between the two reads, or virt-handler unreachable: unknown, not "logged off"
    }
  }
}

/** Labels of every object a session creates. */
export function sessionLabels(session: DesktopSession, userLabel: string): Record<string, string> {
  return {
    [USER_LABEL]: userLabel,
    [SESSION_LABEL]: session.metadata.name,
    [SESSION_NAMESPACE_LABEL]: session.metadata.namespace ?? '',
    [MANAGED_BY_LABEL]: CONTROLLER_FIELD_MANAGER,
  };
}

export { refFor };
