import { afterAll, beforeAll, describe, it } from 'vitest';
import { DOCKER_ENDPOINTS, hostsOf } from '../src/endpoints.ts';
import { createGatewayFetch, type GatewayFetch } from '../src/gateway-fetch.ts';
import { detectContainerRuntime, SKIP_MESSAGE } from '../src/runtime.ts';
import { discoveryScenarios, type Scenario, type ScenarioSource } from '../src/scenarios.ts';
import { startStack, type Profile, type RunningStack } from '../src/stack.ts';

/**
 * The Docker profiles, end to end through Kong: `open` wherever a container
 * runtime exists, `curity` when LICENSE_FILE_PATH names a Curity license too.
 * Without a runtime the suites are skipped and say so.
 */

const runtime = await detectContainerRuntime();
if (!runtime.available) console.warn(`${SKIP_MESSAGE} (${runtime.reason})`);
const licenseFile = process.env.LICENSE_FILE_PATH || undefined;

// The hook: add the shared scenario module of test/e2e here once it exists,
// e.g. [discoveryScenarios, fullFlowScenarios]. Each source gets the Docker
// endpoints and returns scenarios that take a fetch.
const SCENARIO_SOURCES: ScenarioSource[] = [discoveryScenarios];
const scenarios: Scenario[] = SCENARIO_SOURCES.flatMap((source) => source(DOCKER_ENDPOINTS));

// Building the images and starting Curity take minutes on a cold machine.
const START_TIMEOUT_MS = 15 * 60_000;

function profileSuite(profile: Profile, enabled: boolean, why: string): void {
  describe.skipIf(!enabled)(enabled ? `Docker profile ${profile}` : `${SKIP_MESSAGE}: profile ${profile} (${why})`, () => {
    let stack: RunningStack | undefined;
    let client: GatewayFetch | undefined;

    beforeAll(async () => {
      stack = await startStack(profile, { licenseFile });
      client = createGatewayFetch({ hosts: hostsOf(DOCKER_ENDPOINTS), address: stack.gateway.address, port: stack.gateway.port, ca: stack.ca });
    }, START_TIMEOUT_MS);

    afterAll(async () => {
      await client?.close();
      await stack?.stop();
    }, START_TIMEOUT_MS);

    for (const scenario of scenarios) {
      it(scenario.name, async () => {
        if (!client) throw new Error(`the ${profile} profile did not start`);
        await scenario.run(client.fetch);
      });
    }
  });
}

profileSuite('open', runtime.available, runtime.available ? '' : runtime.reason);
profileSuite(
  'curity',
  runtime.available && licenseFile !== undefined,
  runtime.available ? 'LICENSE_FILE_PATH is not set' : runtime.reason,
);
