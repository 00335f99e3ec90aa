import * as fs from 'fs';
import * as path from 'path';

/**
 * Upstream schemas live in `../shared/reference` beside the repository (or where
 * `REFERENCE_DIR` points). They are read, never copied into the repo. When the folder is
 * missing, schema checks are skipped with a warning, except in CI, where they must run.
 */
export const REFERENCE_DIR = process.env.REFERENCE_DIR
  ?? path.resolve(__dirname, '..', '..', '..', 'shared', 'reference');

export function referencePath(...parts: string[]): string | undefined {
  const file = path.join(REFERENCE_DIR, ...parts);
  if (fs.existsSync(file)) return file;
  if (process.env.CI === 'true') {
    throw new Error(`upstream reference file ${file} is missing: CI needs ../shared/reference beside the repository (or REFERENCE_DIR).`);
  }
  return undefined;
}
