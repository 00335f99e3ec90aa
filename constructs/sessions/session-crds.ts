import { ApiObject, App, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { SESSIONS_API_GROUP } from '../common/well-known';
import { WINDOWS_ACCOUNT_MAX_LENGTH, WINDOWS_ACCOUNT_PATTERN } from '../common/windows-account';
import {
  DESKTOP_CLASS_KIND, DESKTOP_CLASS_PLURAL, DESKTOP_SESSION_KIND, DESKTOP_SESSION_PLURAL,
  DesktopKind, DisconnectAction, EndReason, IsolationMode, LogoffAction, MAX_DISCONNECT_TIMEOUT_SECONDS,
  MAX_IDLE_TIMEOUT_SECONDS, MAX_MAX_USER_DURATION_SECONDS, MIN_DISCONNECT_TIMEOUT_SECONDS,
  MIN_MAX_USER_DURATION_SECONDS, SESSIONS_API_VERSION, SESSION_SIZES, SessionPhase,
} from './api';

/** An OpenAPI v3 schema as a CRD carries it (plain JSON). */
type Schema = Record<string, unknown>;

const str = (extra: Schema = {}): Schema => ({ type: 'string', ...extra });
const int = (minimum: number, maximum: number, extra: Schema = {}): Schema => ({ type: 'integer', format: 'int64', minimum, maximum, ...extra });
const time = (description: string): Schema => ({ type: 'string', format: 'date-time', description });
const NAME = { maxLength: 63, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' };
/** A user id: 1–320 characters, no control characters, no leading or trailing white space (as `kubernetesNameForUser` requires). */
const USER_ID_PATTERN = '^[^\\s\\x00-\\x1f\\x7f]([^\\x00-\\x1f\\x7f]*[^\\s\\x00-\\x1f\\x7f])?$';

const CONDITIONS: Schema = {
  type: 'array',
  'x-kubernetes-list-type': 'map',
  'x-kubernetes-list-map-keys': ['type'],
  items: {
    type: 'object',
    required: ['type', 'status', 'reason', 'message', 'lastTransitionTime'],
    properties: {
      type: str({ maxLength: 316 }),
      status: str({ enum: ['True', 'False', 'Unknown'] }),
      reason: str({ maxLength: 1024 }),
      message: str({ maxLength: 32768 }),
      lastTransitionTime: time('When the condition last changed.'),
    },
  },
};

/** The schemas of a kind's `spec` and, for kinds with a status subresource, its `status`. */
interface KindSchemas {
  readonly spec: Schema;
  /** @default - no status: the CRD has no status subresource */
  readonly status?: Schema;
}

/** A CRD's root schema: the API envelope around the kind's spec (and status). */
function rootSchema({ spec, status }: KindSchemas): Schema {
  return {
    type: 'object',
    required: ['spec'],
    properties: { apiVersion: str(), kind: str(), metadata: { type: 'object' }, spec, ...(status ? { status } : {}) },
  };
}

function sessionSchema(): KindSchemas {
  return {
    spec: {
      type: 'object',
      required: ['userId', 'desktopClass', 'size', 'maxUserDurationSeconds', 'disconnectTimeoutSeconds', 'idleDisconnectTimeoutSeconds'],
      properties: {
        userId: str({ minLength: 1, maxLength: 320, pattern: USER_ID_PATTERN, description: "The user's id from the identity provider." }),
        desktopClass: str({ ...NAME, description: 'Name of the DesktopClass.' }),
        size: str({ enum: [...SESSION_SIZES], description: 'One of the class\'s allowed sizes.' }),
        capacityType: str({ enum: ['on-demand', 'spot'], description: 'Capacity preference (node desktops).' }),
        maxUserDurationSeconds: int(MIN_MAX_USER_DURATION_SECONDS, MAX_MAX_USER_DURATION_SECONDS, { description: 'Longest the session may last; the user is warned 5 minutes before.' }),
        disconnectTimeoutSeconds: int(MIN_DISCONNECT_TIMEOUT_SECONDS, MAX_DISCONNECT_TIMEOUT_SECONDS, { description: 'How long a disconnected or never-connected session waits for the user.' }),
        idleDisconnectTimeoutSeconds: int(0, MAX_IDLE_TIMEOUT_SECONDS, { description: 'Seconds without input before the session is idle; 0 turns it off.' }),
        onDisconnect: str({ enum: Object.values(DisconnectAction), default: DisconnectAction.END, description: 'When the disconnect timeout passes: End (delete the desktop) or Stop (VM desktops: stop the VM, keep its disks, start it again when the user comes back).' }),
        onLogoff: str({ enum: Object.values(LogoffAction), default: LogoffAction.END, description: 'When the user signs out of Windows: End the session or Keep it.' }),
        endRequested: { type: 'boolean', description: 'The user asked to end the session.' },
        windowsAccount: str({ minLength: 1, maxLength: WINDOWS_ACCOUNT_MAX_LENGTH, pattern: WINDOWS_ACCOUNT_PATTERN, description: 'The user\'s sAMAccountName: needed by node-desktop pools that join a directory.' }),
      },
      'x-kubernetes-validations': [
        { rule: 'self.userId == oldSelf.userId', message: 'userId is immutable; end this session and create another.' },
        { rule: 'self.desktopClass == oldSelf.desktopClass', message: 'desktopClass is immutable; end this session and create another.' },
        { rule: 'self.size == oldSelf.size', message: 'size is immutable; end this session and create another.' },
        { rule: '!has(oldSelf.endRequested) || !oldSelf.endRequested || (has(self.endRequested) && self.endRequested)', message: 'an end request cannot be withdrawn.' },
        { rule: 'self.maxUserDurationSeconds >= oldSelf.maxUserDurationSeconds', message: 'maxUserDurationSeconds can only be extended.' },
        // Node desktops render it into the session pod (Windows MaxIdleTime), whose spec is immutable:
        // a change would make every later apply of the pod fail. (disconnectTimeoutSeconds,
        // capacityType and onDisconnect are read by the controller only, never rendered.)
        { rule: 'self.idleDisconnectTimeoutSeconds == oldSelf.idleDisconnectTimeoutSeconds', message: 'idleDisconnectTimeoutSeconds is immutable: a node desktop\'s session pod carries it (Windows MaxIdleTime) and a pod cannot change; end this session and create another.' },
        // Rendered into the session pod too (the account the desktop signs in), and who the user is on Windows.
        {
          rule: 'has(self.windowsAccount) == has(oldSelf.windowsAccount) && (!has(self.windowsAccount) || self.windowsAccount == oldSelf.windowsAccount)',
          message: 'windowsAccount is immutable (it is the account the desktop signs in); end this session and create another.',
        },
      ],
    },
    status: {
      type: 'object',
      properties: {
        phase: str({ enum: Object.values(SessionPhase) }),
        progress: int(0, 100),
        message: str({ maxLength: 1024 }),
        desktopNamespace: str(NAME),
        desktopName: str(NAME),
        node: str({ maxLength: 253 }),
        rdpEndpoint: str({ maxLength: 260 }),
        instanceType: str({ maxLength: 64 }),
        capacityType: str({ maxLength: 16 }),
        startedAt: time('When the controller started provisioning.'),
        readyAt: time('When the desktop first answered.'),
        expiresAt: time('When the maximum duration ends the session.'),
        expiryWarningAt: time('When the user was warned of the coming end.'),
        lastActivityAt: time('Last input (or connection) seen.'),
        disconnectedAt: time('When the last connection ended.'),
        endedAt: time('When everything the session created was gone.'),
        loggedOnAt: time('When the desktop first reported the user signed in to Windows.'),
        resumedAt: time('When a stopped desktop was last asked to start again.'),
        stoppedSeconds: int(0, MAX_MAX_USER_DURATION_SECONDS, { description: 'Seconds the desktop was stopped in stops that have ended (the current one is the DesktopStopped condition\'s).' }),
        endReason: str({ enum: Object.values(EndReason) }),
        conditions: CONDITIONS,
        observedGeneration: { type: 'integer', format: 'int64' },
        warmClaim: {
          type: 'object',
          required: ['pod', 'node'],
          description: 'The warm slot the session took: the placeholder pod and the node it held.',
          properties: { pod: str({ maxLength: 253 }), node: str({ maxLength: 253 }) },
        },
      },
    },
  };
}

function classSchema(): KindSchemas {
  return {
    spec: {
      type: 'object',
      required: ['kind', 'isolation', 'allowedSizes', 'sessionsPerUser'],
      properties: {
        kind: str({ enum: Object.values(DesktopKind) }),
        isolation: str({ enum: Object.values(IsolationMode) }),
        goldenImage: {
          type: 'object',
          required: ['namespace', 'name'],
          properties: { namespace: str(NAME), name: str(NAME) },
        },
        ami: str({ maxLength: 2048, description: 'Node desktops: AMI id or SSM parameter.' }),
        allowedSizes: { type: 'array', minItems: 1, 'x-kubernetes-list-type': 'set', items: str({ enum: [...SESSION_SIZES] }) },
        warmCount: int(0, 1000),
        dedicatedPool: {
          type: 'object',
          required: ['nodePoolTemplate'],
          description: 'DedicatedPool classes: the NodePool each user\'s own NodePool is derived from.',
          properties: { nodePoolTemplate: str({ ...NAME, description: 'Name of an existing Karpenter NodePool.' }) },
        },
        sessionsPerUser: int(1, 10),
        currency: str({ maxLength: 3, pattern: '^[A-Z]{3}$' }),
        prices: {
          type: 'array',
          maxItems: 500,
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['instanceType', 'capacityType'],
          items: {
            type: 'object',
            required: ['instanceType', 'capacityType', 'hourlyPrice'],
            properties: {
              instanceType: str({ maxLength: 64 }),
              capacityType: str({ enum: ['on-demand', 'spot'] }),
              hourlyPrice: { type: 'number', minimum: 0 },
            },
          },
        },
        defaultTimeouts: {
          type: 'object',
          properties: {
            maxUserDurationSeconds: int(MIN_MAX_USER_DURATION_SECONDS, MAX_MAX_USER_DURATION_SECONDS),
            disconnectTimeoutSeconds: int(MIN_DISCONNECT_TIMEOUT_SECONDS, MAX_DISCONNECT_TIMEOUT_SECONDS),
            idleDisconnectTimeoutSeconds: int(0, MAX_IDLE_TIMEOUT_SECONDS),
          },
        },
      },
      'x-kubernetes-validations': [
        { rule: `self.kind != '${DesktopKind.VM}' || has(self.goldenImage)`, message: 'a VM class needs goldenImage (the DataSource its desktops are cloned from).' },
        { rule: `self.kind != '${DesktopKind.NODE}' || has(self.ami)`, message: 'a Node class needs ami (a Desktop Experience AMI id or SSM parameter).' },
        // A node desktop is one dedicated node per user, and its session pod is named after the user.
        { rule: `self.kind != '${DesktopKind.NODE}' || self.sessionsPerUser == 1`, message: 'a Node class allows one session per user (sessionsPerUser: 1): a node desktop is the user\'s own dedicated node.' },
        {
          rule: `self.kind != '${DesktopKind.VM}' || (self.isolation == '${IsolationMode.DEDICATED_POOL}') == has(self.dedicatedPool)`,
          message: 'a VM class with isolation DedicatedPool needs dedicatedPool (the NodePool each user\'s own pool is derived from); other VM classes must not set it.',
        },
        { rule: `self.kind == '${DesktopKind.VM}' || !has(self.dedicatedPool)`, message: 'dedicatedPool is for VM classes; node desktops take their per-user pools from their NodeDesktops pool.' },
        {
          rule: `!has(self.warmCount) || self.warmCount == 0 || (self.kind == '${DesktopKind.VM}' && self.isolation == '${IsolationMode.SHARED_POOL}')`,
          message: 'warmCount is only for VM classes with isolation SharedPool: a DedicatedPool user\'s NodePool cannot be warmed before the user is known, and node desktops keep warm nodes with NodeDesktops (warm nodes and claimWarmNode).',
        },
      ],
    },
  };
}

function crd(scope: Construct, id: string, kind: string, plural: string, scopeName: 'Namespaced' | 'Cluster', schemas: KindSchemas, columns: Schema[]): ApiObject {
  return new ApiObject(scope, id, {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${SESSIONS_API_GROUP}` },
    spec: {
      group: SESSIONS_API_GROUP,
      scope: scopeName,
      names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List`, categories: ['desktops'] },
      versions: [{
        name: SESSIONS_API_VERSION,
        served: true,
        storage: true,
        schema: { openAPIV3Schema: rootSchema(schemas) },
        additionalPrinterColumns: columns,
        // A kind with a status schema gets the status subresource (status written apart from spec).
        ...(schemas.status ? { subresources: { status: {} } } : {}),
      }],
    },
  });
}

