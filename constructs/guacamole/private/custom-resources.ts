import { ApiObject, ApiObjectMetadata } from 'cdk8s';
import { Construct } from 'constructs';

/**
 * Narrow typed bindings for the three custom resource kinds the Guacamole chart writes. No
 * generated binding exists in the repository for them, and only the fields used are typed.
 * There is no upstream schema for them in `../shared/reference`, so tests check their shape
 * field by field instead of against a schema.
 */

/** `external-secrets.io/v1` SecretStore reading AWS Secrets Manager with an IRSA service account. */
export interface SecretStoreProps {
  readonly metadata: ApiObjectMetadata;
  readonly spec: {
    readonly provider: {
      readonly aws: {
        readonly service: 'SecretsManager';
        readonly region: string;
        readonly auth: { readonly jwt: { readonly serviceAccountRef: { readonly name: string } } };
      };
    };
  };
}

export class SecretStore extends ApiObject {
  public static readonly API_VERSION = 'external-secrets.io/v1';
  public static readonly KIND = 'SecretStore';
  constructor(scope: Construct, id: string, props: SecretStoreProps) {
    super(scope, id, { apiVersion: SecretStore.API_VERSION, kind: SecretStore.KIND, ...props });
  }
}

/** One key of an ExternalSecret: Secrets Manager secret (and JSON property) → Kubernetes Secret key. */
export interface ExternalSecretData {
  readonly secretKey: string;
  readonly remoteRef: { readonly key: string; readonly property?: string };
}

/** `external-secrets.io/v1` ExternalSecret that owns the Kubernetes Secret it writes. */
export interface ExternalSecretProps {
  readonly metadata: ApiObjectMetadata;
  readonly spec: {
    readonly refreshInterval: string;
    readonly secretStoreRef: { readonly name: string; readonly kind: 'SecretStore' };
    readonly target: { readonly name: string; readonly creationPolicy: 'Owner' };
    readonly data: ExternalSecretData[];
  };
}

export class ExternalSecret extends ApiObject {
  public static readonly API_VERSION = 'external-secrets.io/v1';
  public static readonly KIND = 'ExternalSecret';
  constructor(scope: Construct, id: string, props: ExternalSecretProps) {
    super(scope, id, { apiVersion: ExternalSecret.API_VERSION, kind: ExternalSecret.KIND, ...props });
  }
}

/** `vpcresources.k8s.aws/v1beta1` SecurityGroupPolicy: pods matching the selector get these security groups. */
export interface SecurityGroupPolicyProps {
  readonly metadata: ApiObjectMetadata;
  readonly spec: {
    readonly podSelector: { readonly matchLabels: Record<string, string> };
    readonly securityGroups: { readonly groupIds: string[] };
  };
}

export class SecurityGroupPolicy extends ApiObject {
  public static readonly API_VERSION = 'vpcresources.k8s.aws/v1beta1';
  public static readonly KIND = 'SecurityGroupPolicy';
  constructor(scope: Construct, id: string, props: SecurityGroupPolicyProps) {
    super(scope, id, { apiVersion: SecurityGroupPolicy.API_VERSION, kind: SecurityGroupPolicy.KIND, ...props });
  }
}
