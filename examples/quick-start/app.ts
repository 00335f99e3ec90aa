#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { QuickStartStack } from './quick-start-stack';

// Synthesize with: npx cdk synth --quiet --app "npx tsx examples/quick-start/app.ts"
const app = new App();
new QuickStartStack(app, 'WindowsDesktopsQuickStart', {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: 'eu-west-1' },
  availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
});
app.synth();
