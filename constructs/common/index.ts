export * from './eks-cluster';
export * from './kubernetes-name';
export * from './validation-error';
export * from './versions';
export * from './well-known';
