import { defineProject } from 'vitest/config';

// Each file starts the whole local profile and a headless Chromium; one file
// at a time keeps a two-core machine responsive. A sign-in takes a few
// seconds of real browser work, hence the generous timeouts.
export default defineProject({
  test: {
    name: 'browser',
    fileParallelism: false,
    testTimeout: 90_000,
    hookTimeout: 120_000,
  },
});
