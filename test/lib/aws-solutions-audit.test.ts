import { App, IPolicyValidationContext, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';
import { AwsSolutionsAudit } from '../../lib/aws-solutions-audit';

function audit(app: App) {
  const context: IPolicyValidationContext & { appConstruct: IConstruct } = { templatePaths: [], appConstruct: app };
  return new AwsSolutionsAudit().validate(context);
}

function wildcardRole(stack: Stack, id: string): iam.Role {
  const role = new iam.Role(stack, id, { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
  role.addToPolicy(new iam.PolicyStatement({ actions: ['ec2:DescribeInstances'], resources: ['*'] }));
  return role;
}

describe('AwsSolutionsAudit', () => {
  test('non-compliant: an unacknowledged wildcard permission is reported', () => {
    // GIVEN a role with a wildcard resource and no acknowledgment
    const app = new App();
    wildcardRole(new Stack(app, 'S'), 'Role');
    // WHEN audited THEN the IAM5 finding remains
    const report = audit(app);
    expect(report.success).toBe(false);
    expect(report.violations.map((v) => v.ruleName)).toContain('AwsSolutions-IAM5[Resource::*]');
  });

  test('compliant: a rule-level acknowledgment with a reason on an ancestor covers its findings', () => {
    // GIVEN the same role, acknowledged on its parent with a reason
    const app = new App();
    const stack = new Stack(app, 'S');
    const role = wildcardRole(stack, 'Role');
    Validations.of(role).acknowledge({ id: 'AwsSolutions::AwsSolutions-IAM5', reason: 'test: by design' });
    // WHEN audited THEN no IAM5 finding remains
    expect(audit(app).violations.filter((v) => v.ruleName.startsWith('AwsSolutions-IAM5'))).toEqual([]);
  });

  test('an acknowledgment on one construct does not cover a sibling', () => {
    const app = new App();
    const stack = new Stack(app, 'S');
    const acknowledged = wildcardRole(stack, 'Acknowledged');
    wildcardRole(stack, 'Other');
    Validations.of(acknowledged).acknowledge({ id: 'AwsSolutions::AwsSolutions-IAM5', reason: 'test: by design' });
    const paths = audit(app).violations.filter((v) => v.ruleName.startsWith('AwsSolutions-IAM5')).flatMap((v) => v.violatingResources.map((r) => r.constructPath));
    expect(paths).toEqual(['S/Other/DefaultPolicy/Resource']);
  });
});
