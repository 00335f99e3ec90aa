import { Template } from 'aws-cdk-lib/assertions';
import { QuickStartStack } from '../../examples/quick-start/quick-start-stack';
import { projectApp } from '../support/app';
import { checkTemplateAgainstRegistry } from '../support/cloudformation-schemas';
import { kubernetesObjectsOf, validateKubernetesObjects } from '../support/kubernetes-schemas';

describe('examples/quick-start', () => {
  let template: Template;

  beforeAll(() => {
    // GIVEN the quick-start app in eu-west-1, WHEN synthesized
    template = Template.fromStack(new QuickStartStack(projectApp(), 'QuickStart', {
      env: { account: '123456789012', region: 'eu-west-1' },
      availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
    }));
  });

  test('creates one cluster with a Windows 2022 pool, its RuntimeClass and Karpenter', () => {
    template.resourceCountIs('AWS::EKS::Cluster', 1);
    const objects = kubernetesObjectsOf(template);
    expect(objects.filter((o) => o.kind === 'NodePool').map((o) => o.metadata?.name)).toEqual(['windows-2022']);
    expect(objects.filter((o) => o.kind === 'RuntimeClass').map((o) => o.metadata?.name)).toEqual(['windows-2022']);
    expect(validateKubernetesObjects(objects)).toEqual([]);
  });

  test('every resource is valid against its CloudFormation registry schema', () => {
    expect(checkTemplateAgainstRegistry(template.toJSON()).errors).toEqual([]);
  });

  test('snapshot', () => {
    expect(template.toJSON()).toMatchSnapshot();
  });
});
