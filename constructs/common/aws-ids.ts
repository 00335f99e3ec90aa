import { Token } from 'aws-cdk-lib';
import { ValidationError } from './validation-error';

/**
 * AWS resource ids and ARNs: one pattern per kind, used by every construct that takes one (a
 * security group id must not be valid for one construct and invalid for the next).
 */

/** EC2 ids: the prefix, then 8 (old) or 17 lowercase hex digits. */
function ec2Id(prefix: string): RegExp {
  return new RegExp(`^${prefix}-([0-9a-f]{8}|[0-9a-f]{17})$`);
}

export const SECURITY_GROUP_ID = ec2Id('sg');
export const SUBNET_ID = ec2Id('subnet');
export const AMI_ID = ec2Id('ami');

const EXAMPLES: Record<string, string> = {
  sg: 'sg-0123456789abcdef0',
  subnet: 'subnet-0123456789abcdef0',
  ami: 'ami-0123456789abcdef0',
};

/** Fails unless `value` is an EC2 id of the given kind (`sg`, `subnet`, `ami`). */
export function validateEc2Id(prop: string, value: string, kind: 'sg' | 'subnet' | 'ami'): void {
  if (Token.isUnresolved(value)) return;
  if (!ec2Id(kind).test(value)) {
    const what = { sg: 'security group', subnet: 'subnet', ami: 'AMI' }[kind];
    throw new ValidationError(prop, `"${value}" is not ${kind === 'ami' ? 'an' : 'a'} ${what} id; expected "${kind}-" and 8 or 17 lowercase hex digits, e.g. "${EXAMPLES[kind]}".`);
  }
}

/** The parts of an ARN. */
export interface ArnParts {
  readonly partition: string;
  readonly service: string;
  readonly region: string;
  readonly account: string;
  readonly resource: string;
}

const ARN = /^arn:(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b|aws-iso-e|aws-iso-f|aws-eusc):([a-z0-9-]+):([a-z0-9-]*):(\d{12}|aws|):(.+)$/;

/**
 * Splits `value` into its ARN parts, failing with the prop (rather than aws-cdk-lib's
 * `ARNs must start with "arn:"`) when it is not one; `undefined` for a deploy-time value.
 *
 * @param service  the expected service, e.g. `acm`
 * @param example  a valid ARN for the message
 */
export function parseArn(prop: string, value: string, service: string, example: string): ArnParts | undefined {
  if (Token.isUnresolved(value)) return undefined;
  const match = ARN.exec(value);
  if (!match) {
    throw new ValidationError(prop, `"${value}" is not an ARN; expected "arn:<partition>:${service}:<region>:<account>:...", e.g. "${example}".`);
  }
  const parts = { partition: match[1], service: match[2], region: match[3], account: match[4], resource: match[5] };
  if (parts.service !== service) {
    throw new ValidationError(prop, `"${value}" is an ARN of ${parts.service}, not of ${service}; give e.g. "${example}".`);
  }
  return parts;
}
