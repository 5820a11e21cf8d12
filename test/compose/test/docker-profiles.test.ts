import { afterAll, beforeAll, describe } from 'vitest';
import { DOCKER_ENDPOINTS, hostsOf } from '../src/endpoints.ts';
import { createGatewayFetch, type GatewayFetch } from '../src/gateway-fetch.ts';
import { detectContainerRuntime, SKIP_MESSAGE } from '../src/runtime.ts';
import { startStack, type Profile, type RunningStack } from '../src/stack.ts';
import { describeScenarios } from '../../e2e/scenarios/index.ts';

/**
 * The Docker profiles, end to end through Kong: `open` wherever a container
 * runtime exists, `curity` when LICENSE_FILE_PATH names a Curity license too.
 * The scenarios are test/e2e's, which also run against the local profile. Without a runtime the suites are skipped and their names say why.
 */

const runtime = await detectContainerRuntime();
if (!runtime.available) console.warn(`${SKIP_MESSAGE} (${runtime.reason})`);
const licenseFile = process.env.LICENSE_FILE_PATH || undefined;

// Building the images and starting Curity take minutes on a cold machine.
const START_TIMEOUT_MS = 15 * 60_000;

function profileSuite(profile: Profile, enabled: boolean, why: string): void {
  describe.skipIf(!enabled)(enabled ? `Docker profile ${profile}` : `${SKIP_MESSAGE}: profile ${profile} (${why})`, () => {
    let stack: RunningStack | undefined;
    let client: GatewayFetch | undefined;
    let uninstall: (() => void) | undefined;

    beforeAll(async () => {
      stack = await startStack(profile, { licenseFile });
      client = createGatewayFetch({ hosts: hostsOf(DOCKER_ENDPOINTS), address: stack.gateway.address, port: stack.gateway.port, ca: stack.ca });
      // The sign-in helpers and the MCP SDK client use the global fetch.
      uninstall = client.installGlobally();
    }, START_TIMEOUT_MS);

    afterAll(async () => {
      uninstall?.();
      await client?.close();
      await stack?.stop();
    }, START_TIMEOUT_MS);

    describeScenarios(profile, () => (client ? { endpoints: DOCKER_ENDPOINTS, fetch: client.fetch } : undefined));
  });
}

profileSuite('open', runtime.available, runtime.available ? '' : runtime.reason);
profileSuite(
  'curity',
  runtime.available && licenseFile !== undefined,
  runtime.available ? 'LICENSE_FILE_PATH is not set' : runtime.reason,
);
