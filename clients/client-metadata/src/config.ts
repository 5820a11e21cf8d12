import { resolve } from 'node:path';
import { z } from 'zod';
import { env, loadConfig } from '@mcp-demo/service-kit';

export const SERVICE_NAME = 'client-metadata';

export const settingsSchema = z.object({
  PORT: env.port(3002),
  HOST: env.text('127.0.0.1'),
  /**
   * The public origin (and optional path prefix) the documents are reached at,
   * e.g. https://www.client.example or, locally, http://127.0.0.1:3104. Each
   * document's client_id is this plus its path, so it must be what
   * authorization servers fetch, not the internal address.
   */
  PUBLIC_BASE_URL: env.baseUrl(),
  /** The document templates; the default is the file shipped with the service. */
  DOCUMENTS_FILE: env.text(resolve(import.meta.dirname, '..', 'data', 'client-metadata.json')),
  /** How long clients and authorization servers may cache a document. */
  CACHE_MAX_AGE_SECONDS: env.seconds(300),
  LOG_LEVEL: env.logLevel(),
});

export type Settings = z.output<typeof settingsSchema>;

export function loadSettings(source: Record<string, string | undefined> = process.env): Settings {
  return loadConfig(SERVICE_NAME, settingsSchema, source);
}
