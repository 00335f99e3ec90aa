import { Chart, Testing } from 'cdk8s';
import { DesktopKind, IsolationMode } from '../../constructs/sessions/api';
import { DesktopClassObject } from '../../constructs/sessions/desktop-class';
import { renderSessionCrds } from '../../constructs/sessions/session-crds';
import { CelRule, celTransitionViolations, celViolations } from '../support/cel';
import { KubernetesObject, schemasAvailable, validateKubernetesObjects } from '../support/kubernetes-schemas';

describe('SessionCrds', () => {
  const crds = renderSessionCrds() as unknown as KubernetesObject[];
  const byName = Object.fromEntries(crds.map((c) => [c.metadata!.name!, c as unknown as { spec: Record<string, any> }]));

  test('both CRDs are valid apiextensions.k8s.io/v1 objects', () => {
    expect(schemasAvailable()).toBe(true);
    expect(validateKubernetesObjects(crds)).toEqual([]);
    expect(Object.keys(byName).sort()).toEqual(['desktopclasses.sessions.desktop.io', 'desktopsessions.sessions.desktop.io']);
  });

  test('DesktopSession is namespaced with a status subresource and printer columns', () => {
    const spec = byName['desktopsessions.sessions.desktop.io'].spec;
    expect(spec.scope).toBe('Namespaced');
    const version = spec.versions[0];
    expect(version.subresources).toEqual({ status: {} });
    expect(version.additionalPrinterColumns.map((c: { name: string }) => c.name)).toEqual(['User', 'Class', 'Phase', 'Progress', 'Expires', 'Age']);
    const session = version.schema.openAPIV3Schema.properties.spec;
    expect(session.properties.maxUserDurationSeconds).toMatchObject({ minimum: 600 });
    expect(session.properties.disconnectTimeoutSeconds).toMatchObject({ minimum: 60 });
    expect(session.properties.idleDisconnectTimeoutSeconds).toMatchObject({ minimum: 0 });
    expect(session['x-kubernetes-validations'].map((r: { rule: string }) => r.rule)).toEqual(expect.arrayContaining([
      'self.userId == oldSelf.userId',
      'self.maxUserDurationSeconds >= oldSelf.maxUserDurationSeconds',
    ]));
    expect(session.properties.onDisconnect).toMatchObject({ enum: ['End', 'Stop'], default: 'End' });
    expect(session.properties.onLogoff).toMatchObject({ enum: ['End', 'Keep'], default: 'End' });
    expect(Object.keys(version.schema.openAPIV3Schema.properties.status.properties)).toEqual(expect.arrayContaining(['loggedOnAt', 'resumedAt']));
    expect(version.schema.openAPIV3Schema.properties.status.properties.endReason.enum).toContain('UserLogoff');
    expect(version.schema.openAPIV3Schema.properties.status.properties.phase.enum).toEqual(['Pending', 'Provisioning', 'Ready', 'Connected', 'Disconnected', 'Ending', 'Ended', 'Failed']);
  });

  test('DesktopClass is cluster-scoped; VM classes need a golden image (CEL)', () => {
    const spec = byName['desktopclasses.sessions.desktop.io'].spec;
    expect(spec.scope).toBe('Cluster');
    const rules = spec.versions[0].schema.openAPIV3Schema.properties.spec['x-kubernetes-validations'];
    expect(rules).toEqual(expect.arrayContaining([expect.objectContaining({ rule: "self.kind != 'VM' || has(self.goldenImage)" })]));
  });
});

