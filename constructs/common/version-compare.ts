/**
 * Compares dotted numeric versions ("1.35", "v1.14.1"): negative when a < b, 0 when equal,
 * positive when a > b. Missing parts count as 0. Written by hand because the library only
 * needs this one comparison and `semver` rejects two-part versions such as "1.35".
 */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string) => v.replace(/^v/, '').split('.').map((p) => parseInt(p, 10) || 0);
  const pa = parse(a);
  const pb = parse(b);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const diff = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}
