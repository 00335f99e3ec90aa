import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CfnElement, Size, Stack, Stage } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { Chart, Testing } from 'cdk8s';
import { k8s } from 'cdk8s-plus-29';
import { parseAllDocuments } from 'yaml';
import { kubernetesNameForUser } from '../../constructs/common/kubernetes-name';
import { DesktopKind, UserIsolationMode } from '../../constructs/isolation/desktop-user';
import { DeliveryMode, DesktopUsers, DesktopUsersProps, GitOpsEngine } from '../../constructs/isolation/desktop-users';
import { DesktopUserIsolation, KubernetesObjectJson, renderDesktopUserObjects } from '../../constructs/isolation/desktop-user-isolation';
import { KubeVirt } from '../../constructs/kubevirt/kubevirt';
import { VmHostPool } from '../../constructs/kubevirt/vm-host-pool';
import { TEST_LICENSING } from '../kubevirt/kubevirt-test-support';
import { FakeKarpenter, stackWithV1Cluster } from '../support/eks-fixtures';
import { kubernetesObjectsOf, validateKubernetesObjects } from '../support/kubernetes-schemas';
import { registerKubeVirtSchemas } from '../support/kubevirt-schemas';
import { clusterWithPools, GOLDEN_IMAGE, manyUsers, PoolsFixture } from './isolation-fixtures';

function newUsers(f: PoolsFixture, props: Partial<DesktopUsersProps> = {}, id = 'Users'): DesktopUsers {
  return new DesktopUsers(f.stack, id, {
    cluster: f.cluster,
    users: [
      { id: 'alice@example.com', isolation: UserIsolationMode.SHARED_POOL },
      { id: 'bob@example.com', isolation: UserIsolationMode.SHARED_POOL },
      { id: 'carol@example.com', isolation: UserIsolationMode.DEDICATED_POOL },
      { id: 'dave@example.com', isolation: UserIsolationMode.DEDICATED_POOL },
    ],
    goldenImage: GOLDEN_IMAGE,
    vmDesktop: {},
    sharedPool: f.userHosts,
    dedicatedPoolTemplate: f.hosts,
    ...props,
  });
}

describe('DesktopUsers through CloudFormation (four users, both modes)', () => {
  let f: PoolsFixture;
  let users: DesktopUsers;
  let kubevirt: KubeVirt;
  let objects: KubernetesObjectJson[];

  beforeAll(() => {
    registerKubeVirtSchemas();
    // GIVEN
    f = clusterWithPools();
    kubevirt = new KubeVirt(f.stack, 'KubeVirt', { cluster: f.cluster, hostPool: f.hosts });
    // WHEN
    users = newUsers(f, { kubevirt });
    objects = users.stacks.flatMap((s) => kubernetesObjectsOf(Template.fromStack(s)) as unknown as KubernetesObjectJson[]);
  });

  test('the manifests live in nested stacks, one per non-empty shard, and apply every user', () => {
    expect(users.stacks.length).toBeGreaterThanOrEqual(1);
    expect(users.manifests).toHaveLength(users.shards.length);
    const namespaces = objects.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name).sort();
    expect(namespaces).toEqual(['alice@example.com', 'bob@example.com', 'carol@example.com', 'dave@example.com'].map((id) => kubernetesNameForUser('id', id)).sort());
    expect(objects.filter((o) => o.kind === 'NodePool').map((o) => o.metadata.name).sort())
      .toEqual(['carol@example.com', 'dave@example.com'].map((id) => kubernetesNameForUser('id', id)).sort());
  });

  test('every delivered object is valid against its schema', () => {
    expect(validateKubernetesObjects(objects as never)).toEqual([]);
  });

  test('the manifests are pruned (a removed user loses their objects) and wait for KubeVirt', () => {
    const parent = Template.fromStack(f.stack).toJSON() as { Resources: Record<string, { Type: string; DependsOn?: string[] }> };
    // The last readiness check: KubeVirt and CDI Available.
    const readiness = f.stack.getLogicalId(kubevirt.readinessCheck!.node.defaultChild as CfnElement);
    const nested = Object.entries(parent.Resources).filter(([id, r]) => r.Type === 'AWS::CloudFormation::Stack' && id.startsWith('Users')).map(([, r]) => r);
    expect(nested.length).toBe(users.stacks.length);
    for (const r of nested) expect(r.DependsOn).toEqual(expect.arrayContaining([readiness]));
    for (const s of users.stacks) {
      Template.fromStack(s).allResourcesProperties('Custom::AWSCDK-EKS-KubernetesResource', { PruneLabel: Match.stringLikeRegexp('^aws\.cdk\.eks/prune-') });
    }
  });

  test('a user keeps their shard when others are added or removed', () => {
    const g = clusterWithPools();
    const more = new DesktopUsers(g.stack, 'Users', { cluster: g.cluster, users: [...manyUsers(3), { id: 'alice@example.com' }, ...manyUsers(50).slice(3)], goldenImage: GOLDEN_IMAGE });
    const shardOf = (u: DesktopUsers, name: string) => u.shards.find((s) => s.groups.some((gr) => gr.key === name))!.index;
    const alice = kubernetesNameForUser('id', 'alice@example.com');
    expect(shardOf(more, alice)).toBe(shardOf(users, alice));
  });
});

