import { isIP } from 'net';
import { Token } from 'aws-cdk-lib';
import { ValidationError } from '../../common/validation-error';

/**
 * Synth-time checks shared by the Guacamole constructs. Each one skips unresolved tokens.
 */

const HOST_LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const CPU_QUANTITY = /^\d+(\.\d+)?m?$/;
const MEMORY_QUANTITY = /^\d+(\.\d+)?(k|M|G|T|Ki|Mi|Gi|Ti)?$/;
const CRON = /^(\S+\s+){4}\S+$/;

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

/** Fails unless `value` is an IPv4 CIDR block. */
export function validateIpv4Cidr(prop: string, value: string): void {
  if (Token.isUnresolved(value)) return;
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(value);
  const valid = match !== null && match.slice(1, 5).every((o) => Number(o) <= 255) && Number(match[5]) <= 32;
  if (!valid) {
    throw new ValidationError(prop, `"${value}" is not an IPv4 CIDR block; use e.g. "203.0.113.0/24" or "0.0.0.0/0".`);
  }
}

/** Fails unless `value` is a Kubernetes CPU quantity. */
export function validateCpu(prop: string, value: string): void {
  if (Token.isUnresolved(value)) return;
  if (!CPU_QUANTITY.test(value)) {
    throw new ValidationError(prop, `"${value}" is not a CPU quantity; use cores ("1", "0.5") or millicores ("500m").`);
  }
}

/** Fails unless `value` is a Kubernetes memory quantity. */
export function validateMemory(prop: string, value: string): void {
  if (Token.isUnresolved(value)) return;
  if (!MEMORY_QUANTITY.test(value)) {
    throw new ValidationError(prop, `"${value}" is not a memory quantity; use e.g. "2Gi" or "512Mi".`);
  }
}

/** Fails unless `value` is a five-field cron expression (as a Kubernetes CronJob takes). */
export function validateCron(prop: string, value: string): void {
  if (Token.isUnresolved(value)) return;
  if (!CRON.test(value.trim())) {
    throw new ValidationError(prop, `"${value}" is not a five-field cron expression (minute hour day-of-month month day-of-week); use e.g. "17 3 * * *".`);
  }
}

/** Fails unless `value` matches `pattern`; `what` describes the expected form. */
export function validatePattern(prop: string, value: string, pattern: RegExp, what: string): void {
  if (Token.isUnresolved(value)) return;
  if (!pattern.test(value)) {
    throw new ValidationError(prop, `"${value}" is not ${what}.`);
  }
}
