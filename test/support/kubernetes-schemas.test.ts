import type * as schemas from './kubernetes-schemas';
import { loadWithoutReference } from './without-reference';

const withoutReference = () => loadWithoutReference(() => require('./kubernetes-schemas') as typeof schemas);

const deployment = (containerPort: unknown) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web' },
  spec: { selector: { matchLabels: { app: 'web' } }, template: { spec: { containers: [{ name: 'web', image: 'nginx', ports: [{ containerPort }] }] } } },
});

describe('schema validation without ../shared/reference', () => {
  let helpers: typeof schemas;
  let restore: () => void;
  beforeAll(() => ({ helpers, restore } = withoutReference()));
  afterAll(() => restore());

  test('still checks built-in kinds, with kubernetes-models', () => {
    expect(helpers.schemasAvailable()).toBe(false);
    expect(helpers.validateKubernetesObjects([deployment(8080)])).toEqual([]);
    expect(helpers.validateKubernetesObjects([deployment('8080')]).join('\n')).toMatch(/Deployment\/web .*containerPort must be integer/);
  });

  test('reports a custom resource it cannot check as missing reference, never as valid', () => {
    const nodePool = { apiVersion: 'karpenter.sh/v1', kind: 'NodePool', metadata: { name: 'windows-2022' }, spec: {} };
    let error: Error | undefined;
    try {
      helpers.validateKubernetesObjects([nodePool]);
    } catch (e) {
      error = e as Error;
    }
    expect(error?.name).toBe('ReferenceMissingError');
    expect(error?.message).toMatch(/schema validation of karpenter\.sh\/v1\/NodePool needs .*karpenter\.sh_nodepools\.yaml/);
  });
});
