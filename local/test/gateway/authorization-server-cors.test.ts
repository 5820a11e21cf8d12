import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalDeployment, type LocalDeployment } from '../../launcher/deployment.ts';
import { json, send } from './helpers.ts';

/**
 * The login host's CORS and registration rules of kong.yml in front of the
 * real open authorization server, which sets CORS headers of its own (any
 * origin on metadata and registration): the gateway's cors plugin replaces
 * them as Kong's does, so a browser sees one answer, the same as in the
 * Curity profile, and mcp-remote's client_uri never reaches the server.
 */

const INSPECTOR = 'http://localhost:6274';

describe('the authorization server behind the gateway', () => {
  let deployment: LocalDeployment;
  let deployDir: string;
  let login: string;
  beforeAll(async () => {
    deployDir = mkdtempSync(join(tmpdir(), 'gateway-as-'));
    deployment = await startLocalDeployment({ freePorts: true, env: { DEPLOY_DIR: deployDir, LOG_LEVEL: 'warn' } });
    login = new URL(deployment.endpoints.external.issuer).origin;
  }, 120_000);
  afterAll(async () => {
    await deployment?.stop();
    rmSync(deployDir, { recursive: true, force: true });
  });

  it("answers metadata with the Inspector's origin only, in place of the server's own *", async () => {
    for (const origin of [INSPECTOR, 'http://other.example']) {
      const reply = await send(deployment.endpoints.external.authorizationServerMetadata, { headers: { origin } });
      expect(reply.status).toBe(200);
      expect(reply.headers['access-control-allow-origin'], origin).toBe(INSPECTOR);
      expect(String(reply.headers.vary)).toContain('Origin');
    }
  });

  it('answers the registration preflight itself and strips client_uri from the registration the server stores', async () => {
    const preflight = await send(`${login}/token-service/oauth-registration`, {
      method: 'OPTIONS',
      headers: { origin: INSPECTOR, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(preflight.status).toBe(200);
    expect(preflight.headers['access-control-allow-origin']).toBe(INSPECTOR);
    expect(preflight.headers['access-control-allow-methods']).toBe('GET,POST,OPTIONS');

    const reply = await send(`${login}/token-service/oauth-registration`, {
      method: 'POST',
      headers: { origin: INSPECTOR, 'content-type': 'application/json' },
      body: JSON.stringify({
        client_name: 'MCP CLI Proxy',
        redirect_uris: ['http://127.0.0.1:23415/oauth/callback'],
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code'],
        response_types: ['code'],
        scope: 'stocks/read',
        client_uri: 'https://github.com/modelcontextprotocol/mcp-cli',
      }),
    });
    expect(reply.status, reply.body).toBe(201);
    expect(reply.headers['access-control-allow-origin']).toBe(INSPECTOR);
    expect(reply.headers['x-ratelimit-limit-minute']).toBe('60');
    const client = json(reply) as Record<string, unknown>;
    expect(client.client_id).toEqual(expect.any(String));
    expect(client).not.toHaveProperty('client_uri');
  });

  it("lets the Inspector read the token endpoint's error", async () => {
    const reply = await send(`${login}/oauth/v2/oauth-token`, {
      method: 'POST',
      headers: { origin: INSPECTOR, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=authorization_code&code=unknown&client_id=unknown',
    });
    expect(reply.status).toBeGreaterThanOrEqual(400);
    expect(reply.headers['access-control-allow-origin']).toBe(INSPECTOR);
    expect(reply.headers['access-control-expose-headers']).toBe('WWW-Authenticate,Retry-After');
  });
});
