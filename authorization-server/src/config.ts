import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { z } from 'zod';
import { env, loadConfig } from '@mcp-demo/service-kit';

export const SERVICE_NAME = 'authorization-server';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const repositoryDir = resolve(packageDir, '..');

/** Comma separated absolute URLs (audiences are compared as URLs, so they must parse). */
const urlList = (fallback: string[]) =>
  env.list(fallback).pipe(z.array(z.url({ protocol: /^https?$/ })).min(1, 'must hold at least one URL'));

/**
 * Every setting of the authorization server, read from environment
 * variables. Secrets have no defaults: the demo value `Password1` lives in
 * `.env.example` and in the local launcher only.
 */
export const settingsSchema = z
  .object({
    NODE_ENV: env.text('development'),
    PORT: env.port(8443),
    HOST: env.text('127.0.0.1'),
    /** Public origin of the server as browsers and clients see it, e.g. https://login.demo.example. */
    PUBLIC_BASE_URL: env.baseUrl(),
    /** The SQLite store and, for it, nothing else: keys live in the store (older files here are imported once). */
    DATA_DIR: env.text(resolve(packageDir, '.data')),
    /**
     * PostgreSQL connection URL (postgresql://user:password@host:5432/database).
     * Set it to run several nodes on one database; unset, the embedded SQLite
     * store in DATA_DIR serves one node.
     */
    DATABASE_URL: env.optionalPostgresUrl(),
    USERS_FILE: env.text(resolve(repositoryDir, 'data/users.json')),
    CLIENTS_FILE: env.text(resolve(packageDir, 'config/clients.json')),
    GATEWAY_CLIENT_SECRET: env.secret(),
    MCP_SERVER_CLIENT_SECRET: env.secret(),
    MCP_AUDIENCES: urlList(['https://mcp.demo.example/']),
    API_AUDIENCE: env.optionalUrl().transform((value) => value ?? 'https://api.demo.example'),
    SMTP_HOST: env.text('127.0.0.1'),
    SMTP_PORT: env.port(1025),
    MAIL_FROM: env.text('Demo Login <no-reply@login.demo.example>'),
    OTP_TTL_SECONDS: env.integer(300, { min: 1, max: 3600 }),
    /**
     * Comma separated cookie signing keys, newest first, the same on every node.
     * Required in production; elsewhere the first node generates a pair into the store.
     */
    COOKIE_KEYS: env.list([]).pipe(z.array(z.string().min(32, 'each key must be at least 32 characters'))),
    CLIENT_METADATA_ALLOW_HTTP_LOOPBACK: env.boolean(false),
    /**
     * Origins (scheme://host[:port]) whose client ID metadata documents may be
     * fetched although they resolve to a loopback or private address: the
     * deployment's own metadata host. Every other private address is refused.
     */
    CLIENT_METADATA_PRIVATE_ORIGINS: env.list([]).pipe(z.array(z.url({ protocol: /^https?$/ }).transform((value) => new URL(value).origin))),
    /** Bounds of a fetched document's cache lifetime; within them its Cache-Control max-age decides. */
    CLIENT_METADATA_MIN_CACHE_SECONDS: env.seconds(10, 3600),
    CLIENT_METADATA_MAX_CACHE_SECONDS: env.seconds(300, 86_400),
    CLIENT_METADATA_CACHE_ENTRIES: env.integer(500, { min: 0, max: 100_000 }),

    // One-time code guessing and mailing limits (see interactions/one-time-passwords.ts).
    /** Wrong codes per address (across codes and sign-ins) per window; then no code is taken until the window ends. */
    OTP_MAX_FAILURES: env.integer(10, { min: 1, max: 1000 }),
    OTP_FAILURE_WINDOW_SECONDS: env.integer(21_600, { min: 1, max: 7 * 86_400 }),
    /** Wrong codes per address before each further guess must wait, twice as long each time. */
    OTP_FREE_FAILURES: env.integer(3, { min: 0, max: 1000 }),
    OTP_FAILURE_DELAY_SECONDS: env.seconds(2, 3600),
    OTP_MAX_FAILURE_DELAY_SECONDS: env.seconds(300, 86_400),
    /** Codes mailed per address (a successful sign-in resets it) and per sign-in request, per window. */
    OTP_MAX_CODES_PER_ADDRESS: env.integer(10, { min: 1, max: 1000 }),
    OTP_MAX_CODES_PER_INTERACTION: env.integer(3, { min: 1, max: 1000 }),
    OTP_CODE_WINDOW_SECONDS: env.integer(3600, { min: 1, max: 7 * 86_400 }),

    // Open dynamic client registration (RFC 7591): bounds of what one request may store.
    REGISTRATION_MAX_BODY_BYTES: env.integer(8192, { min: 1024, max: 1_048_576 }),
    REGISTRATION_MAX_CLIENT_NAME_LENGTH: env.integer(100, { min: 1, max: 10_000 }),
    /** Items of redirect_uris and of any other list in the metadata. */
    REGISTRATION_MAX_LIST_ITEMS: env.integer(10, { min: 1, max: 1000 }),
    /** Length of each URI (redirect_uris, client_uri, logo_uri, …) and of any other string value. */
    REGISTRATION_MAX_VALUE_LENGTH: env.integer(2000, { min: 64, max: 100_000 }),
    /** A registration never used for a sign-in is removed after this; one that was used is kept. */
    UNUSED_REGISTRATION_TTL_SECONDS: env.integer(86_400, { min: 60, max: 365 * 86_400 }),
    LOG_LEVEL: env.logLevel(),
  })
  .superRefine((value, context) => {
    if (value.NODE_ENV === 'production' && value.COOKIE_KEYS.length === 0) {
      context.addIssue({
        code: 'custom',
        path: ['COOKIE_KEYS'],
        message: 'is required when NODE_ENV=production (comma separated keys of at least 32 characters)',
      });
    }
    if (value.CLIENT_METADATA_MIN_CACHE_SECONDS > value.CLIENT_METADATA_MAX_CACHE_SECONDS) {
      context.addIssue({ code: 'custom', path: ['CLIENT_METADATA_MIN_CACHE_SECONDS'], message: 'must not exceed CLIENT_METADATA_MAX_CACHE_SECONDS' });
    }
  });

export type Settings = z.output<typeof settingsSchema>;

export function loadSettings(source: Record<string, string | undefined> = process.env): Settings {
  return loadConfig(SERVICE_NAME, settingsSchema, source);
}

/** The issuer identifier: Curity's default anonymous token service path under the public origin. */
export function issuerOf(settings: Pick<Settings, 'PUBLIC_BASE_URL'>): string {
  return `${settings.PUBLIC_BASE_URL}/oauth/v2/oauth-anonymous`;
}
