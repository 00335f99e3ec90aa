import { ValidationError } from './validation-error';

/**
 * Turns a user id (an e-mail address, an IdP subject, ...) into a name Kubernetes accepts as a
 * namespace, label value or object name: lowercase DNS-1123 label, at most 63 characters.
 *
 * The mapping is deterministic (same id, same name) and rejects what cannot be mapped instead
 * of silently producing names that could collide: ids are lowercased, `@`, `.`, `_` and `+`
 * become `-`, and anything else outside `[a-z0-9-]` is an error.
 *
 * @param prop  the prop the id came from, for the error message
 * @param userId  the id to map
 */
export function kubernetesNameForUser(prop: string, userId: string): string {
  const lowered = userId.trim().toLowerCase();
  const mapped = lowered.replace(/[@._+]/g, '-');
  if (!/^[a-z0-9-]+$/.test(mapped)) {
    throw new ValidationError(prop, `user id "${userId}" has characters that cannot be mapped to a Kubernetes name; use letters, digits, '-', '.', '_', '+' and '@' only.`);
  }
  const trimmed = mapped.replace(/^-+/, '').replace(/-+$/, '');
  if (trimmed.length === 0 || trimmed.length > 63) {
    throw new ValidationError(prop, `user id "${userId}" maps to "${trimmed}", which is not 1 to 63 characters long; use a shorter id.`);
  }
  return trimmed;
}
