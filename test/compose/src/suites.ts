import { afterAll, describe, it } from 'vitest';
import { flowScenarios } from './flow-scenarios.ts';
import { discoveryScenarios, type Deployment, type ScenarioSource } from './scenarios.ts';

/** The scenarios every profile runs, in this order. */
export const SCENARIO_SOURCES: ScenarioSource[] = [discoveryScenarios, flowScenarios];

/**
 * Declares the scenarios of every source as tests, inside the caller's
 * describe block. `deployment` answers once the caller's beforeAll has
 * started it; a scenario that runs without one fails and says so.
 */
export function describeScenarios(profile: string, deployment: () => Deployment | undefined): void {
  for (const source of SCENARIO_SOURCES) {
    const suite = source();
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
}
