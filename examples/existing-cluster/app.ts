#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { ExistingClusterStack } from './existing-cluster-stack';

// Synthesize with: npx cdk synth --quiet --app "npx tsx examples/existing-cluster/app.ts"
const app = new App();
new ExistingClusterStack(app, 'ExistingClusterWithWindowsPools', {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: 'us-east-1' },
  availabilityZones: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
});
app.synth();