/**
 * The session API's CustomResourceDefinitions: `DesktopSession` (namespaced, with a status
 * subresource) and `DesktopClass` (cluster-scoped). OpenAPI bounds enforce the timeouts'
 * ranges; CEL rules keep identity fields and what is rendered into the desktop immutable,
 * end requests final and extensions one-way.
 */
export class SessionCrds extends Construct {
  public readonly desktopSession: ApiObject;
  public readonly desktopClass: ApiObject;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.desktopSession = crd(this, 'DesktopSession', DESKTOP_SESSION_KIND, DESKTOP_SESSION_PLURAL, 'Namespaced', sessionSchema(), [
      { name: 'User', type: 'string', jsonPath: '.spec.userId' },
      { name: 'Class', type: 'string', jsonPath: '.spec.desktopClass' },
      { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
      { name: 'Progress', type: 'integer', jsonPath: '.status.progress' },
      { name: 'Expires', type: 'date', jsonPath: '.status.expiresAt' },
      { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    ]);
    this.desktopClass = crd(this, 'DesktopClass', DESKTOP_CLASS_KIND, DESKTOP_CLASS_PLURAL, 'Cluster', classSchema(), [
      { name: 'Kind', type: 'string', jsonPath: '.spec.kind' },
      { name: 'Isolation', type: 'string', jsonPath: '.spec.isolation' },
      { name: 'Per-user', type: 'integer', jsonPath: '.spec.sessionsPerUser' },
      { name: 'Warm', type: 'integer', jsonPath: '.spec.warmCount' },
    ]);
  }
}

/** The CRDs as plain JSON objects, rendered by cdk8s (the runtime and tests load them from here). */
export function renderSessionCrds(): Record<string, unknown>[] {
  const chart = new Chart(new App(), 'SessionCrds');
  new SessionCrds(chart, 'Crds');
  return chart.toJson() as Record<string, unknown>[];
}
