import { createHash } from 'crypto';
import * as eks from 'aws-cdk-lib/aws-eks';
import * as eksv2 from 'aws-cdk-lib/aws-eks-v2';
import { Construct } from 'constructs';
import { IEksCluster } from '../../common/eks-cluster';
import { isAwsEksV1Cluster } from '../../kubevirt/private/object-value';
import { KubernetesObjectJson } from '../desktop-user-isolation';

/**
 * Limits of delivering Kubernetes objects through CloudFormation custom resources.
 *
 * CloudFormation invokes the kubectl handler asynchronously, which fails above 262,144 bytes
 * (aws/aws-cdk#19165), and an update carries the old properties too; templates stop at 1 MB.
 * The budgets below keep a margin under both.
 */
export const MAX_REQUEST_BYTES = 200_000;
export const MAX_TEMPLATE_BYTES = 800_000;
export const MAX_STACK_RESOURCES = 450;
/** What a request carries besides the properties (ids, a presigned response URL, ...), generously. */
export const REQUEST_ENVELOPE_BYTES = 4_096;
/** Template bytes of one manifest resource besides its manifest string (type, properties, dependencies). */
const RESOURCE_OVERHEAD_BYTES = 1_500;
/** The prune label the kubectl handler adds to every object (`aws.cdk.eks/prune-<addr>`). */
const PRUNE_LABEL_BYTES = 80;
/** Template bytes of a nested stack besides its resources (parameters, metadata). */
export const STACK_OVERHEAD_BYTES = 10_000;

/** One user's objects, with a key that decides their shard. */
export interface ObjectGroup {
  readonly key: string;
  readonly objects: KubernetesObjectJson[];
}

/** A shard: its index, its groups and their estimated sizes. */
export interface Shard {
  readonly index: number;
  readonly groups: ObjectGroup[];
  /** Objects in the shard. */
  readonly objectCount: number;
  /** Bytes of the manifest as a JSON string inside JSON (as in a template and a request). */
  readonly manifestBytes: number;
}

/**
 * The shard of a key: a hash of the key modulo the shard count. It depends on nothing but the
 * key and the count, so adding or removing other users never moves a user's objects to another
 * manifest (which CloudFormation would delete after the new one applied them).
 */
export function shardOf(key: string, shardCount: number): number {
  const digest = createHash('sha256').update(key, 'utf8').digest();
  return digest.readUInt32BE(0) % shardCount;
}

/** Groups the object groups into shards by key; empty shards are left out. Groups keep their order. */
export function planShards(groups: readonly ObjectGroup[], shardCount: number): Shard[] {
  const byIndex = new Map<number, ObjectGroup[]>();
  for (const group of groups) {
    const index = shardOf(group.key, shardCount);
    const list = byIndex.get(index) ?? [];
    list.push(group);
    byIndex.set(index, list);
  }
  return [...byIndex.entries()].sort(([a], [b]) => a - b).map(([index, list]) => {
    const objects = list.flatMap((g) => g.objects);
    return {
      index,
      groups: list,
      objectCount: objects.length,
      manifestBytes: JSON.stringify(JSON.stringify(objects)).length + PRUNE_LABEL_BYTES * objects.length,
    };
  });
}

/** Estimated bytes of the request CloudFormation sends for an update of a shard's manifest (old + new). */
export function requestBytes(shard: Shard): number {
  return 2 * (shard.manifestBytes + RESOURCE_OVERHEAD_BYTES) + REQUEST_ENVELOPE_BYTES;
}

/** Estimated template bytes of a shard's manifest resource. */
export function templateBytes(shard: Shard): number {
  return shard.manifestBytes + RESOURCE_OVERHEAD_BYTES;
}

/**
 * A kubectl-applied manifest in any scope (e.g. a nested stack), for clusters of either EKS
 * module. `IEksCluster.addManifest` always puts the resource in the cluster's stack.
 */
export function kubernetesManifest(scope: Construct, id: string, cluster: IEksCluster, objects: KubernetesObjectJson[]): Construct {
  const manifest = objects.map((o) => ({ ...o }));
  if (isAwsEksV1Cluster(cluster)) {
    return new eks.KubernetesManifest(scope, id, { cluster, manifest, prune: true });
  }
  return new eksv2.KubernetesManifest(scope, id, { cluster: cluster as unknown as eksv2.ICluster, manifest, prune: true });
}
