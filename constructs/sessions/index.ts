// The session API's constructs and types (CommonJS-safe: nothing here loads the runtime's ESM client).
export * from './api';
export * from './desktop-class';
export * from './desktop-session-service';
export * from './controller-node-policy';
export * from './desktop-session-service-chart';
export * from './session-crds';
