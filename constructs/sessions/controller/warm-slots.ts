import { randomBytes } from 'crypto';
import { k8s } from 'cdk8s-plus-29';
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from '../../common/pod-security';
import {
  APP_NAME_LABEL, MANAGED_BY_LABEL, POD_SECURITY_AUDIT_LABEL, POD_SECURITY_ENFORCE_LABEL, POD_SECURITY_WARN_LABEL,
  USER_LABEL, WARM_CLAIMED_BY_LABEL, WARM_SLOT_CLASS_LABEL, WARM_USER_VALUE_PREFIX,
} from '../../common/well-known';
import { PAUSE_IMAGE } from '../../common/versions';
import { DEFAULT_WARM_PRIORITY, warmPriorityClassProps } from '../../karpenter/warm-capacity-chart';
import { coreTolerations } from '../../kubevirt/private/placement';
import { VmHostPlacement } from '../../kubevirt/vm-host-placement';
import { UserIsolationMode } from '../../isolation/desktop-user';
import { DEFAULT_ROOT_DISK_GIB, DEFAULT_USER_DISK_GIB, defaultUserQuota } from '../../isolation/private/quota';
import { userPlacement } from '../../isolation/desktop-user-isolation';
import { CONTROLLER_FIELD_MANAGER, DesktopClass, DesktopKind, DesktopSession, IsolationMode, SessionPhase, WarmClaim } from '../api';
import { DEFAULT_WARM_NAMESPACE, SESSION_SIZE_PRESETS, WARM_PRIORITY_CLASS } from '../resources';
import { KubernetesApiError, KubernetesClient, KubernetesObject, ResourceRef } from '../runtime/kubernetes-client';
import { ControllerMetrics } from './metrics';

/** UID the pause container runs as (the pause image's `nobody`). */
const PAUSE_UID = 65535;

const POD = (namespace: string): ResourceRef => ({ group: '', version: 'v1', plural: 'pods', namespace });
const NODE: ResourceRef = { group: '', version: 'v1', plural: 'nodes' };
const NAMESPACE: ResourceRef = { group: '', version: 'v1', plural: 'namespaces' };
const PRIORITY_CLASS: ResourceRef = { group: 'scheduling.k8s.io', version: 'v1', plural: 'priorityclasses' };

type Pod = KubernetesObject & {
  spec?: { nodeName?: string; nodeSelector?: Record<string, string> };
  status?: { phase?: string };
};
type Node = KubernetesObject;

/**
 * Whether warm slots can make a class's next session start faster, and why not. A slot is a
 * host launched ahead of time and held by a placeholder; the claim relabels it for the user.
 * - VM classes, `SharedPool`: the per-user host pool declares the user label with `Exists`,
 *   so Karpenter launches a host for the placeholder's own `warm.<slot>` value; relabelling
 *   that host for the user (Karpenter syncs node labels only at registration and checks drift
 *   against the NodeClaim's labels, which `Exists` still allows) lets the user's VM, which
 *   selects its own value, land there, and no other user's.
 * - `DedicatedPool`: each user's NodePool exists only once the user is known, and a host of
 *   another pool cannot become a node of theirs: nothing to warm.
 * - Node classes: the desktop is the node, prepared by `NodeDesktops`' own warm nodes
 *   (`claimWarmNode`), which this controller does not drive.
 */
export function warmSlotsRefusal(cls: DesktopClass): string | undefined {
  if ((cls.spec.warmCount ?? 0) === 0) return undefined;
  if (cls.spec.kind !== DesktopKind.VM) return 'warm slots are for VM classes; node desktops keep warm nodes with NodeDesktops';
  if (cls.spec.isolation !== IsolationMode.SHARED_POOL) return 'a DedicatedPool user\'s NodePool cannot be warmed before the user is known';
  return undefined;
}

