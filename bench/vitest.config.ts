import { defineProject } from 'vitest/config';

// The benchmark's own checks: that wrk's results are read correctly and that
// a short run of the whole benchmark prints its tables. No figure is judged.
export default defineProject({
  test: {
    name: 'bench',
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
