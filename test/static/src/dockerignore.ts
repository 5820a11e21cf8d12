import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * .dockerignore matching as Docker does it: patterns relative to the context
 * root, `*` and `?` within one path segment, `**` across segments, a pattern
 * that matches a directory excludes everything under it, `!` re-includes, and
 * the last matching pattern wins.
 */

interface Rule {
  exclude: boolean;
  pattern: RegExp;
}

function toRegExp(pattern: string): RegExp {
  let source = '';
  for (let index = 0; index < pattern.length; index += 1) {
    const char = pattern[index] as string;
    if (char === '*' && pattern[index + 1] === '*') {
      // "**/" matches zero or more directories; a trailing "**" anything.
      if (pattern[index + 2] === '/') {
        source += '(?:.*/)?';
        index += 2;
      } else {
        source += '.*';
        index += 1;
      }
    } else if (char === '*') {
      source += '[^/]*';
    } else if (char === '?') {
      source += '[^/]';
    } else {
      source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  // A match on a directory covers what is inside it.
  return new RegExp(`^${source}(?:/.*)?$`);
}

export function parseDockerignore(text: string): Rule[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const exclude = !line.startsWith('!');
      const pattern = (exclude ? line : line.slice(1)).replace(/^\/+/, '').replace(/\/+$/, '');
      return { exclude, pattern: toRegExp(pattern) };
    });
}

export function readDockerignore(contextDir: string): Rule[] {
  const file = join(contextDir, '.dockerignore');
  return existsSync(file) ? parseDockerignore(readFileSync(file, 'utf8')) : [];
}

/** True when the path (relative to the context root, "/" separated) is left out of the build context. */
export function isIgnored(path: string, rules: readonly Rule[]): boolean {
  const normalised = path.replace(/^\.\//, '').replace(/\/+$/, '');
  let ignored = false;
  for (const rule of rules) {
    if (rule.pattern.test(normalised)) ignored = rule.exclude;
  }
  return ignored;
}
