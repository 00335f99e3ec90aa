import { DesktopSessionServiceChartProps } from '../../constructs/sessions/desktop-session-service-chart';
import { NodeDesktopSessionTemplate } from '../../constructs/node-desktops/node-desktop-session-template';

/** A rule of a Role or ClusterRole, as the install chart renders it. */
export interface PolicyRule {
  readonly apiGroups?: string[];
  readonly resources?: string[];
  readonly resourceNames?: string[];
  readonly verbs: string[];
}

/** One request to the fake API server, as Kubernetes RBAC sees it. */
export interface RbacRequest {
  /** RBAC verbs the request needs (all of them). */
  readonly verbs: string[];
  readonly group: string;
  readonly resource: string;
  readonly namespace?: string;
  readonly name?: string;
}

/**
 * Turns a `METHOD /path` line of `FakeKubeApiServer.requests` into what RBAC checks. The log has
 * no query string, so a list and a watch both count as `list`; a PATCH needs `patch` and, since
 * server-side apply creates a missing object, `create` too.
 */
export function parseRequest(line: string): RbacRequest | undefined {
  const [method, path] = line.split(' ');
  const m = /^\/(?:api\/v1|apis\/([^/]+)\/[^/]+)(?:\/namespaces\/([^/]+))?\/([^/]+)(?:\/([^/]+))?(?:\/([^/]+))?$/.exec(path);
  if (!m) return undefined;
  const [, group = '', namespace, plural, name, subresource] = m;
  // `/api/v1/namespaces/<name>` is the namespace object itself, not a namespaced resource.
  if (namespace !== undefined && plural === undefined) return undefined;
  const resource = subresource ? `${plural}/${subresource}` : plural;
  const verbs: Record<string, string[]> = { GET: [name ? 'get' : 'list'], POST: ['create'], PUT: ['update'], PATCH: ['patch', 'create'], DELETE: ['delete'] };
  return { verbs: verbs[method] ?? [method.toLowerCase()], group, resource, namespace, name };
}

/** Whether `rules` grant every verb `request` needs (a rule with `resourceNames` only for those names). */
export function allows(rules: readonly PolicyRule[], request: RbacRequest): boolean {
  return request.verbs.every((verb) => rules.some((r) =>
    (r.apiGroups ?? []).includes(request.group)
    && (r.resources ?? []).includes(request.resource)
    && r.verbs.includes(verb)
    && (r.resourceNames === undefined || (request.name !== undefined && r.resourceNames.includes(request.name)))));
}

/** Settings of the install chart, with placeholder AWS values, for tests that render it alone. */
export function chartProps(nodeDesktopTemplate?: NodeDesktopSessionTemplate): DesktopSessionServiceChartProps {
  return {
    namespace: 'desktop-sessions',
    image: 'example.com/sessions:1',
    replicas: 2,
    desktopClass: 'windows11',
    guacamoleUrl: 'https://desktops.example.com/guacamole/',
    gatewayNamespace: 'guacamole',
    hostname: 'desktops.example.com',
    basePath: '/portal',
    database: { hostname: 'db.example.com', port: '5432', databaseName: 'guacamole', appSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:db' },
    jsonAuthSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:json',
    region: 'us-east-1',
    secretsRoleArn: 'arn:aws:iam::123456789012:role/secrets',
    oidc: { issuer: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_x', clientId: 'client', userPoolArn: 'arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_x', userPoolDomain: 'desktops' },
    adminUserIds: [],
    ingressClassName: 'alb',
    ingressGroupName: 'desktops',
    controllerSecurityGroupId: 'sg-0123456789abcdef0',
    brokerSecurityGroupId: 'sg-0123456789abcdef1',
    nodeDesktopTemplate,
  };
}
