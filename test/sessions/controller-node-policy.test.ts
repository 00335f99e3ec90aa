import * as fs from 'fs';
import { Chart, Testing } from 'cdk8s';
import { USER_LABEL } from '../../constructs/common/well-known';
import { DEFAULT_VM_HOST_PLACEMENT } from '../../constructs/kubevirt/vm-host-placement';
import { DesktopSession, SESSIONS_API } from '../../constructs/sessions/api';
import { ControllerMetrics } from '../../constructs/sessions/controller/metrics';
import { WarmSlots, renderWarmPlaceholder } from '../../constructs/sessions/controller/warm-slots';
import { ControllerNodePolicy, NODE_METADATA_COMPARED, NODE_METADATA_WRITTEN_BY_SERVER } from '../../constructs/sessions/controller-node-policy';
import { DEFAULT_WARM_NAMESPACE } from '../../constructs/sessions/resources';
import { KubernetesClient, KubernetesObject } from '../../constructs/sessions/runtime/kubernetes-client';
import { AdmissionPolicySpec, AdmissionRequestView, admissionPolicyDecision } from '../support/cel';
import { FakeKubeApiServer, KubeObject } from '../support/fake-kube-api-server';
import { KubernetesObject as SynthObject, validateKubernetesObjects } from '../support/kubernetes-schemas';
import { requireReferenceFile } from '../support/reference';
import { startApi, windows11Class } from './session-test-support';

const CONTROLLER = 'system:serviceaccount:desktop-sessions:desktop-session-controller';

function render(): SynthObject[] {
  const chart = new Chart(Testing.app(), 'C');
  new ControllerNodePolicy(chart, 'Policy', { name: 'desktop-session-controller-nodes', namespace: 'desktop-sessions', serviceAccountName: 'desktop-session-controller' });
  return Testing.synth(chart) as SynthObject[];
}

/** A warm host as Karpenter registers it: the placeholder's `warm.<slot>` value, taints, status. */
function warmNode(userValue = 'warm.abcdef0123'): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: 'ip-10-0-1-1.ec2.internal',
      uid: '2b1c0a5e-0000-4000-8000-000000000001',
      resourceVersion: '100',
      creationTimestamp: '2026-11-29T20:00:00Z',
      labels: { [USER_LABEL]: userValue, 'karpenter.sh/nodepool': 'vm-hosts', 'node.kubernetes.io/instance-type': 'c8i.2xlarge', 'karpenter.sh/capacity-type': 'on-demand' },
      annotations: { 'karpenter.sh/nodepool-hash': '123' },
      finalizers: ['karpenter.sh/termination'],
      ownerReferences: [{ apiVersion: 'karpenter.sh/v1', kind: 'NodeClaim', name: 'vm-hosts-x1', uid: '2b1c0a5e-0000-4000-8000-000000000002' }],
    },
    spec: { providerID: 'aws:///us-east-1a/i-0123456789abcdef0', taints: [{ key: 'desktop.io/vm-host', value: 'true', effect: 'NoSchedule' }] },
    status: { conditions: [{ type: 'Ready', status: 'True' }] },
  } as KubeObject;
}

/** The Node fields the cases change. */
interface NodeView {
  metadata: { labels: Record<string, string>; annotations: Record<string, string>; finalizers?: string[]; ownerReferences: unknown[]; resourceVersion?: string; managedFields?: unknown[] };
  spec: { taints: Array<{ key: string; value?: string; effect: string }>; unschedulable?: boolean };
}
const clone = (o: unknown): NodeView => JSON.parse(JSON.stringify(o)) as NodeView;

