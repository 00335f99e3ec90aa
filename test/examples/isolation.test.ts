import { Template } from 'aws-cdk-lib/assertions';
import { DeliveryMode } from '../../constructs/isolation/desktop-users';
import { exampleUsers, IsolationStack } from '../../examples/isolation/isolation-stack';
import { projectApp } from '../support/app';
import { kubernetesObjectsOf, validateKubernetesObjects } from '../support/kubernetes-schemas';
import { registerKubeVirtSchemas } from '../support/kubevirt-schemas';

describe('examples/isolation (10 users through CloudFormation)', () => {
  let stack: IsolationStack;
  let template: Template;

  beforeAll(() => {
    registerKubeVirtSchemas();
    // GIVEN the isolation example with 10 users, WHEN synthesized
    stack = new IsolationStack(projectApp(), 'Isolation', {
      env: { account: '123456789012', region: 'eu-west-1' },
      availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
      users: exampleUsers(10),
      delivery: DeliveryMode.CLOUDFORMATION,
    });
    template = Template.fromStack(stack);
  });

  test('every user gets a namespace and a desktop on a host of their own; all objects schema-valid', () => {
    const objects = stack.users.stacks.flatMap((s) => kubernetesObjectsOf(Template.fromStack(s)));
    expect(objects.filter((o) => o.kind === 'Namespace')).toHaveLength(10);
    expect(objects.filter((o) => o.kind === 'VirtualMachine')).toHaveLength(10);
    expect(validateKubernetesObjects(objects)).toEqual([]);
    expect(validateKubernetesObjects(kubernetesObjectsOf(template).filter((o) => ['NodePool', 'DataSource', 'RoleBinding'].includes(o.kind)))).toEqual([]);
  });

  test('snapshot', () => {
    expect(template.toJSON()).toMatchSnapshot();
  });
});
