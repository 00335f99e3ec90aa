import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { RdsLicenseServerEndpoint } from '../../constructs/node-desktops/rds-license-server-endpoint';
import { scanTemplateForSecrets } from '../support/secret-scan';

const PROVIDER = 'arn:aws:license-manager-user-subscriptions:us-east-1:123456789012:identity-provider/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111';

describe('RdsLicenseServerEndpoint', () => {
  test('creates an RDS_SAL endpoint for the identity provider, with the credentials by secret reference', () => {
    // GIVEN
    const stack = new Stack();
    const secret = new secretsmanager.Secret(stack, 'LicenseAdmin');
    // WHEN
    const endpoint = new RdsLicenseServerEndpoint(stack, 'Sal', { identityProviderArn: PROVIDER, credentialsSecret: secret });
    // THEN
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::LicenseManagerUserSubscriptions::LicenseServerEndpoint', {
      IdentityProviderArn: PROVIDER,
      LicenseServerSettings: {
        ServerType: 'RDS_SAL',
        ServerSettings: { RdsSalSettings: { RdsSalCredentialsProvider: { SecretsManagerCredentialsProvider: { SecretId: { Ref: stack.getLogicalId(secret.node.defaultChild as never) } } } } },
      },
    });
    expect(stack.resolve(endpoint.licenseServerEndpointArn)).toEqual({ 'Fn::GetAtt': [stack.getLogicalId(endpoint.resource), 'LicenseServerEndpointArn'] });
    expect(scanTemplateForSecrets(template)).toEqual([]);
  });

  test('a value that is no ARN fails with the path, the prop and the fix', () => {
    // GIVEN
    const stack = new Stack(undefined, 'S');
    // WHEN / THEN
    expect(() => new RdsLicenseServerEndpoint(stack, 'Sal', { identityProviderArn: 'corp.example.com', credentialsSecret: new secretsmanager.Secret(stack, 'X') }))
      .toThrow(/^S\/Sal: RdsLicenseServerEndpoint\.identityProviderArn: is "corp\.example\.com"; give the ARN of the identity provider registered/);
  });
});
