import { Size, SizeRoundingBehavior, Token } from 'aws-cdk-lib';
import { ValidationError } from './validation-error';

/**
 * Small synth-time checks shared by every construct. Each one skips unresolved tokens: a
 * value only known at deploy time cannot be checked here.
 */

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Fails unless `value` is a DNS-1123 label (namespaces, Service names): lowercase, ≤ 63. */
export function validateDns1123Label(prop: string, value: string): void {
  if (Token.isUnresolved(value)) return;
  if (value.length > 63 || !DNS1123_LABEL.test(value)) {
    throw new ValidationError(prop, `"${value}" is not a valid Kubernetes name: use at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit (DNS-1123 label).`);
  }
}

/** Fails unless `value` is a DNS-1123 subdomain (most object names): lowercase, ≤ 253. */
export function validateDns1123Subdomain(prop: string, value: string): void {
  if (Token.isUnresolved(value)) return;
  if (value.length > 253 || !DNS1123_SUBDOMAIN.test(value)) {
    throw new ValidationError(prop, `"${value}" is not a valid Kubernetes object name: use lowercase letters, digits, '-' and '.', at most 253 characters, starting and ending with a letter or digit (DNS-1123 subdomain).`);
  }
}

/** Fails unless `value` is a whole number within [min, max]. */
export function validateInteger(prop: string, value: number, min: number, max: number = Number.MAX_SAFE_INTEGER): void {
  if (Token.isUnresolved(value)) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `a whole number ≥ ${min}` : `a whole number from ${min} to ${max}`;
    throw new ValidationError(prop, `got ${value}; use ${range}.`);
  }
}

/** Fails unless the list has at least one entry. */
export function validateNonEmpty<T>(prop: string, values: readonly T[], hint: string): void {
  if (values.length === 0) {
    throw new ValidationError(prop, `is empty; ${hint}`);
  }
}

/**
 * Whole GiB of `size`. Kubernetes quantities and volume sizes are written at synth time, so
 * deploy-time sizes and fractions of a GiB are refused with a message naming the prop.
 *
 * @param example  a valid value to show in the message
 */
export function wholeGibibytes(prop: string, size: Size, example: string = 'Size.gibibytes(100)'): number {
  if (size.isUnresolved()) {
    throw new ValidationError(prop, `is a deploy-time value; give a size known at synth time (e.g. ${example}).`);
  }
  const gib = size.toGibibytes({ rounding: SizeRoundingBehavior.NONE });
  if (!Number.isInteger(gib)) {
    throw new ValidationError(prop, `is ${gib} GiB; give whole GiB (e.g. ${example}).`);
  }
  return gib;
}

/** A short description of a value of the wrong runtime type, for error messages. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array (${JSON.stringify(value).slice(0, 60)})`;
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'object') return `an object (${JSON.stringify(value).slice(0, 60)})`;
  return `the ${typeof value} ${String(value)}`;
}
