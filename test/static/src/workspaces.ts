import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './repo.ts';

export interface PackageJson {
  name: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  workspaces?: string[];
}

export function readPackageJson(dir: string): PackageJson {
  return JSON.parse(readFileSync(join(REPO_ROOT, dir, 'package.json'), 'utf8')) as PackageJson;
}

/** Workspace package name -> folder (relative to the root), from the root's workspaces list. */
export function workspaceFolders(): Map<string, string> {
  const folders = new Map<string, string>();
  for (const entry of readPackageJson('.').workspaces ?? []) {
    const candidates = entry.endsWith('/*')
      ? readdirSync(join(REPO_ROOT, entry.slice(0, -2)), { withFileTypes: true })
          .filter((item) => item.isDirectory())
          .map((item) => `${entry.slice(0, -2)}/${item.name}`)
      : [entry];
    for (const folder of candidates) {
      if (existsSync(join(REPO_ROOT, folder, 'package.json'))) folders.set(readPackageJson(folder).name, folder);
    }
  }
  return folders;
}

/**
 * The workspace folders a workspace needs at run time: the workspaces among
 * its production dependencies, and theirs, recursively.
 */
export function runtimeWorkspaceDependencies(folder: string, folders = workspaceFolders()): string[] {
  const found = new Set<string>();
  const visit = (current: string) => {
    for (const name of Object.keys(readPackageJson(current).dependencies ?? {})) {
      const dependency = folders.get(name);
      if (dependency && !found.has(dependency)) {
        found.add(dependency);
        visit(dependency);
      }
    }
  };
  visit(folder);
  return [...found].sort();
}
