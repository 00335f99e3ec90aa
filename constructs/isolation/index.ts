export * from './desktop-user';
export * from './desktop-user-isolation';
export * from './desktop-users';
export * from './user-quota';
