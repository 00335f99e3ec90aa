// Package entry: re-exports only.
export * from '../constructs/common';
export * from '../constructs/cluster';
export * from '../constructs/karpenter';
export * from '../constructs/karpenter/warm-capacity';
export * from '../constructs/karpenter/warm-capacity-chart';
export * from '../constructs/windows-ami';
export * from '../constructs/kubevirt';
export * from '../constructs/certificates';
export * from '../constructs/guacamole';
export * from '../constructs/portainer';
export * from '../constructs/sessions';
export * from '../constructs/isolation';
export * from '../constructs/node-desktops';
export * from './aws-solutions-audit';
export * from './windows-desktops-stack';
