import { Duration, Size } from 'aws-cdk-lib';
import { DOMParser } from '@xmldom/xmldom';
import { Chart, Testing } from 'cdk8s';
import { TaintEffect } from '../../constructs/karpenter/node-pool-types';
import { DesktopSize } from '../../constructs/kubevirt/desktop-size';
import { GoldenImage } from '../../constructs/kubevirt/golden-image';
import { GoldenImageSource } from '../../constructs/kubevirt/golden-image-source';
import { RunStrategy, WindowsDesktopVm, WindowsDesktopVmProps } from '../../constructs/kubevirt/windows-desktop-vm';
import { KubernetesObject, validateKubernetesObjects } from '../support/kubernetes-schemas';
import { registerKubeVirtSchemas } from '../support/kubevirt-schemas';
import { ofKind, single, synthChart } from './kubevirt-test-support';

/** Fields of the VirtualMachine the tests read. */
interface VmSpec {
  runStrategy: string;
  dataVolumeTemplates: Array<{ metadata: { name: string }; spec: { sourceRef: Record<string, string>; storage: { resources: { requests: { storage: string } }; storageClassName?: string } } }>;
  template: {
    metadata: { labels: Record<string, string>; annotations: Record<string, string> };
    spec: {
      hostname: string;
      nodeSelector: Record<string, string>;
      tolerations: Array<Record<string, string>>;
      terminationGracePeriodSeconds: number;
      domain: {
        machine: { type: string };
        cpu: Record<string, number>;
        memory: { guest: string };
        resources: { requests: Record<string, string> };
        firmware: { bootloader: { efi: { secureBoot: boolean; persistent: boolean } } };
        features: { smm: { enabled: boolean }; hyperv: Record<string, unknown>; acpi: unknown; apic: unknown };
        clock: Record<string, unknown>;
        devices: {
          disks: Array<{ name: string; bootOrder?: number; disk?: { bus: string }; cdrom?: { bus: string } }>;
          interfaces: Array<Record<string, unknown>>;
          tpm: Record<string, boolean>;
          hostDevices?: unknown;
          gpus?: unknown;
        };
      };
      networks: unknown[];
      volumes: Array<Record<string, unknown> & { name: string }>;
    };
  };
}
type Vm = KubernetesObject & { metadata: { name: string; namespace?: string; labels: Record<string, string> }; spec: VmSpec };

const ECR_IMAGE = '123456789012.dkr.ecr.us-east-1.amazonaws.com/golden/windows11:2026-11';

function synth(props: Partial<WindowsDesktopVmProps> = {}): { vm: WindowsDesktopVm; objects: KubernetesObject[] } {
  const chart = new Chart(Testing.app(), 'Desktops', { namespace: 'desktops' });
  const image = new GoldenImage(chart, 'Image', { name: 'windows11', source: GoldenImageSource.registry(ECR_IMAGE), cloneNamespaces: ['desktops', 'user-bob'] });
  const vm = new WindowsDesktopVm(chart, 'Alice', { name: 'alice', userId: 'Alice.Smith@example.com', goldenImage: image, ...props });
  return { vm, objects: synthChart(chart) };
}

beforeAll(() => {
  registerKubeVirtSchemas();
});

