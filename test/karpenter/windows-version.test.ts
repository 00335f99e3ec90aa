import { WINDOWS_2025_MIN_KARPENTER, WINDOWS_2025_MIN_KUBERNETES, WINDOWS_BUILDS } from '../../constructs/common/versions';
import { WINDOWS_NODE_TAINT, WindowsVersion } from '../../constructs/karpenter/windows-version';

describe('WindowsVersion', () => {
  test.each([
    [WindowsVersion.WINDOWS_2019, '2019', '10.0.17763', 'windows2019@latest'],
    [WindowsVersion.WINDOWS_2022, '2022', '10.0.20348', 'windows2022@latest'],
    [WindowsVersion.WINDOWS_2025, '2025', '10.0.26100', 'windows2025@latest'],
  ])('%s has its build, AMI alias and names', (version, year, build, alias) => {
    // THEN
    expect(version.year).toBe(year);
    expect(version.build).toBe(build);
    expect(version.amiAlias).toBe(alias);
    expect(version.runtimeClassName).toBe(`windows-${year}`);
    expect(version.nodePoolName).toBe(`windows-${year}`);
    expect(version.toString()).toBe(`Windows Server ${year}`);
  });

  test('the statics carry the pinned builds of versions.ts', () => {
    // THEN
    expect(WindowsVersion.ALL.map((v) => v.year)).toEqual(Object.keys(WINDOWS_BUILDS));
    for (const version of WindowsVersion.ALL) {
      expect(version.build).toBe(WINDOWS_BUILDS[version.year as keyof typeof WINDOWS_BUILDS].build);
    }
  });

  test('of() returns the same instance as the static', () => {
    // WHEN / THEN
    expect(WindowsVersion.of('2019')).toBe(WindowsVersion.WINDOWS_2019);
    expect(WindowsVersion.of('2022')).toBe(WindowsVersion.WINDOWS_2022);
    expect(WindowsVersion.of(' 2025 ')).toBe(WindowsVersion.WINDOWS_2025);
  });

  test('of() rejects an unknown version and lists the allowed ones', () => {
    // WHEN / THEN
    expect(() => WindowsVersion.of('2016')).toThrow(/windowsVersion: "2016" is not a supported Windows Server version; use one of '2019', '2022', '2025'/);
    expect(() => WindowsVersion.of('windows2022')).toThrow(/windowsVersion: "windows2022"/);
  });

  test('nodeSelector selects Windows, amd64 and the build, and is a fresh object', () => {
    // WHEN
    const selector = WindowsVersion.WINDOWS_2022.nodeSelector;
    selector.extra = 'x';

    // THEN
    expect(WindowsVersion.WINDOWS_2022.nodeSelector).toEqual({
      'kubernetes.io/os': 'windows',
      'kubernetes.io/arch': 'amd64',
      'node.kubernetes.io/windows-build': '10.0.20348',
    });
  });

  test('the Windows taint is os=windows:NoSchedule', () => {
    // THEN
    expect(WINDOWS_NODE_TAINT).toEqual({ key: 'os', value: 'windows', effect: 'NoSchedule' });
  });

  describe('support checks', () => {
    test('Windows 2025 declares the pinned minimums', () => {
      // THEN
      expect(WindowsVersion.WINDOWS_2025.minKarpenterVersion).toBe(WINDOWS_2025_MIN_KARPENTER);
      expect(WindowsVersion.WINDOWS_2025.minKubernetesVersion).toBe(WINDOWS_2025_MIN_KUBERNETES);
      expect(WindowsVersion.WINDOWS_2022.minKarpenterVersion).toBeUndefined();
      expect(WindowsVersion.WINDOWS_2022.minKubernetesVersion).toBeUndefined();
    });

    test('Windows 2025 accepts Kubernetes 1.35 and newer, and Karpenter 1.9 and newer', () => {
      // WHEN / THEN
      expect(() => WindowsVersion.WINDOWS_2025.checkKubernetesVersion('p', '1.35')).not.toThrow();
      expect(() => WindowsVersion.WINDOWS_2025.checkKubernetesVersion('p', '1.36')).not.toThrow();
      expect(() => WindowsVersion.WINDOWS_2025.checkKarpenterVersion('p', '1.9.0')).not.toThrow();
      expect(() => WindowsVersion.WINDOWS_2025.checkKarpenterVersion('p', '1.14.1')).not.toThrow();
    });

    test('Windows 2025 rejects Kubernetes 1.34', () => {
      // WHEN / THEN
      expect(() => WindowsVersion.WINDOWS_2025.checkKubernetesVersion('X.kubernetesVersion', '1.34'))
        .toThrow(/X\.kubernetesVersion: is '1\.34', but Windows Server 2025 nodes need Kubernetes ≥ 1\.35/);
    });

    test('Windows 2025 rejects an unknown Kubernetes version and says what to set', () => {
      // WHEN / THEN
      expect(() => WindowsVersion.WINDOWS_2025.checkKubernetesVersion('X.kubernetesVersion', undefined))
        .toThrow(/X\.kubernetesVersion: is unknown, but Windows Server 2025 nodes need Kubernetes ≥ 1\.35\. Set `kubernetesVersion`/);
    });

    test('Windows 2025 rejects Karpenter 1.8.0', () => {
      // WHEN / THEN
      expect(() => WindowsVersion.WINDOWS_2025.checkKarpenterVersion('X.version', '1.8.0'))
        .toThrow(/X\.version: is '1\.8\.0', but Windows Server 2025 nodes need Karpenter ≥ 1\.9\.0/);
    });

    test('older versions need no Kubernetes or Karpenter minimum', () => {
      // WHEN / THEN
      for (const version of [WindowsVersion.WINDOWS_2019, WindowsVersion.WINDOWS_2022]) {
        expect(() => version.checkKubernetesVersion('p', undefined)).not.toThrow();
        expect(() => version.checkKubernetesVersion('p', '1.30')).not.toThrow();
        expect(() => version.checkKarpenterVersion('p', '1.0.0')).not.toThrow();
      }
    });
  });
});
