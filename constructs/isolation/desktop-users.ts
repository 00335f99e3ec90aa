import * as fs from 'fs';
import * as path from 'path';
import { NestedStack, Stage } from 'aws-cdk-lib';
import { Construct, IConstruct, IDependable } from 'constructs';
import { IEksCluster } from '../common/eks-cluster';
import { describeValue } from '../common/validate';
import { ValidationError } from '../common/validation-error';
import { addWarning } from '../common/warnings';
import { GoldenImageReference } from '../kubevirt/golden-image';
import { KubeVirt } from '../kubevirt/kubevirt';
import { VmHostPool } from '../kubevirt/vm-host-pool';
import { DesktopKind, DesktopUser, resolveDesktopUsers, ResolvedDesktopUser, UserIsolationMode } from './desktop-user';
import {
  EgressRule,
  GatewaySelector,
  renderDesktopUserObjects,
  UserDesktopVmOptions,
} from './desktop-user-isolation';
import {
  kubernetesManifest,
  MAX_REQUEST_BYTES,
  MAX_STACK_RESOURCES,
  MAX_TEMPLATE_BYTES,
  ObjectGroup,
  planShards,
  requestBytes,
  Shard,
  STACK_OVERHEAD_BYTES,
  templateBytes,
} from './private/delivery';
import { renderGitOpsFiles, shardDirectory } from './private/gitops';
import { UserQuota } from './user-quota';

/** How the per-user objects reach the cluster. */
export enum DeliveryMode {
  /**
   * kubectl custom resources in nested stacks, in fixed shards by user (up to
   * `MAX_CLOUDFORMATION_USERS` users).
   */
  CLOUDFORMATION = 'cloudformation',
  /** YAML files for a GitOps engine (Argo CD or Flux): nothing per user enters CloudFormation. */
  GITOPS = 'gitops',
}

/** The GitOps engine that picks the files up. */
export enum GitOpsEngine {
  /** Argo CD: an ApplicationSet (git directory generator) with one Application per shard. */
  ARGO_CD = 'argo-cd',
  /** Flux: one `Kustomization` per shard, from a `GitRepository` source. */
  FLUX = 'flux',
}

/** Most users `DeliveryMode.CLOUDFORMATION` takes; beyond it use `DeliveryMode.GITOPS`. */
export const MAX_CLOUDFORMATION_USERS = 1_500;
/** Most objects per Argo CD Application / Flux Kustomization (Argo CD degrades near 3,000). */
export const MAX_OBJECTS_PER_GITOPS_SHARD = 1_000;
/** Dedicated NodePools above which `DesktopUsers` warns (Karpenter is not tested with thousands). */
export const MAX_DEDICATED_POOLS = 100;
/** Manifests per nested stack (shard `i` lives in stack `floor(i / 32)`, so it never moves). */
const SHARDS_PER_STACK = 32;

/** Where and how the GitOps layout is written. */
export interface GitOpsOptions {
  /** The engine the layout is written for. */
  readonly engine: GitOpsEngine;
  /** URL of the Git repository the engine reads, e.g. `https://github.com/example/platform.git`. */
  readonly repositoryUrl: string;
  /**
   * Path of the layout inside that repository (commit the output directory there).
   * @default 'desktop-users'
   */
  readonly repositoryPath?: string;
  /**
   * Branch, tag or commit the engine follows.
   * @default 'main'
   */
  readonly revision?: string;
  /**
   * Directory the files are written to at synth time. Its `shards`, `argocd` and `flux`
   * folders are replaced on every synthesis (a shard that became empty disappears).
   * @default - `gitops/<construct path>` in the cloud assembly directory (cdk.out)
   */
  readonly outputDirectory?: string;
  /**
   * Namespace of Argo CD (ApplicationSet).
   * @default 'argocd'
   */
  readonly argoCdNamespace?: string;
  /**
   * Argo CD project of the Applications.
   * @default 'default'
   */
  readonly argoCdProject?: string;
  /**
   * Namespace of the Flux Kustomizations.
   * @default 'flux-system'
   */
  readonly fluxNamespace?: string;
  /**
   * Name of the Flux `GitRepository` of `repositoryUrl`.
   * @default 'flux-system'
   */
  readonly fluxSourceName?: string;
}

/**
 * Props of `DesktopUsers`.
 */