describe('WindowsDesktopVm with defaults (Windows 11)', () => {
  let vm: WindowsDesktopVm;
  let objects: KubernetesObject[];
  let spec: VmSpec;
  let domain: VmSpec['template']['spec']['domain'];

  beforeAll(() => {
    // GIVEN / WHEN
    ({ vm, objects } = synth({ sysprepSecretName: 'alice-sysprep' }));
    spec = single<Vm>(objects, 'VirtualMachine').spec;
    domain = spec.template.spec.domain;
  });

  test('every object is valid against KubeVirt 1.9, CDI 1.66 and Kubernetes 1.34', () => {
    // THEN
    expect(objects.map((o) => o.kind)).toEqual(['Namespace', 'DataVolume', 'DataSource', 'Role', 'RoleBinding', 'PersistentVolumeClaim', 'VirtualMachine', 'Service']);
    expect(validateKubernetesObjects(objects)).toEqual([]);
  });

  test('EFI secure boot with SMM, persistent EFI variables and TPM', () => {
    expect(domain.firmware.bootloader.efi).toEqual({ secureBoot: true, persistent: true });
    expect(domain.features.smm).toEqual({ enabled: true });
    expect(domain.devices.tpm).toEqual({ persistent: true });
  });

  test('no host devices or GPUs', () => {
    expect(domain.devices.hostDevices).toBeUndefined();
    expect(domain.devices.gpus).toBeUndefined();
    expect(JSON.stringify(spec)).not.toMatch(/hostDevices|gpus|hostDisk/);
  });

  test('sysprep comes from a Secret by name; no Secret (or inline answer file) is created', () => {
    expect(spec.template.spec.volumes).toContainEqual({ name: 'sysprep', sysprep: { secret: { name: 'alice-sysprep' } } });
    expect(domain.devices.disks).toContainEqual({ name: 'sysprep', cdrom: { bus: 'sata' } });
    expect(ofKind(objects, 'Secret')).toEqual([]);
    expect(JSON.stringify(objects)).not.toMatch(/unattend|userData/i);
  });

  test('the root disk is cloned from the golden DataSource; the user disk is a separate claim on the Retain class', () => {
    expect(spec.dataVolumeTemplates).toEqual([{
      metadata: { name: 'alice-root', labels: expect.any(Object) },
      spec: {
        sourceRef: { kind: 'DataSource', name: 'windows11', namespace: 'desktop-images' },
        storage: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '64Gi' } } },
      },
    }]);
    expect(spec.template.spec.volumes.slice(0, 2)).toEqual([
      { name: 'rootdisk', dataVolume: { name: 'alice-root' } },
      { name: 'userdisk', persistentVolumeClaim: { claimName: 'alice-user' } },
    ]);
    const pvc = single<{ spec: Record<string, unknown> }>(objects, 'PersistentVolumeClaim');
    expect(pvc.metadata?.name).toBe('alice-user');
    expect(pvc.spec).toEqual({ accessModes: ['ReadWriteOnce'], volumeMode: 'Block', storageClassName: 'gp3-retain', resources: { requests: { storage: '50Gi' } } });
    // Not owned by the VM: it is not one of the dataVolumeTemplates.
    expect(spec.dataVolumeTemplates.map((t) => t.metadata.name)).not.toContain('alice-user');
  });

  test('virtio disks and network on the pod network (masquerade)', () => {
    expect(domain.devices.disks.slice(0, 2)).toEqual([
      { name: 'rootdisk', bootOrder: 1, disk: { bus: 'virtio' } },
      { name: 'userdisk', disk: { bus: 'virtio' } },
    ]);
    expect(domain.devices.interfaces).toEqual([{ name: 'default', model: 'virtio', masquerade: {} }]);
    // Not KubeVirt's 10.0.2.0/24, which is a public subnet of a DesktopCluster's VPC (10.0.0.0/16).
    expect(spec.template.spec.networks).toEqual([{ name: 'default', pod: { vmNetworkCIDR: '198.18.0.0/24' } }]);
  });

  test('q35, Hyper-V enlightenments and Windows timers', () => {
    expect(domain.machine).toEqual({ type: 'q35' });
    expect(Object.keys(domain.features.hyperv).sort()).toEqual(['ipi', 'relaxed', 'reset', 'spinlocks', 'synic', 'synictimer', 'tlbflush', 'vapic', 'vpindex']);
    expect(domain.features.hyperv.spinlocks).toEqual({ enabled: true, spinlocks: 8191 });
    expect(domain.clock).toEqual({ utc: {}, timer: { hpet: { present: false }, hyperv: { present: true }, pit: { tickPolicy: 'delay' }, rtc: { tickPolicy: 'catchup' } } });
  });

  test('CPU and memory from the DesktopSize, as cores of one socket', () => {
    expect(domain.cpu).toEqual({ sockets: 1, cores: 4, threads: 1 });
    expect(domain.memory).toEqual({ guest: '8Gi' });
    expect(domain.resources).toEqual({ requests: { cpu: '4', memory: '8Gi' } });
  });

  test('owner labels, do-not-disrupt on the launcher pod, VM host placement', () => {
    const meta = single<Vm>(objects, 'VirtualMachine').metadata;
    expect(meta.labels).toEqual({ 'desktop.io/user-id': 'alice-smith-example-com-m3njtc4uyc', 'desktop.io/vm': 'alice' });
    expect(spec.template.metadata.labels).toEqual(meta.labels);
    expect(spec.template.metadata.annotations).toEqual({ 'karpenter.sh/do-not-disrupt': 'true' });
    expect(spec.template.spec.nodeSelector).toEqual({ 'desktop.io/vm-host': 'true' });
    expect(spec.template.spec.tolerations).toEqual([{ key: 'desktop.io/vm-host', operator: 'Equal', value: 'true', effect: 'NoSchedule' }]);
  });

  test('always running, 3 minutes to shut down', () => {
    expect(spec.runStrategy).toBe('Always');
    expect(spec.template.spec.terminationGracePeriodSeconds).toBe(180);
    expect(spec.template.spec.hostname).toBe('alice');
  });

  test('a ClusterIP Service on 3389 selects the VM\'s pod', () => {
    const service = single<{ spec: Record<string, unknown> }>(objects, 'Service');
    expect(service.metadata?.name).toBe('alice-rdp');
    expect(service.spec).toEqual({ type: 'ClusterIP', selector: { 'desktop.io/vm': 'alice' }, ports: [{ name: 'rdp', protocol: 'TCP', port: 3389, targetPort: 3389 }] });
    expect(vm.rdpServiceName).toBe('alice-rdp');
  });

  test('objects land in the chart\'s namespace', () => {
    const own = objects.filter((o) => ['VirtualMachine', 'PersistentVolumeClaim', 'Service'].includes(o.kind));
    expect(own.map((o) => o.metadata?.namespace)).toEqual(['desktops', 'desktops', 'desktops']);
  });
});

