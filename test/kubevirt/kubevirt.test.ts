import { Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Chart, App as Cdk8sApp } from 'cdk8s';
import { k8s } from 'cdk8s-plus-29';
import { IEksCluster } from '../../constructs/common/eks-cluster';
import { KUBECTL_IMAGE } from '../../constructs/common/versions';
import { KubeVirt, KubeVirtProps } from '../../constructs/kubevirt/kubevirt';
import { KubeVirtInstallChart } from '../../constructs/kubevirt/kubevirt-install-chart';
import { DEFAULT_VM_HOST_PLACEMENT } from '../../constructs/kubevirt/vm-host-placement';
import { VmHostPool } from '../../constructs/kubevirt/vm-host-pool';
import { KubernetesObject, kubernetesObjectsOf, validateKubernetesObject, validateKubernetesObjects } from '../support/kubernetes-schemas';
import { registerKubeVirtSchemas } from '../support/kubevirt-schemas';
import {
  FakeKarpenter,
  single,
  stackWithImportedV1Cluster,
  stackWithImportedV2Cluster,
  stackWithV1Cluster,
  stackWithV2Cluster,
  synthChart,
  TEST_LICENSING,
} from './kubevirt-test-support';

/** Fields of the installer pod the tests read. */
interface Container {
  name: string;
  image: string;
  command: string[];
  args: string[];
  securityContext: Record<string, unknown>;
  resources: { limits: Record<string, string> };
}
interface JobSpec {
  backoffLimit: number;
  activeDeadlineSeconds: number;
  ttlSecondsAfterFinished: number;
  template: {
    spec: {
      serviceAccountName: string;
      restartPolicy: string;
      securityContext: Record<string, unknown>;
      nodeSelector: Record<string, string>;
      tolerations: Array<Record<string, string>>;
      initContainers: Container[];
      containers: Container[];
    };
  };
}
interface Rule { apiGroups: string[]; resources: string[]; verbs: string[] }
interface KubeVirtCr extends KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string };
  spec: {
    infra: { nodePlacement: Record<string, unknown> };
    workloads: { nodePlacement: Record<string, unknown> };
    configuration: { vmStateStorageClass: string; developerConfiguration: { useEmulation: boolean; featureGates?: string[] } };
  };
}
interface CdiCr extends KubernetesObject { apiVersion: string; kind: string; spec: { infra: Record<string, unknown>; workload: Record<string, unknown> } }

const HOST_PLACEMENT = {
  nodeSelector: { 'desktop.io/vm-host': 'true' },
  tolerations: [{ key: 'desktop.io/vm-host', operator: 'Equal', value: 'true', effect: 'NoSchedule' }],
};
/** virt-handler and CDI's workers also tolerate the per-user taint, whatever its value: they must reach every desktop host. */
const EVERY_DESKTOP_HOST = {
  nodeSelector: HOST_PLACEMENT.nodeSelector,
  tolerations: [...HOST_PLACEMENT.tolerations, { key: 'dedicated-user', operator: 'Exists', effect: 'NoSchedule' }],
};

function newKubeVirt(given: { stack: Stack; cluster: IEksCluster }, props: Partial<KubeVirtProps> = {}, id = 'KubeVirt'): KubeVirt {
  const karpenter = new FakeKarpenter(given.stack, `${id}Karpenter`, { cluster: given.cluster });
  // One NodePool name per cluster: extra installations (bad-input cases) name their own pools.
  const hostPool = new VmHostPool(given.stack, `${id}Hosts`, { guestLicensing: TEST_LICENSING, karpenter, name: id === 'KubeVirt' ? undefined : `hosts-${id.toLowerCase()}` });
  return new KubeVirt(given.stack, id, { cluster: given.cluster, hostPool, ...props });
}

function installObjects(template: Template): KubernetesObject[] {
  return kubernetesObjectsOf(template).filter((o) => !['NodePool', 'EC2NodeClass', 'NodeOverlay'].includes(o.kind));
}

