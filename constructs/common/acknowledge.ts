import { Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * Acknowledges cdk-nag AwsSolutions rules on a construct and its children, each with the
 * reason it is by design. Kept in the library so that every app using a construct gets the
 * same reasoned acknowledgments instead of writing its own.
 *
 * @param scope  the construct whose subtree the acknowledgments cover
 * @param reasons  rule id (e.g. `AwsSolutions-IAM5`) → why the finding is by design
 */
export function acknowledgeAwsSolutions(scope: IConstruct, reasons: Record<string, string>): void {
  Validations.of(scope).acknowledge(...Object.entries(reasons).map(([rule, reason]) => ({ id: `AwsSolutions::${rule}`, reason })));
}

/** Plugin name of `@cdklabs/cdk-validator-cfnguard` (AWS Control Tower proactive controls). */
export const CONTROL_TOWER_PLUGIN = 'cdk-validator-cfnguard';

/**
 * Acknowledges AWS Control Tower proactive controls (the cfn-guard rules that
 * `@cdklabs/cdk-validator-cfnguard` runs, e.g. `sqs_dlq_check`) on a construct and its
 * children, each with the reason it is by design.
 *
 * @param scope  the construct whose subtree the acknowledgments cover
 * @param reasons  rule name (e.g. `sqs_dlq_check`) → why the finding is by design
 */
export function acknowledgeControlTower(scope: IConstruct, reasons: Record<string, string>): void {
  Validations.of(scope).acknowledge(...Object.entries(reasons).map(([rule, reason]) => ({ id: `${CONTROL_TOWER_PLUGIN}::${rule}`, reason })));
}
