import { Size, Stack } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { DesktopUser, UserIsolationMode } from '../../constructs/isolation/desktop-user';
import { GoldenImageReference } from '../../constructs/kubevirt/golden-image';
import { VmHostPool } from '../../constructs/kubevirt/vm-host-pool';
import { TEST_LICENSING } from '../kubevirt/kubevirt-test-support';
import { FakeKarpenter, stackWithV2Cluster } from '../support/eks-fixtures';

/** The golden image every test desktop clones. */
export const GOLDEN_IMAGE: GoldenImageReference = { dataSourceName: 'windows11', namespace: 'desktop-images', size: Size.gibibytes(64) };

/** `count` users `user<i>@example.com` of one isolation mode. */
export function manyUsers(count: number, isolation: UserIsolationMode = UserIsolationMode.SHARED_POOL): DesktopUser[] {
  return Array.from({ length: count }, (_, i) => ({ id: `user${i}@example.com`, displayName: `User ${i}`, group: 'desktop-users', isolation }));
}

/** A v2 cluster with an ordinary VM host pool (template, shared hosts) and a per-user host pool. */
export interface PoolsFixture {
  readonly stack: Stack;
  readonly cluster: eks.Cluster;
  readonly hosts: VmHostPool;
  readonly userHosts: VmHostPool;
}

export function clusterWithPools(): PoolsFixture {
  const { stack, cluster } = stackWithV2Cluster();
  const karpenter = new FakeKarpenter(stack, 'Karpenter', { cluster });
  const hosts = new VmHostPool(stack, 'Hosts', { karpenter, guestLicensing: TEST_LICENSING });
  const userHosts = new VmHostPool(stack, 'UserHosts', { karpenter, guestLicensing: TEST_LICENSING, perUserHosts: true });
  return { stack, cluster, hosts, userHosts };
}
