import { createHash } from 'crypto';

/**
 * A short, deterministic hash of some JSON-able content. Used in names of objects whose spec
 * cannot change in place (a Job's pod template is immutable): a new spec gets a new object.
 */
export function contentHash(value: unknown, length = 10): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, length);
}
