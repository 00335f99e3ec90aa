import * as fs from 'fs';
import * as path from 'path';

/**
 * Upstream schemas that no maintained npm package ships (Kubernetes 1.34 definitions as cdk8s
 * publishes them, Karpenter v1.14 CRDs, KubeVirt, CDI, CloudFormation registry schemas) live
 * in `../shared/reference` beside the repository (or where `REFERENCE_DIR` points). They are
 * read, never copied into the repository.
 *
 * When a file is missing, a check that needs it throws `ReferenceMissingError`; the test
 * environment (`reference-environment.js`) reports such a test as skipped, with the reason,
 * never as passed. `.ci/run` sets `EKS_WINDOWS_DESKTOPS_REQUIRE_REFERENCE=1`, under which a
 * missing file fails the test instead.
 */
export const REFERENCE_DIR = process.env.REFERENCE_DIR
  ?? path.resolve(__dirname, '..', '..', '..', 'shared', 'reference');

/** Name the test environment recognizes (classes differ across jest's module registries). */
export const REFERENCE_MISSING = 'ReferenceMissingError';

/** A check could not run because an upstream reference file is not on this machine. */
export class ReferenceMissingError extends Error {
  constructor(public readonly files: readonly string[], what: string) {
    super(`skipped: ${what} needs ${files.join(', ')}, which is not on this machine (put ../shared/reference beside the repository or set REFERENCE_DIR)`);
    this.name = REFERENCE_MISSING;
  }
}

function referenceRequired(): boolean {
  return process.env.EKS_WINDOWS_DESKTOPS_REQUIRE_REFERENCE === '1';
}

/** Path of a reference file, or undefined when it is missing (an error where it is required). */
export function referencePath(...parts: string[]): string | undefined {
  const file = path.join(REFERENCE_DIR, ...parts);
  if (fs.existsSync(file)) return file;
  if (referenceRequired()) {
    throw new Error(`upstream reference file ${file} is missing: this run requires ../shared/reference beside the repository (or REFERENCE_DIR).`);
  }
  return undefined;
}

/** Throws `ReferenceMissingError` for a check that needs files that are missing. */
export function referenceMissing(files: readonly string[], what: string): never {
  throw new ReferenceMissingError(files, what);
}

/**
 * Path of a reference file a check cannot run without: throws `ReferenceMissingError` (the test
 * is reported as skipped) when it is missing, or fails where the reference is required.
 */
export function requireReferenceFile(what: string, ...parts: string[]): string {
  return referencePath(...parts) ?? referenceMissing([path.join(REFERENCE_DIR, ...parts)], what);
}
