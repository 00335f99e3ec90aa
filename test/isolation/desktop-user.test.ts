import * as names from '../../constructs/common/kubernetes-name';
import { DesktopKind, resolveDesktopUser, resolveDesktopUsers, UserIsolationMode } from '../../constructs/isolation/desktop-user';
import { DesktopSize } from '../../constructs/kubevirt/desktop-size';

describe('resolveDesktopUser', () => {
  test('applies the defaults: VM desktop, medium, one host per user from the shared pool', () => {
    expect(resolveDesktopUser('u', { id: 'alice@example.com' })).toEqual({
      id: 'alice@example.com',
      name: names.kubernetesNameForUser('x', 'alice@example.com'),
      displayName: undefined,
      group: undefined,
      desktopKind: DesktopKind.VM,
      size: DesktopSize.MEDIUM,
      isolation: UserIsolationMode.SHARED_POOL,
    });
  });

  test('refuses values of the wrong runtime type (as from JSON)', () => {
    expect(() => resolveDesktopUser('u', null as never)).toThrow(/^u: is null; give an object such as \{ id: 'alice@example\.com' \}/);
    expect(() => resolveDesktopUser('u', { id: 'a@example.com', desktopKind: 'vm' as DesktopKind })).toThrow(/u\.desktopKind: is "vm"; use one of 'VM', 'Node'/);
    expect(() => resolveDesktopUser('u', { id: 'a@example.com', displayName: 7 as unknown as string })).toThrow(/u\.displayName: is the number 7/);
    expect(() => resolveDesktopUser('u', { id: 'a@example.com', group: '' })).toThrow(/u\.group: is ""; give the Kubernetes group name/);
  });
});

describe('resolveDesktopUsers', () => {
  afterEach(() => jest.restoreAllMocks());

  test('keeps the order and refuses the same id twice', () => {
    expect(resolveDesktopUsers('users', [{ id: 'b@example.com' }, { id: 'a@example.com' }]).map((u) => u.id)).toEqual(['b@example.com', 'a@example.com']);
    expect(() => resolveDesktopUsers('users', [{ id: 'a@example.com' }, { id: 'a@example.com' }])).toThrow(/users\[1\]\.id: "a@example\.com" is listed twice \(at 0 and 1\)/);
  });

  test('refuses two ids that map to the same Kubernetes name (a hash collision)', () => {
    // GIVEN a mapping that collides (50-bit hashes practically never do)
    jest.spyOn(names, 'kubernetesNameForUser').mockReturnValue('same-name-aaaaaaaaaa');
    // THEN
    expect(() => resolveDesktopUsers('users', [{ id: 'a@example.com' }, { id: 'b@example.com' }]))
      .toThrow(/users\[1\]\.id: "b@example\.com" maps to the Kubernetes name "same-name-aaaaaaaaaa", like "a@example\.com" at 0 \(a hash collision\); give one of them another id/);
  });
});
