import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { GuacamoleSso } from '../../constructs/guacamole/guacamole-sso';
import { checkTemplateAgainstRegistry } from '../support/cloudformation-schemas';
import { scanTemplateForSecrets } from '../support/secret-scan';
import { HOSTNAME, newStack } from './guacamole-fixtures';

describe('GuacamoleSso (defaults)', () => {
  let template: Template;
  let sso: GuacamoleSso;

  beforeAll(() => {
    // GIVEN
    const stack = newStack();
    // WHEN
    sso = new GuacamoleSso(stack, 'Sso', { hostname: HOSTNAME, domainPrefix: 'desktops-example-com' });
    template = Template.fromStack(stack);
  });

  test('user pool: administrators create users, strong passwords, required TOTP MFA, protected and retained', () => {
    template.hasResource('AWS::Cognito::UserPool', {
      Properties: Match.objectLike({
        AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
        UsernameAttributes: ['email'],
        MfaConfiguration: 'ON',
        EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
        DeletionProtection: 'ACTIVE',
        UserPoolTier: 'ESSENTIALS',
        Policies: { PasswordPolicy: Match.objectLike({ MinimumLength: 14, RequireLowercase: true, RequireUppercase: true, RequireNumbers: true, RequireSymbols: true }) },
        AccountRecoverySetting: { RecoveryMechanisms: [{ Name: 'verified_email', Priority: 1 }] },
      }),
      DeletionPolicy: 'Retain',
    });
  });

  test('ALB app client: generated secret, code flow only, callback on the host name', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: true,
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthFlows: ['code'],
      AllowedOAuthScopes: ['openid', 'email'],
      CallbackURLs: [`https://${HOSTNAME}/oauth2/idpresponse`],
      SupportedIdentityProviders: ['COGNITO'],
      PreventUserExistenceErrors: 'ENABLED',
      ExplicitAuthFlows: Match.absent(),
    });
    template.hasResourceProperties('AWS::Cognito::UserPoolDomain', { Domain: 'desktops-example-com' });
    expect(sso.domainPrefix).toBe('desktops-example-com');
  });

  test('valid against the CloudFormation registry schemas; the client secret appears nowhere', () => {
    const result = checkTemplateAgainstRegistry(template.toJSON());
    expect(result.checkedTypes).toEqual(expect.arrayContaining(['AWS::Cognito::UserPool', 'AWS::Cognito::UserPoolClient', 'AWS::Cognito::UserPoolDomain']));
    expect(result.errors).toEqual([]);
    expect(scanTemplateForSecrets(template)).toEqual([]);
    expect(JSON.stringify(template.toJSON())).not.toMatch(/ClientSecret/);
  });
});

describe('GuacamoleSso options and bad input', () => {
  test('required MFA and threat protection (Plus plan)', () => {
    // GIVEN
    const stack = newStack();
    // WHEN
    new GuacamoleSso(stack, 'Sso', { hostname: HOSTNAME, domainPrefix: 'desktops', mfa: cognito.Mfa.REQUIRED, threatProtection: true });
    // THEN
    Template.fromStack(stack).hasResourceProperties('AWS::Cognito::UserPool', {
      MfaConfiguration: 'ON',
      UserPoolTier: 'PLUS',
      UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED' },
    });
  });

  test.each([
    ['my-aws-desktops', /GuacamoleSso\.domainPrefix: "my-aws-desktops" is not a valid Cognito domain prefix/],
    ['Desktops', /GuacamoleSso\.domainPrefix/],
    ['-desktops', /GuacamoleSso\.domainPrefix/],
  ])('domain prefix %s fails', (domainPrefix, error) => {
    expect(() => new GuacamoleSso(newStack(), 'Sso', { hostname: HOSTNAME, domainPrefix })).toThrow(error);
  });

  test('a host name that is not a fully qualified DNS name fails', () => {
    expect(() => new GuacamoleSso(newStack(), 'Sso', { hostname: 'https://desktops', domainPrefix: 'desktops' })).toThrow(/GuacamoleSso\.hostname: "https:\/\/desktops" is not a fully qualified DNS name/);
  });
});
