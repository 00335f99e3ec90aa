import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { parseAllDocuments } from 'yaml';
import { kubernetesNameForUser } from '../../constructs/common/kubernetes-name';
import { DeliveryMode, DesktopUsers, GitOpsEngine, MAX_OBJECTS_PER_GITOPS_SHARD } from '../../constructs/isolation/desktop-users';
import { KubernetesObjectJson } from '../../constructs/isolation/desktop-user-isolation';
import { Testing } from 'cdk8s';
import { karpenterAdmissionProblems, NodeOverlayObject, NodePoolObject } from '../support/karpenter-admission';
import { KubeVirtClusterConfig, renderLauncherPod } from '../support/kubevirt-launcher';
import { clusterWithPools, GOLDEN_IMAGE, manyUsers, PoolsFixture } from './isolation-fixtures';

// The scale limits of the issue, asserted on what synthesis writes (sizes and counts, not times).

const MAX_REQUEST_BYTES = 200_000;
const MAX_TEMPLATE_BYTES = 800_000;
const MAX_RESOURCES = 450;
/** What a custom resource request carries besides its properties (ids, presigned response URL), generously. */
const REQUEST_ENVELOPE_BYTES = 4_096;

interface CfnTemplate { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> }

/** The manifest of a kubectl resource as synthesized: a JSON string (or a join when it holds tokens). */
function manifestObjects(properties: Record<string, unknown>): KubernetesObjectJson[] {
  const manifest = properties.Manifest;
  expect(typeof manifest).toBe('string');
  return JSON.parse(manifest as string) as KubernetesObjectJson[];
}

describe('1,000 VM desktop users, one host per user from a shared pool, through CloudFormation', () => {
  const USERS = 1000;
  let templates: Array<{ file: string; bytes: number; template: CfnTemplate }>;
  let users: DesktopUsers;
  let pools: PoolsFixture;

  beforeAll(() => {
    // GIVEN
    const f = clusterWithPools();
    pools = f;
    // WHEN
    users = new DesktopUsers(f.stack, 'Users', {
      cluster: f.cluster,
      users: manyUsers(USERS),
      goldenImage: GOLDEN_IMAGE,
      vmDesktop: {},
      sharedPool: f.userHosts,
    });
    const assembly = (f.stack.node.root as App).synth();
    templates = fs.readdirSync(assembly.directory)
      .filter((file) => file.endsWith('.template.json'))
      .map((file) => {
        const text = fs.readFileSync(path.join(assembly.directory, file), 'utf8');
        return { file, bytes: Buffer.byteLength(text), template: JSON.parse(text) as CfnTemplate };
      });
  });

  test('every template (parent and nested) is at most 800,000 bytes and 450 resources', () => {
    expect(templates.length).toBe(1 + users.stacks.length);
    for (const t of templates) {
      expect({ file: t.file, ok: t.bytes <= MAX_TEMPLATE_BYTES }).toEqual({ file: t.file, ok: true });
      expect(Object.keys(t.template.Resources).length).toBeLessThanOrEqual(MAX_RESOURCES);
    }
  });

  test('no custom resource update request (old + new properties) passes 200,000 bytes', () => {
    const manifests = templates.flatMap((t) => Object.values(t.template.Resources).filter((r) => r.Type === 'Custom::AWSCDK-EKS-KubernetesResource'));
    expect(manifests.length).toBeGreaterThan(100);
    const largest = Math.max(...manifests.map((r) => 2 * JSON.stringify(r.Properties).length + REQUEST_ENVELOPE_BYTES));
    expect(largest).toBeLessThanOrEqual(MAX_REQUEST_BYTES);
  });

  test('every user is delivered exactly once, namespace first, desktop on their own host', () => {
    const perUserManifests = templates
      .filter((t) => t.file !== 'Test.template.json')
      .flatMap((t) => Object.values(t.template.Resources).filter((r) => r.Type === 'Custom::AWSCDK-EKS-KubernetesResource'));
    const objects = perUserManifests.flatMap((r) => manifestObjects(r.Properties!));
    const namespaces = objects.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name);
    const expected = manyUsers(USERS).map((u) => kubernetesNameForUser('id', u.id));
    expect(namespaces.sort()).toEqual([...expected].sort());
    const vms = objects.filter((o) => o.kind === 'VirtualMachine') as Array<KubernetesObjectJson & { spec: { template: { spec: { nodeSelector: Record<string, string> } } } }>;
    expect(vms).toHaveLength(USERS);
    // Each launcher pod (KubeVirt 1.9 rendering) is one Karpenter launches a host for from the
    // shared per-user pool, labelled for that user only.
    const poolObjects = Testing.synth(pools.userHosts.chart) as KubernetesObjectJson[];
    const pool = poolObjects.find((o) => o.kind === 'NodePool') as unknown as NodePoolObject;
    const overlays = poolObjects.filter((o) => o.kind === 'NodeOverlay') as unknown as NodeOverlayObject[];
    const config: KubeVirtClusterConfig = { useEmulation: false, featureGates: [] };
    for (const vm of vms) {
      expect(vm.spec.template.spec.nodeSelector['desktop.io/user-id']).toBe(vm.metadata.namespace);
      const pod = renderLauncherPod(vm as unknown as Parameters<typeof renderLauncherPod>[0], config);
      expect(karpenterAdmissionProblems(pod, pool, overlays, true)).toEqual([]);
    }
    // Within each manifest, a user's namespace comes before that user's other objects.
    for (const r of perUserManifests) {
      const seen = new Set<string>();
      for (const o of manifestObjects(r.Properties!)) {
        if (o.kind === 'Namespace') seen.add(o.metadata.name);
        else if (o.metadata.namespace !== undefined && o.metadata.namespace !== 'desktop-images') expect(seen.has(o.metadata.namespace)).toBe(true);
      }
    }
  });
});

