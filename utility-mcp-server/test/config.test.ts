import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseEnv } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '@mcp-demo/service-kit';
import { accessTokenPolicyOf } from '@mcp-demo/access-token';
import { allowedOriginsOf, authorizationServerOf, loadSettings, resourceOf } from '../src/config.ts';
import { resourceMetadataUrlOf } from '../src/http/protected-resource-metadata.ts';

const required = {
  EXTERNAL_BASE_URL: 'https://mcp.demo.example/',
  ISSUER: 'https://login.demo.example/oauth/v2/oauth-anonymous',
  JWKS_URI: 'http://idsvr:8443/oauth/v2/oauth-anonymous/jwks',
  TOKEN_ENDPOINT: 'http://idsvr:8443/oauth/v2/oauth-token',
  CLIENT_SECRET: 'Password1',
  STOCKS_API_URL: 'http://stocks-api:3001',
};

function problemsOf(variables: Record<string, string | undefined>): string[] {
  try {
    loadSettings(variables);
  } catch (error) {
    if (error instanceof ConfigurationError) return [...error.problems];
    throw error;
  }
  throw new Error('configuration was accepted');
}

describe('configuration', () => {
  it('applies the documented defaults', () => {
    const settings = loadSettings(required);
    expect(settings).toMatchObject({
      PORT: 3000,
      HOST: '127.0.0.1',
      EXTERNAL_BASE_URL: 'https://mcp.demo.example',
      RESOURCE_NAME: 'MCP Server',
      CLIENT_ID: 'mcp-server',
      CLIENT_SECRET: 'Password1',
      CLIENT_AUTH_METHOD: 'client_secret_basic',
      API_AUDIENCE: 'https://api.demo.example',
      EXCHANGE_CACHE_MAX_ENTRIES: 10_000,
      EXCHANGE_EXPIRY_MARGIN_SECONDS: 30,
      UPSTREAM_TIMEOUT_MS: 5_000,
      ALLOWED_HOSTS: [],
      LOG_LEVEL: 'info',
    });
    expect(resourceOf(settings)).toBe('https://mcp.demo.example/');
    expect(resourceMetadataUrlOf(settings)).toBe('https://mcp.demo.example/.well-known/oauth-protected-resource');
    expect(authorizationServerOf(settings)).toBe(required.ISSUER);
    expect(accessTokenPolicyOf(settings)).toEqual({
      issuer: required.ISSUER,
      audience: 'https://mcp.demo.example/',
      algorithms: ['PS256'],
      requiredScope: 'stocks/read',
      clockToleranceSeconds: 5,
      verifiedTokenCacheEntries: 10_000,
    });
    // The Origin check is on by default: the server's own origin and the MCP Inspector's.
    expect(allowedOriginsOf(settings)).toEqual(['https://mcp.demo.example', 'http://localhost:6274']);
  });

  it('names every missing required variable', () => {
    const problems = problemsOf({});
    for (const name of Object.keys(required)) expect(problems).toContain(`${name}: is required but not set`);
  });

  it('refuses symmetric and unknown algorithms', () => {
    expect(problemsOf({ ...required, ALGORITHMS: 'PS256,HS256' }).join('\n')).toMatch(/^ALGORITHMS/);
    expect(problemsOf({ ...required, ALGORITHMS: 'none' }).join('\n')).toMatch(/^ALGORITHMS/);
    expect(loadSettings({ ...required, ALGORITHMS: 'PS256, ES256' }).ALGORITHMS).toEqual(['PS256', 'ES256']);
  });

  it('refuses an unknown client authentication method and a non-URL endpoint', () => {
    expect(problemsOf({ ...required, CLIENT_AUTH_METHOD: 'private_key_jwt' })[0]).toMatch(/^CLIENT_AUTH_METHOD/);
    expect(problemsOf({ ...required, TOKEN_ENDPOINT: 'idsvr:8443' })[0]).toMatch(/^TOKEN_ENDPOINT/);
  });

  it('normalises the allow-lists and refuses hosts with ports', () => {
    const settings = loadSettings({ ...required, ALLOWED_HOSTS: 'MCP.demo.example, localhost', ALLOWED_ORIGINS: 'http://localhost:6274/, https://www.client.example' });
    expect(settings.ALLOWED_HOSTS).toEqual(['mcp.demo.example', 'localhost']);
    expect(allowedOriginsOf(settings)).toEqual(['https://mcp.demo.example', 'http://localhost:6274', 'https://www.client.example']);
    expect(problemsOf({ ...required, ALLOWED_HOSTS: 'mcp.demo.example:443' })[0]).toMatch(/^ALLOWED_HOSTS/);
  });

  it('reads a blank variable as unset, so the default applies (an empty cache size does not turn the cache off)', () => {
    const blank = {
      PORT: '',
      HOST: '',
      RESOURCE_NAME: '',
      AUTHORIZATION_SERVER: '',
      AUDIENCE: '',
      ALGORITHMS: '',
      CLIENT_ID: '',
      API_AUDIENCE: '',
      UPSTREAM_TIMEOUT_MS: '',
      EXCHANGE_CACHE_MAX_ENTRIES: '',
      EXCHANGE_EXPIRY_MARGIN_SECONDS: '',
      ALLOWED_HOSTS: '',
      ALLOWED_ORIGINS: '',
      VERIFIED_TOKEN_CACHE_ENTRIES: '',
      LOG_LEVEL: '',
    };
    expect(loadSettings({ ...required, ...blank })).toEqual(loadSettings(required));
  });

  it('reports a blank required variable as not set', () => {
    expect(problemsOf({ ...required, CLIENT_SECRET: '', ISSUER: '' })).toEqual(['ISSUER: is required but not set', 'CLIENT_SECRET: is required but not set']);
  });

  it('checks the access token variables exactly as the stocks API does', () => {
    expect(problemsOf({ ...required, CLOCK_TOLERANCE_SECONDS: '3600' })).toEqual(['CLOCK_TOLERANCE_SECONDS: must be at most 300']);
    expect(problemsOf({ ...required, REQUIRED_SCOPE: 'stocks/read "x"' })[0]).toMatch(/^REQUIRED_SCOPE: must be space separated scope tokens/);
    expect(problemsOf({ ...required, UPSTREAM_TIMEOUT_MS: '10' })).toEqual(['UPSTREAM_TIMEOUT_MS: must be at least 100']);
  });

  it('accepts its own .env.example as it is', async () => {
    const example = parseEnv(await readFile(fileURLToPath(new URL('../.env.example', import.meta.url)), 'utf8'));
    expect(loadSettings(example)).toMatchObject({ PORT: 3000, HOST: '127.0.0.1', CLIENT_ID: 'mcp-server', CLIENT_AUTH_METHOD: 'client_secret_basic' });
  });

  it('lets AUTHORIZATION_SERVER differ from the issuer', () => {
    expect(authorizationServerOf(loadSettings({ ...required, AUTHORIZATION_SERVER: 'https://login.demo.example' }))).toBe('https://login.demo.example');
  });
});
