import { Testing } from 'cdk8s';
import * as cdk8s from 'cdk8s';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { kubernetesNameForUser } from '../../constructs/common/kubernetes-name';
import { NodeDesktopIsolation } from '../../constructs/node-desktops/node-desktop-isolation';
import { NodeDesktopSession } from '../../constructs/node-desktops/node-desktop-session';
import { NodeDesktops } from '../../constructs/node-desktops/node-desktops';
import { claimWarmNode } from '../../constructs/node-desktops/warm-node-claim';
import { KubernetesObject } from '../support/kubernetes-schemas';
import { FakeKarpenter, stackWithV2Cluster } from '../support/eks-fixtures';
import { ofKind } from './node-desktops-fixtures';
import { Pod, PodSpec, Pool, SimNode, fits, launch } from './placement-model';

/** A Windows pod that is no desktop session: tolerates Windows nodes, selects nothing else. */
const OTHER_WINDOWS_POD: Pod = {
  apiVersion: 'v1', kind: 'Pod', metadata: { labels: { app: 'iis' } },
  spec: { nodeSelector: { 'kubernetes.io/os': 'windows' }, tolerations: [{ key: 'os', operator: 'Equal', value: 'windows', effect: 'NoSchedule' }] },
};

function desktops(isolation: NodeDesktopIsolation, warmDesktops = 0): { pools: Pool[]; objects: KubernetesObject[]; sessionOf: (userId: string) => Pod } {
  const { stack, cluster } = stackWithV2Cluster();
  const karpenter = new FakeKarpenter(stack, 'Karpenter', { cluster });
  const guacd = new ec2.SecurityGroup(stack, 'Guacd', { vpc: cluster.vpc });
  const nd = new NodeDesktops(stack, 'Desktops', {
    karpenter, isolation, rdpClientSecurityGroup: guacd, warmDesktops,
    users: [{ userId: 'alice@example.com' }, { userId: 'bob@example.com' }],
  });
  const objects = [nd.chart, ...nd.userPoolCharts].flatMap((chart) => Testing.synth(chart) as KubernetesObject[]);
  const sessionOf = (userId: string): Pod => {
    const chart = new cdk8s.Chart(new cdk8s.App(), 'session');
    new NodeDesktopSession(chart, 'S', { template: nd.sessionTemplate, userId });
    return ofKind(Testing.synth(chart) as KubernetesObject[], 'Pod')[0] as Pod;
  };
  return { pools: ofKind(objects, 'NodePool') as Pool[], objects, sessionOf };
}

function launchable(pools: Pool[], pod: Pod): string[] {
  return pools.filter((pool) => launch(pool, pod) !== undefined).map((pool) => pool.metadata!.name!);
}

describe('placement with a NodePool per user', () => {
  const { pools, sessionOf } = desktops(NodeDesktopIsolation.nodePoolPerUser());
  const alice = sessionOf('alice@example.com');
  const bob = sessionOf('bob@example.com');
  const aliceName = kubernetesNameForUser('t', 'alice@example.com');
  const bobName = kubernetesNameForUser('t', 'bob@example.com');

  test('each user\'s session can be launched from that user\'s pool only', () => {
    // THEN
    expect(launchable(pools, alice)).toEqual([`node-desktops-${aliceName}`]);
    expect(launchable(pools, bob)).toEqual([`node-desktops-${bobName}`]);
    expect(launchable(pools, OTHER_WINDOWS_POD)).toEqual([]);
  });

  test('a user\'s node takes that user\'s session only: not another user\'s, not other Windows pods', () => {
    // GIVEN
    const aliceNode = launch(pools.find((p) => p.metadata!.name!.endsWith(aliceName))!, alice)!;
    // THEN
    expect(aliceNode.labels['desktop.io/user-id']).toBe(aliceName);
    expect(aliceNode.taints).toContainEqual({ key: 'dedicated-user', value: aliceName, effect: 'NoSchedule' });
    expect(fits(alice, aliceNode)).toBe(true);
    expect(fits(bob, aliceNode)).toBe(false);
    expect(fits(OTHER_WINDOWS_POD, aliceNode)).toBe(false);
  });

  test('one session per node, and one node per user pool', () => {
    // GIVEN
    const pool = pools.find((p) => p.metadata!.name!.endsWith(aliceName))!;
    const aliceNode = launch(pool, alice)!;
    // THEN
    expect(fits(sessionOf('alice@example.com'), aliceNode, [alice])).toBe(false);
    expect(pool.spec.limits.nodes).toBe(1);
  });
});

