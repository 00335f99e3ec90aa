#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { buildBlueprintWithWindowsPools } from './blueprint-windows-pools';

// Synthesize with: npx cdk synth --quiet --app "npx tsx examples/eks-blueprints/app.ts"
const app = new App();
buildBlueprintWithWindowsPools(app, 'BlueprintWithWindowsPools');
app.synth();
