import { expect } from 'vitest';
import type { ClientEra, FetchResponse, ScenarioSource } from './deployment.ts';

/**
 * The first steps of the MCP authorization flow, as any MCP client takes
 * them: the 401 challenge, protected resource metadata, authorization server
 * metadata and dynamic client registration. They depend only on the
 * endpoints and a fetch, so they run unchanged against every profile.
 * The rest of the flow (sign-in, tokens, tools, least privilege) is in
 * sign-in-and-tools.ts.
 */

/**
 * The first request a client of each era sends before it has a token: the
 * initialize handshake in 2025-11-25; in 2026-07-28 there is none, and a
 * request carries its revision and method in headers.
 */
function firstRequest(era: ClientEra): { headers: Record<string, string>; body: string } {
  const base = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  if (era === '2026-07-28') {
    return {
      headers: { ...base, 'mcp-protocol-version': era, 'mcp-method': 'server/discover' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'server/discover', params: {} }),
    };
  }
  return {
    headers: base,
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: era, capabilities: {}, clientInfo: { name: 'scenario-client', version: '1.0.0' } },
    }),
  };
}

/** The parameters of a `Bearer k="v", ...` challenge. */
export function challengeParameters(header: string): Record<string, string> {
  const [scheme, ...rest] = header.trim().split(/\s+/);
  expect(scheme?.toLowerCase()).toBe('bearer');
  const parameters: Record<string, string> = {};
  for (const match of rest.join(' ').matchAll(/([A-Za-z_]+)="((?:[^"\\]|\\.)*)"/g)) {
    parameters[match[1] as string] = (match[2] as string).replace(/\\(.)/g, '$1');
  }
  return parameters;
}

async function json(response: FetchResponse, what: string): Promise<Record<string, unknown>> {
  const text = await response.text();
  expect(response.status, `${what} answered ${response.status}: ${text.slice(0, 300)}`).toBeLessThan(300);
  expect(response.headers.get('content-type') ?? '', `${what} is not JSON`).toMatch(/application\/json/);
  return JSON.parse(text) as Record<string, unknown>;
}

function sameOrigin(url: unknown, reference: string): void {
  expect(typeof url).toBe('string');
  expect(new URL(url as string).origin).toBe(new URL(reference).origin);
}

export const discoveryScenarios: ScenarioSource = (era) => ({
  name: 'discovery and registration',
  close: async () => undefined,
  scenarios: [
    {
      name: 'the MCP entry point answers a request without a token with 401 and a challenge naming its metadata and scope',
      async run({ endpoints, fetch }) {
        const { headers, body: request } = firstRequest(era);
        const response = await fetch(endpoints.mcp, { method: 'POST', headers, body: request });
        expect(response.status).toBe(401);
        const challenge = challengeParameters(response.headers.get('www-authenticate') ?? '');
        expect(challenge.error).toBe('invalid_token');
        expect(challenge.resource_metadata).toBe(endpoints.protectedResourceMetadata);
        expect(challenge.scope).toBe('stocks/read');
        const body = (await response.json()) as Record<string, unknown>;
        expect(body).toEqual({ code: 'invalid_token', message: expect.any(String) });
      },
    },
    {
      name: 'the MCP entry point refuses a made-up bearer token the same way, without reaching the MCP server',
      async run({ endpoints, fetch }) {
        const { headers, body } = firstRequest(era);
        const response = await fetch(endpoints.mcp, { method: 'POST', headers: { ...headers, authorization: 'Bearer not-a-real-token' }, body });
        expect(response.status).toBe(401);
        expect(challengeParameters(response.headers.get('www-authenticate') ?? '').error).toBe('invalid_token');
      },
    },
    {
      name: 'protected resource metadata names the MCP resource, its authorization server and the scope',
      async run({ endpoints, fetch }) {
        const metadata = await json(await fetch(endpoints.protectedResourceMetadata), 'protected resource metadata');
        expect(metadata.resource).toBe(endpoints.mcp);
        expect(metadata.scopes_supported).toContain('stocks/read');
        const servers = metadata.authorization_servers as string[];
        expect(Array.isArray(servers) && servers.length > 0).toBe(true);
        for (const server of servers) sameOrigin(server, endpoints.issuer);
      },
    },
    {
      name: 'authorization server metadata has the issuer, PKCE S256, RFC 9207 iss and a registration endpoint',
      async run({ endpoints, fetch }) {
        const metadata = await json(await fetch(endpoints.authorizationServerMetadata), 'authorization server metadata');
        expect(metadata.issuer).toBe(endpoints.issuer);
        expect(metadata.code_challenge_methods_supported).toContain('S256');
        expect(metadata.authorization_response_iss_parameter_supported).toBe(true);
        expect(metadata.scopes_supported).toContain('stocks/read');
        for (const endpoint of ['authorization_endpoint', 'token_endpoint', 'registration_endpoint', 'introspection_endpoint', 'jwks_uri']) {
          sameOrigin(metadata[endpoint], endpoints.issuer);
        }
      },
    },
    {
      name: 'dynamic client registration with stocks/read returns a client id and secret',
      async run({ endpoints, fetch }) {
        const metadata = await json(await fetch(endpoints.authorizationServerMetadata), 'authorization server metadata');
        const response = await fetch(metadata.registration_endpoint as string, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify({
            client_name: `Scenario client (MCP ${era})`,
            grant_types: ['authorization_code'],
            redirect_uris: ['http://localhost:6274/callback'],
            response_types: ['code'],
            scope: 'stocks/read',
            token_endpoint_auth_method: 'client_secret_post',
          }),
        });
        expect([200, 201]).toContain(response.status);
        const client = await json(response, 'dynamic client registration');
        expect(client.client_id).toEqual(expect.any(String));
        expect(client.client_secret).toEqual(expect.any(String));
        expect(String(client.scope).split(' ')).toContain('stocks/read');
      },
    },
  ],
});
