import { k8s } from 'cdk8s-plus-29';
import { Construct } from 'constructs';
import { RDP_CERTIFICATE_MOUNT_PATH, renderRdpServerCertificate, serviceDnsNames } from '../certificates/desktop-certificates';
import { Certificate } from '../imports/cert-manager.io';
import { kubernetesNameForUser } from '../common/kubernetes-name';
import { validateDns1123Subdomain } from '../common/validate';
import { isWindowsAccountName, WINDOWS_ACCOUNT_RULE } from '../common/windows-account';
import { reportsConstructPath, ValidationError } from '../common/validation-error';
import {
  APP_NAME_LABEL,
  APP_PART_OF_LABEL,
  DESKTOP_COMPONENT_LABEL,
  DO_NOT_DISRUPT_ANNOTATION,
  RDP_PORT,
  USER_LABEL,
} from '../common/well-known';
import { LABEL_ARCH, LABEL_OS, LABEL_WINDOWS_BUILD } from '../karpenter/windows-version';
import { NodeDesktopIsolationMode } from './node-desktop-isolation';
import { desktopNodeTaints, userNodePoolName } from './node-desktop-node-pool';
import { NodeDesktopSessionTemplate } from './node-desktop-session-template';
import { DEFAULT_LOCAL_USER_NAME, sessionCertificateSecretName, sessionName, sessionPasswordSecretName } from './session-names';
import { encodePowerShell, renderSessionScript, SESSION_READY_MARKER, SESSION_SCRIPT_ENV, SessionAccountKind, userPresenceProbeCommand } from './session-script';

// The names are in their own module, which the sign-in broker loads without cdk8s.
export { DEFAULT_LOCAL_USER_NAME, sessionCertificateSecretName, sessionName, sessionPasswordSecretName };

/** Value of `desktop.io/component` on session pods (and what their anti-affinity matches). */
export const SESSION_COMPONENT = 'node-desktop-session';

/** Limits of the session container (a HostProcess job object on the node). */
const SESSION_CPU_LIMIT = '1';
const SESSION_MEMORY_LIMIT = '512Mi';
/** Requests and limits of the user-presence container (an idle PowerShell and its probe). */
const PRESENCE_CPU_REQUEST = '10m';
const PRESENCE_MEMORY_REQUEST = '64Mi';
const PRESENCE_CPU_LIMIT = '500m';
const PRESENCE_MEMORY_LIMIT = '256Mi';

/**
 * Name of the session pod's container that prepares the node and holds it; its readiness is the
 * desktop's (the session controller reads this container's status, not the pod's Ready).
 */
export const SESSION_CONTAINER = 'session';

/**
 * Name of the session pod's container whose readiness says whether the desktop user has a
 * Windows session on the node (logged on, connected or not): the log-off signal, read by the
 * session controller from the pod's status, so nothing on the user's node needs an API token.
 */
export const USER_PRESENCE_CONTAINER = 'user-presence';

/**
 * Longest idle timeout Windows takes: `MaxIdleTime` is a DWORD of milliseconds.
 */
const MAX_IDLE_TIME_SECONDS = Math.floor(0xffffffff / 1000);

/** One node-desktop session. */
export interface NodeDesktopSessionProps {
  /** What the pool decides for every session (`NodeDesktops.sessionTemplate`). */
  readonly template: NodeDesktopSessionTemplate;
  /** The user's id from the identity provider, e.g. `alice@example.com`. */
  readonly userId: string;
  /**
   * Windows account name of the user: a local account created on the node, or the user's
   * sAMAccountName in the directory.
   * @default 'desktop' - local accounts only; required with a directory
   */
  readonly windowsUserName?: string;
  /**
   * Secret in the template's namespace whose key `password` is the local account's password.
   * The session controller creates it with a random password per session; it is never in a
   * manifest. Not used with a directory (users sign in with their domain password).
   * @default - `<session name>-password`
   */
  readonly passwordSecretName?: string;
  /**
   * Seconds without keyboard or mouse input after which Windows disconnects the user's RDP
   * session (the RDS policy `MaxIdleTime`, which the session script sets): guacd has no idle
   * timeout, so the desktop itself must disconnect an idle user. 0 turns it off. The session
   * controller passes the DesktopSession's `spec.idleDisconnectTimeoutSeconds`.
   * @default 0 - no idle limit on the desktop
   */
  readonly idleDisconnectTimeoutSeconds?: number;
}

/**
 * One user's node-desktop session: the HostProcess pod that holds and prepares the user's node,
 * and the ClusterIP Service that gives the desktop a stable RDP address. A cdk8s construct that
 * needs only a cdk8s scope and plain props: the session controller creates a session with it
 * (in a bare `cdk8s.Chart`, no CDK stack), exactly as `NodeDesktops` would at synth time.
 *
 * ```ts
 * const chart = new cdk8s.Chart(new cdk8s.App(), 'session');
 * new NodeDesktopSession(chart, 'Session', { template, userId: 'alice@example.com' });
 * const objects = chart.toJson();
 * ```
 *
 * A second container, `user-presence`, is ready only while the desktop user has a Windows
 * session on the node (the log-off signal); so the desktop is ready when the `session`
 * container is, and the Service publishes the pod's address before the pod is Ready.
 *
 * The pod lands only on its user's node: it selects the user label, tolerates the pool's
 * desktop taint (and `dedicated-user=<user>` in per-user mode), and refuses a node with another
 * session pod. It carries `karpenter.sh/do-not-disrupt`; once deleted, the node is empty and
 * Karpenter removes it after `consolidateAfter`.
 */
