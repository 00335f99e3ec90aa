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
