import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { createLogger, env, errorFields, loadConfig, runMain } from '@mcp-demo/service-kit';
import { describeTopology, launcherSchema } from '../launcher/topology.ts';
import { DEFAULT_BODY_LIMIT_BYTES, startGateway, type GatewayMapping } from './index.ts';

/**
 * Runs the gateway alone: `npm run gateway -w @mcp-demo/local`. Without a
 * mapping file it uses the local profile's standard ports.
 */

const REPO_ROOT = resolve(import.meta.dirname, '..', '..');

const settingsSchema = z.object({
  KONG_CONFIG: z.string().min(1).default(resolve(REPO_ROOT, 'kong/kong.yml')),
  /** JSON file with { virtualHosts, upstreams, publicUrls? }. */
  GATEWAY_MAPPING_FILE: z.string().min(1).optional(),
  /** Demo value: kong.yml reads it through {vault://env/gateway_client_secret}. */
  GATEWAY_CLIENT_SECRET: z.string().min(1).default('Password1'),
  GATEWAY_BODY_LIMIT_BYTES: z.coerce.number().int().positive().default(DEFAULT_BODY_LIMIT_BYTES),
  GATEWAY_STATUS_PORT: env.port(0).optional(),
  LOG_LEVEL: env.logLevel(),
});

/** Without a mapping file: the local profile's documented ports, as the launcher uses them. */
function standardMapping(): GatewayMapping {
  return describeTopology(loadConfig('launcher', launcherSchema, {}), []).gateway;
}

function readMapping(file: string): GatewayMapping {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as GatewayMapping;
  } catch (error) {
    throw new Error(`GATEWAY_MAPPING_FILE: cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

runMain('gateway', async () => {
  const settings = loadConfig('gateway', settingsSchema);
  const logger = createLogger('gateway', settings.LOG_LEVEL);
  const mapping = settings.GATEWAY_MAPPING_FILE ? readMapping(settings.GATEWAY_MAPPING_FILE) : standardMapping();
  const gateway = await startGateway({
    ...mapping,
    kongConfigPath: settings.KONG_CONFIG,
    env: { ...process.env, GATEWAY_CLIENT_SECRET: settings.GATEWAY_CLIENT_SECRET },
    bodyLimitBytes: settings.GATEWAY_BODY_LIMIT_BYTES,
    statusPort: settings.GATEWAY_STATUS_PORT,
    logger,
  });

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    gateway.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error(errorFields(error), 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
});
