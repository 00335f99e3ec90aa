#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { NodeDesktopsExampleStack } from './node-desktops-stack';

// Synthesize with: npx cdk synth --app "npx ts-node --transpile-only examples/node-desktops/app.ts"
const app = new App();
new NodeDesktopsExampleStack(app, 'WindowsNodeDesktops', {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: 'eu-west-1' },
  availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
  guacdSecurityGroupId: 'sg-0123456789abcdef0',
  identityProviderArn: 'arn:aws:license-manager-user-subscriptions:eu-west-1:123456789012:identity-provider/example',
});
app.synth();
