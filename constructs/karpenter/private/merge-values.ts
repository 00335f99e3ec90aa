import { Tokenization } from 'aws-cdk-lib';

/** True for `{...}` literals only: arrays, tokens and class instances are replaced, not merged. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  if (Tokenization.isResolvable(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Deep-merges Helm values: `override` wins. Nested objects merge key by key; arrays and scalars
 * are replaced as a whole (as `helm --set` does for lists); `undefined` in `override` leaves the
 * base value alone. Neither input is modified.
 *
 * Written here rather than taken from a library because the rules above are the whole contract
 * and the library takes no runtime dependency for them.
 */
export function mergeValues(base: object, override: Record<string, unknown>): Record<string, unknown> {
  const result: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [key, value] of Object.entries(override)) {
    if (value === undefined) continue;
    const current = result[key];
    result[key] = isPlainObject(current) && isPlainObject(value) ? mergeValues(current, value) : value;
  }
  return result;
}