describe('KubeVirt with defaults (aws-eks-v2 cluster)', () => {
  let stack: Stack;
  let kubevirt: KubeVirt;
  let template: Template;
  let objects: KubernetesObject[];
  let job: KubernetesObject & { spec: JobSpec };
  let steps: Container[];

  beforeAll(() => {
    // GIVEN
    const given = stackWithV2Cluster();
    stack = given.stack;
    registerKubeVirtSchemas();
    // WHEN
    kubevirt = newKubeVirt(given);
    template = Template.fromStack(stack);
    objects = installObjects(template);
    job = single<{ spec: JobSpec }>(objects, 'Job');
    steps = [...job.spec.template.spec.initContainers, ...job.spec.template.spec.containers];
  });

  test('applies the installer objects, all valid against the Kubernetes 1.34 schemas', () => {
    // THEN
    expect(objects.map((o) => o.kind).sort()).toEqual(['ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'Job', 'Namespace', 'ServiceAccount', 'StorageClass']);
    expect(validateKubernetesObjects(objects)).toEqual([]);
  });

  test('the custom resources in the ConfigMap are valid KubeVirt 1.9 / CDI 1.66 objects', () => {
    const data = single<{ data: Record<string, string> }>(objects, 'ConfigMap').data;
    const kubevirtCr = JSON.parse(data['kubevirt.json']) as KubeVirtCr;
    const cdiCr = JSON.parse(data['cdi.json']) as CdiCr;
    expect([kubevirtCr.apiVersion, kubevirtCr.kind, cdiCr.apiVersion, cdiCr.kind]).toEqual(['kubevirt.io/v1', 'KubeVirt', 'cdi.kubevirt.io/v1beta1', 'CDI']);
    expect(validateKubernetesObjects([kubevirtCr, cdiCr])).toEqual([]);
  });

  test('the KubeVirt CR: virt-handler and control plane on the hosts, TPM/EFI state on the default class (ReadWriteOnce), no emulation, no feature gates', () => {
    const kubevirtCr = JSON.parse(single<{ data: Record<string, string> }>(objects, 'ConfigMap').data['kubevirt.json']) as KubeVirtCr;
    expect(kubevirtCr.metadata).toEqual({ name: 'kubevirt', namespace: 'kubevirt' });
    expect(kubevirtCr.spec.workloads.nodePlacement).toEqual(EVERY_DESKTOP_HOST);
    expect(kubevirtCr.spec.infra.nodePlacement).toEqual(HOST_PLACEMENT);
    // Unset: KubeVirt 1.9 then asks the default class for ReadWriteOnce (a named class gets
    // ReadWriteMany unless its CDI StorageProfile lists RWO Filesystem, which EBS's does not).
    expect(kubevirtCr.spec.configuration.vmStateStorageClass).toBeUndefined();
    expect(kubevirtCr.spec.configuration.developerConfiguration).toEqual({ useEmulation: false });
  });

  test('the CDI CR: importer/uploader pods (workload) and control plane on EC2 VM hosts', () => {
    const cdiCr = JSON.parse(single<{ data: Record<string, string> }>(objects, 'ConfigMap').data['cdi.json']) as CdiCr;
    expect(cdiCr.spec.workload).toEqual(EVERY_DESKTOP_HOST);
    expect(cdiCr.spec.infra).toEqual(HOST_PLACEMENT);
  });

  test('the Job installs the pinned releases in order, with the pinned kubectl image', () => {
    expect(steps.map((c) => c.name)).toEqual([
      'apply-kubevirt-operator', 'apply-cdi-operator', 'place-kubevirt-operator', 'place-cdi-operator',
      'wait-crds', 'apply-custom-resources', 'wait-kubevirt', 'wait-cdi', 'revoke-installer-rights',
    ]);
    expect(new Set(steps.map((c) => c.image))).toEqual(new Set([KUBECTL_IMAGE]));
    expect(KUBECTL_IMAGE).toMatch(/^registry\.k8s\.io\/kubectl:v\d+\.\d+\.\d+$/);
    expect(steps[0].args).toEqual(['apply', '--server-side', '--force-conflicts', '--field-manager=windows-desktops-installer', '-f',
      'https://github.com/kubevirt/kubevirt/releases/download/v1.9.0/kubevirt-operator.yaml']);
    expect(steps[1].args).toContain('https://github.com/kubevirt/containerized-data-importer/releases/download/v1.66.0/cdi-operator.yaml');
    expect(steps[2].args).toEqual(['patch', 'deployment', 'virt-operator', '-n', 'kubevirt', '--type=strategic', '--patch-file=/config/operator-placement.json']);
    expect(steps[6].args).toEqual(['wait', '--for=condition=Available', '--timeout=30m', '-n', 'kubevirt', 'kubevirts.kubevirt.io/kubevirt']);
    expect(steps[7].args).toEqual(['wait', '--for=condition=Available', '--timeout=30m', 'cdis.cdi.kubevirt.io/cdi']);
    // Only release URLs of the pinned versions are fetched.
    const urls = steps.flatMap((c) => c.args).filter((a) => a.startsWith('http'));
    expect(urls).toHaveLength(2);
    expect(urls.every((u) => u.startsWith('https://github.com/kubevirt/') && /\/download\/v\d+\.\d+\.\d+\//.test(u))).toBe(true);
  });

  test('the Job pod runs non-root, read-only, without privileges, on the VM hosts', () => {
    const pod = job.spec.template.spec;
    expect(pod.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } });
    for (const c of steps) {
      expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } });
      expect(c.resources.limits.memory).toBe('512Mi');
    }
    expect(pod.nodeSelector).toEqual(HOST_PLACEMENT.nodeSelector);
    expect(pod.tolerations).toEqual(HOST_PLACEMENT.tolerations);
    expect(pod.serviceAccountName).toBe('kubevirt-installer');
  });

  test('the Job retries, gives up, and is cleaned up; its name carries a content hash', () => {
    expect(job.spec).toEqual(expect.objectContaining({ backoffLimit: 6, activeDeadlineSeconds: 2700, ttlSecondsAfterFinished: 86400 }));
    expect(job.spec.template.spec.restartPolicy).toBe('OnFailure');
    expect(job.metadata?.name).toMatch(/^kubevirt-installer-[0-9a-f]{10}$/);
    expect(job.metadata?.name).toBe(kubevirt.installerJobName);
  });

  test('the installer namespace enforces the restricted Pod Security Standard', () => {
    const ns = single<{ metadata: { labels: Record<string, string> } }>(objects, 'Namespace');
    expect(ns.metadata.name).toBe('kubevirt-installer');
    expect(ns.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });

  test('RBAC: only the kinds the release manifests create, no wildcards, no Secrets, bound to the installer only', () => {
    const rules = single<{ rules: Rule[] }>(objects, 'ClusterRole').rules;
    const all = rules.flatMap((r) => [...r.apiGroups, ...r.resources, ...r.verbs]);
    expect(all).not.toContain('*');
    expect(rules.flatMap((r) => r.resources).sort()).toEqual([
      'cdis', 'clusterrolebindings', 'clusterroles', 'configmaps', 'customresourcedefinitions', 'deployments',
      'clusterrolebindings', 'kubevirts', 'namespaces', 'priorityclasses', 'rolebindings', 'roles', 'serviceaccounts', 'services',
    ].sort());
    // The only delete: its own binding, after the install (the last step).
    expect(rules.filter((r) => r.verbs.includes('delete'))).toEqual([
      { apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterrolebindings'], resourceNames: ['kubevirt-installer'], verbs: ['delete'] },
    ]);
    expect(steps[steps.length - 1].args).toEqual(['delete', 'clusterrolebinding', 'kubevirt-installer', '--ignore-not-found']);
    // Escalation rights only where RBAC objects are created.
    for (const r of rules) {
      if (r.verbs.includes('escalate') || r.verbs.includes('bind')) expect(r.resources.sort()).toEqual(['clusterroles', 'roles']);
    }
    const binding = single<{ subjects: Array<Record<string, string>>; roleRef: Record<string, string> }>(objects, 'ClusterRoleBinding');
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'kubevirt-installer', namespace: 'kubevirt-installer' }]);
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'kubevirt-installer' });
  });

  test('user disks get an encrypted gp3 class that retains volumes', () => {
    const sc = single<Record<string, unknown>>(objects, 'StorageClass');
    expect(sc).toEqual(expect.objectContaining({
      metadata: expect.objectContaining({ name: 'gp3-retain' }),
      provisioner: 'ebs.csi.aws.com',
      parameters: { type: 'gp3', encrypted: 'true' },
      reclaimPolicy: 'Retain',
      volumeBindingMode: 'WaitForFirstConsumer',
    }));
    expect(kubevirt.userDiskStorageClassName).toBe('gp3-retain');
  });

  test('the deployment waits in two steps (operators applied, then the Job succeeded), each up to 14 minutes, after the installer and the hosts', () => {
    const values = template.findResources('Custom::AWSCDK-EKS-KubernetesObjectValue');
    expect(Object.keys(values)).toHaveLength(2);
    const [operatorsId, readyId] = ['OperatorsApplied', 'Ready'].map((name) => Object.keys(values).find((id) => id.startsWith(`KubeVirt${name}`))!);
    expect(values[operatorsId].Properties).toEqual(expect.objectContaining({
      ObjectType: 'customresourcedefinition',
      ObjectName: 'cdis.cdi.kubevirt.io',
      JsonPath: '.metadata.name',
      TimeoutSeconds: 840,
    }));
    expect(values[readyId].Properties).toEqual(expect.objectContaining({
      ObjectType: 'job',
      ObjectName: kubevirt.installerJobName,
      ObjectNamespace: 'kubevirt-installer',
      JsonPath: '.status.succeeded',
      TimeoutSeconds: 840,
    }));
    const manifests = template.findResources('Custom::AWSCDK-EKS-KubernetesResource');
    const installId = Object.keys(manifests).find((id) => JSON.stringify(manifests[id].Properties.Manifest).includes('kubevirt-installer'))!;
    const hostsId = Object.keys(manifests).find((id) => JSON.stringify(manifests[id].Properties.Manifest).includes('NodePool'))!;
    expect(values[operatorsId].DependsOn).toEqual(expect.arrayContaining([installId]));
    expect(values[readyId].DependsOn).toEqual(expect.arrayContaining([operatorsId]));
    expect(manifests[installId].DependsOn).toEqual(expect.arrayContaining([hostsId]));
  });

  test('exposes names and placement', () => {
    expect([kubevirt.namespace, kubevirt.cdiNamespace, kubevirt.installerNamespace, kubevirt.vmStateStorageClass, kubevirt.kubevirtVersion, kubevirt.cdiVersion])
      .toEqual(['kubevirt', 'cdi', 'kubevirt-installer', undefined, '1.9.0', '1.66.0']);
    expect(kubevirt.placement.nodeSelector).toEqual(DEFAULT_VM_HOST_PLACEMENT.nodeSelector);
    expect(kubevirt.readinessCheck).toBeDefined();
  });
});

