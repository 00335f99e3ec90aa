import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildBlueprintWithWindowsPools, BLUEPRINT_CLUSTER_NAME } from '../../examples/eks-blueprints/blueprint-windows-pools';
import { projectApp } from '../support/app';
import { checkTemplateAgainstRegistry } from '../support/cloudformation-schemas';
import { kubernetesObjectsOf, validateKubernetesObjects } from '../support/kubernetes-schemas';

describe('examples/eks-blueprints', () => {
  let template: Template;

  beforeAll(() => {
    // GIVEN an eks-blueprints cluster built offline, WHEN Karpenter and a Windows pool are added
    template = Template.fromStack(buildBlueprintWithWindowsPools(projectApp(), 'Blueprint'));
  });

  test('turns Windows IPAM on through the managed VPC CNI add-on', () => {
    template.hasResourceProperties('AWS::EKS::Addon', { AddonName: 'vpc-cni', ConfigurationValues: '{"enableWindowsIpam":"true"}' });
  });

  test('tags the private subnets for Karpenter discovery with the literal cluster name', () => {
    const tagged = template.findResources('AWS::EC2::Subnet', {
      Properties: { Tags: Match.arrayWith([{ Key: 'karpenter.sh/discovery', Value: BLUEPRINT_CLUSTER_NAME }]) },
    });
    expect(Object.keys(tagged).length).toBeGreaterThanOrEqual(2);
  });

  test('maps the node roles in aws-auth (the blueprint cluster is in CONFIG_MAP mode)', () => {
    const awsAuth = kubernetesObjectsOf(template).find((o) => o.kind === 'ConfigMap' && o.metadata?.name === 'aws-auth');
    expect((awsAuth as unknown as { data: { mapRoles: string } }).data.mapRoles).toContain('eks:kube-proxy-windows');
  });

  test('every Kubernetes object is valid against its upstream schema', () => {
    const objects = kubernetesObjectsOf(template);
    expect(objects.filter((o) => o.kind === 'NodePool').map((o) => o.metadata?.name)).toEqual(['windows-2022']);
    expect(validateKubernetesObjects(objects)).toEqual([]);
  });

  test('every resource is valid against its CloudFormation registry schema', () => {
    expect(checkTemplateAgainstRegistry(template.toJSON()).errors).toEqual([]);
  });

  test('snapshot', () => {
    expect(template.toJSON()).toMatchSnapshot();
  });
});