/** Props of `renderWarmPlaceholder`. */
export interface WarmPlaceholderProps {
  readonly desktopClass: DesktopClass;
  readonly namespace: string;
  /** Random, unique per slot: names the pod and its `warm.<slot>` user-label value. */
  readonly slot: string;
  /** Where the class's desktops land, before the per-user part (`DEFAULT_VM_HOST_PLACEMENT`). */
  readonly hostPlacement: VmHostPlacement;
  /** @default PAUSE_IMAGE */
  readonly image?: string;
}

/**
 * One warm placeholder: a pause pod at the warm PriorityClass, requesting one desktop of the
 * class's largest allowed size with its overhead (the user quota's share of one desktop), placed as a `SharedPool` user's desktop is (`userPlacement`) but for the
 * user-label value `warm.<slot>`, so Karpenter launches a host of its own for it.
 */
export function renderWarmPlaceholder(props: WarmPlaceholderProps): KubernetesObject {
  const cls = props.desktopClass;
  // One desktop as the user's quota counts it: the guest plus virt-launcher's and CDI's overhead,
  // so that the user's VM fits on the host Karpenter picked for the placeholder.
  const share = defaultUserQuota({ desktopKind: DesktopKind.VM, size: largestSize(cls) }, { rootGiB: DEFAULT_ROOT_DISK_GIB, userGiB: DEFAULT_USER_DISK_GIB }, 1);
  const placement = userPlacement({ isolation: UserIsolationMode.SHARED_POOL, name: `${WARM_USER_VALUE_PREFIX}${props.slot}` }, props.hostPlacement);
  const resources = { cpu: k8s.Quantity.fromNumber(share.cpu), memory: k8s.Quantity.fromString(`${share.memoryGiB}Gi`) };
  return k8s.KubePod.manifest({
    metadata: {
      name: `warm-${cls.metadata.name.slice(0, 40).replace(/-+$/, '')}-${props.slot}`,
      namespace: props.namespace,
      labels: { [APP_NAME_LABEL]: 'warm-slot', [MANAGED_BY_LABEL]: CONTROLLER_FIELD_MANAGER, [WARM_SLOT_CLASS_LABEL]: cls.metadata.name },
    },
    spec: {
      priorityClassName: WARM_PRIORITY_CLASS,
      // A claimed placeholder must free the host at once.
      terminationGracePeriodSeconds: 0,
      nodeSelector: { ...placement.nodeSelector },
      tolerations: coreTolerations(placement),
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      securityContext: restrictedPodSecurityContext(PAUSE_UID),
      containers: [{
        name: 'pause',
        image: props.image ?? PAUSE_IMAGE,
        resources: { requests: resources, limits: resources },
        securityContext: restrictedContainerSecurityContext(),
      }],
    },
  }) as KubernetesObject;
}

function largestSize(cls: DesktopClass) {
  return cls.spec.allowedSizes.map((s) => SESSION_SIZE_PRESETS[s])
    .reduce((a, b) => (b.vcpus > a.vcpus || (b.vcpus === a.vcpus && b.memoryGiB > a.memoryGiB) ? b : a));
}

/** Options of `WarmSlots`. */
export interface WarmSlotsOptions {
  readonly client: KubernetesClient;
  readonly metrics: ControllerMetrics;
  /** @default DEFAULT_WARM_NAMESPACE */
  readonly namespace?: string;
  /** Where VM desktops land before the per-user part. */
  readonly hostPlacement: VmHostPlacement;
  /** @default PAUSE_IMAGE */
  readonly image?: string;
}

/**
 * The controller's warm slots: keeps `warmCount` placeholders per eligible class
 * (`warmSlotsRefusal`), and lets an admitted session claim one atomically:
 *
 * 1. label a Running placeholder `warm-claimed-by=<session uid>`, conditional on its
 *    resourceVersion (409: another reconcile took it; try the next);
 * 2. relabel its host from `warm.<slot>` to the user, conditional on the node's resourceVersion;
 * 3. delete the placeholder, so that the user's desktop fits on the host.
 *
 * A claim interrupted by a restart resumes from step 2 (the pod still carries the session's
 * uid); `reconcile` deletes placeholders claimed by sessions that no longer wait, and creates
 * new placeholders up to `warmCount` (Karpenter launches hosts for them).
 */