describe('KubeVirt.addCdk8sChart', () => {
  test('applies a chart after KubeVirt is ready', () => {
    // GIVEN
    const given = stackWithV2Cluster();
    const kubevirt = newKubeVirt(given);
    const chart = new Chart(new Cdk8sApp(), 'Desktops');
    new k8s.KubeNamespace(chart, 'Ns', { metadata: { name: 'chart-test-ns' } });
    // WHEN
    kubevirt.addCdk8sChart('Desktops', chart);
    // THEN
    const template = Template.fromStack(given.stack);
    const manifests = template.findResources('Custom::AWSCDK-EKS-KubernetesResource');
    const chartId = Object.keys(manifests).find((id) => JSON.stringify(manifests[id].Properties.Manifest).includes('chart-test-ns'))!;
    const readyId = Object.keys(template.findResources('Custom::AWSCDK-EKS-KubernetesObjectValue')).find((id) => id.includes('Ready'))!;
    expect(manifests[chartId].DependsOn).toEqual(expect.arrayContaining([readyId]));
  });
});

describe('KubeVirt on clusters of both EKS modules', () => {
  test.each([
    ['aws-eks cluster', stackWithV1Cluster, true],
    ['imported aws-eks cluster', stackWithImportedV1Cluster, true],
    ['aws-eks-v2 cluster', stackWithV2Cluster, false],
    ['imported aws-eks-v2 cluster', stackWithImportedV2Cluster, false],
  ])('%s: the readiness wait uses the module\'s own KubernetesObjectValue', (_name, make, v1) => {
    // GIVEN
    const given = make();
    // WHEN
    newKubeVirt(given);
    // THEN: the aws-eks handler assumes a kubectl role, the aws-eks-v2 one does not.
    const template = Template.fromStack(given.stack);
    template.resourceCountIs('Custom::AWSCDK-EKS-KubernetesObjectValue', 2);
    template.hasResourceProperties('Custom::AWSCDK-EKS-KubernetesObjectValue', {
      JsonPath: '.status.succeeded',
      RoleArn: v1 ? Match.anyValue() : Match.absent(),
    });
  });
});

