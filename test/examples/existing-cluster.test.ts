import { Template } from 'aws-cdk-lib/assertions';
import { ExistingClusterStack } from '../../examples/existing-cluster/existing-cluster-stack';
import { projectApp } from '../support/app';
import { checkTemplateAgainstRegistry } from '../support/cloudformation-schemas';
import { kubernetesObjectsOf, validateKubernetesObjects } from '../support/kubernetes-schemas';

describe('examples/existing-cluster', () => {
  let template: Template;

  beforeAll(() => {
    // GIVEN an app with its own VPC and aws-eks (v1) cluster in CONFIG_MAP mode
    const app = projectApp();
    const stack = new ExistingClusterStack(app, 'ExistingCluster', {
      env: { account: '123456789012', region: 'us-east-1' },
      availabilityZones: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
    });
    // WHEN it is synthesized
    template = Template.fromStack(stack);
  });

  test('maps both Karpenter node roles in aws-auth, Windows with the kube-proxy-windows group', () => {
    const awsAuth = kubernetesObjectsOf(template).find((o) => o.kind === 'ConfigMap' && o.metadata?.name === 'aws-auth');
    expect(awsAuth).toBeDefined();
    const mapRoles = (awsAuth as unknown as { data: { mapRoles: string } }).data.mapRoles;
    expect(mapRoles).toContain('eks:kube-proxy-windows');
    expect(template.findResources('AWS::EKS::AccessEntry')).toEqual({});
  });

  test('adds a Windows 2022 NodePool and its RuntimeClass', () => {
    const objects = kubernetesObjectsOf(template);
    expect(objects.filter((o) => o.kind === 'NodePool').map((o) => o.metadata?.name)).toEqual(['windows-2022']);
    expect(objects.filter((o) => o.kind === 'RuntimeClass').map((o) => o.metadata?.name)).toEqual(['windows-2022']);
  });

  test('every Kubernetes object is valid against its upstream schema', () => {
    const objects = kubernetesObjectsOf(template);
    expect(objects.length).toBeGreaterThan(3);
    expect(validateKubernetesObjects(objects)).toEqual([]);
  });

  test('every resource is valid against its CloudFormation registry schema', () => {
    const result = checkTemplateAgainstRegistry(template.toJSON());
    expect(result.errors).toEqual([]);
  });

  test('snapshot', () => {
    expect(template.toJSON()).toMatchSnapshot();
  });
});
