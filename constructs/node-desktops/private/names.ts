/** Characters of the hash at the end of every `kubernetesNameForUser` name. */
const USER_HASH_LENGTH = 10;

/**
 * `<prefix>-<user name>` as a DNS-1123 label of at most 63 characters (a label value and a
 * DNS-1035 Service name when `prefix` starts with a letter). When too long, the readable part of
 * the user name is shortened; its hash, which makes the name unique, is always kept whole.
 *
 * @param prefix  starts with a letter, lowercase letters, digits and '-'
 * @param userName  a `kubernetesNameForUser` result
 */
export function perUserName(prefix: string, userName: string): string {
  const full = `${prefix}-${userName}`;
  if (full.length <= 63) return full;
  const hash = userName.slice(-USER_HASH_LENGTH);
  const room = 63 - prefix.length - 1 - USER_HASH_LENGTH - 1;
  const readable = userName.slice(0, Math.max(0, room)).replace(/-+$/, '');
  return readable.length > 0 ? `${prefix}-${readable}-${hash}` : `${prefix}-${hash}`;
}
