import { Testing } from 'cdk8s';
import { WarmCapacityChart, WarmCapacityChartProps } from '../../constructs/karpenter/warm-capacity-chart';
import { KubernetesObject, validateKubernetesObjects } from '../support/kubernetes-schemas';
import { ofKind } from './windows-test-support';

/** The fields of a pod template the tests read. */
interface PodSpec {
  priorityClassName?: string;
  terminationGracePeriodSeconds?: number;
  os?: { name: string };
  nodeSelector?: Record<string, string>;
  tolerations?: Array<Record<string, string>>;
  runtimeClassName?: string;
  automountServiceAccountToken?: boolean;
  serviceAccountName?: string;
  securityContext?: Record<string, unknown>;
  containers: Array<{ name: string; image: string; args?: string[]; resources: Record<string, Record<string, string>>; securityContext?: Record<string, unknown> }>;
}

const BASE: WarmCapacityChartProps = {
  name: 'windows-2022-warm',
  namespace: 'windows-2022-warm',
  createNamespace: true,
  priorityClassName: 'windows-2022-warm',
  priority: -10,
  image: 'registry.k8s.io/pause:3.10.2',
  replicas: 2,
  cpu: '2',
  memory: '8Gi',
  nodeSelector: { 'kubernetes.io/os': 'windows', 'karpenter.sh/nodepool': 'windows-2022' },
  tolerations: [{ key: 'os', operator: 'Equal', value: 'windows', effect: 'NoSchedule' }],
  scalerNamespace: 'kube-system',
  scalerImage: 'registry.k8s.io/kubectl:v1.35.0',
};

function synth(props: Partial<WarmCapacityChartProps> = {}): KubernetesObject[] {
  return Testing.synth(new WarmCapacityChart(Testing.app(), 'Test', { ...BASE, ...props })) as KubernetesObject[];
}

function podSpecOf(object: KubernetesObject): PodSpec {
  if (object.kind === 'CronJob') {
    return (object.spec as { jobTemplate: { spec: { template: { spec: PodSpec } } } }).jobTemplate.spec.template.spec;
  }
  return (object.spec as { template: { spec: PodSpec } }).template.spec;
}

describe('WarmCapacityChart with a fixed size', () => {
  let objects: KubernetesObject[];

  beforeAll(() => {
    objects = synth();
  });

  test('has a Namespace, a PriorityClass and a Deployment, valid against the Kubernetes 1.34 schemas', () => {
    // THEN
    expect(objects.map((o) => `${o.apiVersion}/${o.kind}/${o.metadata?.name}`)).toEqual([
      'v1/Namespace/windows-2022-warm',
      'scheduling.k8s.io/v1/PriorityClass/windows-2022-warm',
      'apps/v1/Deployment/windows-2022-warm',
    ]);
    expect(validateKubernetesObjects(objects)).toEqual([]);
  });

  test('the PriorityClass is negative, never preempts and is not the default', () => {
    // THEN
    const [priorityClass] = ofKind(objects, 'PriorityClass');
    expect(priorityClass).toMatchObject({ value: -10, preemptionPolicy: 'Never', globalDefault: false });
  });

  test('placeholders request (and are limited to) one desktop\'s CPU and memory', () => {
    // THEN
    const [deployment] = ofKind(objects, 'Deployment');
    expect(deployment.metadata?.namespace).toBe('windows-2022-warm');
    expect((deployment.spec as { replicas: number }).replicas).toBe(2);
    const container = podSpecOf(deployment).containers[0];
    expect(container).toMatchObject({ name: 'pause', image: 'registry.k8s.io/pause:3.10.2' });
    expect(container.resources).toEqual({ requests: { cpu: '2', memory: '8Gi' }, limits: { cpu: '2', memory: '8Gi' } });
  });

  test('placeholders go to the pool\'s Windows nodes, at the negative priority, and leave at once', () => {
    // THEN
    const spec = podSpecOf(ofKind(objects, 'Deployment')[0]);
    expect(spec).toMatchObject({
      priorityClassName: 'windows-2022-warm',
      terminationGracePeriodSeconds: 0,
      os: { name: 'windows' },
      nodeSelector: BASE.nodeSelector,
      tolerations: BASE.tolerations,
      automountServiceAccountToken: false,
    });
    expect(spec.runtimeClassName).toBeUndefined();
    expect(spec.containers[0].securityContext).toEqual({ windowsOptions: { runAsUserName: 'ContainerUser' } });
  });

  test('a change recreates the placeholders instead of surging (which would double the warm nodes)', () => {
    // THEN
    expect((ofKind(objects, 'Deployment')[0].spec as { strategy: unknown }).strategy).toEqual({ type: 'Recreate' });
  });

  test('without schedules there is no CronJob and no RBAC', () => {
    // THEN
    expect(objects.filter((o) => ['CronJob', 'Role', 'RoleBinding', 'ServiceAccount'].includes(o.kind))).toEqual([]);
  });
});