export interface DesktopUsersProps {
  /**
   * The cluster (either EKS module, with a kubectl handler for CloudFormation delivery). An
   * `aws-eks` (v1) cluster imported without `kubectlProvider` gets a kubectl provider in every
   * nested stack: pass `kubectlProvider` to `fromClusterAttributes` to share one.
   */
  readonly cluster: IEksCluster;
  /** The users. Ids must be unique (and so must their Kubernetes names). */
  readonly users: DesktopUser[];
  /**
   * The golden image VM desktops clone (each VM user's namespace gets the clone permission).
   * Required when a user has a VM desktop.
   * @default - none
   */
  readonly goldenImage?: GoldenImageReference;
  /**
   * Give each VM user a desktop (`desktop`, a `WindowsDesktopVm` of their size, on their
   * hosts). Leave it out when the session controller creates desktops on demand.
   * @default - no desktops: namespaces, policies and pools only
   */
  readonly vmDesktop?: Omit<UserDesktopVmOptions, 'goldenImage'>;
  /**
   * Pool for `UserIsolationMode.SHARED_POOL` VM users: a `VmHostPool` with `perUserHosts`.
   * @default - none
   */
  readonly sharedPool?: VmHostPool;
  /**
   * Pool whose settings and EC2NodeClass `UserIsolationMode.DEDICATED_POOL` VM users' own
   * pools copy; also where KubeVirt runs.
   * @default - none
   */
  readonly dedicatedPoolTemplate?: VmHostPool;
  /**
   * Pool for `UserIsolationMode.SHARED_HOSTS` VM users (shared hosts).
   * @default - none
   */
  readonly sharedHostPool?: VmHostPool;
  /**
   * KubeVirt: with CloudFormation delivery, the manifests wait until it is ready (its CRDs and
   * webhooks exist).
   * @default - no wait
   */
  readonly kubevirt?: KubeVirt;
  /**
   * The gateway whose guacd pods may reach RDP.
   * @default - namespace 'guacamole', labels GUACD_POD_LABELS
   */
  readonly gateway?: GatewaySelector;
  /**
   * Egress desktops may have besides DNS.
   * @default - DNS only
   */
  readonly allowedEgress?: EgressRule[];
  /**
   * Quota of every user's namespace.
   * @default - room for one desktop of the user's size
   */
  readonly quota?: UserQuota;
  /**
   * ClusterRole bound to each user's group in their namespace.
   * @default 'view'
   */
  readonly groupRole?: string;
  /**
   * How the objects reach the cluster.
   * @default DeliveryMode.CLOUDFORMATION
   */
  readonly delivery?: DeliveryMode;
  /**
   * Required with `DeliveryMode.GITOPS`.
   * @default - none
   */
  readonly gitOps?: GitOpsOptions;
  /**
   * Shards the users are hashed into: one kubectl manifest (CloudFormation) or one
   * Application / Kustomization (GitOps) each. A user's shard depends only on their id and
   * this number: **choose it once**. Changing it moves users between manifests, and
   * CloudFormation deletes a moved user's objects when it removes the old manifest.
   * @default - 1024 for CloudFormation, 128 for GitOps
   */
  readonly shards?: number;
}

/**
 * Per-user isolation for a list of users: every user's `DesktopUserIsolation` objects
 * (namespace, quota, limit range, network policies, RBAC, per-user pool, optional desktop),
 * delivered at scale.
 *
 * - `DeliveryMode.CLOUDFORMATION`: users are hashed into fixed shards; each non-empty shard is
 *   one kubectl manifest (pruned, so a removed user's namespace is deleted) whose update
 *   request stays under 200,000 bytes, and shards are spread over nested stacks (32 each, every
 *   template under 800,000 bytes and 450 resources). Up to 1,500 users. kubectl prunes
 *   namespaced core kinds only: a removed user's namespace goes, their NodePool and clone
 *   RoleBinding stay until deleted by hand.
 * - `DeliveryMode.GITOPS`: the same objects as YAML files laid out for Argo CD or Flux, at most
 *   1,000 objects per Application / Kustomization; nothing per user enters CloudFormation.
 */
export class DesktopUsers extends Construct {
  /** The resolved users, in the order given. */
  public readonly users: ResolvedDesktopUser[];
  /** How the objects reach the cluster. */
  public readonly delivery: DeliveryMode;
  /** Shard count. */
  public readonly shardCount: number;
  /** The non-empty shards and their estimated sizes. */
  public readonly shards: Shard[];
  /** Nested stacks holding the manifests (CloudFormation delivery). */
  public readonly stacks: NestedStack[] = [];
  /** The manifests, one per non-empty shard (CloudFormation delivery). */
  public readonly manifests: Construct[] = [];
  /** Directory the GitOps files were written to (GitOps delivery). */
  public readonly gitOpsDirectory?: string;
  /** The GitOps files by relative path (GitOps delivery). */
  public readonly gitOpsFiles?: ReadonlyMap<string, string>;

