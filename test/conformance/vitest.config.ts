import { defineProject } from 'vitest/config';

// Each scenario starts the suite's CLI as a child process and runs for a few seconds.
export default defineProject({
  test: {
    name: '@mcp-demo/test-conformance',
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