describe('WarmCapacityChart with business hours', () => {
  let objects: KubernetesObject[];

  beforeAll(() => {
    objects = synth({
      createNamespace: false,
      namespace: 'desktops',
      runtimeClassName: 'windows-2022',
      scaleSchedules: [{ schedule: '0 7 * * 1-5', replicas: 5 }, { schedule: '0 19 * * 1-5', replicas: 0 }],
      timeZone: 'Europe/Berlin',
    });
  });

  test('every object is valid against its schema, and no Namespace is created', () => {
    // THEN
    expect(objects.map((o) => o.kind)).toEqual(['PriorityClass', 'Deployment', 'ServiceAccount', 'Role', 'RoleBinding', 'CronJob', 'CronJob']);
    expect(validateKubernetesObjects(objects)).toEqual([]);
  });

  test('one CronJob per schedule, in the time zone, runs kubectl scale on the Deployment', () => {
    // THEN
    const cronJobs = ofKind(objects, 'CronJob');
    expect(cronJobs.map((c) => [c.metadata?.name, c.metadata?.namespace, (c.spec as { schedule: string }).schedule, (c.spec as { timeZone: string }).timeZone])).toEqual([
      ['windows-2022-warm-scale-0', 'kube-system', '0 7 * * 1-5', 'Europe/Berlin'],
      ['windows-2022-warm-scale-1', 'kube-system', '0 19 * * 1-5', 'Europe/Berlin'],
    ]);
    expect(cronJobs.map((c) => podSpecOf(c).containers[0].args)).toEqual([
      ['scale', 'deployment/windows-2022-warm', '--namespace=desktops', '--replicas=5'],
      ['scale', 'deployment/windows-2022-warm', '--namespace=desktops', '--replicas=0'],
    ]);
    expect(cronJobs.every((c) => (c.spec as { concurrencyPolicy: string }).concurrencyPolicy === 'Forbid')).toBe(true);
  });

  test('the scaling pods run on Linux as non-root, read-only, without capabilities', () => {
    // THEN
    const spec = podSpecOf(ofKind(objects, 'CronJob')[0]);
    expect(spec.serviceAccountName).toBe('windows-2022-warm-scaler');
    expect(spec.nodeSelector).toEqual({ 'kubernetes.io/os': 'linux' });
    expect(spec.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } });
    expect(spec.containers[0].image).toBe('registry.k8s.io/kubectl:v1.35.0');
    expect(spec.containers[0].securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
  });

  test('the Role allows reading and scaling this one Deployment, bound to the scaler\'s service account only', () => {
    // THEN
    const [role] = ofKind(objects, 'Role');
    expect(role.metadata?.namespace).toBe('desktops');
    expect(role.rules).toEqual([
      { apiGroups: ['apps'], resources: ['deployments'], resourceNames: ['windows-2022-warm'], verbs: ['get'] },
      { apiGroups: ['apps'], resources: ['deployments/scale'], resourceNames: ['windows-2022-warm'], verbs: ['get', 'patch', 'update'] },
    ]);
    const [binding] = ofKind(objects, 'RoleBinding');
    expect(binding).toMatchObject({
      metadata: { namespace: 'desktops' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'windows-2022-warm-scaler' },
      subjects: [{ kind: 'ServiceAccount', name: 'windows-2022-warm-scaler', namespace: 'kube-system' }],
    });
  });

  test('placeholders use the RuntimeClass', () => {
    // THEN
    expect(podSpecOf(ofKind(objects, 'Deployment')[0]).runtimeClassName).toBe('windows-2022');
  });
});
