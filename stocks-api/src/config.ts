import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { accessTokenVariables } from '@mcp-demo/access-token';
import { env, loadConfig } from '@mcp-demo/service-kit';

export const SERVICE_NAME = 'stocks-api';

export const BUNDLED_STOCKS_FILE = fileURLToPath(new URL('../data/stocks.json', import.meta.url));

export const settingsSchema = z.object({
  PORT: env.port(3001),
  HOST: env.text('127.0.0.1'),
  ...accessTokenVariables({ audience: 'https://api.demo.example' }),
  STOCKS_DATA_FILE: env.text(BUNDLED_STOCKS_FILE),
  LOG_LEVEL: env.logLevel(),
});

export type Settings = z.output<typeof settingsSchema>;

export function loadSettings(source: Record<string, string | undefined> = process.env): Settings {
  return loadConfig(SERVICE_NAME, settingsSchema, source);
}
