import { existsSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

// Every component folder is its own project, so `vitest run --project <name>`
// runs one of them; the root run covers them all. Folders that hold no
// TypeScript package (yet) are left out rather than failing the run.
const components = [
  'packages/access-token',
  'packages/service-kit',
  'stocks-api',
  'utility-mcp-server',
  'authorization-server',
  'idsvr-config',
  'local',
  'clients/console-client',
  'clients/client-metadata',
  'test/e2e',
  'test/browser',
  'test/compose',
  'test/static',
];

export default defineConfig({
  test: {
    projects: components.filter((folder) => existsSync(`${folder}/package.json`) || existsSync(`${folder}/vitest.config.ts`)),
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