test('works with an aws-eks (v1) cluster', () => {
  // GIVEN
  const { stack, cluster } = stackWithV1Cluster();
  const karpenter = new FakeKarpenter(stack, 'Karpenter', { cluster });
  const userHosts = new VmHostPool(stack, 'UserHosts', { karpenter, guestLicensing: TEST_LICENSING, perUserHosts: true });
  // WHEN
  const users = new DesktopUsers(stack, 'Users', { cluster, users: manyUsers(3), goldenImage: GOLDEN_IMAGE, vmDesktop: {}, sharedPool: userHosts });
  // THEN
  const manifests = users.stacks.flatMap((s) => Object.values(Template.fromStack(s).findResources('Custom::AWSCDK-EKS-KubernetesResource')));
  expect(manifests.length).toBe(users.shards.length);
  expect(manifests.flatMap((m) => JSON.parse(m.Properties.Manifest) as KubernetesObjectJson[]).filter((o) => o.kind === 'Namespace')).toHaveLength(3);
});

describe('DesktopUsers through GitOps (Flux)', () => {
  test('one Flux Kustomization per shard, pointing at its directory', () => {
    // GIVEN
    const f = clusterWithPools();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flux-'));
    // WHEN
    const users = newUsers(f, {
      delivery: DeliveryMode.GITOPS,
      gitOps: { engine: GitOpsEngine.FLUX, repositoryUrl: 'https://git.example.com/platform.git', repositoryPath: '/clusters/prod/users/', outputDirectory: dir },
    });
    // THEN
    const kustomizations = parseAllDocuments(fs.readFileSync(path.join(dir, 'flux', 'kustomizations.yaml'), 'utf8')).map((d) => d.toJSON() as KubernetesObjectJson & { spec: { path: string; prune: boolean; sourceRef: unknown } });
    expect(kustomizations).toHaveLength(users.shards.length);
    for (const k of kustomizations) {
      expect(k).toMatchObject({ apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: { namespace: 'flux-system' }, spec: { prune: true, sourceRef: { kind: 'GitRepository', name: 'flux-system' } } });
      const shardDir = k.spec.path.replace(/^\.\/clusters\/prod\/users\//, '');
      expect(fs.existsSync(path.join(dir, shardDir, 'kustomization.yaml'))).toBe(true);
    }
    expect(fs.existsSync(path.join(dir, 'argocd'))).toBe(false);
    expect(Template.fromStack(f.stack).findResources('AWS::CloudFormation::Stack')).toEqual({});
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('writes into the cloud assembly by default', () => {
    const f = clusterWithPools();
    const users = newUsers(f, { delivery: DeliveryMode.GITOPS, gitOps: { engine: GitOpsEngine.ARGO_CD, repositoryUrl: 'https://git.example.com/p.git' } });
    expect(users.gitOpsDirectory).toBe(path.join(Stage.of(f.stack)!.outdir, 'gitops', 'Test-Users'));
    expect(fs.existsSync(path.join(users.gitOpsDirectory!, 'argocd', 'applicationset.yaml'))).toBe(true);
  });
});

describe('bad input', () => {
  let f: PoolsFixture;
  beforeAll(() => { f = clusterWithPools(); });
  let n = 0;
  const make = (props: Partial<DesktopUsersProps>) => () => newUsers(f, props, `Bad${n++}`);

  test('duplicate users', () => {
    expect(make({ users: [{ id: 'alice@example.com' }, { id: 'bob@example.com' }, { id: 'alice@example.com' }] }))
      .toThrow(/Test\/Bad\d+: DesktopUsers\.users\[2\]\.id: "alice@example\.com" is listed twice \(at 0 and 2\); list each user once\./);
  });

  test('an unmappable id, or a user of the wrong type', () => {
    expect(make({ users: [{ id: '' }] })).toThrow(/Test\/Bad\d+: DesktopUsers\.users\[0\]\.id: is ""; give the user's non-empty id/);
    expect(make({ users: ['alice@example.com' as never] })).toThrow(/DesktopUsers\.users\[0\]: is "alice@example\.com"; give an object such as \{ id: 'alice@example\.com' \}/);
    expect(make({ users: 'alice' as never })).toThrow(/DesktopUsers\.users: is "alice"; give an array of users/);
  });

  test('more users than CloudFormation delivery carries: says which mode can', () => {
    expect(make({ users: manyUsers(1501), vmDesktop: undefined }))
      .toThrow(/DesktopUsers\.users: has 1501 users; DeliveryMode\.CLOUDFORMATION carries at most 1500 .* Use delivery: DeliveryMode\.GITOPS/);
  });

  test('too few shards for the users', () => {
    expect(make({ users: manyUsers(60), shards: 2 })).toThrow(/DesktopUsers\.shards: is 2: shard \d .* over 200000\. Give more shards \(e\.g\. 4\) before the first deployment, or use DeliveryMode\.GITOPS/);
    expect(make({ shards: 0 })).toThrow(/DesktopUsers\.shards: is the number 0; give a whole number from 1 to 4096/);
    expect(make({ users: manyUsers(600), delivery: DeliveryMode.GITOPS, gitOps: { engine: GitOpsEngine.FLUX, repositoryUrl: 'x', outputDirectory: fs.mkdtempSync(path.join(os.tmpdir(), 'bad-')) }, shards: 4 }))
      .toThrow(/DesktopUsers\.shards: is 4: shard \d would hold \d+ objects, over 1000 per Application\/Kustomization\. Give shards: \d+/);
  });

  test('a mode the desktop kind does not support, and node desktop users', () => {
    expect(make({ users: [{ id: 'a@example.com', desktopKind: DesktopKind.NODE, isolation: UserIsolationMode.SHARED_HOSTS }] }))
      .toThrow(/users\[0\]\.isolation: is 'shared-hosts', which node desktops do not support/);
    expect(make({ users: [{ id: 'a@example.com', desktopKind: DesktopKind.NODE }] }))
      .toThrow(/DesktopUsers\.users\[0\]\.desktopKind: is 'Node' for "a@example\.com"; DesktopUsers renders VM desktop users/);
  });

  test('a missing or wrong pool for a mode', () => {
    expect(make({ sharedPool: undefined })).toThrow(/DesktopUsers\.sharedPool: is missing, but user "alice@example\.com" \(users\[0\]\) has isolation 'shared-pool'/);
    expect(make({ dedicatedPoolTemplate: undefined, vmDesktop: undefined })).toThrow(/DesktopUsers\.dedicatedPoolTemplate: is missing, but user "carol@example\.com"/);
    expect(make({ sharedPool: f.hosts })).toThrow(/DesktopUsers\.sharedPool: is Test\/Hosts, which has no per-user hosts; create it with perUserHosts: true/);
    expect(make({ dedicatedPoolTemplate: f.userHosts })).toThrow(/DesktopUsers\.dedicatedPoolTemplate: is Test\/UserHosts, a perUserHosts pool/);
    expect(make({ delivery: DeliveryMode.GITOPS })).toThrow(/DesktopUsers\.gitOps: is missing/);
    expect(make({ delivery: 'argo' as DeliveryMode })).toThrow(/DesktopUsers\.delivery: is "argo"; use DeliveryMode\.CLOUDFORMATION or DeliveryMode\.GITOPS/);
  });

  test('errors of a desktop prop name DesktopUsers.vmDesktop', () => {
    expect(make({ vmDesktop: { userDiskSize: Size.gibibytes(0) } })).toThrow(/Test\/Bad\d+: DesktopUsers\.vmDesktop\.userDiskSize: is 0 GiB/);
  });

  test('a quota below one desktop', () => {
    expect(make({ quota: { memoryGiB: 4 } })).toThrow(/Test\/Bad\d+: DesktopUsers\.quota\.memoryGiB: is 4, below what one VM desktop of 4 vCPU \/ 8 GiB needs \(10 GiB of memory\)/);
  });
});

test('objects added to a chart after KubeVirt.addCdk8sChart fail synthesis instead of being lost', () => {
  // GIVEN
  const f = clusterWithPools();
  const kubevirt = new KubeVirt(f.stack, 'KubeVirt', { cluster: f.cluster, hostPool: f.hosts });
  const chart = new Chart(Testing.app(), 'Desktops');
  new k8s.KubeNamespace(chart, 'Namespace', { metadata: { name: 'desktops' } });
  kubevirt.addCdk8sChart('Desktops', chart);
  // WHEN
  new k8s.KubeConfigMap(chart, 'Late', { metadata: { name: 'late', namespace: 'desktops' } });
  // THEN
  expect(() => Template.fromStack(f.stack as Stack)).toThrow(/KubeVirt\.addCdk8sChart\('Desktops'\): 1 construct\(s\) were added to chart Desktops after it was handed over/);
});

test('warns when the shared per-user pool cannot hold every user host at once', () => {
  // GIVEN a per-user pool with the default limits (400 vCPUs)
  const f = clusterWithPools();
  // WHEN 101 medium desktops (404 vCPUs) are put on it
  new DesktopUsers(f.stack, 'Users', { cluster: f.cluster, users: manyUsers(101), goldenImage: GOLDEN_IMAGE, vmDesktop: {}, sharedPool: f.userHosts });
  // THEN
  Annotations.fromStack(f.stack).hasWarning('/Test/Users', Match.stringLikeRegexp('101 desktops of 404 vCPUs .* need more than the limits of Test/UserHosts \\(400 vCPUs'));
});

test('warns beyond 100 dedicated NodePools', () => {
  const f = clusterWithPools();
  new DesktopUsers(f.stack, 'Users', { cluster: f.cluster, users: manyUsers(101, UserIsolationMode.DEDICATED_POOL), goldenImage: GOLDEN_IMAGE, dedicatedPoolTemplate: f.hosts });
  Annotations.fromStack(f.stack).hasWarning('/Test/Users', Match.stringLikeRegexp('101 users have UserIsolationMode.DEDICATED_POOL'));
});

test('a DesktopUserIsolation in a chart reports its path; the renderer reports the prop only', () => {
  const chart = new Chart(Testing.app(), 'Users');
  expect(() => new DesktopUserIsolation(chart, 'Alice', { user: { id: '' } })).toThrow(/^Users\/Alice: DesktopUserIsolation\.user\.id: is ""/);
  expect(() => renderDesktopUserObjects({ user: { id: '' } })).toThrow(/^DesktopUserIsolation\.user\.id: is ""/);
});

test('a user in two DesktopUsers of one app is refused', () => {
  const f = clusterWithPools();
  new DesktopUsers(f.stack, 'Team1', { cluster: f.cluster, users: [{ id: 'alice@example.com' }], goldenImage: GOLDEN_IMAGE });
  expect(() => new DesktopUsers(f.stack, 'Team2', { cluster: f.cluster, users: [{ id: 'bob@example.com' }, { id: 'alice@example.com' }], goldenImage: GOLDEN_IMAGE }))
    .toThrow(/Test\/Team2: DesktopUsers\.users\[1\]\.id: "alice@example\.com" is also a user of Test\/Team1; its namespace "alice-example-com-[a-z2-7]{10}" can have one owner/);
});
