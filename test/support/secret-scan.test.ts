import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { scanForSecrets, scanTemplateForSecrets } from './secret-scan';

describe('secret scan: compliant', () => {
  test('references, generated secrets and secretKeyRef pass', () => {
    // GIVEN: the compliant forms of everything the rules look at
    const values = {
      Properties: {
        MasterUserPassword: { 'Fn::Join': ['', ['{{resolve:secretsmanager:', { Ref: 'Secret' }, ':SecretString:password::}}']] },
        GenerateSecretString: { PasswordLength: 32, ExcludePunctuation: true },
        GenerateSecret: true,
        ServiceToken: { 'Fn::GetAtt': ['Provider', 'Arn'] },
        ClientSecret: '{{resolve:secretsmanager:my-secret}}',
        AuthToken: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:x',
      },
      env: [
        { name: 'POSTGRESQL_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
        { name: 'JSON_SECRET_KEY', valueFrom: { secretKeyRef: { name: 'json', key: 'secret-key' } } },
        { name: 'HTTP_AUTH_HEADER', value: 'x-amzn-oidc-identity' },
      ],
      automountServiceAccountToken: false,
      data: [{ secretKey: 'password', remoteRef: { key: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:db', property: 'password' } }],
      secretName: 'guacamole-db',
    };
    // WHEN
    const findings = scanForSecrets(values);
    // THEN
    expect(findings).toEqual([]);
  });

  test('a template with a generated Secrets Manager secret passes', () => {
    // GIVEN
    const stack = new Stack(new App(), 'Compliant');
    new secretsmanager.Secret(stack, 'Secret', { generateSecretString: { passwordLength: 32 } });
    // WHEN
    const findings = scanTemplateForSecrets(Template.fromStack(stack));
    // THEN
    expect(findings).toEqual([]);
  });
});

describe('secret scan: non-compliant', () => {
  test.each([
    ['default-credentials', { username: 'guacadmin' }],
    ['default-credentials', { args: ['psql -c "DELETE FROM guacamole_entity WHERE name = \'GuacAdmin\'"'] }],
    ['aws-access-key', { env: 'AKIAIOSFODNN7EXAMPLE' }],
    ['private-key', { pem: '-----BEGIN RSA PRIVATE KEY-----\nMIIB' }],
    ['literal-secret', { MasterUserPassword: 'hunter2hunter2' }],
    ['literal-secret', { client_secret: 'abc123' }],
    ['literal-secret', { SecretString: '{"password":"x"}' }],
    ['literal-secret-env', { env: [{ name: 'POSTGRESQL_PASSWORD', value: 'hunter2' }] }],
    ['literal-secret-env', { env: [{ name: 'JSON_SECRET_KEY', value: '0123456789abcdef0123456789abcdef' }] }],
    ['kubernetes-secret-data', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db' }, stringData: { user: 'app' } }],
  ])('%s is found', (rule, value) => {
    // WHEN
    const findings = scanForSecrets(value);
    // THEN
    expect(findings.map((f) => f.rule)).toContain(rule);
  });

  test('a template with a literal secret value fails, with the path of the value', () => {
    // GIVEN
    const stack = new Stack(new App(), 'NonCompliant');
    new secretsmanager.CfnSecret(stack, 'Secret', { secretString: 'plaintext-password' });
    // WHEN
    const findings = scanTemplateForSecrets(Template.fromStack(stack));
    // THEN
    expect(findings).toEqual([expect.objectContaining({ rule: 'literal-secret', path: expect.stringMatching(/Properties\.SecretString$/) })]);
  });
});