describe('KubeVirt options', () => {
  test('versions, feature gates, storage classes, KMS key and no readiness wait', () => {
    // GIVEN
    const given = stackWithV2Cluster();
    const key = new kms.Key(given.stack, 'Key');
    // WHEN
    const kubevirt = newKubeVirt(given, {
      kubevirtVersion: '1.9.2',
      cdiVersion: '1.67.0',
      featureGates: ['Snapshot'],
      vmStateStorageClass: 'gp3-state',
      userDiskStorageClassName: 'user-disks',
      userDiskEncryptionKey: key,
      installerNamespace: 'kv-install',
      waitForReadiness: false,
    });
    const objects = synthChart(kubevirt.installChart);
    // THEN
    const steps = single<{ spec: JobSpec }>(objects, 'Job').spec.template.spec.initContainers;
    expect(steps[0].args).toContain('https://github.com/kubevirt/kubevirt/releases/download/v1.9.2/kubevirt-operator.yaml');
    expect(steps[1].args).toContain('https://github.com/kubevirt/containerized-data-importer/releases/download/v1.67.0/cdi-operator.yaml');
    const cr = JSON.parse(single<{ data: Record<string, string> }>(objects, 'ConfigMap').data['kubevirt.json']) as KubeVirtCr;
    expect(cr.spec.configuration.vmStateStorageClass).toBe('gp3-state');
    // A named class makes KubeVirt ask for ReadWriteMany: the user is told.
    Annotations.fromStack(given.stack).hasWarning('*', Match.stringLikeRegexp('vmStateStorageClass is "gp3-state".*ReadWriteMany'));
    expect(cr.spec.configuration.developerConfiguration).toEqual({ useEmulation: false, featureGates: ['Snapshot'] });
    const sc = single<{ metadata: { name: string }; parameters: Record<string, unknown> }>(objects, 'StorageClass');
    expect(sc.metadata.name).toBe('user-disks');
    expect(given.stack.resolve(sc.parameters.kmsKeyId)).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^Key/), 'Arn'] });
    expect(objects.every((o) => o.metadata?.namespace === undefined || o.metadata.namespace === 'kv-install')).toBe(true);
    Template.fromStack(given.stack).resourceCountIs('Custom::AWSCDK-EKS-KubernetesObjectValue', 0);
    expect(kubevirt.readinessCheck).toBeUndefined();
  });

  test('the Job name is deterministic and changes with what it installs', () => {
    const chart = (kubevirtVersion: string) => new KubeVirtInstallChart(new Cdk8sApp(), 'Install', {
      kubevirtVersion,
      cdiVersion: '1.66.0',
      installerImage: KUBECTL_IMAGE,
      installerNamespace: 'kubevirt-installer',
      placement: DEFAULT_VM_HOST_PLACEMENT,
      vmStateStorageClass: 'gp3',
      userDiskStorageClassName: 'gp3-retain',
    });
    expect(chart('1.9.0').jobName).toBe(chart('1.9.0').jobName);
    expect(chart('1.9.1').jobName).not.toBe(chart('1.9.0').jobName);
  });
});

