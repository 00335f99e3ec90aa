import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';

/**
 * Adds the key policy statement AWS Control Tower asks for (CT.KMS.PR.3): nobody may create a
 * grant on the key unless the grant is for an AWS resource or the caller is an AWS service.
 * Services that use the key on the customer's behalf (EKS envelope encryption, EBS, CloudWatch
 * Logs) create their grants through the service, which the condition keys let pass.
 *
 * @see https://docs.aws.amazon.com/controltower/latest/controlreference/kms-rules.html
 */
export function limitGrantsToAwsServices(key: kms.Key): void {
  key.addToResourcePolicy(new iam.PolicyStatement({
    sid: 'DenyGrantsExceptForAwsServices',
    effect: iam.Effect.DENY,
    principals: [new iam.AnyPrincipal()],
    actions: ['kms:CreateGrant'],
    resources: ['*'],
    conditions: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
  }));
}
