import { App, IPolicyValidationContext, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { IConstruct } from 'constructs';
import { AwsSolutionsAudit } from '../../lib/aws-solutions-audit';

/** An env-agnostic stack (nothing looks anything up) with a VPC like the cluster's: public and private subnets, one NAT gateway. */
export function stackWithVpc(): { app: App; stack: Stack; vpc: ec2.Vpc } {
  const app = new App();
  const stack = new Stack(app, 'Test');
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
  return { app, stack, vpc };
}

/** cdk-nag AwsSolutions findings (rule and construct path) under `scope`, after acknowledgments. */
export function nagFindings(app: App, ...scopes: IConstruct[]): string[] {
  const context: IPolicyValidationContext & { appConstruct: IConstruct } = { templatePaths: [], appConstruct: app };
  const prefixes = scopes.map((s) => `${s.node.path}/`);
  return new AwsSolutionsAudit().validate(context).violations
    .flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} ${r.constructPath ?? ''}`))
    .filter((finding) => prefixes.some((prefix) => finding.split(' ')[1].startsWith(prefix)));
}
