import { afterAll, beforeAll, describe } from 'vitest';
import { startStack, type Stack } from '../../e2e/support/stack.ts';
import { describeScenarios } from '../src/suites.ts';

/**
 * The scenarios of the Docker suites against the local profile, which every
 * machine can start: the same module, the same assertions, endpoints from
 * the launcher. This is what shows, on machines without Docker, that the
 * scenarios the Docker profiles run do pass against a working deployment.
 */

describe('local profile', () => {
  let stack: Stack | undefined;

  beforeAll(async () => {
    stack = await startStack();
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  describeScenarios('local', () => (stack ? { endpoints: stack.endpoints.external, fetch } : undefined));
});
