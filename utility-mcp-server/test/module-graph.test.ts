import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SOURCES = resolve(import.meta.dirname, '../src');

function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(folder, entry.name)) : entry.name.endsWith('.ts') ? [join(folder, entry.name)] : [],
  );
}

/** The relative imports of a module (type-only ones included: a cycle of types is still a cycle to read). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'(\.{1,2}\/[^']+)'/gm)].map((match) => resolve(dirname(file), match[1] ?? ''));
}

/** The import cycles among the modules (one per edge that closes a cycle), as paths relative to src/. */
function cycles(): string[][] {
  const graph = new Map(sourceFiles(SOURCES).map((file) => [file, importsOf(file)]));
  const found: string[][] = [];
  const finished = new Set<string>();
  const visit = (file: string, path: string[]) => {
    for (const next of graph.get(file) ?? []) {
      const start = path.indexOf(next);
      if (start !== -1) found.push([...path.slice(start), next].map((step) => relative(SOURCES, step)));
      else if (graph.has(next) && !finished.has(next)) visit(next, [...path, next]);
    }
    finished.add(file);
  };
  for (const file of graph.keys()) if (!finished.has(file)) visit(file, [file]);
  return found;
}

describe('module graph of the MCP server', () => {
  it('finds the modules and their imports', () => {
    expect(importsOf(join(SOURCES, 'main.ts')).map((file) => relative(SOURCES, file))).toContain('config.ts');
  });

  it('has no import cycle (config reads the environment and imports nothing of the server)', () => {
    expect(cycles()).toEqual([]);
  });
});
