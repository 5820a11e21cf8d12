import { afterAll, describe, it } from 'vitest';
import { CLIENT_ERAS } from '../support/mcp-session.ts';
import type { Deployment, ScenarioSource } from './deployment.ts';
import { discoveryScenarios } from './discovery.ts';
import { flowScenarios } from './sign-in-and-tools.ts';

export type { ClientEra, Deployment, ExternalEndpoints, Fetch, FetchInit, FetchResponse } from './deployment.ts';
export { challengeParameters } from './discovery.ts';

/**
 * The end-to-end scenarios, written once: test/e2e runs them against the
 * local profile, test/compose against the Docker profiles.
 */
export const SCENARIO_SOURCES: ScenarioSource[] = [discoveryScenarios, flowScenarios];

/**
 * Declares the scenarios of every source as tests, inside the caller's
 * describe block, once per client era: with a client speaking MCP
 * 2026-07-28 (SDK v2) and with one speaking 2025-11-25 (SDK v1).
 * `deployment` answers once the caller's beforeAll has started it; a
 * scenario that runs without one fails and says so.
 */
export function describeScenarios(profile: string, deployment: () => Deployment | undefined): void {
  for (const era of CLIENT_ERAS) {
    describe(`MCP ${era} client`, () => {
      for (const source of SCENARIO_SOURCES) {
        const suite = source(era);
        describe(suite.name, () => {
          afterAll(() => suite.close());
          for (const scenario of suite.scenarios) {
            it(scenario.name, async () => {
              const target = deployment();
              if (!target) throw new Error(`the ${profile} profile did not start`);
              await scenario.run(target);
            });
          }
        });
      }
    });
  }
}