describe('WindowsDesktopVm options', () => {
  test('Windows Server without TPM or secure boot, cloudbase-init, own sizes, classes, placement and run strategy', () => {
    // WHEN
    const { objects } = synth({
      namespace: 'user-bob',
      windows11: false,
      tpm: false,
      secureBoot: false,
      size: DesktopSize.custom(1, 4),
      rootDiskSize: Size.gibibytes(100),
      rootDiskStorageClassName: 'gp3',
      userDiskSize: Size.gibibytes(200),
      userDiskStorageClassName: 'user-disks',
      cloudbaseInitSecretName: 'bob-cloudbase',
      runStrategy: RunStrategy.HALTED,
      labels: { 'example.com/tier': 'server' },
      placement: { nodeSelector: { 'example.com/pool': 'bob' }, toleratedTaints: [{ key: 'dedicated-user', value: 'bob', effect: TaintEffect.NO_SCHEDULE }, { key: 'gpu', effect: TaintEffect.NO_EXECUTE }] },
      shutdownGracePeriod: Duration.minutes(10),
    });
    // THEN
    expect(validateKubernetesObjects(objects)).toEqual([]);
    const vm = single<Vm>(objects, 'VirtualMachine');
    const domain = vm.spec.template.spec.domain;
    expect(vm.metadata.namespace).toBe('user-bob');
    expect(vm.spec.runStrategy).toBe('Halted');
    expect(domain.firmware.bootloader.efi.secureBoot).toBe(false);
    expect(domain.features.smm).toEqual({ enabled: false });
    expect(domain.devices.tpm).toEqual({ enabled: false });
    expect(vm.spec.template.spec.volumes).toContainEqual({ name: 'cloudinit', cloudInitConfigDrive: { secretRef: { name: 'bob-cloudbase' } } });
    expect(vm.spec.template.spec.volumes.map((v) => v.name)).not.toContain('sysprep');
    expect(vm.spec.dataVolumeTemplates[0].spec.storage).toEqual(expect.objectContaining({ resources: { requests: { storage: '100Gi' } }, storageClassName: 'gp3' }));
    expect(single<{ spec: Record<string, unknown> }>(objects, 'PersistentVolumeClaim').spec).toEqual(expect.objectContaining({ storageClassName: 'user-disks', resources: { requests: { storage: '200Gi' } } }));
    expect(vm.metadata.labels['example.com/tier']).toBe('server');
    expect(vm.spec.template.spec.nodeSelector).toEqual({ 'example.com/pool': 'bob' });
    expect(vm.spec.template.spec.tolerations).toEqual([
      { key: 'dedicated-user', operator: 'Equal', value: 'bob', effect: 'NoSchedule' },
      { key: 'gpu', operator: 'Exists', effect: 'NoExecute' },
    ]);
    expect(vm.spec.template.spec.terminationGracePeriodSeconds).toBe(600);
  });

  test('a golden image described by hand, without a size', () => {
    const chart = Testing.chart();
    new WindowsDesktopVm(chart, 'Vm', { name: 'carol', userId: 'carol', goldenImage: { dataSourceName: 'win11', namespace: 'images' } });
    const vm = single<Vm>(synthChart(chart), 'VirtualMachine');
    expect(vm.spec.dataVolumeTemplates[0].spec.sourceRef).toEqual({ kind: 'DataSource', name: 'win11', namespace: 'images' });
    expect(vm.spec.dataVolumeTemplates[0].spec.storage.resources.requests.storage).toBe('64Gi');
  });
});

