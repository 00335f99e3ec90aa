import { createHash } from 'crypto';
import { describeValue } from './validate';
import { ValidationError } from './validation-error';

/** Longest user id accepted (an e-mail address is at most 320 characters; IdP subjects are shorter). */
const MAX_USER_ID_LENGTH = 320;
/** Characters of the hash suffix: 50 bits of SHA-256 in lowercase base32. */
const HASH_LENGTH = 10;
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
/** A DNS-1123 label is at most 63 characters: readable part, '-', hash. */
const MAX_READABLE_LENGTH = 63 - 1 - HASH_LENGTH;

/**
 * Turns a user id (an e-mail address, an IdP subject, ...) into a name Kubernetes accepts as a
 * namespace, label value or object name: a lowercase DNS-1123 label of at most 63 characters.
 *
 * The name is a readable part (the id lowercased, every run of other characters than `a-z` and
 * `0-9` turned into one `-`, cut to 52 characters; `u` when nothing is left) followed by `-` and
 * a 10-character hash (SHA-256 of the exact id, lowercase base32). The mapping is deterministic
 * and **injective in practice**: ids that differ in any way, case and `+tag` included
 * (`alice.smith@example.com`, `alice-smith@example.com`, `Alice.Smith@example.com`), get
 * different hashes, so different names. Two distinct ids share a name only on a 50-bit hash
 * collision (about 1 in 10⁸ for 5,000 users); every construct that takes a list of users
 * checks its names for duplicates, so even that is refused at synth time, never merged.
 *
 * Refused: a value that is not a string, an empty or blank id, an id with control characters
 * or leading/trailing white space, and an id over 320 characters.
 *
 * @param prop  the prop the id came from, for the error message
 * @param userId  the id to map
 */
export function kubernetesNameForUser(prop: string, userId: string): string {
  if (typeof userId !== 'string') {
    throw new ValidationError(prop, `is ${describeValue(userId)}, not a string; give the user id as a string, e.g. "alice@example.com".`);
  }
  if (userId.trim().length === 0) {
    throw new ValidationError(prop, `is ${JSON.stringify(userId)}; give the user's non-empty id from the identity provider, e.g. "alice@example.com".`);
  }
  if (userId !== userId.trim()) {
    throw new ValidationError(prop, `user id ${JSON.stringify(userId)} has leading or trailing white space; remove it (ids are matched exactly).`);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(userId)) {
    throw new ValidationError(prop, `user id ${JSON.stringify(userId)} contains control characters; give the id exactly as the identity provider issues it.`);
  }
  if (userId.length > MAX_USER_ID_LENGTH) {
    throw new ValidationError(prop, `user id "${userId.slice(0, 40)}…" is ${userId.length} characters long; ids of at most ${MAX_USER_ID_LENGTH} characters are accepted (an e-mail address or an IdP subject).`);
  }
  const readable = userId.toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, MAX_READABLE_LENGTH)
    .replace(/^-+/, '')
    .replace(/-+$/, '');
  return `${readable.length > 0 ? readable : 'u'}-${userIdHash(userId)}`;
}

/** 50 bits of SHA-256 of the exact id, as 10 lowercase base32 characters (a DNS-label-safe alphabet). */
function userIdHash(userId: string): string {
  const digest = createHash('sha256').update(userId, 'utf8').digest();
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of digest) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < HASH_LENGTH) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    if (out.length === HASH_LENGTH) break;
    value &= (1 << bits) - 1;
  }
  return out;
}
