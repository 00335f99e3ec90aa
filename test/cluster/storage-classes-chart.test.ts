import * as fs from 'fs';
import { App, Testing } from 'cdk8s';
import { parse } from 'yaml';
import { StorageClassesChart } from '../../constructs/cluster/storage-classes-chart';
import { ValidationError } from '../../constructs/common/validation-error';
import { KubernetesObject, validateKubernetesObjects } from '../support/kubernetes-schemas';
import { requireReferenceFile } from '../support/reference';

interface StorageClassExample {
  readonly provisioner: string;
  readonly volumeBindingMode?: string;
  readonly parameters?: Record<string, string>;
}

function upstreamStorageClass(...parts: string[]): StorageClassExample {
  const file = requireReferenceFile('the comparison with upstream StorageClass examples', ...parts);
  return parse(fs.readFileSync(file, 'utf8')) as StorageClassExample;
}

function synth(chart: StorageClassesChart): KubernetesObject[] {
  return Testing.synth(chart) as KubernetesObject[];
}

function byName(objects: KubernetesObject[], name: string): KubernetesObject {
  const found = objects.find((o) => o.kind === 'StorageClass' && o.metadata?.name === name);
  if (found === undefined) throw new Error(`no StorageClass ${name}`);
  return found;
}

describe('StorageClassesChart', () => {
  test('defaults to one encrypted gp3 class, marked default, bound on first consumer', () => {
    // GIVEN / WHEN
    const chart = new StorageClassesChart(new App(), 'StorageClasses');
    const objects = synth(chart);

    // THEN
    expect(objects).toHaveLength(1);
    expect(validateKubernetesObjects(objects)).toEqual([]);
    expect(byName(objects, 'gp3')).toEqual({
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: 'gp3', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
      provisioner: 'ebs.csi.aws.com',
      parameters: { type: 'gp3', encrypted: 'true' },
      volumeBindingMode: 'WaitForFirstConsumer',
      allowVolumeExpansion: true,
      reclaimPolicy: 'Delete',
    });
    expect(chart.ebsStorageClassName).toBe('gp3');
    expect(chart.efsStorageClassName).toBeUndefined();
  });

  test('sets the KMS key and adds an EFS access point class when asked', () => {
    // GIVEN / WHEN
    const chart = new StorageClassesChart(new App(), 'StorageClasses', {
      ebsKmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      efsFileSystemId: 'fs-0123456789abcdef0',
    });
    const objects = synth(chart);

    // THEN
    expect(objects).toHaveLength(2);
    expect(validateKubernetesObjects(objects)).toEqual([]);
    expect(byName(objects, 'gp3').parameters).toEqual({
      type: 'gp3',
      encrypted: 'true',
      kmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    });
    const efsClass = byName(objects, 'efs');
    expect(efsClass.provisioner).toBe('efs.csi.aws.com');
    expect(efsClass.parameters).toEqual({ provisioningMode: 'efs-ap', fileSystemId: 'fs-0123456789abcdef0', directoryPerms: '700' });
    // Only one default class.
    expect(efsClass.metadata?.annotations).toBeUndefined();
    expect(chart.efsStorageClassName).toBe('efs');
  });

  test('the classes agree with the upstream CSI driver examples', () => {
    // GIVEN
    const objects = synth(new StorageClassesChart(new App(), 'StorageClasses', { efsFileSystemId: 'fs-1' }));
    const ebsExample = upstreamStorageClass('aws-ebs-csi-driver', 'v1.64.0', 'examples', 'kubernetes', 'storageclass', 'manifests', 'storageclass.yaml');
    const efsExample = upstreamStorageClass('aws-efs-csi-driver', 'v3.4.1', 'examples', 'kubernetes', 'efs', 'dynamic_provisioning', 'specs', 'storageclass.yaml');

    // THEN: same provisioners and binding mode, and parameter names the drivers know.
    const gp3 = byName(objects, 'gp3');
    expect(gp3.provisioner).toBe(ebsExample.provisioner);
    expect(gp3.volumeBindingMode).toBe(ebsExample.volumeBindingMode);
    expect(Object.keys(ebsExample.parameters ?? {})).toEqual(expect.arrayContaining(['type', 'encrypted']));
    const efsClass = byName(objects, 'efs');
    expect(efsClass.provisioner).toBe(efsExample.provisioner);
    expect(Object.keys(efsExample.parameters ?? {})).toEqual(expect.arrayContaining(Object.keys(efsClass.parameters as object)));
    expect((efsClass.parameters as Record<string, string>).provisioningMode).toBe(efsExample.parameters?.provisioningMode);
  });

  test('rejects a StorageClass name that Kubernetes would reject', () => {
    expect(() => new StorageClassesChart(new App(), 'StorageClasses', { ebsStorageClassName: 'GP3' }))
      .toThrow(ValidationError);
    expect(() => new StorageClassesChart(new App(), 'StorageClasses', { ebsStorageClassName: 'GP3' }))
      .toThrow(/StorageClassesChart\.ebsStorageClassName: "GP3" is not a valid Kubernetes object name/);
    expect(() => new StorageClassesChart(new App(), 'StorageClasses', { efsFileSystemId: 'fs-1', efsStorageClassName: 'efs_' }))
      .toThrow(/StorageClassesChart\.efsStorageClassName: "efs_"/);
  });
});