@reportsConstructPath
export class NodeDesktopSession extends Construct {
  /** Name of the pod and of the Service. */
  public readonly name: string;
  /** Namespace of both. */
  public readonly namespace: string;
  /** The user's Kubernetes name (value of the user label). */
  public readonly userName: string;
  /** The session pod. */
  public readonly pod: k8s.KubePod;
  /** The RDP Service. */
  public readonly service: k8s.KubeService;
  /** The RDP certificate for the Service's DNS names (only with `template.rdpCertificate`). */
  public readonly certificate?: Certificate;

  constructor(scope: Construct, id: string, props: NodeDesktopSessionProps) {
    super(scope, id);
    const t = props.template;
    const domain = t.script.account === SessionAccountKind.DOMAIN;
    const userName = kubernetesNameForUser('NodeDesktopSession.userId', props.userId);
    const name = sessionName(props.userId);
    if (domain && props.windowsUserName === undefined) {
      throw new ValidationError('NodeDesktopSession.windowsUserName', 'is not set, but the pool uses a directory; give the user\'s sAMAccountName, e.g. "alice".');
    }
    const windowsUserName = props.windowsUserName ?? DEFAULT_LOCAL_USER_NAME;
    if (!isWindowsAccountName(windowsUserName)) {
      throw new ValidationError('NodeDesktopSession.windowsUserName', `is ${JSON.stringify(windowsUserName)}; ${WINDOWS_ACCOUNT_RULE}.`);
    }
    const passwordSecretName = props.passwordSecretName ?? sessionPasswordSecretName(props.userId);
    validateDns1123Subdomain('NodeDesktopSession.passwordSecretName', passwordSecretName);
    const idleSeconds = props.idleDisconnectTimeoutSeconds ?? 0;
    if (typeof idleSeconds !== 'number' || !Number.isInteger(idleSeconds) || idleSeconds < 0 || idleSeconds > MAX_IDLE_TIME_SECONDS) {
      throw new ValidationError('NodeDesktopSession.idleDisconnectTimeoutSeconds', `is ${JSON.stringify(idleSeconds)}; give whole seconds from 0 (off) to ${MAX_IDLE_TIME_SECONDS} (Windows keeps MaxIdleTime in a 32-bit count of milliseconds).`);
    }

    const labels = {
      [APP_NAME_LABEL]: 'node-desktop',
      [APP_PART_OF_LABEL]: t.poolName,
      [DESKTOP_COMPONENT_LABEL]: SESSION_COMPONENT,
      [USER_LABEL]: userName,
    };
    const perUser = t.isolationMode === NodeDesktopIsolationMode.NODE_POOL_PER_USER;
    const nodeSelector: Record<string, string> = {
      [LABEL_OS]: 'windows',
      [LABEL_ARCH]: 'amd64',
      [LABEL_WINDOWS_BUILD]: t.windowsBuild,
      [USER_LABEL]: userName,
    };
    if (perUser) nodeSelector['karpenter.sh/nodepool'] = userNodePoolName(t, props.userId);

    if ((t.rdpCertificate !== undefined) !== (t.script.rdpCertificate ?? false)) {
      throw new ValidationError('NodeDesktopSession.template.rdpCertificate', 'and template.script.rdpCertificate disagree; set both (certificates from the desktop CA) or neither.');
    }
    const certificateSecretName = sessionCertificateSecretName(props.userId);
    if (t.rdpCertificate !== undefined) {
      this.certificate = renderRdpServerCertificate(this, 'Certificate', {
        name: `${name}-rdp`,
        namespace: t.namespace,
        secretName: certificateSecretName,
        dnsNames: serviceDnsNames(name, t.namespace),
        labels,
        issuer: t.rdpCertificate,
      });
    }

    const E = SESSION_SCRIPT_ENV;
    const secretEnv = (envName: string, secret: string, key: string): k8s.EnvVar =>
      ({ name: envName, valueFrom: { secretKeyRef: { name: secret, key } } });
    const env: k8s.EnvVar[] = [
      { name: E.userName, value: windowsUserName },
      { name: E.rdpSources, value: t.rdpSources },
      ...Object.entries(t.environment).map(([k, v]) => ({ name: k, value: v })),
    ];
    if (idleSeconds > 0) env.push({ name: E.maxIdleTimeMs, value: String(idleSeconds * 1000) });
    if (domain) {
      env.push(secretEnv(E.joinUser, t.joinSecretName!, 'username'), secretEnv(E.joinPassword, t.joinSecretName!, 'password'));
    } else {
      env.push(secretEnv(E.userPassword, passwordSecretName, 'password'));
    }

    this.pod = new k8s.KubePod(this, 'Pod', {
      metadata: {
        name,
        namespace: t.namespace,
        labels,
        // Karpenter leaves the node alone while the session runs.
        annotations: { [DO_NOT_DISRUPT_ANNOTATION]: 'true' },
      },
      spec: {
        nodeSelector,
        tolerations: desktopNodeTaints(t, perUser ? userName : undefined)
          .map((taint) => ({ key: taint.key, operator: 'Equal', value: taint.value, effect: taint.effect })),
        affinity: {
          podAntiAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [{
              labelSelector: { matchLabels: { [DESKTOP_COMPONENT_LABEL]: SESSION_COMPONENT } },
              topologyKey: 'kubernetes.io/hostname',
            }],
          },
        },
        // HostProcess: runs on the node itself as SYSTEM, on the host network (its IP is the node's).
        hostNetwork: true,
        securityContext: { windowsOptions: { hostProcess: true, runAsUserName: 'NT AUTHORITY\\SYSTEM' } },
        // Nothing on the node may read a Kubernetes token of this pod.
        automountServiceAccountToken: false,
        enableServiceLinks: false,
        restartPolicy: 'Always',
        terminationGracePeriodSeconds: 30,
        containers: [{
          name: SESSION_CONTAINER,
          image: t.hostProcessImage,
          command: ['powershell.exe'],
          args: ['-NoLogo', '-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-EncodedCommand', encodePowerShell(renderSessionScript(t.script))],
          env,
          resources: {
            requests: { cpu: k8s.Quantity.fromString(t.sessionCpu), memory: k8s.Quantity.fromString(t.sessionMemory) },
            // The script's one-off work (domain join, ACLs) may burst; the desktop itself is not in this job.
            limits: { cpu: k8s.Quantity.fromString(SESSION_CPU_LIMIT), memory: k8s.Quantity.fromString(SESSION_MEMORY_LIMIT) },
          },
          // cmd.exe rather than powershell.exe: a probe every 10 s should cost next to nothing.
          readinessProbe: {
            exec: { command: ['cmd.exe', '/c', `if exist ${SESSION_READY_MARKER} (exit 0) else (exit 1)`] },
            periodSeconds: 10,
          },
          volumeMounts: t.rdpCertificate !== undefined ? [{ name: 'rdp-certificate', mountPath: RDP_CERTIFICATE_MOUNT_PATH, readOnly: true }] : undefined,
        }, {
          // Only a probe: ready while the user has a Windows session here. It makes the pod's
          // Ready condition follow the user, which is why the desktop's readiness is the session
          // container's and the Service publishes not-ready addresses.
          name: USER_PRESENCE_CONTAINER,
          image: t.hostProcessImage,
          command: ['powershell.exe'],
          args: ['-NoLogo', '-NoProfile', '-NonInteractive', '-Command', 'while ($true) { Start-Sleep -Seconds 3600 }'],
          env: [{ name: E.userName, value: windowsUserName }],
          resources: {
            requests: { cpu: k8s.Quantity.fromString(PRESENCE_CPU_REQUEST), memory: k8s.Quantity.fromString(PRESENCE_MEMORY_REQUEST) },
            // The probe's PowerShell runs in this container's job object: room for it to start quickly.
            limits: { cpu: k8s.Quantity.fromString(PRESENCE_CPU_LIMIT), memory: k8s.Quantity.fromString(PRESENCE_MEMORY_LIMIT) },
          },
          // PowerShell takes a moment to start on a busy desktop: a generous timeout and three
          // failures in a row before the user counts as logged off, so one slow probe is no log-off.
          readinessProbe: {
            exec: { command: userPresenceProbeCommand() },
            periodSeconds: 10,
            timeoutSeconds: 10,
            failureThreshold: 3,
            successThreshold: 1,
          },
        }],
        // The pod starts once cert-manager has issued the certificate (the kubelet waits for the Secret).
        volumes: t.rdpCertificate !== undefined
          ? [{ name: 'rdp-certificate', secret: { secretName: certificateSecretName, items: [{ key: 'tls.crt', path: 'tls.crt' }, { key: 'tls.key', path: 'tls.key' }] } }]
          : undefined,
      },
    });

    // HostProcess pods share the node's address, so the Service reaches the node's own 3389.
    this.service = new k8s.KubeService(this, 'Service', {
      metadata: { name, namespace: t.namespace, labels },
      spec: {
        type: 'ClusterIP',
        // The pod is Ready only while the user is logged on (user-presence container), so a
        // Service that waited for Ready would have no endpoint for the user's first connection.
        // The address is the node's own and is handed out only once the session container is
        // ready (the controller's observation), so publishing it early routes nobody too soon.
        publishNotReadyAddresses: true,
        selector: { [APP_PART_OF_LABEL]: t.poolName, [DESKTOP_COMPONENT_LABEL]: SESSION_COMPONENT, [USER_LABEL]: userName },
        ports: [{ name: 'rdp', port: RDP_PORT, targetPort: k8s.IntOrString.fromNumber(RDP_PORT), protocol: 'TCP' }],
      },
    });

    this.name = name;
    this.namespace = t.namespace;
    this.userName = userName;
  }
}
