// Package entry for eks-blueprints users (`eks-windows-desktops/blueprints`): re-exports only.
// Kept apart from the main entry so that `@aws-quickstart/eks-blueprints` stays an optional
// peer dependency; these modules import only its types.
export * from '../constructs/blueprints';
