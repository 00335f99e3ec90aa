import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { USER_LABEL, WARM_USER_VALUE_PREFIX } from '../common/well-known';

/**
 * The fields of `admissionregistration.k8s.io/v1` objects this file writes. cdk8s-plus-29's
 * bindings stop at Kubernetes 1.29, where the API was still beta, so the manifests are typed
 * here; tests validate them against the Kubernetes schemas.
 */
export interface ValidatingAdmissionPolicySpec {
  readonly failurePolicy: 'Fail' | 'Ignore';
  readonly matchConstraints: {
    readonly resourceRules: ReadonlyArray<{ readonly apiGroups: string[]; readonly apiVersions: string[]; readonly resources: string[]; readonly operations: string[] }>;
  };
  readonly matchConditions: ReadonlyArray<{ readonly name: string; readonly expression: string }>;
  readonly validations: ReadonlyArray<{ readonly expression: string; readonly message: string; readonly reason: string }>;
}

/**
 * Metadata fields of a Node that an update by the controller may change: the API server sets
 * `resourceVersion`, `managedFields` and `generation` itself on every write. Every other field
 * of ObjectMeta is compared (a test checks this list against ObjectMeta's schema).
 */
export const NODE_METADATA_WRITTEN_BY_SERVER: readonly string[] = ['resourceVersion', 'managedFields', 'generation'];

/** ObjectMeta fields compared between the old and the new Node (all but labels and the server's). */
export const NODE_METADATA_COMPARED: readonly string[] = [
  'name', 'generateName', 'namespace', 'selfLink', 'uid', 'creationTimestamp', 'deletionTimestamp',
  'deletionGracePeriodSeconds', 'annotations', 'ownerReferences', 'finalizers',
];

/** A DNS-1123 label: what `kubernetesNameForUser` gives, and never a `warm.` value (no dots). */
const USER_VALUE_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';

/** Same presence, same value: `has()` first, because CEL fails on a missing field. */
function unchanged(path: string): string {
  return `has(object.${path}) == has(oldObject.${path}) && (!has(object.${path}) || object.${path} == oldObject.${path})`;
}

/** The policy's CEL, for `controllerServiceAccount` (`system:serviceaccount:<ns>:<name>`). */
export function controllerNodePolicySpec(controllerServiceAccount: string): ValidatingAdmissionPolicySpec {
  const user = `'${USER_LABEL}'`;
  const labels = 'has(object.metadata.labels) && has(oldObject.metadata.labels)';
  return {
    // A policy that cannot be evaluated refuses: the controller must never get more than this.
    failurePolicy: 'Fail',
    // A merge patch arrives as UPDATE; RBAC gives the controller no other verb that writes nodes.
    matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], resources: ['nodes'], operations: ['UPDATE'] }] },
    matchConditions: [{ name: 'session-controller', expression: `request.userInfo.username == '${controllerServiceAccount}'` }],
    validations: [
      {
        expression: `${labels} && ${user} in oldObject.metadata.labels && ${user} in object.metadata.labels`
          + ` && oldObject.metadata.labels[${user}].startsWith('${WARM_USER_VALUE_PREFIX}')`
          + ` && object.metadata.labels[${user}].matches('${USER_VALUE_PATTERN}')`,
        message: `the session controller may only relabel a warm host: ${USER_LABEL} from a ${WARM_USER_VALUE_PREFIX}<slot> value to a user's.`,
        reason: 'Forbidden',
      },
      {
        expression: `${labels}`
          + ` && object.metadata.labels.all(k, k == ${user} || (k in oldObject.metadata.labels && object.metadata.labels[k] == oldObject.metadata.labels[k]))`
          + ` && oldObject.metadata.labels.all(k, k == ${user} || k in object.metadata.labels)`,
        message: `the session controller may change no node label but ${USER_LABEL}.`,
        reason: 'Forbidden',
      },
      {
        expression: NODE_METADATA_COMPARED.map((f) => unchanged(`metadata.${f}`)).join(' && '),
        message: 'the session controller may not change a node\'s metadata other than its user label.',
        reason: 'Forbidden',
      },
      {
        expression: `${unchanged('spec')} && ${unchanged('status')}`,
        message: 'the session controller may not change a node\'s spec (taints, unschedulable, ...) or status.',
        reason: 'Forbidden',
      },
    ],
  };
}

/** Props of {@link ControllerNodePolicy}. */
export interface ControllerNodePolicyProps {
  /** Name of the policy and its binding (cluster-scoped). */
  readonly name: string;
  /** Namespace of the controller's service account. */
  readonly namespace: string;
  /** Name of the controller's service account. */
  readonly serviceAccountName: string;
}

/**
 * Narrows the session controller's cluster-wide `patch` on nodes (which RBAC cannot limit to
 * one label) to what a warm-slot claim does (`WarmSlots.claim`): set `desktop.io/user-id` from
 * `warm.<slot>` to a user's value, and nothing else. Without it a compromised controller could
 * relabel any node, e.g. hand another user's desktop host to someone else, or drop taints.
 * A `ValidatingAdmissionPolicy` (GA in Kubernetes 1.30) and its binding, evaluated in the API
 * server: no webhook to run.
 * @see https://kubernetes.io/docs/reference/access-authn-authz/validating-admission-policy/
 */
export class ControllerNodePolicy extends Construct {
  public readonly policy: ApiObject;
  public readonly binding: ApiObject;

  constructor(scope: Construct, id: string, props: ControllerNodePolicyProps) {
    super(scope, id);
    const apiVersion = 'admissionregistration.k8s.io/v1';
    this.policy = new ApiObject(this, 'Resource', {
      apiVersion,
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name: props.name },
      spec: controllerNodePolicySpec(`system:serviceaccount:${props.namespace}:${props.serviceAccountName}`),
    });
    this.binding = new ApiObject(this, 'Binding', {
      apiVersion,
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name: props.name },
      spec: { policyName: props.name, validationActions: ['Deny'] },
    });
    // The binding refers to the policy by name; apply the policy first.
    this.binding.addDependency(this.policy);
  }
}
