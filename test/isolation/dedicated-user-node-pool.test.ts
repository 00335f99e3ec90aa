import { DEDICATED_USER_TAINT_KEY, USER_LABEL } from '../../constructs/common/well-known';
import { combinedUserQuota } from '../../constructs/isolation/combined-user-quota';
import { dedicatedUserNodePool, NodePoolJson } from '../../constructs/isolation/dedicated-user-node-pool';
import { DesktopKind, resolveDesktopUser, UserIsolationMode } from '../../constructs/isolation/desktop-user';
import { DesktopSize } from '../../constructs/kubevirt/desktop-size';
import { karpenterCelViolations } from '../support/karpenter-cel';

/** A template NodePool as the API server returns it: server fields, status, a weight, a per-pod user label. */
function liveTemplate(requirements: NodePoolJson['spec']['template']['spec']['requirements']): NodePoolJson {
  return {
    apiVersion: 'karpenter.sh/v1',
    kind: 'NodePool',
    metadata: { name: 'vm-hosts-metal-per-user', uid: '0d9c…', resourceVersion: '4711', generation: 3, labels: { team: 'desktops' } },
    spec: {
      template: {
        metadata: { labels: { 'desktop.io/vm-host': 'true' } },
        spec: {
          nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'vm-hosts-metal' },
          requirements,
          taints: [{ key: 'desktop.io/vm-host', value: 'true', effect: 'NoSchedule' }, { key: DEDICATED_USER_TAINT_KEY, effect: 'NoSchedule' }],
          expireAfter: 'Never',
        },
      },
      disruption: { consolidationPolicy: 'WhenEmpty', consolidateAfter: '10m', budgets: [{ nodes: '10%' }] },
      limits: { cpu: 9600, memory: '38400Gi' },
      weight: 50,
    },
    status: { conditions: [{ type: 'Ready', status: 'True' }], resources: { cpu: '192' } },
  };
}

describe('dedicatedUserNodePool', () => {
  const user = resolveDesktopUser('user', { id: 'alice@example.com', size: DesktopSize.MEDIUM, isolation: UserIsolationMode.DEDICATED_POOL });
  const base = [
    { key: 'kubernetes.io/os', operator: 'In', values: ['linux'] },
    { key: 'karpenter.k8s.aws/instance-family', operator: 'In', values: ['c8i'] },
  ];

  test('a template read from the cluster: only its spec is copied, made the user\'s', () => {
    const pool = dedicatedUserNodePool(liveTemplate([...base, { key: USER_LABEL, operator: 'Exists' }]), user);
    // Nothing of the template's identity or status: an apply of this must create a new object.
    expect(pool.metadata).toEqual({ name: user.name });
    expect(pool).not.toHaveProperty('status');
    expect(pool.spec).not.toHaveProperty('weight');
    expect(pool.spec.template.metadata?.labels).toEqual({ 'desktop.io/vm-host': 'true', [USER_LABEL]: user.name });
    // One label value per pool: no per-pod value of the user label; the user's taint value only.
    expect(pool.spec.template.spec.requirements).toEqual(base);
    expect(pool.spec.template.spec.taints).toEqual([{ key: 'desktop.io/vm-host', value: 'true', effect: 'NoSchedule' }, { key: DEDICATED_USER_TAINT_KEY, value: user.name, effect: 'NoSchedule' }]);
    expect(pool.spec.disruption).toEqual({ consolidationPolicy: 'WhenEmpty', consolidateAfter: '10m', budgets: [{ nodes: '10%' }] });
    // Nested-virtualization hosts: about twice the desktop.
    expect(pool.spec.limits).toEqual({ cpu: 2 * 4 + 4, memory: `${2 * 8 + 16}Gi` });
    expect(karpenterCelViolations(pool)).toEqual([]);
  });

  test('a bare-metal template (instance sizes listed) gets one of the largest metal hosts', () => {
    const pool = dedicatedUserNodePool(liveTemplate([...base, { key: 'karpenter.k8s.aws/instance-size', operator: 'In', values: ['metal', 'metal-24xl'] }]), user);
    expect(pool.spec.limits).toEqual({ cpu: 192, memory: '1536Gi' });
  });
});

describe('combinedUserQuota', () => {
  test('sums the default quota of each share, kinds and sizes mixed', () => {
    expect(combinedUserQuota([
      { desktopKind: DesktopKind.VM, size: DesktopSize.MEDIUM, desktops: 1 },
      { desktopKind: DesktopKind.VM, size: DesktopSize.LARGE, desktops: 2 },
      { desktopKind: DesktopKind.NODE, size: DesktopSize.XLARGE, desktops: 1 },
    ])).toEqual({
      desktops: 4,
      cpu: 5 + 2 * 9 + 1,
      memoryGiB: 10 + 2 * 18 + 2,
      // Per VM desktop: 2 × (64 GiB root + 10%) + 50 GiB user disk + 1.
      storageGiB: 3 * (2 * 71 + 50 + 1),
      persistentVolumeClaims: 3 * 4,
    });
    expect(() => combinedUserQuota([])).toThrow(/at least one share/);
  });
});
