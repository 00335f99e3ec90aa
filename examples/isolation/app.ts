#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { DeliveryMode } from 'eks-windows-desktops';
import { exampleUsers, IsolationStack } from './isolation-stack';

// Synthesize with: npx cdk synth --app "npx ts-node --transpile-only examples/isolation/app.ts" -c isolation:users=1000
// (-c isolation:delivery=gitops writes the GitOps layout under cdk.out/gitops instead).
const app = new App();
const count = Number(app.node.tryGetContext('isolation:users') ?? 10);
const delivery = app.node.tryGetContext('isolation:delivery') === 'gitops' ? DeliveryMode.GITOPS : DeliveryMode.CLOUDFORMATION;
new IsolationStack(app, 'WindowsDesktopsIsolation', {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: 'eu-west-1' },
  availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
  users: exampleUsers(count),
  delivery,
});
app.synth();
