import { z } from 'zod';
import { accessTokenVariables } from '@mcp-demo/access-token';
import { env, loadConfig } from '@mcp-demo/service-kit';

export const SERVICE_NAME = 'utility-mcp-server';

export const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post'] as const;
export type ClientAuthMethod = (typeof CLIENT_AUTH_METHODS)[number];

/** A Host header name as the SDK's host validation compares it: no port, IPv6 in brackets. */
const hostname = z
  .string()
  .regex(/^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])$/, {
    message: 'must be a host name without a port (IPv6 in brackets)',
  })
  .transform((value) => value.toLowerCase());

/** Browsers send the serialised origin, so configured values are serialised the same way. */
const origin = z.url({ protocol: /^https?$/, error: 'must be an origin such as https://www.client.example' }).transform((value) => new URL(value).origin);

/**
 * The browser-based MCP client the deployment configures (the MCP Inspector,
 * allowed by the gateway's CORS rules in kong/kong.yml too). The server's own
 * origin is always allowed on top of the list.
 */
export const DEFAULT_ALLOWED_ORIGINS = ['http://localhost:6274'];

/** Every environment variable of the MCP server, checked at start. */
export const settingsSchema = z.object({
  PORT: env.port(3000),
  HOST: env.text('127.0.0.1'),
  /** The URL clients use, without a trailing slash (see resourceOf). */
  EXTERNAL_BASE_URL: env.baseUrl(),
  RESOURCE_NAME: env.text('MCP Server'),
  ...accessTokenVariables({ audience: 'https://mcp.demo.example/' }),
  AUTHORIZATION_SERVER: env.optionalUrl(),
  TOKEN_ENDPOINT: env.url(),
  CLIENT_ID: env.text('mcp-server'),
  CLIENT_SECRET: env.secret(),
  CLIENT_AUTH_METHOD: env.oneOf(CLIENT_AUTH_METHODS, 'client_secret_basic'),
  API_AUDIENCE: env.text('https://api.demo.example'),
  STOCKS_API_URL: env.baseUrl(),
  UPSTREAM_TIMEOUT_MS: env.integer(5_000, { min: 100, max: 120_000 }),
  EXCHANGE_CACHE_MAX_ENTRIES: env.integer(10_000),
  EXCHANGE_EXPIRY_MARGIN_SECONDS: env.seconds(30),
  ALLOWED_HOSTS: env.list().pipe(z.array(hostname)),
  ALLOWED_ORIGINS: env.list(DEFAULT_ALLOWED_ORIGINS).pipe(z.array(origin)),
  LOG_LEVEL: env.logLevel(),
});

export type Settings = z.output<typeof settingsSchema>;

/** Reads the settings from environment variables; throws a ConfigurationError naming every bad variable. */
export function loadSettings(source: Record<string, string | undefined> = process.env): Settings {
  return loadConfig(SERVICE_NAME, settingsSchema, source);
}

/** The MCP endpoint as clients name it; RFC 9728 resource identifiers keep the trailing slash. */
export function resourceOf(settings: Pick<Settings, 'EXTERNAL_BASE_URL'>): string {
  return `${settings.EXTERNAL_BASE_URL}/`;
}

/** The authorization server advertised in the metadata: the issuer unless set apart. */
export function authorizationServerOf(settings: Pick<Settings, 'AUTHORIZATION_SERVER' | 'ISSUER'>): string {
  return settings.AUTHORIZATION_SERVER ?? settings.ISSUER;
}

/** Origins a browser may call POST / from: the server's own, then ALLOWED_ORIGINS. */
export function allowedOriginsOf(settings: Pick<Settings, 'EXTERNAL_BASE_URL' | 'ALLOWED_ORIGINS'>): string[] {
  return [...new Set([new URL(settings.EXTERNAL_BASE_URL).origin, ...settings.ALLOWED_ORIGINS])];
}
