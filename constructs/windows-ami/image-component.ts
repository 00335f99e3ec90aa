import { Aws, Token } from 'aws-cdk-lib';
import { isString } from '../common/validate';
import { ValidationError } from '../common/validation-error';

const COMPONENT_ARN = /^arn:aws[a-z-]*:imagebuilder:[a-z0-9-]+:(?:[0-9]{12}|aws):component\/[a-z0-9_-]+\/(?:[0-9]+|x)\.(?:[0-9]+|x)\.(?:[0-9]+|x)(?:\/[0-9]+)?$/;
const COMPONENT_NAME = /^[a-z0-9][a-z0-9_-]*$/;
const COMPONENT_VERSION = /^(?:[0-9]+|x)\.(?:[0-9]+|x)\.(?:[0-9]+|x)$/;

/**
 * An EC2 Image Builder build component added to an AMI recipe after the image pre-pull, e.g.
 * an AWS-managed one (`ImageComponent.awsManaged('powershell-windows')`) or one of your own.
 *
 * Components are versioned and immutable: reference a fixed version (`1.2.0`), or accept that
 * `x.x.x` picks the latest at each build.
 *
 * @see https://docs.aws.amazon.com/imagebuilder/latest/userguide/manage-components.html
 */
export class ImageComponent {
  /**
   * A component by ARN, e.g. `arn:aws:imagebuilder:us-east-1:123456789012:component/my-agent/1.0.0`
   * or a CloudFormation `CfnComponent.attrArn`.
   */
  public static fromArn(arn: string): ImageComponent {
    isString("'arn:aws:imagebuilder:us-east-1:123456789012:component/my-agent/1.0.0'")('ImageComponent.fromArn(arn)', arn);
    if (!Token.isUnresolved(arn) && !COMPONENT_ARN.test(arn)) {
      throw new ValidationError('ImageComponent.fromArn(arn)', `"${arn}" is not an Image Builder component ARN; expected e.g. "arn:aws:imagebuilder:us-east-1:123456789012:component/my-agent/1.0.0".`);
    }
    return new ImageComponent(arn);
  }

  /**
   * An AWS-managed component of the stack's region, e.g. `awsManaged('update-windows')`.
   *
   * @param name  component name as listed by `aws imagebuilder list-components --owner Amazon`
   * @param version  semantic version or filter
   * @default version 'x.x.x' - the latest version at each build
   */
  public static awsManaged(name: string, version: string = 'x.x.x'): ImageComponent {
    isString("'update-windows'")('ImageComponent.awsManaged(name)', name);
    isString("'x.x.x'")('ImageComponent.awsManaged(version)', version);
    if (!COMPONENT_NAME.test(name)) {
      throw new ValidationError('ImageComponent.awsManaged(name)', `"${name}" is not a component name; use lowercase letters, digits, '-' and '_' (e.g. 'update-windows').`);
    }
    if (!COMPONENT_VERSION.test(version)) {
      throw new ValidationError('ImageComponent.awsManaged(version)', `"${version}" is not a component version; use 'major.minor.patch' or a filter such as '1.x.x' or 'x.x.x'.`);
    }
    return new ImageComponent(`arn:${Aws.PARTITION}:imagebuilder:${Aws.REGION}:aws:component/${name}/${version}`);
  }

  /** ARN of the component (or of the version filter). */
  public readonly arn: string;

  private constructor(arn: string) {
    this.arn = arn;
  }
}
