export * from './desktop-user';
export * from './desktop-user-isolation';
export * from './desktop-users';
export * from './user-quota';
export * from './combined-user-quota';
export * from './dedicated-user-node-pool';
