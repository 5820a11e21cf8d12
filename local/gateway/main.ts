import { readFileSync } from 'node:fs';
import { createLogger, runMain, shutdownOnSignals } from '@mcp-demo/service-kit';
import { describeTopology, loadSettings as loadLocalSettings } from '../topology/index.ts';
import { startGateway, type GatewayMapping } from './index.ts';
import { loadSettings } from './settings.ts';

/**
 * Runs the gateway alone: `npm run gateway -w @mcp-demo/local`. Without a
 * mapping file it uses the local profile's standard ports.
 */

/** Without a mapping file: the local profile's documented ports, as the launcher uses them. */
function standardMapping(kongConfigPath: string): GatewayMapping {
  return describeTopology(loadLocalSettings({}), [], { kongConfigPath }).gateway;
}

function readMapping(file: string): GatewayMapping {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as GatewayMapping;
  } catch (error) {
    throw new Error(`GATEWAY_MAPPING_FILE: cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

runMain('gateway', async () => {
  const settings = loadSettings();
  const logger = createLogger('gateway', settings.LOG_LEVEL);
  const mapping = settings.GATEWAY_MAPPING_FILE ? readMapping(settings.GATEWAY_MAPPING_FILE) : standardMapping(settings.KONG_CONFIG);
  const gateway = await startGateway({
    ...mapping,
    kongConfigPath: settings.KONG_CONFIG,
    env: { ...process.env, GATEWAY_CLIENT_SECRET: settings.GATEWAY_CLIENT_SECRET },
    bodyLimitBytes: settings.GATEWAY_BODY_LIMIT_BYTES,
    statusPort: settings.GATEWAY_STATUS_PORT,
    logger,
  });
  // close() already lets open requests finish for its own grace period.
  shutdownOnSignals(gateway, logger);
});