describe('placement with one shared pool', () => {
  const { pools, objects, sessionOf } = desktops(NodeDesktopIsolation.sharedPool(), 2);
  const deployment = ofKind(objects, 'Deployment')[0] as KubernetesObject & { spec: { template: { metadata: { labels: Record<string, string> }; spec: PodSpec } } };
  const placeholder = { apiVersion: 'v1', kind: 'Pod', metadata: deployment.spec.template.metadata, spec: deployment.spec.template.spec } as Pod;
  const alice = sessionOf('alice@example.com');
  const bob = sessionOf('bob@example.com');
  const aliceName = kubernetesNameForUser('t', 'alice@example.com');
  const shared = pools.find((p) => p.metadata!.name === 'node-desktops')!;
  const warm = pools.find((p) => p.metadata!.name === 'node-desktops-warm')!;

  test('sessions are launched from the shared pool, never from the warm pool, and other pods from neither', () => {
    // THEN
    expect(launchable(pools, alice)).toEqual(['node-desktops']);
    expect(launchable(pools, bob)).toEqual(['node-desktops']);
    expect(launchable(pools, OTHER_WINDOWS_POD)).toEqual([]);
  });

  test('the node launched for a session is labelled for its user and takes no other user\'s session', () => {
    // GIVEN
    const aliceNode = launch(shared, alice)!;
    // THEN
    expect(aliceNode.labels['desktop.io/user-id']).toBe(aliceName);
    expect(fits(alice, aliceNode)).toBe(true);
    expect(fits(bob, aliceNode)).toBe(false);
    expect(fits(OTHER_WINDOWS_POD, aliceNode)).toBe(false);
    // A second session of the same user needs a node of its own.
    expect(fits(sessionOf('alice@example.com'), aliceNode, [alice])).toBe(false);
  });

  test('a node launched without a user value (e.g. by a stray pod) gets a number, which no user name is', () => {
    // GIVEN
    const strayNode = launch(shared, { ...alice, spec: { ...alice.spec, nodeSelector: { 'kubernetes.io/os': 'windows' } } })!;
    // THEN
    expect(strayNode.labels['desktop.io/user-id']).toMatch(/^\d+$/);
    expect(fits(alice, strayNode)).toBe(false);
    expect(fits(bob, strayNode)).toBe(false);
  });

  test('a warm node takes no session until claimed, then only its user\'s', () => {
    // GIVEN
    const warmNode: SimNode = { labels: { ...warm.spec.template.metadata!.labels!, 'karpenter.sh/nodepool': 'node-desktops-warm', 'kubernetes.io/os': 'windows', 'kubernetes.io/arch': 'amd64', 'node.kubernetes.io/windows-build': '10.0.20348' }, taints: warm.spec.template.spec.taints };
    expect(fits(alice, warmNode)).toBe(false);
    // WHEN
    const patch = claimWarmNode(warmNode, 'alice@example.com');
    const labels = { ...warmNode.labels };
    for (const [k, v] of Object.entries(patch.metadata.labels)) {
      if (v === null) delete labels[k]; else labels[k] = v;
    }
    const claimed: SimNode = { labels, taints: patch.spec.taints };
    // THEN
    expect(fits(alice, claimed)).toBe(true);
    expect(fits(bob, claimed)).toBe(false);
    expect(fits(OTHER_WINDOWS_POD, claimed)).toBe(false);
    expect(() => claimWarmNode(claimed, 'bob@example.com')).toThrow(/the node is not a warm desktop node/);
    // The next placeholder goes to a new warm node, not back onto the claimed one.
    expect(fits(placeholder, warmNode)).toBe(true);
    expect(fits(placeholder, claimed)).toBe(false);
  });

  test('warm placeholders are launched from the warm pool only, one per node', () => {
    // THEN
    expect(launchable(pools, placeholder)).toEqual(['node-desktops-warm']);
    const node = launch(warm, placeholder)!;
    expect(fits(placeholder, node, [placeholder])).toBe(false);
    expect(warm.spec.limits.nodes).toBe(4);
  });
});
