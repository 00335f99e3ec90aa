import { KubectlV34Layer } from '@aws-cdk/lambda-layer-kubectl-v34';
import { KubectlV35Layer } from '@aws-cdk/lambda-layer-kubectl-v35';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

/**
 * kubectl/Helm layers the package depends on, by Kubernetes minor version. kubectl supports
 * one minor version of skew, but the layer is pinned to the cluster's version so that what we
 * test is what runs. Add a version here together with its `@aws-cdk/lambda-layer-kubectl-v3N`
 * dependency.
 */
const LAYERS: Record<string, (scope: Construct, id: string) => lambda.ILayerVersion> = {
  '1.34': (scope, id) => new KubectlV34Layer(scope, id),
  '1.35': (scope, id) => new KubectlV35Layer(scope, id),
};

/** Kubernetes versions with a bundled kubectl layer. */
export const BUNDLED_KUBECTL_VERSIONS = Object.keys(LAYERS);

/** Creates the bundled layer for `version`, or returns `undefined` when none is bundled. */
export function bundledKubectlLayer(scope: Construct, id: string, version: string): lambda.ILayerVersion | undefined {
  return LAYERS[version]?.(scope, id);
}
