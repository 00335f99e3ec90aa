import { DEDICATED_USER_TAINT_KEY, USER_LABEL } from '../common/well-known';
import { ResolvedDesktopUser } from './desktop-user';

/** vCPUs and memory of the largest x86-64 metal hosts (`*.metal-48xl`): a per-user metal pool's limits. */
const MAX_METAL_VCPUS = 192;
const MAX_METAL_MEMORY_GIB = 1536;
/** The requirement key that marks a bare-metal VM host pool (`VmHostPool` lists the metal sizes). */
const INSTANCE_SIZE_KEY = 'karpenter.k8s.aws/instance-size';

/** A Karpenter v1 NodePool as plain JSON (rendered at synth time, or read from the cluster). */
export interface NodePoolJson {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly [key: string]: unknown };
  readonly spec: NodePoolJsonSpec;
  readonly [key: string]: unknown;
}

/** The parts of a NodePool's `spec` a per-user pool changes; everything else is copied. */
export interface NodePoolJsonSpec {
  readonly template: {
    readonly metadata?: { readonly labels?: Record<string, string>; readonly [key: string]: unknown };
    readonly spec: {
      readonly requirements: ReadonlyArray<{ readonly key: string; readonly operator: string; readonly values?: string[] }>;
      readonly taints?: ReadonlyArray<{ readonly key: string; readonly value?: string; readonly effect: string }>;
      readonly [key: string]: unknown;
    };
  };
  readonly [key: string]: unknown;
}

/**
 * The NodePool of a `DEDICATED_POOL` user, derived from a template pool: the template's
 * EC2NodeClass, requirements, labels, taints and disruption settings, named after the user
 * (`kubernetesNameForUser`), with the user's label and the taint `dedicated-user=<user>`, no
 * per-pod user label (`Exists`), no weight, and limits of one or two hosts (twice the desktop
 * on nested-virtualization hosts; one of the largest metal hosts when the template lists
 * instance sizes, as bare-metal `VmHostPool`s do).
 *
 * Pure, on plain JSON: `DesktopUserIsolation` applies it to the template pool it renders at
 * synth time, the session controller to the template NodePool it reads from the cluster.
 */
export function dedicatedUserNodePool(template: NodePoolJson, user: ResolvedDesktopUser): NodePoolJson {
  const t = template.spec.template;
  const metal = t.spec.requirements.some((r) => r.key === INSTANCE_SIZE_KEY);
  const { weight: _weight, ...spec } = template.spec;
  return {
    apiVersion: template.apiVersion,
    kind: template.kind,
    metadata: { name: user.name },
    spec: {
      ...spec,
      template: {
        ...t,
        metadata: { ...t.metadata, labels: { ...t.metadata?.labels, [USER_LABEL]: user.name } },
        spec: {
          ...t.spec,
          // The user's pool carries one label value: no per-pod value of the user label.
          requirements: t.spec.requirements.filter((r) => r.key !== USER_LABEL).map((r) => ({ ...r })),
          taints: [
            ...(t.spec.taints ?? []).filter((taint) => taint.key !== DEDICATED_USER_TAINT_KEY).map((taint) => ({ ...taint })),
            { key: DEDICATED_USER_TAINT_KEY, value: user.name, effect: 'NoSchedule' },
          ],
        },
      },
      // Room for one or two hosts, never a fleet.
      limits: metal
        ? { cpu: MAX_METAL_VCPUS, memory: `${MAX_METAL_MEMORY_GIB}Gi` }
        : { cpu: 2 * user.size.vcpus + 4, memory: `${2 * user.size.memoryGiB + 16}Gi` },
    },
  };
}
