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

// ---- Runtime types -------------------------------------------------------------------------
// TypeScript types do not exist at run time: props read from cdk.json, a JSON file or the
// environment arrive as whatever they are. Every public entry point checks its props against
// a table of these checkers before using them, so a number where a string belongs, `'Spot'`
// where `CapacityType.SPOT` belongs or a plain object where a `DesktopSize` belongs fails with
// the prop, the value and the fix instead of a `TypeError` or a wrong template.

/** Checks one value; `prop` is the dotted prop path used in the message. */
export type PropCheck = (prop: string, value: unknown) => void;

function wrongType(prop: string, value: unknown, expected: string): ValidationError {
  return new ValidationError(prop, `is ${describeValue(value)}; ${expected}.`);
}

/** A string (tokens included). */
export function isString(example: string): PropCheck {
  return (prop, value) => {
    if (typeof value !== 'string') throw wrongType(prop, value, `give a string, e.g. ${example}`);
  };
}

/** A finite number (numeric tokens included): `"3"` and `NaN` are refused. */
export function isNumber(example: string): PropCheck {
  return (prop, value) => {
    if (typeof value !== 'number' || Number.isNaN(value)) {
      const hint = typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value)) ? ` (a string from JSON or the environment: convert it with Number(...))` : '';
      throw wrongType(prop, value, `give a number, e.g. ${example}${hint}`);
    }
  };
}

/** `true` or `false`: the string `"false"` would be truthy, so it is refused. */
export function isBoolean(): PropCheck {
  return (prop, value) => {
    if (typeof value !== 'boolean') throw wrongType(prop, value, 'give true or false (a boolean, not a string)');
  };
}

/** A member of a string enum, e.g. `CapacityType`; names the members and a case-insensitive match. */
export function isEnumMember(enumObject: Record<string, string>, enumName: string): PropCheck {
  const members = Object.entries(enumObject);
  return (prop, value) => {
    if (typeof value === 'string' && members.some(([, v]) => v === value)) return;
    const close = typeof value === 'string'
      ? members.find(([k, v]) => v.toLowerCase() === value.toLowerCase() || k.toLowerCase() === value.toLowerCase().replace(/-/g, '_'))
      : undefined;
    const list = members.map(([k, v]) => `${enumName}.${k} ('${v}')`).join(', ');
    throw new ValidationError(prop, `is ${describeValue(value)}, not a ${enumName}; use one of ${list}${close ? `. Did you mean ${enumName}.${close[0]} ('${close[1]}')?` : '.'}`);
  };
}

/** One value out of a fixed list of strings (for props typed as string with a closed set). */
export function isOneOf(allowed: readonly string[]): PropCheck {
  return (prop, value) => {
    if (typeof value === 'string' && allowed.includes(value)) return;
    throw new ValidationError(prop, `is ${describeValue(value)}; use one of ${allowed.map((a) => `'${a}'`).join(', ')}.`);
  };
}

/** An instance of `cls` (value classes with static factories: `WindowsVersion`, `Size`, ...). */
export function isInstanceOf(cls: Function, how: string): PropCheck {
  return (prop, value) => {
    if (!(value instanceof cls)) throw wrongType(prop, value, `give ${how}`);
  };
}

/** A construct (anything with a construct `node`), e.g. a cluster or a node pool. */
export function isConstruct(how: string): PropCheck {
  return (prop, value) => {
    const node = typeof value === 'object' && value !== null ? (value as { node?: { path?: unknown } }).node : undefined;
    if (typeof node?.path !== 'string') throw wrongType(prop, value, `give ${how}`);
  };
}

/** An array whose entries pass `each`. */
export function isArrayOf(each: PropCheck, example: string): PropCheck {
  return (prop, value) => {
    if (!Array.isArray(value)) throw wrongType(prop, value, `give an array, e.g. ${example}`);
    value.forEach((entry, i) => each(`${prop}[${i}]`, entry));
  };
}

/** A plain object whose values are strings (labels, tags). */
export function isStringMap(example: string): PropCheck {
  return (prop, value) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw wrongType(prop, value, `give an object of string keys and values, e.g. ${example}`);
    }
    for (const [key, entry] of Object.entries(value)) {
      if (typeof entry !== 'string') throw wrongType(`${prop}["${key}"]`, entry, 'give a string value (labels and tags are strings: quote numbers and booleans)');
    }
  };
}

/** A plain object whose keys are checked by `shape` (nested options such as `recording`). */
export function isShape(shape: Record<string, PropCheck>, example: string, options?: CheckPropsOptions): PropCheck {
  return (prop, value) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw wrongType(prop, value, `give an object, e.g. ${example}`);
    }
    checkProps(prop, value as Record<string, unknown>, shape, options);
  };
}

/** A value that must be given. */
export function required(check: PropCheck): PropCheck {
  const checkRequired: PropCheck = (prop, value) => {
    if (value === undefined || value === null) throw new ValidationError(prop, `is required but ${value === null ? 'null' : 'missing'}; give a value.`);
    check(prop, value);
  };
  REQUIRED.add(checkRequired);
  return checkRequired;
}

const REQUIRED = new WeakSet<PropCheck>();