describe('DesktopClass CEL rules, run by a CEL evaluator (the fake API server does not run CEL)', () => {
  const crd = renderSessionCrds().find((c) => (c as { metadata: { name: string } }).metadata.name === 'desktopclasses.sessions.desktop.io') as unknown as { spec: { versions: Array<{ schema: { openAPIV3Schema: { properties: { spec: { 'x-kubernetes-validations': CelRule[] } } } } }> } };
  const rules = crd.spec.versions[0].schema.openAPIV3Schema.properties.spec['x-kubernetes-validations'];
  const nodeClass = (sessionsPerUser: number) => ({ kind: 'Node', isolation: 'SharedPool', ami: 'ami-0123456789abcdef0', allowedSizes: ['medium'], sessionsPerUser });
  const vmClass = (sessionsPerUser: number) => ({ kind: 'VM', isolation: 'SharedPool', goldenImage: { namespace: 'golden-images', name: 'windows11' }, allowedSizes: ['medium'], sessionsPerUser });

  test('a Node class with more than one session per user is refused with a clear message (its desktop is the user\'s own node)', async () => {
    // WHEN / THEN
    expect(await celViolations(rules, nodeClass(2))).toEqual(['a Node class allows one session per user (sessionsPerUser: 1): a node desktop is the user\'s own dedicated node.']);
    expect(await celViolations(rules, nodeClass(10))).toHaveLength(1);
  });

  test('a Node class with DedicatedPool isolation is accepted without dedicatedPool (its pool\'s template gives the user\'s NodePool), and refused with it', async () => {
    const dedicatedNode = { ...nodeClass(1), isolation: 'DedicatedPool' };
    expect(await celViolations(rules, dedicatedNode)).toEqual([]);
    expect(await celViolations(rules, { ...dedicatedNode, dedicatedPool: { nodePoolTemplate: 'vm-hosts' } })).toEqual([expect.stringMatching(/^dedicatedPool is for VM classes/)]);
    expect(() => new DesktopClassObject(new Chart(Testing.app(), 'C'), 'Node', { name: 'win2022-dedicated', kind: DesktopKind.NODE, isolation: IsolationMode.DEDICATED_POOL, ami: 'ami-0123456789abcdef0' })).not.toThrow();
  });

  test('a Node class with one session per user, and VM classes with several, are accepted', async () => {
    expect(await celViolations(rules, nodeClass(1))).toEqual([]);
    expect(await celViolations(rules, vmClass(3))).toEqual([]);
  });

  test('the existing rules still hold: a VM class needs goldenImage, a Node class ami', async () => {
    const { goldenImage: _g, ...vmWithoutImage } = vmClass(1);
    const { ami: _a, ...nodeWithoutAmi } = nodeClass(1);
    expect(await celViolations(rules, vmWithoutImage)).toEqual([expect.stringMatching(/a VM class needs goldenImage/)]);
    expect(await celViolations(rules, nodeWithoutAmi)).toEqual([expect.stringMatching(/a Node class needs ami/)]);
  });
});

describe('DesktopClassObject', () => {
  test('refuses a Node class with sessionsPerUser other than 1 at synth time', () => {
    const chart = new Chart(Testing.app(), 'C');
    expect(() => new DesktopClassObject(chart, 'Node', { name: 'win2022', kind: DesktopKind.NODE, ami: 'ami-0123456789abcdef0', sessionsPerUser: 2 }))
      .toThrow(/DesktopClassObject\.sessionsPerUser: is 2; a Node class allows 1/);
    expect(() => new DesktopClassObject(chart, 'Vm', { name: 'win11', kind: DesktopKind.VM, goldenImage: { namespace: 'g', name: 'w' }, sessionsPerUser: 2 })).not.toThrow();
  });
});

