import { Token } from 'aws-cdk-lib';
import { ValidationError } from './validation-error';

/**
 * Kubernetes resource quantities (`resource.Quantity`): one grammar for every CPU and memory
 * value the library writes (controller pods, warm-capacity slots, gateway pods).
 */

const QUANTITY = /^(\d+(\.\d*)?|\.\d+)(([KMGTPE]i)|[numkMGTPE]|[eE][+-]?\d+)?$/;
const SUFFIX: Record<string, number> = {
  '': 1, 'n': 1e-9, 'u': 1e-6, 'm': 1e-3, 'k': 1e3, 'M': 1e6, 'G': 1e9, 'T': 1e12, 'P': 1e15, 'E': 1e18,
  'Ki': 2 ** 10, 'Mi': 2 ** 20, 'Gi': 2 ** 30, 'Ti': 2 ** 40, 'Pi': 2 ** 50, 'Ei': 2 ** 60,
};

/** The value of a quantity (cores for CPU, bytes for memory), or `undefined` when it is not one. */
export function parseQuantity(text: string): number | undefined {
  const match = QUANTITY.exec(text);
  if (!match) return undefined;
  const number = Number(match[1]);
  const suffix = match[3] ?? '';
  if (/^[eE]/.test(suffix)) return number * 10 ** Number(suffix.slice(1));
  return number * SUFFIX[suffix];
}

/** Fails unless `value` is a positive CPU quantity: cores (`"2"`, `"1.5"`) or millicores (`"1500m"`). */
export function validateCpuQuantity(prop: string, value: string, example: string): void {
  if (Token.isUnresolved(value)) return;
  const cores = parseQuantity(value);
  if (cores === undefined || cores <= 0) {
    throw new ValidationError(prop, `"${value}" is not a positive CPU quantity; use cores ("2", "0.5") or millicores ("500m"), e.g. "${example}".`);
  }
  if (cores < 0.001) {
    throw new ValidationError(prop, `"${value}" is less than one millicore, the smallest CPU unit Kubernetes schedules; use e.g. "${example}".`);
  }
}

/**
 * Fails unless `value` is a positive memory quantity (`"8Gi"`, `"512Mi"`). Refuses the usual
 * slips: `"512m"` (millibytes), `"8GB"` / `"8gi"` (no such suffix) and values under 1 MiB.
 */
export function validateMemoryQuantity(prop: string, value: string, example: string): void {
  if (Token.isUnresolved(value)) return;
  const bytes = parseQuantity(value);
  const slip = /^(\d+(\.\d+)?)\s*(m|gb|mb|kb|tb|gi|mi|ki|ti|gib|mib)$/i.exec(value);
  if (bytes === undefined || bytes <= 0 || /m$/.test(value)) {
    const unit = slip ? `${slip[3][0].toUpperCase()}i` : '';
    const hint = slip ? ` Did you mean "${slip[1]}${unit}"? (binary suffixes are Ki, Mi, Gi, Ti; a lowercase "m" means milli)` : '';
    throw new ValidationError(prop, `"${value}" is not a positive memory quantity; use e.g. "${example}".${hint}`);
  }
  if (bytes < 2 ** 20) {
    throw new ValidationError(prop, `"${value}" is ${bytes} bytes, less than 1 MiB; did you forget the unit? Use e.g. "${example}".`);
  }
}