describe('WindowsDesktopVm bad input', () => {
  const make = (props: Partial<WindowsDesktopVmProps>) => () => synth(props);

  test('Windows 11 without TPM or secure boot', () => {
    expect(make({ tpm: false })).toThrow(/WindowsDesktopVm\.tpm: is false, but Windows 11 requires a TPM 2\.0; set tpm: true, or windows11: false/);
    expect(make({ secureBoot: false })).toThrow(/WindowsDesktopVm\.secureBoot: is false, but Windows 11 requires UEFI secure boot/);
  });

  test('Windows 11 with one vCPU', () => {
    expect(make({ size: DesktopSize.custom(1, 8) })).toThrow(/WindowsDesktopVm\.size: has 1 vCPU; Windows 11 requires at least 2/);
  });

  test('memory below what Windows needs cannot even be expressed', () => {
    expect(() => DesktopSize.custom(2, 3)).toThrow(/DesktopSize\.custom\.memoryGiB: got 3; Windows needs at least 4 GiB/);
  });

  test('a root disk below 64 GiB for Windows 11, or smaller than the golden image', () => {
    expect(make({ rootDiskSize: Size.gibibytes(40) })).toThrow(/WindowsDesktopVm\.rootDiskSize: is 40 GiB; Windows 11 requires at least 64 GiB/);
    expect(make({ windows11: false, rootDiskSize: Size.gibibytes(20) })).toThrow(/WindowsDesktopVm\.rootDiskSize: is 20 GiB; Windows needs at least 32 GiB/);
    const chart = Testing.chart();
    expect(() => new WindowsDesktopVm(chart, 'Vm', {
      name: 'dave', userId: 'dave', rootDiskSize: Size.gibibytes(64),
      goldenImage: { dataSourceName: 'win11', namespace: 'images', size: Size.gibibytes(100) },
    })).toThrow(/WindowsDesktopVm\.rootDiskSize: is 64 GiB, smaller than the golden image "win11" \(100 GiB\)/);
  });

  test('invalid names', () => {
    expect(make({ name: 'Alice' })).toThrow(/WindowsDesktopVm\.name: "Alice" is not a valid Kubernetes name/);
    expect(make({ name: 'a'.repeat(60) })).toThrow(/WindowsDesktopVm\.name: "a+" is 60 characters long; use at most 58/);
    expect(make({ namespace: 'User_Bob' })).toThrow(/WindowsDesktopVm\.namespace: "User_Bob" is not a valid Kubernetes name/);
    expect(make({ userId: '' })).toThrow(/WindowsDesktopVm\.userId: is ""; give the user's non-empty id/);
    expect(make({ sysprepSecretName: 'Sysprep' })).toThrow(/WindowsDesktopVm\.sysprepSecretName: "Sysprep" is not a valid Kubernetes object name/);
    expect(make({ labels: { 'desktop.io/user-id': 'mallory' } })).toThrow(/WindowsDesktopVm\.labels: sets "desktop\.io\/user-id", which the desktop sets itself/);
  });

  test('a VM network CIDR that is not a network, or too small', () => {
    expect(make({ vmNetworkCidr: '10.0.2.1/24' })).toThrow(/WindowsDesktopVm\.vmNetworkCidr: "10\.0\.2\.1\/24" has host bits set/);
    expect(make({ vmNetworkCidr: 'ten' })).toThrow(/WindowsDesktopVm\.vmNetworkCidr: "ten" is not an IPv4 CIDR block/);
    expect(make({ vmNetworkCidr: '198.18.0.0/31' })).toThrow(/WindowsDesktopVm\.vmNetworkCidr: "198\.18\.0\.0\/31" is too small/);
  });

  test('fractional or out-of-range disks and grace periods', () => {
    expect(make({ userDiskSize: Size.mebibytes(1536) })).toThrow(/WindowsDesktopVm\.userDiskSize: is 1\.5 GiB; give whole GiB/);
    expect(make({ shutdownGracePeriod: Duration.seconds(5) })).toThrow(/WindowsDesktopVm\.shutdownGracePeriod: must be a literal duration of 30 seconds to 1 hour/);
  });
});

test('a misplaced VirtualMachine field is reported (schema validation is not vacuous)', () => {
  // GIVEN
  const vm = single<Vm>(synth().objects, 'VirtualMachine');
  const broken = { ...vm, spec: { ...vm.spec, template: { ...vm.spec.template, spec: { ...vm.spec.template.spec, gpus: [] } } } };
  // WHEN / THEN
  expect(validateKubernetesObjects([broken]).join('\n')).toMatch(/VirtualMachine\/alice .*must NOT have additional properties \(gpus\)/);
});

describe('WindowsDesktopVm idleDisconnectTimeout (Remote Desktop MaxIdleTime from an answer file)', () => {
  test('renders a ConfigMap answer file whose specialize pass sets MaxIdleTime in milliseconds, attached as the sysprep CD-ROM', () => {
    // GIVEN / WHEN
    const { vm, objects } = synth({ idleDisconnectTimeout: Duration.minutes(15) });
    // THEN
    const map = single<KubernetesObject & { metadata: { name: string; namespace: string }; data: Record<string, string> }>(objects, 'ConfigMap');
    expect(map.metadata).toMatchObject({ name: 'alice-sysprep', namespace: 'desktops' });
    expect(vm.sysprepConfigMap?.name).toBe('alice-sysprep');
    const doc = new DOMParser().parseFromString(map.data['unattend.xml'], 'text/xml');
    const ns = 'urn:schemas-microsoft-com:unattend';
    expect(doc.documentElement?.namespaceURI).toBe(ns);
    expect(doc.getElementsByTagNameNS(ns, 'settings')[0].getAttribute('pass')).toBe('specialize');
    expect(doc.getElementsByTagNameNS(ns, 'component')[0].getAttribute('name')).toBe('Microsoft-Windows-Deployment');
    expect(doc.getElementsByTagNameNS(ns, 'RunSynchronousCommand')[0].getAttributeNS('http://schemas.microsoft.com/WMIConfig/2002/State', 'action')).toBe('add');
    expect(doc.getElementsByTagNameNS(ns, 'Path')[0].textContent).toBe('reg.exe add "HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services" /v MaxIdleTime /t REG_DWORD /d 900000 /f');
    const spec = single<Vm>(objects, 'VirtualMachine').spec.template.spec;
    expect(spec.volumes).toContainEqual({ name: 'sysprep', sysprep: { configMap: { name: 'alice-sysprep' } } });
    expect(spec.domain.devices.disks).toContainEqual({ name: 'sysprep', cdrom: { bus: 'sata' } });
    // No secret is written: the answer file holds none.
    expect(ofKind(objects, 'Secret')).toHaveLength(0);
    expect(validateKubernetesObjects(objects)).toEqual([]);
  });

  test('off by default: no answer file of its own', () => {
    expect(ofKind(synth().objects, 'ConfigMap')).toHaveLength(0);
  });

  test('refuses non-whole seconds, out-of-range values and a sysprep Secret (one answer file per VM)', () => {
    const make = (props: Partial<WindowsDesktopVmProps>) => () => synth(props);
    expect(make({ idleDisconnectTimeout: Duration.millis(1500) })).toThrow(/WindowsDesktopVm\.idleDisconnectTimeout: is 1 second 500 millis; give a literal whole number of seconds from 1 second to 24 hours/);
    expect(make({ idleDisconnectTimeout: Duration.hours(25) })).toThrow(/WindowsDesktopVm\.idleDisconnectTimeout: is 1 day 1 hour/);
    expect(make({ idleDisconnectTimeout: Duration.minutes(10), sysprepSecretName: 'alice-sysprep' })).toThrow(/idleDisconnectTimeout: cannot be combined with sysprepSecretName "alice-sysprep".*reg\.exe add .* \/d 600000 \/f.*maxIdleTimeCommand\(600\)/);
  });
});
