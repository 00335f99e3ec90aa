import { Template } from 'aws-cdk-lib/assertions';
import { NodeDesktopsExampleStack } from '../../examples/node-desktops/node-desktops-stack';
import { projectApp } from '../support/app';
import { checkTemplateAgainstRegistry } from '../support/cloudformation-schemas';
import { kubernetesObjectsOf, validateKubernetesObjects } from '../support/kubernetes-schemas';
import { scanTemplateForSecrets } from '../support/secret-scan';

describe('examples/node-desktops', () => {
  let template: Template;

  beforeAll(() => {
    // GIVEN the node-desktops example in eu-west-1, WHEN synthesized
    template = Template.fromStack(new NodeDesktopsExampleStack(projectApp(), 'NodeDesktops', {
      env: { account: '123456789012', region: 'eu-west-1' },
      availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
      guacdSecurityGroupId: 'sg-0123456789abcdef0',
      identityProviderArn: 'arn:aws:license-manager-user-subscriptions:eu-west-1:123456789012:identity-provider/example',
    }));
  });

  test('creates the shared desktop pool, its warm pool and the RDS SAL endpoint; objects schema-valid', () => {
    const objects = kubernetesObjectsOf(template);
    expect(objects.filter((o) => o.kind === 'NodePool').map((o) => o.metadata?.name)).toEqual(['node-desktops', 'node-desktops-warm']);
    expect(validateKubernetesObjects(objects)).toEqual([]);
    template.resourceCountIs('AWS::LicenseManagerUserSubscriptions::LicenseServerEndpoint', 1);
  });

  test('no plaintext secret', () => {
    expect(scanTemplateForSecrets(template)).toEqual([]);
  });

  test('every resource is valid against its CloudFormation registry schema', () => {
    expect(checkTemplateAgainstRegistry(template.toJSON()).errors).toEqual([]);
  });

  test('snapshot', () => {
    expect(template.toJSON()).toMatchSnapshot();
  });
});
