import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { createLogger, env, loadConfig, runMain, shutdownOnSignals } from '@mcp-demo/service-kit';
import { describeTopology, KONG_CONFIG_PATH, loadSettings as loadLocalSettings } from '../topology/index.ts';
import { DEFAULT_BODY_LIMIT_BYTES, startGateway, type GatewayMapping } from './index.ts';

/**
 * Runs the gateway alone: `npm run gateway -w @mcp-demo/local`. Without a
 * mapping file it uses the local profile's standard ports.
 */

export const settingsSchema = z.object({
  KONG_CONFIG: env.text(KONG_CONFIG_PATH),
  /** JSON file with { virtualHosts, upstreams, publicUrls? }. */
  GATEWAY_MAPPING_FILE: z.preprocess((value) => (value === '' ? undefined : value), z.string().optional()),
  /** Demo value: kong.yml reads it through {vault://env/gateway_client_secret}. */
  GATEWAY_CLIENT_SECRET: z.preprocess((value) => (value === '' ? undefined : value), z.string().default('Password1')),
  GATEWAY_BODY_LIMIT_BYTES: env.integer(DEFAULT_BODY_LIMIT_BYTES, { min: 1 }),
  /** Unset: no status listener. */
  GATEWAY_STATUS_PORT: z.preprocess((value) => (value === '' ? undefined : value), env.port(0).optional()),
  LOG_LEVEL: env.logLevel(),
});

export type Settings = z.output<typeof settingsSchema>;

export function loadSettings(source: Record<string, string | undefined> = process.env): Settings {
  return loadConfig('gateway', settingsSchema, source);
}

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