/** Options of {@link checkProps}. */
export interface CheckPropsOptions {
  /** Props the construct also takes that `shape` does not check (checked elsewhere). */
  readonly otherProps?: readonly string[];
  /**
   * Whether to refuse a prop that is not known but is a near miss of a known one (`expireAftr`,
   * `ExpireAfter`, `expire_after`): a typo in cdk.json would otherwise be ignored silently and
   * the default used. Off where `props` may carry other keys (a spread of several options).
   * @default true
   */
  readonly refuseMisspelled?: boolean;
}

/**
 * Checks the runtime type of each prop listed in `shape` (`undefined` passes unless the check
 * is `required(...)`; `null` never passes: JSON's `null` is not "use the default"), and refuses
 * unknown props that look like misspellings of known ones.
 *
 * @param prefix  the construct or function name, e.g. `WindowsNodePool`
 */
export function checkProps(prefix: string, props: unknown, shape: Record<string, PropCheck>, options: CheckPropsOptions = {}): void {
  if (typeof props !== 'object' || props === null || Array.isArray(props)) {
    throw new ValidationError(prefix, `props are ${describeValue(props)}; give an object of props.`);
  }
  const values = props as Record<string, unknown>;
  for (const [key, check] of Object.entries(shape)) {
    const value = values[key];
    const prop = `${prefix}.${key}`;
    if (value === null) {
      throw new ValidationError(prop, 'is null; leave it out (undefined) for the default, or give a value.');
    }
    if (value === undefined && !REQUIRED.has(check)) continue;
    check(prop, value);
  }
  if (options.refuseMisspelled === false || Object.keys(shape).length === 0) return;
  const known = [...Object.keys(shape), ...(options.otherProps ?? [])];
  for (const key of Object.keys(values)) {
    if (known.includes(key) || values[key] === undefined) continue;
    const meant = known.find((k) => isNearMiss(key, k));
    if (meant !== undefined) {
      throw new ValidationError(`${prefix}.${key}`, `is not a prop of ${prefix}; did you mean \`${meant}\`? (As written it would be ignored and the default used.)`);
    }
  }
}

/**
 * True when `typed` is probably a misspelling of `known`: equal but for case, '-' and '_', or
 * one edit away (two for long names), counting a swap of neighbours as one edit.
 */
function isNearMiss(typed: string, known: string): boolean {
  const normal = (k: string) => k.toLowerCase().replace(/[-_]/g, '');
  if (normal(typed) === normal(known)) return true;
  const allowed = known.length >= 9 ? 2 : known.length >= 5 ? 1 : 0;
  return allowed > 0 && Math.abs(typed.length - known.length) <= allowed && editDistance(typed, known) <= allowed;
}

/** Optimal string alignment distance (Levenshtein plus adjacent transpositions). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/**
 * Fails unless `value` is a Kubernetes minor version string such as `"1.35"`. A number is
 * refused even when it looks right: JSON and YAML turn `1.30` into `1.3`, which would name
 * another version in SSM parameter paths and AMI names.
 */
export function validateKubernetesVersion(prop: string, value: unknown): void {
  if (typeof value === 'number') {
    const text = String(value);
    const guess = /^\d+\.\d$/.test(text) ? `'${text}0' or '${text}'` : `'${text}'`;
    throw new ValidationError(prop, `is the number ${text}; give the version as a string such as ${guess} (a number loses trailing zeros: 1.30 reads as 1.3).`);
  }
  if (typeof value !== 'string') {
    throw new ValidationError(prop, `is ${describeValue(value)}; give the version as a string, e.g. "1.35".`);
  }
  if (Token.isUnresolved(value)) return;
  if (/^v\d+\.\d+/.test(value)) {
    throw new ValidationError(prop, `"${value}" starts with "v"; drop it: "${value.slice(1).split('.').slice(0, 2).join('.')}".`);
  }
  if (/^\d+\.\d+\.\d+/.test(value)) {
    throw new ValidationError(prop, `"${value}" is a patch version; give only major.minor: "${value.split('.').slice(0, 2).join('.')}".`);
  }
  if (!/^1\.\d{1,2}$/.test(value)) {
    throw new ValidationError(prop, `"${value}" is not a Kubernetes minor version; use "major.minor", e.g. "1.35".`);
  }
}

/** Namespaces Kubernetes itself creates and owns. */
export const SYSTEM_NAMESPACES: readonly string[] = ['kube-system', 'kube-public', 'kube-node-lease', 'default'];

/**
 * Fails when a construct would create (and so, on removal, delete) a namespace Kubernetes
 * owns: removing the construct would try to delete `kube-system` and everything in it.
 */
export function validateOwnedNamespace(prop: string, namespace: string, createNamespace: boolean): void {
  if (Token.isUnresolved(namespace) || !createNamespace || !SYSTEM_NAMESPACES.includes(namespace)) return;
  throw new ValidationError(prop, `is "${namespace}" with namespace creation on; the namespace would belong to this construct and be deleted with it. Use a namespace of your own, or set createNamespace: false.`);
}

/** Fails unless `value` is an absolute `https://` URL with a host (identity provider endpoints, image URLs). */
export function validateHttpsUrl(prop: string, value: string): void {
  if (Token.isUnresolved(value)) return;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url === undefined || url.protocol !== 'https:' || url.hostname === '' || /\s/.test(value)) {
    const fix = url?.protocol === 'http:' ? `use "https://${value.slice('http://'.length)}"` : 'use an absolute https:// URL, e.g. "https://idp.example.com/oauth2/authorize"';
    throw new ValidationError(prop, `"${value}" is not an https:// URL; ${fix} (tokens and signing keys must not travel in clear text).`);
  }
}