describe('KubeVirt bad input', () => {
  let given: { stack: Stack; cluster: IEksCluster };
  let count = 0;
  beforeAll(() => { given = stackWithV2Cluster(); });
  const make = (props: Partial<KubeVirtProps>) => () => newKubeVirt(given, props, `KubeVirt${count++}`);

  test('versions older than the API this library writes, or not x.y.z', () => {
    expect(make({ kubevirtVersion: '1.8.3' })).toThrow(/KubeVirt\.kubevirtVersion: is 1\.8\.3; .*Use 1\.9\.0 or later/);
    expect(make({ kubevirtVersion: 'v1.9.0' })).toThrow(/KubeVirt\.kubevirtVersion: "v1\.9\.0" is not a release version; give "x\.y\.z" without "v"/);
    expect(make({ cdiVersion: '1.61.0' })).toThrow(/KubeVirt\.cdiVersion: is 1\.61\.0; .*Use 1\.66\.0 or later/);
  });

  test('an installer image that is not pinned', () => {
    expect(make({ installerImage: 'registry.k8s.io/kubectl:latest' })).toThrow(/KubeVirt\.installerImage: "registry\.k8s\.io\/kubectl:latest" is not pinned/);
    expect(make({ installerImage: 'registry.k8s.io/kubectl' })).toThrow(/KubeVirt\.installerImage: .* is not pinned/);
  });

  test('invalid names', () => {
    expect(make({ installerNamespace: 'Kube_Virt' })).toThrow(/KubeVirt\.installerNamespace: "Kube_Virt" is not a valid Kubernetes name/);
    expect(make({ installerNamespace: 'kubevirt' })).toThrow(/KubeVirt\.installerNamespace: "kubevirt" is the namespace of the upstream release/);
    expect(make({ vmStateStorageClass: 'GP3' })).toThrow(/KubeVirt\.vmStateStorageClass: "GP3" is not a valid Kubernetes object name/);
    expect(make({ featureGates: ['snap shot'] })).toThrow(/KubeVirt\.featureGates\[0\]: "snap shot" is not a feature gate name/);
    expect(make({ featureGates: ['Snapshot', 'Snapshot'] })).toThrow(/KubeVirt\.featureGates: lists a gate twice/);
  });

  test('a readiness timeout a custom resource cannot wait', () => {
    expect(make({ readinessTimeout: Duration.minutes(20) })).toThrow(/KubeVirt\.readinessTimeout: is 20 minutes; give 1 to 14 minutes/);
  });

  test('a host pool of another cluster', () => {
    const other = stackWithV2Cluster();
    const karpenter = new FakeKarpenter(given.stack, 'ForeignKarpenter', { cluster: other.cluster });
    const hostPool = new VmHostPool(given.stack, 'ForeignHosts', { guestLicensing: TEST_LICENSING, karpenter, name: 'foreign-hosts' });
    expect(() => new KubeVirt(given.stack, 'Mismatch', { cluster: given.cluster, hostPool }))
      .toThrow(/KubeVirt\.hostPool: belongs to cluster .*, not to .*; pass the VmHostPool of the cluster KubeVirt is installed into/);
  });
});

test('an object that fails the KubeVirt schema is reported (the check is not vacuous)', () => {
  registerKubeVirtSchemas();
  const problems = validateKubernetesObject({ apiVersion: 'kubevirt.io/v1', kind: 'KubeVirt', metadata: { name: 'x' }, spec: { workloads: { nodePlacment: {} } } });
  expect(problems.join('\n')).toMatch(/nodePlacment/);
});
