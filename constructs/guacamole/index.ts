export * from './guacamole-authentication';
export * from './guacamole-chart';
export * from './guacamole-database';
export * from './guacamole-gateway';
export * from './guacamole-sso';
export * from './json-auth';
export * from './rdp-certificate-validation';
export * from './rdp-connection';
