export * from './portainer';
export * from './portainer-chart';