describe('DesktopSession transition rules (updates), run by a CEL evaluator', () => {
  const crd = renderSessionCrds().find((c) => (c as { metadata: { name: string } }).metadata.name === 'desktopsessions.sessions.desktop.io') as unknown as { spec: { versions: Array<{ schema: { openAPIV3Schema: { properties: { spec: { 'x-kubernetes-validations': CelRule[] } } } } }> } };
  const rules = crd.spec.versions[0].schema.openAPIV3Schema.properties.spec['x-kubernetes-validations'];
  const session = { userId: 'alice@example.com', desktopClass: 'win2022', size: 'medium', maxUserDurationSeconds: 3600, disconnectTimeoutSeconds: 600, idleDisconnectTimeoutSeconds: 900 };

  test('changing idleDisconnectTimeoutSeconds is refused with the reason (the node desktop\'s pod carries it)', async () => {
    // WHEN / THEN
    expect(await celTransitionViolations(rules, session, { ...session, idleDisconnectTimeoutSeconds: 1800 })).toEqual([expect.stringMatching(/^idleDisconnectTimeoutSeconds is immutable: a node desktop's session pod carries it \(Windows MaxIdleTime\)/)]);
    expect(await celTransitionViolations(rules, session, { ...session, idleDisconnectTimeoutSeconds: 0 })).toHaveLength(1);
  });

  test('what the SDK and the controller change stays allowed: extension, end request, the disconnect timeout', async () => {
    expect(await celTransitionViolations(rules, session, { ...session, maxUserDurationSeconds: 7200 })).toEqual([]);
    expect(await celTransitionViolations(rules, session, { ...session, endRequested: true })).toEqual([]);
    expect(await celTransitionViolations(rules, session, { ...session, disconnectTimeoutSeconds: 1200 })).toEqual([]);
    expect(await celTransitionViolations(rules, session, session)).toEqual([]);
  });

  test('the existing transition rules hold under the evaluator', async () => {
    expect(await celTransitionViolations(rules, session, { ...session, size: 'large' })).toEqual(['size is immutable; end this session and create another.']);
    expect(await celTransitionViolations(rules, { ...session, endRequested: true }, { ...session, endRequested: false })).toEqual(['an end request cannot be withdrawn.']);
    expect(await celTransitionViolations(rules, session, { ...session, maxUserDurationSeconds: 1800 })).toEqual(['maxUserDurationSeconds can only be extended.']);
  });
});

describe('DesktopSession windowsAccount (directory node desktops)', () => {
  const crd = renderSessionCrds().find((c) => (c as { metadata: { name: string } }).metadata.name === 'desktopsessions.sessions.desktop.io') as unknown as { spec: { versions: Array<{ schema: { openAPIV3Schema: { properties: { spec: { properties: Record<string, { pattern: string; maxLength: number; minLength: number }>; 'x-kubernetes-validations': CelRule[] } } } } }> } };
  const spec = crd.spec.versions[0].schema.openAPIV3Schema.properties.spec;
  const session = { userId: 'alice@example.com', desktopClass: 'win2022', size: 'medium', maxUserDurationSeconds: 3600, disconnectTimeoutSeconds: 600, idleDisconnectTimeoutSeconds: 900 };

  test('the schema takes a sAMAccountName and refuses what Windows does not (as the API server would)', () => {
    const field = spec.properties.windowsAccount;
    const valid = (v: string) => v.length >= field.minLength && v.length <= field.maxLength && new RegExp(field.pattern, 'u').test(v);
    for (const ok of ['alice', 'a.smith', 'ALICE$', 'jöhn', 'x'.repeat(20)]) expect([ok, valid(ok)]).toEqual([ok, true]);
    for (const bad of ['', 'x'.repeat(21), '...', ' ', 'a/b', 'a\\b', 'a[b', 'a]b', 'a:b', 'a;b', 'a|b', 'a=b', 'a,b', 'a+b', 'a*b', 'a?b', 'a<b', 'a>b', 'a"b', 'a@corp', 'a\u0001']) expect([bad, valid(bad)]).toEqual([bad, false]);
    // RE2 (the API server's regexp engine) has no look-around: the pattern must not use it.
    expect(field.pattern).not.toMatch(/\(\?[=!<]/);
  });

  test('windowsAccount is immutable: set, changed or removed after creation is refused', async () => {
    const message = ['windowsAccount is immutable (it is the account the desktop signs in); end this session and create another.'];
    expect(await celTransitionViolations(spec['x-kubernetes-validations'], { ...session, windowsAccount: 'alice' }, { ...session, windowsAccount: 'mallory' })).toEqual(message);
    expect(await celTransitionViolations(spec['x-kubernetes-validations'], session, { ...session, windowsAccount: 'alice' })).toEqual(message);
    expect(await celTransitionViolations(spec['x-kubernetes-validations'], { ...session, windowsAccount: 'alice' }, session)).toEqual(message);
    expect(await celTransitionViolations(spec['x-kubernetes-validations'], { ...session, windowsAccount: 'alice' }, { ...session, windowsAccount: 'alice', maxUserDurationSeconds: 7200 })).toEqual([]);
  });
});
