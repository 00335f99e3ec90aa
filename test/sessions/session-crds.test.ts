import { renderSessionCrds } from '../../constructs/sessions/session-crds';
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
