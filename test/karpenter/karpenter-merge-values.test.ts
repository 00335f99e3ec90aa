import { Lazy } from 'aws-cdk-lib';
import { mergeValues } from '../../constructs/karpenter/private/merge-values';

describe('mergeValues (helmValues escape hatch)', () => {
  test('nested objects merge key by key, the override wins', () => {
    // GIVEN
    const base = { settings: { clusterName: 'a', interruptionQueue: 'q' }, replicas: 2 };
    // WHEN
    const merged = mergeValues(base, { settings: { clusterName: 'b', featureGates: { nodeRepair: true } } });
    // THEN
    expect(merged).toEqual({ settings: { clusterName: 'b', interruptionQueue: 'q', featureGates: { nodeRepair: true } }, replicas: 2 });
  });

  test('arrays and scalars are replaced whole; undefined leaves the base alone', () => {
    const base = { controller: { env: [{ name: 'AWS_REGION', value: 'us-east-1' }] }, logLevel: 'info' };
    const merged = mergeValues(base, { controller: { env: [{ name: 'X', value: '1' }] }, logLevel: undefined });
    expect(merged).toEqual({ controller: { env: [{ name: 'X', value: '1' }] }, logLevel: 'info' });
  });

  test('a token is a value, not an object to merge into', () => {
    const token = Lazy.any({ produce: () => ({ a: 1 }) });
    const merged = mergeValues({ annotations: { x: 'y' } }, { annotations: token });
    expect(merged.annotations).toBe(token);
  });

  test('inputs are not modified', () => {
    const base = { settings: { clusterName: 'a' } };
    const override = { settings: { clusterName: 'b' } };
    mergeValues(base, override);
    expect(base).toEqual({ settings: { clusterName: 'a' } });
    expect(override).toEqual({ settings: { clusterName: 'b' } });
  });
});
