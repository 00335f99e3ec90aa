export * from './windows-cluster-support-add-on';
export * from './windows-karpenter-add-on';
export * from './windows-runtime-classes-add-on';
export * from './portainer-add-on';
