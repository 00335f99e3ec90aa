import { Size } from 'aws-cdk-lib';
import { Chart, Testing } from 'cdk8s';
import { GoldenImage, GoldenImageProps } from '../../constructs/kubevirt/golden-image';
import { GoldenImageSource, RegistryPullMethod } from '../../constructs/kubevirt/golden-image-source';
import { KubernetesObject, validateKubernetesObjects } from '../support/kubernetes-schemas';
import { registerKubeVirtSchemas } from '../support/kubevirt-schemas';
import { ofKind, single, synthChart } from './kubevirt-test-support';

interface DataVolumeSpec {
  source: Record<string, Record<string, unknown>>;
  storage: { accessModes: string[]; resources: { requests: { storage: string } }; storageClassName?: string };
}

const ECR_IMAGE = '123456789012.dkr.ecr.us-east-1.amazonaws.com/golden/windows11:2026-11';

function synth(props: Partial<GoldenImageProps> = {}): { image: GoldenImage; objects: KubernetesObject[] } {
  const chart = Testing.chart();
  const image = new GoldenImage(chart, 'Win11', { name: 'windows11', source: GoldenImageSource.registry(ECR_IMAGE), cloneNamespaces: ['desktops'], ...props });
  return { image, objects: synthChart(chart) };
}

beforeAll(() => {
  expect(registerKubeVirtSchemas()).toBe(true);
});

describe('GoldenImage from ECR (defaults)', () => {
  let image: GoldenImage;
  let objects: KubernetesObject[];

  beforeAll(() => {
    // GIVEN / WHEN
    ({ image, objects } = synth());
  });

  test('renders a Namespace, a DataVolume, a DataSource and the clone RBAC, valid against CDI 1.66 and Kubernetes', () => {
    // THEN
    expect(objects.map((o) => o.kind)).toEqual(['Namespace', 'DataVolume', 'DataSource', 'Role', 'RoleBinding']);
    expect(validateKubernetesObjects(objects)).toEqual([]);
  });

  test('the DataVolume imports from the registry through the node and binds at once on gp3', () => {
    const dv = single<{ spec: DataVolumeSpec; metadata: { annotations: Record<string, string> } }>(objects, 'DataVolume');
    expect(dv.metadata).toEqual(expect.objectContaining({ name: 'windows11', namespace: 'desktop-images' }));
    expect(dv.metadata.annotations).toEqual({ 'cdi.kubevirt.io/storage.bind.immediate.requested': 'true' });
    expect(dv.spec.source).toEqual({ registry: { url: `docker://${ECR_IMAGE}`, pullMethod: 'node' } });
    expect(dv.spec.storage).toEqual({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '64Gi' } } });
  });

  test('the DataSource publishes the imported PVC', () => {
    const ds = single<{ spec: unknown }>(objects, 'DataSource');
    expect(ds.metadata).toEqual(expect.objectContaining({ name: 'windows11', namespace: 'desktop-images' }));
    expect(ds.spec).toEqual({ source: { pvc: { name: 'windows11', namespace: 'desktop-images' } } });
  });

  test('desktops\' service accounts may clone it, and nothing more', () => {
    const role = single<{ rules: unknown[] }>(objects, 'Role');
    expect(role.rules).toEqual([
      { apiGroups: ['cdi.kubevirt.io'], resources: ['datavolumes/source'], verbs: ['create'] },
      { apiGroups: ['cdi.kubevirt.io'], resources: ['datasources'], resourceNames: ['windows11'], verbs: ['get'] },
    ]);
    const binding = single<{ subjects: unknown[] }>(objects, 'RoleBinding');
    // Only the `default` account of the desktops' namespace, never every account of the cluster.
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'default', namespace: 'desktops' }]);
  });

  test('is a reference desktops can clone from', () => {
    expect([image.dataSourceName, image.namespace, image.size.toGibibytes()]).toEqual(['windows11', 'desktop-images', 64]);
  });
});

