import { CfnResource, Token } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { reportsConstructPath, ValidationError } from '../common/validation-error';

/** CloudFormation type of the endpoint (aws-cdk-lib has an L1 only from 2.275; this library pins 2.261). */
const RESOURCE_TYPE = 'AWS::LicenseManagerUserSubscriptions::LicenseServerEndpoint';
/** The API's ARN pattern for `IdentityProviderArn`. */
const ARN = /^arn:[a-z0-9-.]{1,63}:[a-z0-9-.]{1,63}:[a-z0-9-.]{1,63}:[a-z0-9-.]{1,63}:[a-zA-Z0-9-.]{1,510}\/[a-zA-Z0-9-.]{1,510}$/;

/** Props of {@link RdsLicenseServerEndpoint}. */
export interface RdsLicenseServerEndpointProps {
  /**
   * ARN of the identity provider registered with License Manager user-based subscriptions
   * (`RegisterIdentityProvider`, an API call with no CloudFormation type): the Active Directory
   * whose users get RDS SALs.
   */
  readonly identityProviderArn: string;
  /**
   * Secret with the credentials License Manager uses to add and remove users in the directory's
   * license groups.
   * @see https://docs.aws.amazon.com/license-manager/latest/userguide/user-based-subscriptions-prerequisites.html
   */
  readonly credentialsSecret: secretsmanager.ISecret;
}

/**
 * Optional: the network endpoint of a Remote Desktop Services SAL license server from AWS
 * License Manager user-based subscriptions, the only part of RDS SAL licensing CloudFormation
 * can create. Registering the directory (`RegisterIdentityProvider`) comes before it; giving a
 * user a SAL (`StartProductSubscription` / `AssociateUser`) is an API call per user, for the
 * session service or an administrator. Point `NodeDesktops.rdsLicenseServers` at the endpoint's
 * license server addresses.
 *
 * @see https://docs.aws.amazon.com/license-manager-user-subscriptions/latest/APIReference/API_CreateLicenseServerEndpoint.html
 */
@reportsConstructPath
export class RdsLicenseServerEndpoint extends Construct {
  /** The CloudFormation resource. */
  public readonly resource: CfnResource;
  /** ARN of the license server endpoint. */
  public readonly licenseServerEndpointArn: string;

  constructor(scope: Construct, id: string, props: RdsLicenseServerEndpointProps) {
    super(scope, id);
    const arn = props.identityProviderArn;
    if (typeof arn !== 'string' || (!Token.isUnresolved(arn) && !ARN.test(arn))) {
      throw new ValidationError('RdsLicenseServerEndpoint.identityProviderArn', `is ${JSON.stringify(arn)}; give the ARN of the identity provider registered with License Manager user-based subscriptions (RegisterIdentityProvider).`, this);
    }
    this.resource = new CfnResource(this, 'Resource', {
      type: RESOURCE_TYPE,
      properties: {
        IdentityProviderArn: arn,
        LicenseServerSettings: {
          ServerType: 'RDS_SAL',
          ServerSettings: {
            RdsSalSettings: { RdsSalCredentialsProvider: { SecretsManagerCredentialsProvider: { SecretId: props.credentialsSecret.secretArn } } },
          },
        },
      },
    });
    this.licenseServerEndpointArn = this.resource.getAtt('LicenseServerEndpointArn').toString();
  }
}
