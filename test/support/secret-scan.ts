import { Template } from 'aws-cdk-lib/assertions';
import { helmReleasesOf, kubernetesObjectsOf } from './kubernetes-schemas';

/**
 * Finds plaintext secrets and default credentials in synthesized output: a CloudFormation
 * template, the Kubernetes objects and Helm values it applies, or any JSON value.
 *
 * Rules (each finding names its JSON path):
 * 1. `default-credentials`: any key or string containing "guacadmin" (Guacamole's well-known
 *    default administrator, whose password is the same word).
 * 2. `aws-access-key`: an AWS access key id (AKIA/ASIA + 16 characters).
 * 3. `private-key`: a PEM private key block.
 * 4. `literal-secret`: a key named like a secret (…password, …passwd, …secret, …token,
 *    …privatekey, …apikey, …secretaccesskey, …clientsecret, …secretstring; case and separators
 *    ignored)
 *    whose value is a non-empty literal string.
 * 5. `literal-secret-env`: a `{ name, value }` pair (Kubernetes env, Helm extraEnv, ECS, ...)
 *    whose name ends like a secret or a secret key (`JSON_SECRET_KEY`) and whose value is a
 *    non-empty literal string; `valueFrom` / `secretKeyRef` is the compliant form.
 * 6. `kubernetes-secret-data`: a Kubernetes Secret with literal `data` or `stringData`.
 *
 * Not findings: values that are deploy-time references (CloudFormation intrinsics, CDK token
 * strings, `{{resolve:...}}` dynamic references, ARNs), booleans and numbers.
 */
export interface SecretFinding {
  /** JSON path of the offending value. */
  readonly path: string;
  /** Which rule matched. */
  readonly rule: 'default-credentials' | 'aws-access-key' | 'private-key' | 'literal-secret' | 'literal-secret-env' | 'kubernetes-secret-data';
  /** Short description (never the secret itself). */
  readonly detail: string;
}

const DEFAULT_CREDENTIALS = /guacadmin/i;
const AWS_ACCESS_KEY = /\b(AKIA|ASIA)[0-9A-Z]{16}\b/;
const PRIVATE_KEY = /-----BEGIN ([A-Z]+ )?PRIVATE KEY-----/;
const SECRET_KEY_NAME = /(password|passwd|secret|secretstring|token|privatekey|apikey|secretaccesskey|clientsecret)$/;
const SECRET_ENV_NAME = /(password|passwd|secret|token|privatekey|apikey|secretkey|accesskey)$/;

function normalize(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** A string that is a reference resolved at deploy time, not a value. */
function isReference(value: string): boolean {
  return value.includes('${Token[') || value.startsWith('{{resolve:') || value.startsWith('arn:') || value === 'TOKEN';
}

function isLiteral(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && !isReference(value);
}

function scanValue(value: unknown, path: string, findings: SecretFinding[]): void {
  if (typeof value === 'string') {
    if (DEFAULT_CREDENTIALS.test(value)) findings.push({ path, rule: 'default-credentials', detail: 'mentions the default Guacamole administrator' });
    if (AWS_ACCESS_KEY.test(value)) findings.push({ path, rule: 'aws-access-key', detail: 'contains an AWS access key id' });
    if (PRIVATE_KEY.test(value)) findings.push({ path, rule: 'private-key', detail: 'contains a PEM private key' });
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => scanValue(item, `${path}[${i}]`, findings));
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const obj = value as Record<string, unknown>;

  if (typeof obj.name === 'string' && 'value' in obj && SECRET_ENV_NAME.test(normalize(obj.name)) && isLiteral(obj.value)) {
    findings.push({ path: `${path}.value`, rule: 'literal-secret-env', detail: `${obj.name} has a literal value; read it from a secret (valueFrom.secretKeyRef)` });
  }
  if (obj.kind === 'Secret' && typeof obj.apiVersion === 'string' && (obj.data !== undefined || obj.stringData !== undefined)) {
    findings.push({ path, rule: 'kubernetes-secret-data', detail: 'a Kubernetes Secret carries literal data; sync it from a secret store instead' });
  }
  for (const [key, child] of Object.entries(obj)) {
    const childPath = `${path}.${key}`;
    if (DEFAULT_CREDENTIALS.test(key)) findings.push({ path: childPath, rule: 'default-credentials', detail: 'key mentions the default Guacamole administrator' });
    if (SECRET_KEY_NAME.test(normalize(key)) && isLiteral(child)) {
      findings.push({ path: childPath, rule: 'literal-secret', detail: `${key} has a literal value` });
    }
    scanValue(child, childPath, findings);
  }
}

/** Scans any JSON value. */
export function scanForSecrets(value: unknown, path = '$'): SecretFinding[] {
  const findings: SecretFinding[] = [];
  scanValue(value, path, findings);
  return findings;
}

/**
 * Scans a synthesized template: its JSON as is (which also catches words inside manifest
 * strings), every Kubernetes object its kubectl custom resources apply, and every Helm
 * release's values.
 */
export function scanTemplateForSecrets(template: Template): SecretFinding[] {
  return [
    ...scanForSecrets(template.toJSON(), '$template'),
    ...kubernetesObjectsOf(template).flatMap((obj, i) => scanForSecrets(obj, `$manifests[${i}](${obj.kind}/${obj.metadata?.name ?? '?'})`)),
    ...helmReleasesOf(template).flatMap((release) => scanForSecrets(release.values, `$helm(${release.chart})`)),
  ];
}
