import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { z } from 'zod';
import { env, loadConfig } from '@mcp-demo/service-kit';

export const SERVICE_NAME = 'authorization-server';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const repositoryDir = resolve(packageDir, '..');

/** A non-empty secret; its absence is a configuration error, never a silent default. */
const secret = () => z.string().min(1, 'must not be empty');

/** Comma separated absolute URLs (audiences are compared as URLs, so they must parse). */
const urlList = (fallback: string[]) =>
  env.list(fallback).pipe(z.array(z.url({ protocol: /^https?$/ })).min(1, 'must hold at least one URL'));

/**
 * Every setting of the authorization server, read from environment
 * variables. Secrets have no defaults: the demo value `Password1` lives in
 * `.env.example` and in the local launcher only.
 */
export const configSchema = z
  .object({
    NODE_ENV: z.string().default('development'),
    PORT: env.port(8443),
    HOST: z.string().min(1).default('127.0.0.1'),
    /** Public origin of the server as browsers and clients see it, e.g. https://login.demo.example. */
    PUBLIC_BASE_URL: env.baseUrl(),
    DATA_DIR: z.string().min(1).default(resolve(packageDir, '.data')),
    USERS_FILE: z.string().min(1).default(resolve(repositoryDir, 'data/users.json')),
    CLIENTS_FILE: z.string().min(1).default(resolve(packageDir, 'config/clients.json')),
    GATEWAY_CLIENT_SECRET: secret(),
    MCP_SERVER_CLIENT_SECRET: secret(),
    MCP_AUDIENCES: urlList(['https://mcp.demo.example/']),
    API_AUDIENCE: env.url().default('https://api.demo.example'),
    SMTP_HOST: z.string().min(1).default('127.0.0.1'),
    SMTP_PORT: env.port(1025),
    MAIL_FROM: z.string().min(3).default('Demo Login <no-reply@login.demo.example>'),
    OTP_TTL_SECONDS: z.coerce.number().int().min(1).max(3600).default(300),
    /** Comma separated cookie signing keys, newest first. Required in production. */
    COOKIE_KEYS: env.list([]).pipe(z.array(z.string().min(32, 'each key must be at least 32 characters'))),
    CLIENT_METADATA_ALLOW_HTTP_LOOPBACK: env.boolean(false),
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
  });

export type Config = z.output<typeof configSchema>;

export function loadSettings(environment: Record<string, string | undefined> = process.env): Config {
  return loadConfig(SERVICE_NAME, configSchema, environment);
}

/** The issuer identifier: Curity's default anonymous token service path under the public origin. */
export function issuerOf(config: Pick<Config, 'PUBLIC_BASE_URL'>): string {
  return `${config.PUBLIC_BASE_URL}/oauth/v2/oauth-anonymous`;
}
