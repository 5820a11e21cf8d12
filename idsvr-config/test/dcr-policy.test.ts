// The DCR pre-processing procedure: the MCP registration policy and the
// redirect URI check, run as Curity would run them.
import { describe, expect, it } from 'vitest';
import { javaList, loadProcedure, refusal } from './support/procedure-sandbox.ts';
import { acceptedRedirectUris, refusedRedirectUris } from './support/redirect-uri-cases.ts';

const policy = loadProcedure('mcp-client-registration-policy.js');

function registration(method: string, body?: unknown) {
  return {
    getRequest: () => ({
      getMethod: () => method,
      getParsedBodyAsJson: () => body ?? null,
    }),
  };
}

const inspectorRequest = {
  client_name: 'MCP Inspector',
  grant_types: ['authorization_code'],
  redirect_uris: ['http://localhost:6274/callback'],
  response_types: ['code'],
  scope: 'stocks/read',
  token_endpoint_auth_method: 'client_secret_post',
};

const mcpPolicy = {
  require_proof_key: true,
  access_token_ttl: 900,
  refresh_token_ttl: 0,
  audiences: ['https://mcp.demo.example/'],
  client_type: 'mcp',
  client_assurance_level: 1,
  name: 'MCP Inspector',
  template_area: 'mcp-client',
};

describe('MCP registration policy', () => {
  it('locks down a client that registers for stocks/read', () => {
    expect(policy(registration('POST', inspectorRequest))).toEqual(mcpPolicy);
  });

  it('applies when stocks/read is one of several scopes', () => {
    const result = policy(registration('POST', { ...inspectorRequest, scope: 'openid stocks/read profile' }));
    expect(result).toEqual(mcpPolicy);
  });

  it.each([
    ['other scopes only', { ...inspectorRequest, scope: 'openid profile' }],
    ['a scope that only starts with stocks/read', { ...inspectorRequest, scope: 'stocks/read-write' }],
    ['an empty scope', { ...inspectorRequest, scope: '' }],
    ['no scope', { client_name: 'No scope', redirect_uris: ['https://www.client.example/callback'] }],
    ['no body', undefined],
  ])('adds nothing for %s', (_case, body) => {
    expect(policy(registration('POST', body))).toEqual({});
  });

  it.each(['GET', 'DELETE', 'PUT'])('adds nothing on %s, which does not register a new client', (method) => {
    expect(policy(registration(method, inspectorRequest))).toEqual({});
  });

  it('records whatever client_name was sent, including none', () => {
    const { client_name: _omitted, ...unnamed } = inspectorRequest;
    const result = policy(registration('POST', unnamed));
    expect(result['name']).toBeUndefined();
    expect(result).toEqual({ ...mcpPolicy, name: undefined });
  });

  it('returns a fresh audiences list each time, so one client cannot change another', () => {
    const first = policy(registration('POST', inspectorRequest));
    const second = policy(registration('POST', inspectorRequest));
    expect(first['audiences']).toEqual(second['audiences']);
    expect(first['audiences']).not.toBe(second['audiences']);
  });
});

describe('redirect URIs at registration', () => {
  it.each(acceptedRedirectUris)('accepts %s', (uri) => {
    expect(policy(registration('POST', { ...inspectorRequest, redirect_uris: [uri] }))).toEqual(mcpPolicy);
  });

  it.each(refusedRedirectUris)('refuses %s (%s)', (uri) => {
    const error = refusal(policy, registration('POST', { ...inspectorRequest, redirect_uris: [uri] }));
    expect(error.status).toBe(400);
    expect(error.errorCode).toBe('invalid_redirect_uri');
    expect(error.message.length).toBeGreaterThan(10);
  });

  it.each([
    ['a host with no name', 'https://'],
    ['a port that is not a number', 'http://localhost:http/callback'],
    ['a backslash that some parsers read as a slash', 'http://evil.example\\@localhost/callback'],
    ['a line break', 'https://www.client.example/call\nback'],
    ['a value that is not a string', 42],
  ])('refuses %s', (_case, uri) => {
    const error = refusal(policy, registration('POST', { ...inspectorRequest, redirect_uris: [uri] }));
    expect(error.errorCode).toBe('invalid_redirect_uri');
  });

  it('refuses the whole registration when any one URI is unsafe', () => {
    const body = { ...inspectorRequest, redirect_uris: ['http://localhost:6274/callback', 'http://client.example/callback'] };
    expect(refusal(policy, registration('POST', body)).message).toContain('http://client.example/callback');
  });

  it('checks clients outside the MCP policy too', () => {
    const body = { client_name: 'Web app', scope: 'openid', redirect_uris: ['javascript:alert(1)'] };
    expect(refusal(policy, registration('POST', body)).errorCode).toBe('invalid_redirect_uri');
  });

  it('checks the redirect URIs of a client management update (PUT)', () => {
    const body = { ...inspectorRequest, redirect_uris: ['http://client.example/callback'] };
    expect(refusal(policy, registration('PUT', body)).errorCode).toBe('invalid_redirect_uri');
  });

  it('reads redirect URIs that arrive as a Java list', () => {
    const safe = { ...inspectorRequest, redirect_uris: javaList(['http://127.0.0.1:9000/cb']) };
    expect(policy(registration('POST', safe))).toEqual(mcpPolicy);
    const unsafe = { ...inspectorRequest, redirect_uris: javaList(['https://ok.example/cb', 'data:text/plain,x']) };
    expect(refusal(policy, registration('POST', unsafe)).errorCode).toBe('invalid_redirect_uri');
  });

  it('accepts a registration without redirect URIs and leaves that check to the server', () => {
    const { redirect_uris: _omitted, ...body } = inspectorRequest;
    expect(policy(registration('POST', body))).toEqual(mcpPolicy);
  });
});

describe('metadata size limits', () => {
  it('refuses a 40 KB client_name, with the RFC 7591 error', () => {
    const error = refusal(policy, registration('POST', { ...inspectorRequest, client_name: 'x'.repeat(40_000) }));
    expect(error.status).toBe(400);
    expect(error.errorCode).toBe('invalid_client_metadata');
    expect(error.message).toBe('client_name is longer than 100 characters');
  });

  it('counts redirect URIs that arrive as a Java list', () => {
    const uris = javaList(Array.from({ length: 11 }, (_, index) => `http://127.0.0.1:${9000 + index}/callback`));
    expect(refusal(policy, registration('POST', { ...inspectorRequest, redirect_uris: uris })).errorCode).toBe('invalid_client_metadata');
  });

  it('checks a client management update (PUT) too', () => {
    expect(refusal(policy, registration('PUT', { ...inspectorRequest, logo_uri: `https://x.example/${'l'.repeat(2000)}` })).errorCode).toBe(
      'invalid_client_metadata',
    );
  });

  it('accepts what MCP clients send', () => {
    expect(policy(registration('POST', inspectorRequest))).toEqual(mcpPolicy);
  });
});
