import { z } from 'zod';
import { env, loadConfig } from '@mcp-demo/service-kit';
import { DEMO_CLIENT_SECRET, KONG_CONFIG_PATH } from '../topology/index.ts';
import { DEFAULT_BODY_LIMIT_BYTES } from './index.ts';

/** The gateway's settings when it runs alone (`npm run gateway -w @mcp-demo/local`). */

export const settingsSchema = z.object({
  KONG_CONFIG: env.text(KONG_CONFIG_PATH),
  /** JSON file with { virtualHosts, upstreams, publicUrls? }. */
  GATEWAY_MAPPING_FILE: env.optionalText(),
  /** Demo value: kong.yml reads it through {vault://env/gateway_client_secret}. */
  GATEWAY_CLIENT_SECRET: env.demoSecret(DEMO_CLIENT_SECRET),
  GATEWAY_BODY_LIMIT_BYTES: env.integer(DEFAULT_BODY_LIMIT_BYTES, { min: 1 }),
  /** Unset: no status listener. */
  GATEWAY_STATUS_PORT: env.optionalPort(),
  LOG_LEVEL: env.logLevel(),
});

export type Settings = z.output<typeof settingsSchema>;

export function loadSettings(source: Record<string, string | undefined> = process.env): Settings {
  return loadConfig('gateway', settingsSchema, source);
}

