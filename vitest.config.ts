import { existsSync, readFileSync } from 'node:fs';
import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';

// Every component folder is its own project, named after its package, so
// `vitest run --project <name>` runs one component; the root run covers them
// all. A folder with its own vitest.config.ts configures itself; the others
// inherit the settings below. Folders without a package are left out.
const components = [
  'packages/access-token',
  'packages/service-kit',
  'packages/testing',
  'stocks-api',
  'utility-mcp-server',
  'authorization-server',
  'idsvr-config',
  'local',
  'clients/console-client',
  'clients/client-metadata',
  'test/static',
  'test/e2e',
  'test/browser',
  'test/compose',
  'test/nginx-gateway',
  'test/conformance',
  'test/scale',
  'bench',
];

function project(folder: string): string | TestProjectInlineConfiguration | undefined {
  if (existsSync(`${folder}/vitest.config.ts`)) return folder;
  if (!existsSync(`${folder}/package.json`)) return undefined;
  const { name } = JSON.parse(readFileSync(`${folder}/package.json`, 'utf8')) as { name: string };
  return { extends: true, test: { name, root: folder } };
}

export default defineConfig({
  test: {
    projects: components.map(project).filter((entry) => entry !== undefined),
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