export class WarmSlots {
  private readonly client: KubernetesClient;
  private readonly namespace: string;
  private based = false;

  constructor(private readonly options: WarmSlotsOptions) {
    this.client = options.client;
    this.namespace = options.namespace ?? DEFAULT_WARM_NAMESPACE;
  }

  /** Brings the placeholders of every class to its `warmCount`; updates the metrics. */
  public async reconcile(classes: readonly DesktopClass[], sessions: readonly DesktopSession[]): Promise<void> {
    const wanted = new Map(classes.filter((c) => (c.spec.warmCount ?? 0) > 0 && warmSlotsRefusal(c) === undefined).map((c) => [c.metadata.name, c]));
    if (wanted.size > 0) await this.ensureBase();
    const pods = await this.placeholders();
    const waiting = new Set(sessions.filter((s) => (s.status?.phase ?? SessionPhase.PENDING) === SessionPhase.PENDING).map((s) => s.metadata.uid));
    const byClass = new Map<string, Pod[]>();
    for (const pod of pods) {
      if (pod.metadata.deletionTimestamp !== undefined) continue;
      const claimedBy = pod.metadata.labels?.[WARM_CLAIMED_BY_LABEL];
      if (claimedBy !== undefined) {
        // A claim whose session moved on (or went) without finishing it: the slot is spent.
        if (!waiting.has(claimedBy)) await this.client.delete(POD(this.namespace), pod.metadata.name);
        continue;
      }
      const cls = pod.metadata.labels?.[WARM_SLOT_CLASS_LABEL] ?? '';
      byClass.set(cls, [...(byClass.get(cls) ?? []), pod]);
    }
    for (const [name, list] of byClass) {
      const cls = wanted.get(name);
      // Unbound placeholders go first: they hold no host yet.
      const excess = [...list].sort((a, b) => Number(a.spec?.nodeName !== undefined) - Number(b.spec?.nodeName !== undefined))
        .slice(0, Math.max(0, list.length - (cls?.spec.warmCount ?? 0)));
      for (const pod of excess) await this.client.delete(POD(this.namespace), pod.metadata.name);
    }
    this.options.metrics.warmSlots.reset();
    for (const [name, cls] of wanted) {
      const list = byClass.get(name) ?? [];
      for (let i = list.length; i < (cls.spec.warmCount ?? 0); i++) {
        await this.client.create(POD(this.namespace), renderWarmPlaceholder({
          desktopClass: cls, namespace: this.namespace, slot: randomBytes(5).toString('hex'), hostPlacement: this.options.hostPlacement, image: this.options.image,
        }), CONTROLLER_FIELD_MANAGER);
      }
      const available = list.filter(ready).length;
      this.options.metrics.warmSlots.set({ desktop_class: name, state: 'available' }, Math.min(available, cls.spec.warmCount ?? 0));
      this.options.metrics.warmSlots.set({ desktop_class: name, state: 'pending' }, Math.max(0, (cls.spec.warmCount ?? 0) - available));
    }
  }

