import { resolve } from 'node:path';

/** The repository root, whatever the directory the tests run from. */
export const REPO_ROOT = resolve(import.meta.dirname, '..', '..', '..');

/** A path inside the repository. */
export function repoPath(...parts: string[]): string {
  return resolve(REPO_ROOT, ...parts);
}