describe('5,000 VM desktop users through GitOps (Argo CD)', () => {
  const USERS = 5000;
  let dir: string;
  let users: DesktopUsers;
  let stack: Stack;

  beforeAll(() => {
    // GIVEN
    const f = clusterWithPools();
    stack = f.stack;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-'));
    // WHEN
    users = new DesktopUsers(f.stack, 'Users', {
      cluster: f.cluster,
      users: manyUsers(USERS),
      goldenImage: GOLDEN_IMAGE,
      vmDesktop: {},
      sharedPool: f.userHosts,
      delivery: DeliveryMode.GITOPS,
      gitOps: { engine: GitOpsEngine.ARGO_CD, repositoryUrl: 'https://git.example.com/platform.git', repositoryPath: 'clusters/prod/desktop-users', outputDirectory: dir },
    });
  });

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('no shard (Application) holds more than 1,000 objects, and every user is in exactly one', () => {
    const shardDirs = fs.readdirSync(path.join(dir, 'shards')).sort();
    expect(shardDirs.length).toBe(users.shards.length);
    const seen: string[] = [];
    shardDirs.forEach((shard, i) => {
      const kustomization = parseAllDocuments(fs.readFileSync(path.join(dir, 'shards', shard, 'kustomization.yaml'), 'utf8'))[0].toJSON() as { kind: string; resources: string[] };
      expect(kustomization.kind).toBe('Kustomization');
      expect([...kustomization.resources, 'kustomization.yaml'].sort()).toEqual(fs.readdirSync(path.join(dir, 'shards', shard)).sort());
      let count = 0;
      for (const file of kustomization.resources) {
        const text = fs.readFileSync(path.join(dir, 'shards', shard, file), 'utf8');
        // Parsing 65,000 YAML documents takes most of a minute: every 16th shard is parsed in
        // full (and compared with what was rendered); the others are counted by document.
        if (i % 16 === 0) {
          const docs = parseAllDocuments(text).map((d) => d.toJSON() as KubernetesObjectJson);
          expect(docs).toEqual(users.shards[i].groups.find((g) => `${g.key}.yaml` === file)!.objects);
          expect(docs[0]).toMatchObject({ kind: 'Namespace', metadata: { name: file.replace(/\.yaml$/, '') } });
          count += docs.length;
        } else {
          expect(text.startsWith('apiVersion: v1\nkind: Namespace\n')).toBe(true);
          count += text.split(/^---$/m).length;
        }
        seen.push(file.replace(/\.yaml$/, ''));
      }
      expect(count).toBe(users.shards[i].objectCount);
      expect(count).toBeLessThanOrEqual(MAX_OBJECTS_PER_GITOPS_SHARD);
    });
    expect(seen.sort()).toEqual(manyUsers(USERS).map((u) => kubernetesNameForUser('id', u.id)).sort());
  });

  test('an ApplicationSet makes one Application per shard directory', () => {
    const appSet = parseAllDocuments(fs.readFileSync(path.join(dir, 'argocd', 'applicationset.yaml'), 'utf8'))[0].toJSON();
    expect(appSet).toMatchObject({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'ApplicationSet',
      metadata: { namespace: 'argocd' },
      spec: {
        generators: [{ git: { repoURL: 'https://git.example.com/platform.git', directories: [{ path: 'clusters/prod/desktop-users/shards/*' }] } }],
        template: { spec: { source: { path: '{{.path.path}}' }, syncPolicy: { automated: { prune: true } } } },
      },
    });
  });

  test('nothing per user enters CloudFormation', () => {
    expect(users.manifests).toEqual([]);
    expect(users.stacks).toEqual([]);
    expect(stack.node.findAll().filter((c) => c.node.path.startsWith(`${stack.node.path}/Users/`))).toEqual([]);
  });
});
