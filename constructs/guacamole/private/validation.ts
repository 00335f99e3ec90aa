import { isIP } from 'net';
import { Token } from 'aws-cdk-lib';
import { CronDialect, validateStandardCron } from '../../common/cron';
import { validateCpuQuantity, validateMemoryQuantity } from '../../common/quantity';
import { ValidationError } from '../../common/validation-error';
export { validateIpv4Cidr } from '../../common/cidr';

/**
 * Synth-time checks shared by the Guacamole constructs. Each one skips unresolved tokens.
 */

const HOST_LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** True when `value` is a DNS host name (RFC 1123: labels of letters, digits and '-', ≤ 253). */
export function isDnsName(value: string): boolean {
  if (value.length === 0 || value.length > 253) return false;
  const trimmed = value.endsWith('.') ? value.slice(0, -1) : value;
  return trimmed.split('.').every((label) => HOST_LABEL.test(label));
}

/** Fails unless `value` is a DNS name or an IPv4/IPv6 address. */
export function validateHost(prop: string, value: string): void {
  if (Token.isUnresolved(value)) return;
  if (isIP(value) === 0 && !isDnsName(value)) {
    throw new ValidationError(prop, `"${value}" is neither a DNS name nor an IP address; use a host name such as "desktop.user-1.svc.cluster.local" or an address such as "10.0.12.7".`);
  }
}

/** Fails unless `value` is a DNS name with at least two labels (what a browser opens over HTTPS). */
export function validatePublicHostname(prop: string, value: string): void {
  if (Token.isUnresolved(value)) return;
  if (!isDnsName(value) || !value.includes('.') || isIP(value) !== 0) {
    throw new ValidationError(prop, `"${value}" is not a fully qualified DNS name; use the name users open in the browser, e.g. "desktops.example.com" (the ACM certificate must cover it).`);
  }
}

/** Fails unless `value` is a Kubernetes CPU quantity (the common rule). */
export function validateCpu(prop: string, value: string): void {
  validateCpuQuantity(prop, value, '1');
}

/** Fails unless `value` is a Kubernetes memory quantity (the common rule). */
export function validateMemory(prop: string, value: string): void {
  validateMemoryQuantity(prop, value, '2Gi');
}

/** Fails unless `value` is a schedule a Kubernetes CronJob accepts (the common rule). */
export function validateCron(prop: string, value: string): void {
  validateStandardCron(prop, value, CronDialect.KUBERNETES_CRONJOB, '17 3 * * *');
}

/** Fails unless `value` matches `pattern`; `what` describes the expected form. */
export function validatePattern(prop: string, value: string, pattern: RegExp, what: string): void {
  if (Token.isUnresolved(value)) return;
  if (!pattern.test(value)) {
    throw new ValidationError(prop, `"${value}" is not ${what}.`);
  }
}