describe('ControllerNodePolicy (the session controller may only relabel a warm host for a user)', () => {
  const objects = render();
  const policy = objects.find((o) => o.kind === 'ValidatingAdmissionPolicy')!;
  const spec = policy.spec as AdmissionPolicySpec;
  const update = (oldObject: unknown, object: unknown, username = CONTROLLER): AdmissionRequestView => ({ group: '', resource: 'nodes', operation: 'UPDATE', username, object, oldObject });

  test('policy and binding are valid admissionregistration.k8s.io/v1 objects; the binding denies', () => {
    expect(objects.map((o) => `${o.apiVersion}/${o.kind}`)).toEqual(['admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy', 'admissionregistration.k8s.io/v1/ValidatingAdmissionPolicyBinding']);
    expect(validateKubernetesObjects(objects)).toEqual([]);
    expect(objects[1].spec).toEqual({ policyName: 'desktop-session-controller-nodes', validationActions: ['Deny'] });
    expect(spec).toMatchObject({ failurePolicy: 'Fail', matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], resources: ['nodes'], operations: ['UPDATE'] }] } });
  });

  test('every ObjectMeta field (Kubernetes 1.34 schema) is compared or written by the server itself', () => {
    const file = requireReferenceFile('Kubernetes schemas', 'cdk8s', 'kubernetes-schemas', 'v1.34.0', '_definitions.json');
    const meta = JSON.parse(fs.readFileSync(file, 'utf8')).definitions['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'] as { properties: Record<string, unknown> };
    expect([...NODE_METADATA_COMPARED, ...NODE_METADATA_WRITTEN_BY_SERVER, 'labels'].sort()).toEqual(Object.keys(meta.properties).sort());
  });

  describe('what WarmSlots.claim writes, over the fake API server', () => {
    let server: FakeKubeApiServer;
    let client: KubernetesClient;
    beforeEach(async () => {
      ({ server, client } = await startApi());
      server.registerResource({ group: '', version: 'v1', plural: 'nodes', kind: 'Node', namespaced: false, statusSubresource: true });
    });
    afterEach(async () => {
      client.close();
      await server.stop();
    });

    test('the claim\'s relabel of its host is admitted', async () => {
      // GIVEN a running placeholder on its warm host
      const cls = windows11Class({ warmCount: 1 });
      const pod = renderWarmPlaceholder({ desktopClass: cls, namespace: DEFAULT_WARM_NAMESPACE, slot: 'abcdef0123', hostPlacement: DEFAULT_VM_HOST_PLACEMENT }) as KubeObject;
      const warmValue = (pod.spec as { nodeSelector: Record<string, string> }).nodeSelector[USER_LABEL];
      const { resourceVersion: _rv, ...meta } = warmNode(warmValue).metadata;
      await client.create({ group: '', version: 'v1', plural: 'nodes' }, { ...warmNode(warmValue), metadata: meta } as KubernetesObject, 'karpenter');
      const nodeName = meta.name;
      await client.create({ group: '', version: 'v1', plural: 'pods', namespace: DEFAULT_WARM_NAMESPACE }, { ...pod, spec: { ...(pod.spec as object), nodeName } } as KubernetesObject, 'test');
      server.setStatus('', 'v1', 'pods', DEFAULT_WARM_NAMESPACE, pod.metadata.name, { phase: 'Running' });
      const before = clone(server.get('', 'v1', 'nodes', undefined, nodeName)!);
      const session = { apiVersion: SESSIONS_API, kind: 'DesktopSession', metadata: { name: 's', namespace: 'desktop-sessions', uid: 'u-1' }, spec: { userId: 'alice@example.com', desktopClass: 'win11', size: 'medium' } } as unknown as DesktopSession;

      // WHEN the controller claims the slot
      const claim = await new WarmSlots({ client, metrics: new ControllerMetrics(), hostPlacement: DEFAULT_VM_HOST_PLACEMENT }).claim(session, cls, 'alice-example-com-1a2b3c4d');

      // THEN the node write it made passes the policy
      expect(claim).toEqual({ pod: pod.metadata.name, node: nodeName });
      const after = server.get('', 'v1', 'nodes', undefined, nodeName)!;
      expect(after.metadata.labels?.[USER_LABEL]).toBe('alice-example-com-1a2b3c4d');
      expect(await admissionPolicyDecision(spec, update(before, after))).toEqual({ matched: true, violations: [] });
      });
  });

  test('warm to user: admitted; server-written fields may differ', async () => {
    const old = warmNode();
    const next = clone(old);
    next.metadata.labels[USER_LABEL] = 'alice-1a2b3c4d';
    next.metadata.resourceVersion = '101';
    next.metadata.managedFields = [{ manager: 'desktop-session-controller', operation: 'Update', apiVersion: 'v1' }];
    expect(await admissionPolicyDecision(spec, update(old, next))).toEqual({ matched: true, violations: [] });
  });

  test.each<[string, (n: NodeView) => void, RegExp]>([
    ['user to another user', () => undefined, /only relabel a warm host/],
    ['warm to another warm value', (n) => { n.metadata.labels[USER_LABEL] = 'warm.ffff'; }, /only relabel a warm host/],
    ['warm to a value that is no user name', (n) => { n.metadata.labels[USER_LABEL] = 'Alice@Example'; }, /only relabel a warm host/],
    ['removing the user label', (n) => { delete n.metadata.labels[USER_LABEL]; }, /only relabel a warm host/],
    ['another label changed', (n) => { n.metadata.labels['karpenter.sh/capacity-type'] = 'spot'; }, /no node label but desktop\.io\/user-id/],
    ['another label added', (n) => { n.metadata.labels['desktop.io/warm'] = 'true'; }, /no node label but/],
    ['another label removed', (n) => { delete n.metadata.labels['karpenter.sh/nodepool']; }, /no node label but/],
    ['a taint removed', (n) => { n.spec.taints = []; }, /spec \(taints/],
    ['a taint added', (n) => { n.spec.taints.push({ key: 'x', effect: 'NoExecute' }); }, /spec \(taints/],
    ['cordoned', (n) => { n.spec.unschedulable = true; }, /spec \(taints/],
    ['an annotation', (n) => { n.metadata.annotations.x = 'y'; }, /metadata other than its user label/],
    ['finalizers dropped', (n) => { delete n.metadata.finalizers; }, /metadata other than its user label/],
    ['owner references changed', (n) => { n.metadata.ownerReferences = []; }, /metadata other than its user label/],
  ])('refused: %s (even alongside a valid relabel)', async (what, mutate, message) => {
    // A host already a user's (bob's) for the first case; a warm host for the others.
    const old = warmNode(what === 'user to another user' ? 'bob-5e6f7a8b' : undefined);
    const next = clone(old);
    next.metadata.labels[USER_LABEL] = 'alice-1a2b3c4d';
    mutate(next);
    const decision = await admissionPolicyDecision(spec, update(old, next));
    expect(decision.matched).toBe(true);
    expect(decision.violations).toEqual(expect.arrayContaining([expect.stringMatching(message)]));
  });

  test('a refused change refuses alone, without the relabel too', async () => {
    const old = warmNode('alice-1a2b3c4d');
    const next = clone(old);
    next.spec.taints = [];
    expect((await admissionPolicyDecision(spec, update(old, next))).violations.length).toBeGreaterThan(0);
  });

  test('other service accounts and users are not matched; creates and deletes are not matched', async () => {
    const old = warmNode();
    const next = clone(old);
    next.spec.taints = [];
    expect(await admissionPolicyDecision(spec, update(old, next, 'system:serviceaccount:karpenter:karpenter'))).toEqual({ matched: false, violations: [] });
    expect(await admissionPolicyDecision(spec, update(old, next, 'system:serviceaccount:other:desktop-session-controller'))).toEqual({ matched: false, violations: [] });
    expect(await admissionPolicyDecision(spec, update(old, next, 'system:node:ip-10-0-1-1.ec2.internal'))).toEqual({ matched: false, violations: [] });
    expect((await admissionPolicyDecision(spec, { ...update(old, next), operation: 'DELETE' })).matched).toBe(false);
    expect((await admissionPolicyDecision(spec, { ...update(old, next), resource: 'pods' })).matched).toBe(false);
  });
});
