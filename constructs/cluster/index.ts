export * from './desktop-cluster';
export * from './storage-classes-chart';
export * from './windows-managed-node-group';
export * from './windows-cluster-support';
