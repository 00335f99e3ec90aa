#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsAudit } from '../lib/aws-solutions-audit';
import { WindowsDesktopsStack } from '../lib/windows-desktops-stack';

/**
 * The reference app: every capability on, synthesized offline.
 *
 * Region and availability zones come from `cdk.json` context so that synthesis needs no AWS
 * account (no AZ lookup); the account comes from the CLI's credentials at deploy time.
 */
const app = new App();
const region: string = app.node.getContext('windows-desktops:region');
const availabilityZones: string[] = app.node.getContext('windows-desktops:availabilityZones');
// The browser gateway's host name and ACM certificate: set both in cdk.json before deploying.
const gatewayHostname: string = app.node.getContext('windows-desktops:gatewayHostname');
const gatewayCertificateArn: string = app.node.getContext('windows-desktops:gatewayCertificateArn');

new WindowsDesktopsStack(app, 'WindowsDesktops', {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region },
  availabilityZones,
  gatewayHostname,
  gatewayCertificateArn,
  description: 'Windows cloud desktops on Amazon EKS (reference stack)',
});

// cdk-nag's AwsSolutions pack as a policy-validation plugin: an unacknowledged finding fails synth.
Validations.of(app).addPlugins(new AwsSolutionsAudit());

app.synth();