  /**
   * Claims a warm slot for the session's user (`userName`: `kubernetesNameForUser`), or returns
   * undefined when the class has none ready (the desktop then waits for a new host).
   */
  public async claim(session: DesktopSession, cls: DesktopClass, userName: string): Promise<WarmClaim | undefined> {
    if ((cls.spec.warmCount ?? 0) === 0 || warmSlotsRefusal(cls) !== undefined) return undefined;
    const uid = session.metadata.uid ?? session.metadata.name;
    const pods = (await this.placeholders()).filter((p) => p.metadata.labels?.[WARM_SLOT_CLASS_LABEL] === cls.metadata.name && p.metadata.deletionTimestamp === undefined);
    // A claim a restart interrupted comes first.
    const resumed = pods.find((p) => p.metadata.labels?.[WARM_CLAIMED_BY_LABEL] === uid);
    const candidates = resumed ? [resumed] : pods.filter((p) => p.metadata.labels?.[WARM_CLAIMED_BY_LABEL] === undefined && ready(p));
    for (const candidate of candidates) {
      let pod = candidate;
      if (!resumed) {
        try {
          pod = await this.client.mergePatch<Pod>(POD(this.namespace), pod.metadata.name, {
            metadata: { resourceVersion: pod.metadata.resourceVersion, labels: { [WARM_CLAIMED_BY_LABEL]: uid } },
          }, CONTROLLER_FIELD_MANAGER);
        } catch (error) {
          if (error instanceof KubernetesApiError && (error.code === 409 || error.code === 404)) continue; // another session took it
          throw error;
        }
      }
      const node = pod.spec?.nodeName;
      if (node !== undefined && await this.relabelNode(node, pod.spec?.nodeSelector?.[USER_LABEL], userName)) {
        await this.client.delete(POD(this.namespace), pod.metadata.name);
        this.options.metrics.warmClaims.inc({ desktop_class: cls.metadata.name, result: 'claimed' });
        return { pod: pod.metadata.name, node };
      }
      // The host is no longer the placeholder's (replaced, or relabelled by someone else): spent.
      await this.client.delete(POD(this.namespace), pod.metadata.name);
    }
    this.options.metrics.warmClaims.inc({ desktop_class: cls.metadata.name, result: 'missed' });
    return undefined;
  }

  /** Relabels the placeholder's host for the user; true when it is (now or already) the user's. */
  private async relabelNode(name: string, warmValue: string | undefined, userName: string): Promise<boolean> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const node = await this.client.tryGet<Node>(NODE, name);
      const current = node?.metadata.labels?.[USER_LABEL];
      if (!node || current === undefined) return false;
      if (current === userName) return true;
      if (warmValue === undefined || current !== warmValue) return false;
      try {
        await this.client.mergePatch(NODE, name, { metadata: { resourceVersion: node.metadata.resourceVersion, labels: { [USER_LABEL]: userName } } }, CONTROLLER_FIELD_MANAGER);
        return true;
      } catch (error) {
        if (!(error instanceof KubernetesApiError && error.code === 409)) throw error;
        // The kubelet or Karpenter wrote the node meanwhile: read it again.
      }
    }
    return false;
  }

  private async placeholders(): Promise<Pod[]> {
    return (await this.client.list<Pod>(POD(this.namespace), { [MANAGED_BY_LABEL]: CONTROLLER_FIELD_MANAGER, [APP_NAME_LABEL]: 'warm-slot' })).items;
  }

  /** The placeholders' namespace (Pod Security `restricted`) and PriorityClass, applied once per leadership. */
  private async ensureBase(): Promise<void> {
    if (this.based) return;
    const labels = { [MANAGED_BY_LABEL]: CONTROLLER_FIELD_MANAGER };
    await this.client.apply(NAMESPACE, k8s.KubeNamespace.manifest({
      metadata: { name: this.namespace, labels: { ...labels, [POD_SECURITY_ENFORCE_LABEL]: 'restricted', [POD_SECURITY_AUDIT_LABEL]: 'restricted', [POD_SECURITY_WARN_LABEL]: 'restricted' } },
    }) as KubernetesObject, CONTROLLER_FIELD_MANAGER, { force: true });
    await this.client.apply(PRIORITY_CLASS, k8s.KubePriorityClass.manifest(warmPriorityClassProps(WARM_PRIORITY_CLASS, DEFAULT_WARM_PRIORITY, labels, 'the desktop session controller')) as KubernetesObject, CONTROLLER_FIELD_MANAGER, { force: true });
    this.based = true;
  }
}

/** Holds a host: bound to a node and running. */
function ready(pod: Pod): boolean {
  return pod.spec?.nodeName !== undefined && pod.status?.phase === 'Running';
}
