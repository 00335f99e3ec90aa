// Package entry of the session SDK (`eks-windows-desktops/sdk`): the DesktopSessions client,
// its errors and the API types, plus the controller and broker for programs that embed them.
// `@kubernetes/client-node` (ESM-only) is loaded by dynamic import on first use, so CommonJS
// programs can require this entry.
export * from '../constructs/sessions/api';
export * from '../constructs/sessions/sdk/desktop-sessions';
export * from '../constructs/sessions/sdk/errors';
export { sessionCost } from '../constructs/sessions/sdk/cost';
export { KubernetesApiError, KubernetesClient } from '../constructs/sessions/runtime/kubernetes-client';
export type { KubernetesConnection } from '../constructs/sessions/runtime/kubernetes-client';
export { DesktopSessionController } from '../constructs/sessions/controller/desktop-session-controller';
export type { DesktopSessionControllerOptions } from '../constructs/sessions/controller/desktop-session-controller';
export { GuacamoleHistorySignals } from '../constructs/sessions/controller/connection-signals';
export type { ConnectionSignals, ConnectionState } from '../constructs/sessions/controller/connection-signals';
export { KubeVirtDesktopRenderer } from '../constructs/sessions/controller/desktop-renderer';
export type { DesktopRenderer, DesktopRenderContext } from '../constructs/sessions/controller/desktop-renderer';
export { SignInBroker } from '../constructs/sessions/broker/sign-in-broker';
export type { SignInBrokerOptions } from '../constructs/sessions/broker/sign-in-broker';
export { AlbIdentityVerifier } from '../constructs/sessions/broker/identity';
export type { IdentityVerifier, VerifiedIdentity } from '../constructs/sessions/broker/identity';
