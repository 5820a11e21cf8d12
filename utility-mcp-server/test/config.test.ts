import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseEnv } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '@mcp-demo/service-kit';
import { readConfig } from '../src/config.ts';

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
    readConfig(variables);
  } catch (error) {
    if (error instanceof ConfigurationError) return [...error.problems];
    throw error;
  }
  throw new Error('configuration was accepted');
}

describe('configuration', () => {
  it('applies the documented defaults', () => {
    const config = readConfig(required);
    expect(config).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      resource: 'https://mcp.demo.example/',
      resourceMetadataUrl: 'https://mcp.demo.example/.well-known/oauth-protected-resource',
      resourceName: 'MCP Server',
      authorizationServer: required.ISSUER,
      accessToken: {
        issuer: required.ISSUER,
        audience: 'https://mcp.demo.example/',
        algorithms: ['PS256'],
        requiredScope: 'stocks/read',
        clockToleranceSeconds: 5,
      },
      tokenExchange: { clientId: 'mcp-server', clientSecret: 'Password1', clientAuthMethod: 'client_secret_basic', audience: 'https://api.demo.example' },
      exchangeCache: { maxEntries: 10_000, expiryMarginSeconds: 30 },
      upstreamTimeoutMs: 5_000,
      allowedHosts: [],
      // The Origin check is on by default: the server's own origin and the MCP Inspector's.
      allowedOrigins: ['https://mcp.demo.example', 'http://localhost:6274'],
      logLevel: 'info',
    });
  });

  it('names every missing required variable', () => {
    const problems = problemsOf({});
    for (const name of Object.keys(required)) expect(problems).toContain(`${name}: is required but not set`);
  });

  it('refuses symmetric and unknown algorithms', () => {
    expect(problemsOf({ ...required, ALGORITHMS: 'PS256,HS256' }).join('\n')).toMatch(/^ALGORITHMS/);
    expect(problemsOf({ ...required, ALGORITHMS: 'none' }).join('\n')).toMatch(/^ALGORITHMS/);
    expect(readConfig({ ...required, ALGORITHMS: 'PS256, ES256' }).accessToken.algorithms).toEqual(['PS256', 'ES256']);
  });

  it('refuses an unknown client authentication method and a non-URL endpoint', () => {
    expect(problemsOf({ ...required, CLIENT_AUTH_METHOD: 'private_key_jwt' })[0]).toMatch(/^CLIENT_AUTH_METHOD/);
    expect(problemsOf({ ...required, TOKEN_ENDPOINT: 'idsvr:8443' })[0]).toMatch(/^TOKEN_ENDPOINT/);
  });

  it('normalises the allow-lists and refuses hosts with ports', () => {
    const config = readConfig({ ...required, ALLOWED_HOSTS: 'MCP.demo.example, localhost', ALLOWED_ORIGINS: 'http://localhost:6274/, https://www.client.example' });
    expect(config.allowedHosts).toEqual(['mcp.demo.example', 'localhost']);
    expect(config.allowedOrigins).toEqual(['https://mcp.demo.example', 'http://localhost:6274', 'https://www.client.example']);
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
      LOG_LEVEL: '',
    };
    expect(readConfig({ ...required, ...blank })).toEqual(readConfig(required));
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
    expect(readConfig(example)).toMatchObject({ port: 3000, host: '127.0.0.1', tokenExchange: { clientId: 'mcp-server', clientAuthMethod: 'client_secret_basic' } });
  });

  it('lets AUTHORIZATION_SERVER differ from the issuer', () => {
    expect(readConfig({ ...required, AUTHORIZATION_SERVER: 'https://login.demo.example' }).authorizationServer).toBe('https://login.demo.example');
  });
});
