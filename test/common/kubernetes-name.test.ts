import { kubernetesNameForUser } from '../../constructs/common/kubernetes-name';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

describe('kubernetesNameForUser', () => {
  test('gives a readable DNS-1123 label with a hash of the exact id', () => {
    const name = kubernetesNameForUser('userId', 'alice.smith@example.com');
    expect(name).toMatch(/^alice-smith-example-com-[a-z2-7]{10}$/);
    expect(name).toMatch(DNS1123_LABEL);
  });

  test('is deterministic', () => {
    expect(kubernetesNameForUser('userId', 'bob@example.com')).toBe(kubernetesNameForUser('other', 'bob@example.com'));
  });

  test.each([
    ['alice.smith@example.com', 'alice-smith@example.com'],
    ['alice@example.com', 'Alice@example.com'],
    ['alice@example.com', 'alice+desk@example.com'],
    ['alice_smith', 'alice.smith'],
  ])('ids %p and %p that used to collide get different names', (a, b) => {
    expect(kubernetesNameForUser('userId', a)).not.toBe(kubernetesNameForUser('userId', b));
  });

  test('no two of 5,000 generated ids share a name', () => {
    const ids = Array.from({ length: 5000 }, (_, i) => `user.${i % 50}+${Math.floor(i / 50)}@example.com`);
    const names = new Set(ids.map((id) => kubernetesNameForUser('userId', id)));
    expect(names.size).toBe(ids.length);
  });

  test('ids without a readable part and long ids still map to valid labels', () => {
    for (const id of ['!!!', '名前', 'x'.repeat(320), '0123456789-abcdef-0123456789-abcdef-0123456789-abcdef-0123456789@idp']) {
      const name = kubernetesNameForUser('userId', id);
      expect(name.length).toBeLessThanOrEqual(63);
      expect(name).toMatch(DNS1123_LABEL);
    }
    expect(kubernetesNameForUser('userId', '名前')).toMatch(/^u-[a-z2-7]{10}$/);
  });

  test.each([
    [42, /userId: is the number 42, not a string; give the user id as a string/],
    [undefined, /userId: is the undefined undefined, not a string/],
    ['', /userId: is ""; give the user's non-empty id/],
    ['   ', /userId: is "   "; give the user's non-empty id/],
    [' alice@example.com', /leading or trailing white space; remove it/],
    ['alice\n@example.com', /contains control characters/],
    ['a'.repeat(321), /is 321 characters long; ids of at most 320 characters/],
  ])('refuses %p', (id, message) => {
    expect(() => kubernetesNameForUser('userId', id as string)).toThrow(message);
  });
});