describe('GoldenImage options', () => {
  test('HTTPS source with checksum, own namespace, size, class and clone namespaces', () => {
    // WHEN
    const { objects } = synth({
      source: GoldenImageSource.http('https://bucket.s3.us-east-1.amazonaws.com/win11.qcow2?X-Amz-Signature=abc', { checksum: 'sha256:0123abcd' }),
      namespace: 'images',
      createNamespace: false,
      size: Size.gibibytes(80),
      storageClassName: 'gp3',
      cloneNamespaces: ['desktops-a', 'desktops-b'],
    });
    // THEN
    expect(ofKind(objects, 'Namespace')).toEqual([]);
    const dv = single<{ spec: DataVolumeSpec }>(objects, 'DataVolume');
    expect(dv.spec.source).toEqual({ http: { url: 'https://bucket.s3.us-east-1.amazonaws.com/win11.qcow2?X-Amz-Signature=abc', checksum: 'sha256:0123abcd' } });
    expect(dv.spec.storage).toEqual({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '80Gi' } }, storageClassName: 'gp3' });
    expect(single<{ subjects: Array<{ namespace: string }> }>(objects, 'RoleBinding').subjects.map((s) => s.namespace))
      .toEqual(['desktops-a', 'desktops-b']);
    expect(validateKubernetesObjects(objects)).toEqual([]);
  });

  test('registry pulled by a pod with a pull Secret', () => {
    const { objects } = synth({ source: GoldenImageSource.registry(`docker://${ECR_IMAGE}`, { pullMethod: RegistryPullMethod.POD, secretName: 'ecr-pull' }) });
    expect(single<{ spec: DataVolumeSpec }>(objects, 'DataVolume').spec.source).toEqual({ registry: { url: `docker://${ECR_IMAGE}`, pullMethod: 'pod', secretRef: 'ecr-pull' } });
  });

  test('several images share a namespace', () => {
    const chart = new Chart(Testing.app(), 'Images');
    new GoldenImage(chart, 'A', { name: 'windows11', source: GoldenImageSource.registry(ECR_IMAGE), cloneNamespaces: ['desktops'] });
    new GoldenImage(chart, 'B', { name: 'windows10', source: GoldenImageSource.registry(ECR_IMAGE), cloneNamespaces: ['desktops'], createNamespace: false });
    const objects = synthChart(chart);
    expect(ofKind(objects, 'DataSource').map((o) => o.metadata?.name)).toEqual(['windows11', 'windows10']);
    expect(ofKind(objects, 'Namespace')).toHaveLength(1);
  });
});

describe('GoldenImage bad input', () => {
  const make = (props: Partial<GoldenImageProps>) => () => synth(props);

  test('a source that is not HTTPS', () => {
    expect(make({ source: GoldenImageSource.http('http://example.com/win.qcow2?X-Amz-Signature=secret') }))
      .toThrow(/GoldenImage\.source\.url: "http:\/\/example\.com\/win\.qcow2\?\.\.\." is not an https:\/\/ URL/);
  });

  test('a malformed checksum', () => {
    expect(make({ source: GoldenImageSource.http('https://example.com/win.qcow2', { checksum: 'abc' }) })).toThrow(/GoldenImage\.source\.checksum: "abc" is not "<algorithm>:<hex>"/);
  });

  test('an image that is not pinned', () => {
    expect(make({ source: GoldenImageSource.registry('quay.io/example/windows') })).toThrow(/GoldenImage\.source\.image: "quay\.io\/example\/windows" is not an image reference pinned by tag or digest/);
    expect(make({ source: GoldenImageSource.registry('quay.io/example/windows:latest') })).toThrow(/GoldenImage\.source\.image: .* uses the tag "latest"/);
  });

  test('a pull Secret with node pulls', () => {
    expect(make({ source: GoldenImageSource.registry(ECR_IMAGE, { secretName: 'x' }) })).toThrow(/GoldenImage\.source\.secretName: is ignored when the node pulls the image/);
  });

  test('invalid names and sizes', () => {
    expect(make({ name: 'Windows 11' })).toThrow(/GoldenImage\.name: "Windows 11" is not a valid Kubernetes name/);
    expect(make({ namespace: 'Images' })).toThrow(/GoldenImage\.namespace: "Images" is not a valid Kubernetes name/);
    expect(make({ size: Size.gibibytes(10) })).toThrow(/GoldenImage\.size: is 10 GiB; give 32 GiB to 16384 GiB/);
    expect(make({ cloneNamespaces: [] })).toThrow(/GoldenImage\.cloneNamespaces: is \[\], so no desktop could clone the image/);
    expect(make({ cloneNamespaces: undefined as unknown as string[] })).toThrow(/GoldenImage\.cloneNamespaces: is missing/);
    expect(make({ cloneNamespaces: ['Desk'] })).toThrow(/GoldenImage\.cloneNamespaces\[0\]: "Desk" is not a valid Kubernetes name/);
  });
});
