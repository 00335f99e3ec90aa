import { DesktopSize } from '../../constructs/kubevirt/desktop-size';

describe('DesktopSize', () => {
  test('presets give vCPUs and memory as a Kubernetes quantity', () => {
    // THEN
    expect([DesktopSize.SMALL, DesktopSize.MEDIUM, DesktopSize.LARGE, DesktopSize.XLARGE].map((s) => [s.vcpus, s.memory]))
      .toEqual([[2, '4Gi'], [4, '8Gi'], [8, '16Gi'], [16, '32Gi']]);
    expect(DesktopSize.MEDIUM.toString()).toBe('4 vCPU / 8 GiB');
  });

  test('custom sizes within the limits are accepted', () => {
    // WHEN
    const size = DesktopSize.custom(6, 24);
    // THEN
    expect([size.vcpus, size.memoryGiB, size.memory]).toEqual([6, 24, '24Gi']);
  });

  test('memory below what Windows needs fails, naming the prop and the fix', () => {
    expect(() => DesktopSize.custom(2, 2)).toThrow(/DesktopSize\.custom\.memoryGiB: got 2; Windows needs at least 4 GiB/);
  });

  test.each([[0], [1.5], [65]])('%p vCPUs fail', (vcpus) => {
    expect(() => DesktopSize.custom(vcpus, 8)).toThrow(/DesktopSize\.custom\.vcpus: got .*whole number of vCPUs from 1 to 64/);
  });

  test.each([[4.5], [513]])('%p GiB fails', (memory) => {
    expect(() => DesktopSize.custom(4, memory)).toThrow(/DesktopSize\.custom\.memoryGiB: got .*whole GiB from 4 to 512/);
  });
});
