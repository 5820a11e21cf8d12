import { defineProject } from 'vitest/config';

// Each file starts its own stack of processes on free ports; running them one
// at a time keeps a two-core machine responsive and the timings readable.
export default defineProject({
  test: {
    name: 'e2e',
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