  constructor(scope: Construct, id: string, props: DesktopUsersProps) {
    super(scope, id);
    const p = 'DesktopUsers';

    // Defaults and validation.
    const delivery = props.delivery ?? DeliveryMode.CLOUDFORMATION;
    if (!Object.values(DeliveryMode).includes(delivery)) {
      throw new ValidationError(`${p}.delivery`, `is ${describeValue(delivery)}; use DeliveryMode.CLOUDFORMATION or DeliveryMode.GITOPS.`, this);
    }
    const gitOps = delivery === DeliveryMode.GITOPS;
    const shardCount = props.shards ?? (gitOps ? 128 : 1024);
    if (typeof shardCount !== 'number' || !Number.isInteger(shardCount) || shardCount < 1 || shardCount > 4096) {
      throw new ValidationError(`${p}.shards`, `is ${describeValue(shardCount)}; give a whole number from 1 to 4096 and keep it (users are hashed into shards).`, this);
    }
    const users = ValidationError.within(this, () => resolveDesktopUsers(`${p}.users`, props.users));
    claimUserNames(this, `${p}.users`, users);
    if (!gitOps && users.length > MAX_CLOUDFORMATION_USERS) {
      throw new ValidationError(`${p}.users`, `has ${users.length} users; DeliveryMode.CLOUDFORMATION carries at most ${MAX_CLOUDFORMATION_USERS} (custom resource and template limits, deploy time). Use delivery: DeliveryMode.GITOPS, which has no such limit (tested with 5,000 users).`, this);
    }
    if (gitOps && props.gitOps === undefined) {
      throw new ValidationError(`${p}.gitOps`, 'is missing; DeliveryMode.GITOPS needs the engine and repository, e.g. { engine: GitOpsEngine.ARGO_CD, repositoryUrl: "https://github.com/example/platform.git" }.', this);
    }
    const poolFor: Record<UserIsolationMode, { pool?: VmHostPool; prop: string }> = {
      [UserIsolationMode.SHARED_POOL]: { pool: props.sharedPool, prop: 'sharedPool' },
      [UserIsolationMode.DEDICATED_POOL]: { pool: props.dedicatedPoolTemplate, prop: 'dedicatedPoolTemplate' },
      [UserIsolationMode.SHARED_HOSTS]: { pool: props.sharedHostPool, prop: 'sharedHostPool' },
    };
    if (props.sharedPool !== undefined && !props.sharedPool.perUserHosts) {
      throw new ValidationError(`${p}.sharedPool`, `is ${props.sharedPool.node.path}, which has no per-user hosts; create it with perUserHosts: true (its hosts are labelled and tainted per user).`, this);
    }
    if (props.dedicatedPoolTemplate?.perUserHosts) {
      throw new ValidationError(`${p}.dedicatedPoolTemplate`, `is ${props.dedicatedPoolTemplate.node.path}, a perUserHosts pool; pass an ordinary VmHostPool whose settings per-user pools copy.`, this);
    }
    users.forEach((user, i) => {
      if (user.desktopKind === DesktopKind.NODE) {
        throw new ValidationError(`${p}.users[${i}].desktopKind`, `is '${user.desktopKind}' for "${user.id}"; DesktopUsers renders VM desktop users. Give node desktop users to the node desktops' construct, which renders the same per-user objects with DesktopUserIsolation (Pod Security 'privileged' for the HostProcess session pod).`, this);
      }
      const needed = poolFor[user.isolation];
      if ((props.vmDesktop !== undefined || user.isolation === UserIsolationMode.DEDICATED_POOL) && needed.pool === undefined) {
        throw new ValidationError(`${p}.${needed.prop}`, `is missing, but user "${user.id}" (users[${i}]) has isolation '${user.isolation}'; pass the VmHostPool for that mode or change the user's isolation.`, this);
      }
      if (needed.pool !== undefined && needed.pool.cluster !== props.cluster) {
        throw new ValidationError(`${p}.${needed.prop}`, `belongs to cluster ${needed.pool.cluster.node.path}, not to ${props.cluster.node.path}.`, this);
      }
    });
    if (props.vmDesktop !== undefined && props.sharedPool !== undefined) {
      // Soft check: a shared per-user pool whose limits cannot hold every user's host at once.
      const onPool = users.filter((u) => u.isolation === UserIsolationMode.SHARED_POOL);
      const cpu = onPool.reduce((sum, u) => sum + u.size.vcpus, 0);
      const memory = onPool.reduce((sum, u) => sum + u.size.memoryGiB, 0);
      const limits = props.sharedPool.settings;
      if (cpu > limits.cpuLimit || memory > parseInt(limits.memoryLimit, 10)) {
        addWarning(this, 'sharedPoolLimits',
          `${onPool.length} desktops of ${cpu} vCPUs and ${memory} GiB need more than the limits of ${props.sharedPool.node.path} (${limits.cpuLimit} vCPUs, ${limits.memoryLimit}); raise its cpuLimit and memoryLimit to room for every user's whole host (each user gets a host of their own), or not all desktops can run at once.`);
      }
    }
    const dedicatedPools = users.filter((u) => u.isolation === UserIsolationMode.DEDICATED_POOL).length;
    if (dedicatedPools > MAX_DEDICATED_POOLS) {
      addWarning(this, 'manyNodePools',
        `${dedicatedPools} users have UserIsolationMode.DEDICATED_POOL, a Karpenter NodePool each; Karpenter is not tested with thousands of NodePools (aws/karpenter-provider-aws#5228). Prefer UserIsolationMode.SHARED_POOL (one host per user from one pool) beyond ${MAX_DEDICATED_POOLS} users.`);
    }
    if (users.length > 0 && props.goldenImage === undefined) {
      throw new ValidationError(`${p}.goldenImage`, 'is missing; VM desktop users clone their root disk from it (pass the GoldenImage).', this);
    }

    // Render every user's objects (pure: the session controller uses the same renderer).
    const groups: ObjectGroup[] = users.map((user, i) => {
      const pool = poolFor[user.isolation].pool;
      const objects = asDesktopUsersError(this, i, () => renderDesktopUserObjects({
        user: props.users[i],
        gateway: props.gateway,
        allowedEgress: props.allowedEgress,
        goldenImage: props.goldenImage,
        desktop: props.vmDesktop !== undefined ? { ...props.vmDesktop, goldenImage: props.goldenImage! } : undefined,
        hostPlacement: pool?.placement,
        dedicatedPoolTemplate: user.isolation === UserIsolationMode.DEDICATED_POOL ? pool?.settings : undefined,
        quota: props.quota,
        groupRole: props.groupRole,
      }));
      return { key: user.name, objects };
    });
    const shards = planShards(groups, shardCount);

    // Attributes.
    this.users = users;
    this.delivery = delivery;
    this.shardCount = shardCount;
    this.shards = shards;

    if (gitOps) {
      const biggest = shards.reduce<Shard | undefined>((a, b) => (a === undefined || b.objectCount > a.objectCount ? b : a), undefined);
      if (biggest !== undefined && biggest.objectCount > MAX_OBJECTS_PER_GITOPS_SHARD) {
        const needed = Math.ceil(shardCount * biggest.objectCount / (MAX_OBJECTS_PER_GITOPS_SHARD * 0.7));
        throw new ValidationError(`${p}.shards`, `is ${shardCount}: shard ${biggest.index} would hold ${biggest.objectCount} objects, over ${MAX_OBJECTS_PER_GITOPS_SHARD} per Application/Kustomization. Give shards: ${needed} (or more) before the first deployment.`, this);
      }
      const o = props.gitOps!;
      const files = renderGitOpsFiles(shards, {
        engine: o.engine === GitOpsEngine.FLUX ? 'flux' : 'argo-cd',
        name: 'desktop-users',
        repositoryUrl: o.repositoryUrl,
        revision: o.revision ?? 'main',
        path: (o.repositoryPath ?? 'desktop-users').replace(/^\/+|\/+$/g, ''),
        argoCdNamespace: o.argoCdNamespace ?? 'argocd',
        argoCdProject: o.argoCdProject ?? 'default',
        fluxNamespace: o.fluxNamespace ?? 'flux-system',
        fluxSourceName: o.fluxSourceName ?? 'flux-system',
      });
      const dir = o.outputDirectory ?? path.join(Stage.of(this)?.outdir ?? 'cdk.out', 'gitops', this.node.path.replace(/\//g, '-'));
      writeLayout(dir, files);
      this.gitOpsDirectory = dir;
      this.gitOpsFiles = files;
      registerUserNames(this, users);
      return;
    }

    // CloudFormation: one manifest per non-empty shard, in the nested stack its index fixes.
    for (const shard of shards) {
      if (requestBytes(shard) > MAX_REQUEST_BYTES) {
        throw new ValidationError(`${p}.shards`, `is ${shardCount}: shard ${shard.index} (${shard.groups.length} users) would send a ${requestBytes(shard)}-byte update request, over ${MAX_REQUEST_BYTES}. Give more shards (e.g. ${shardCount * 2}) before the first deployment, or use DeliveryMode.GITOPS.`, this);
      }
    }
    const byStack = new Map<number, Shard[]>();
    for (const shard of shards) {
      const stackIndex = Math.floor(shard.index / SHARDS_PER_STACK);
      byStack.set(stackIndex, [...(byStack.get(stackIndex) ?? []), shard]);
    }
    // KubeVirt's CRDs and webhooks (VirtualMachine), and the pools' manifests, which come after
    // Karpenter's CRDs (per-user NodePools).
    const waitFor: IDependable[] = [
      ...(props.kubevirt !== undefined ? [props.kubevirt.ready] : []),
      ...[props.sharedPool, props.dedicatedPoolTemplate, props.sharedHostPool].filter((pool): pool is VmHostPool => pool !== undefined).map((pool) => pool.manifest),
    ];
    for (const [stackIndex, stackShards] of byStack) {
      const bytes = STACK_OVERHEAD_BYTES + stackShards.reduce((sum, s) => sum + templateBytes(s), 0);
      if (bytes > MAX_TEMPLATE_BYTES || stackShards.length > MAX_STACK_RESOURCES) {
        throw new ValidationError(`${p}.shards`, `is ${shardCount}: nested stack ${stackIndex} would be about ${bytes} bytes, over ${MAX_TEMPLATE_BYTES}. Give more shards before the first deployment, or use DeliveryMode.GITOPS.`, this);
      }
      const stack = new NestedStack(this, `Users${String(stackIndex).padStart(3, '0')}`, {
        description: `Per-user desktop objects, shards ${stackIndex * SHARDS_PER_STACK}-${(stackIndex + 1) * SHARDS_PER_STACK - 1}`,
      });
      for (const shard of stackShards) {
        const manifest = kubernetesManifest(stack, shardDirectory(shard.index), props.cluster, shard.groups.flatMap((g) => g.objects));
        for (const dependency of waitFor) manifest.node.addDependency(dependency);
        this.manifests.push(manifest);
      }
      this.stacks.push(stack);
    }
    registerUserNames(this, users);
  }
}

/**
 * Runs the per-user renderer and reports its errors as this construct's props: the user's
 * props as `DesktopUsers.users[i]`, the desktop's as `DesktopUsers.vmDesktop`, the rest as they
 * were given to `DesktopUsers`.
 */
function asDesktopUsersError<T>(scope: Construct, index: number, render: () => T): T {
  try {
    return render();
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const prop = error.prop
      .replace(/^DesktopUserIsolation\.user(?=\.|$)/, `DesktopUsers.users[${index}]`)
      .replace(/^DesktopUserIsolation\./, 'DesktopUsers.')
      .replace(/^WindowsDesktopVm\./, 'DesktopUsers.vmDesktop.');
    throw new ValidationError(prop, error.detail, scope);
  }
}

/** Which `DesktopUsers` of an app holds which user name (the app's root is the key). */
const USER_OWNERS = new WeakMap<IConstruct, Map<string, string>>();

/** Refuses a user that another `DesktopUsers` of the same app already has (one namespace each). */
function claimUserNames(scope: Construct, prop: string, users: readonly ResolvedDesktopUser[]): void {
  const root = scope.node.root;
  const owners = USER_OWNERS.get(root) ?? new Map<string, string>();
  USER_OWNERS.set(root, owners);
  users.forEach((user, i) => {
    const owner = owners.get(user.name);
    if (owner !== undefined) {
      throw new ValidationError(`${prop}[${i}].id`, `"${user.id}" is also a user of ${owner}; its namespace "${user.name}" can have one owner. List each user in one DesktopUsers.`, scope);
    }
  });
}

/** Records the users of a `DesktopUsers` once it is complete (a refused one claims nobody). */
function registerUserNames(scope: Construct, users: readonly ResolvedDesktopUser[]): void {
  const owners = USER_OWNERS.get(scope.node.root)!;
  for (const user of users) owners.set(user.name, scope.node.path);
}

/** Writes the layout, replacing earlier shard files (a shard that became empty disappears). */
function writeLayout(dir: string, files: ReadonlyMap<string, string>): void {
  for (const sub of ['shards', 'argocd', 'flux']) fs.rmSync(path.join(dir, sub), { recursive: true, force: true });
  for (const [file, content] of files) {
    const target = path.join(dir, file);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, content);
  }
}


