import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corsConfigSchema, corsPlugin } from '../../gateway/plugins/cors.ts';
import type { GatewayRequest } from '../../gateway/plugins/types.ts';
import type { HeaderMap } from '../../gateway/headers.ts';
import { json, quietLogger, send, startLocalProfile, type LocalProfile } from './helpers.ts';

const INSPECTOR = 'http://localhost:6274';
const MCP = 'mcp.demo.example';

describe('CORS for the MCP Inspector (kong.yml)', () => {
  let profile: LocalProfile;
  beforeAll(async () => {
    profile = await startLocalProfile();
  });
  afterAll(async () => {
    await profile.close();
  });

  const preflight = (origin: string, path = '/') =>
    send(profile.url(MCP, path), {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,mcp-protocol-version,mcp-method,mcp-name' },
    });

  it('answers the preflight itself, before the phantom token asks for a token', async () => {
    const before = { upstream: profile.mcp.received.length, introspection: profile.introspection.totalCalls() };
    const reply = await preflight(INSPECTOR);
    expect(reply.status).toBe(200);
    expect(reply.headers['access-control-allow-origin']).toBe(INSPECTOR);
    expect(reply.headers['access-control-allow-methods']).toBe('GET,POST,DELETE,OPTIONS');
    expect(reply.headers['access-control-allow-headers']).toBe('Authorization,Content-Type,Accept,Mcp-Session-Id,Mcp-Protocol-Version,Mcp-Method,Mcp-Name,Last-Event-ID');
    expect(reply.headers['access-control-allow-credentials']).toBeUndefined();
    expect(reply.headers['access-control-max-age']).toBeUndefined();
    expect(reply.headers.vary).toBe('Origin');
    expect(reply.headers['www-authenticate']).toBeUndefined();
    expect(reply.body).toBe('');
    expect(profile.mcp.received.length).toBe(before.upstream);
    expect(profile.introspection.totalCalls()).toBe(before.introspection);
  });

  it('lets the browser read the challenge of a 401', async () => {
    const reply = await send(profile.url(MCP, '/'), { method: 'POST', headers: { origin: INSPECTOR, 'content-type': 'application/json' }, body: '{}' });
    expect(reply.status).toBe(401);
    expect(reply.headers['access-control-allow-origin']).toBe(INSPECTOR);
    expect(reply.headers['access-control-expose-headers']).toBe('WWW-Authenticate,Mcp-Session-Id');
    expect(reply.headers['www-authenticate']).toContain('resource_metadata=');
  });

  it('adds the CORS headers to proxied responses', async () => {
    const { opaque } = await profile.issueToken();
    const reply = await send(profile.url(MCP, '/'), { method: 'POST', headers: { origin: INSPECTOR, authorization: `Bearer ${opaque}` }, body: '{}' });
    expect(reply.status).toBe(200);
    expect(reply.headers['access-control-allow-origin']).toBe(INSPECTOR);
    expect(reply.headers['access-control-expose-headers']).toBe('WWW-Authenticate,Mcp-Session-Id');
    expect(reply.headers.vary).toBe('Origin');
  });

  it('serves the protected resource metadata without a token, with CORS', async () => {
    const reply = await send(profile.url(MCP, '/.well-known/oauth-protected-resource'), { headers: { origin: INSPECTOR } });
    expect(reply.status).toBe(200);
    expect((json(reply) as { url: string }).url).toBe('/.well-known/oauth-protected-resource');
    expect(reply.headers['access-control-allow-origin']).toBe(INSPECTOR);
    const preflightReply = await preflight(INSPECTOR, '/.well-known/oauth-protected-resource');
    expect(preflightReply.headers['access-control-allow-origin']).toBe(INSPECTOR);
  });

  it('never allows another origin', async () => {
    const evil = 'https://evil.example';
    const reply = await preflight(evil);
    // Kong announces its single configured origin; the browser sees the mismatch and refuses.
    expect(reply.headers['access-control-allow-origin']).toBe(INSPECTOR);
    const actual = await send(profile.url(MCP, '/.well-known/oauth-protected-resource'), { headers: { origin: evil } });
    expect(actual.headers['access-control-allow-origin']).not.toBe(evil);
    expect(actual.headers['access-control-allow-origin']).toBe(INSPECTOR);
  });

  it('leaves hosts without the cors plugin alone', async () => {
    const reply = await send(profile.url('login.demo.example', '/'), { headers: { origin: INSPECTOR } });
    expect(reply.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('cors plugin settings', () => {
  const gatewayRequest = (method: string, headers: Record<string, string>): GatewayRequest => ({
    method,
    requestHeaders: headers,
    upstreamHeaders: {},
    clientAddress: '127.0.0.1',
    requestId: 'test',
    readBody: () => Promise.resolve(Buffer.alloc(0)),
    replaceBody: () => undefined,
    log: quietLogger,
  });
  const preflightOf = (config: unknown, origin: string, extra: Record<string, string> = {}) =>
    corsPlugin(corsConfigSchema.parse(config)).access?.(gatewayRequest('OPTIONS', { origin, 'access-control-request-method': 'GET', ...extra }));
  const filtered = (config: unknown, headers: Record<string, string>, response: HeaderMap = {}) => {
    corsPlugin(corsConfigSchema.parse(config)).headerFilter?.(gatewayRequest('GET', headers), response);
    return response;
  };

  it('echoes the matching origin among several, and none for the others', () => {
    const config = { origins: ['https://a.example', 'https://b.example:8443'] };
    expect(filtered(config, { origin: 'https://b.example:8443' })['access-control-allow-origin']).toBe('https://b.example:8443');
    expect(filtered(config, { origin: 'https://c.example' }, { 'access-control-allow-origin': '*' })['access-control-allow-origin']).toBeUndefined();
  });

  it('allows every origin with "*" or no origins', () => {
    expect(filtered({ origins: ['*'] }, { origin: 'https://x.example' })).toEqual({ 'access-control-allow-origin': '*' });
    expect(filtered({}, { origin: 'https://x.example' })).toEqual({ 'access-control-allow-origin': '*' });
  });

  it('announces credentials, echoing the origin instead of "*"', () => {
    expect(filtered({ origins: ['https://a.example'], credentials: true }, { origin: 'https://a.example' })).toMatchObject({
      'access-control-allow-origin': 'https://a.example',
      'access-control-allow-credentials': 'true',
    });
    expect(filtered({ credentials: true }, { origin: 'https://x.example' })).toMatchObject({
      'access-control-allow-origin': 'https://x.example',
      'access-control-allow-credentials': 'true',
    });
  });

  it('sends max_age and echoes requested headers when none are configured', async () => {
    const answer = await preflightOf({ origins: ['https://a.example'], max_age: 3600 }, 'https://a.example', { 'access-control-request-headers': 'x-one,x-two' });
    expect(answer?.headers).toMatchObject({
      'access-control-max-age': '3600',
      'access-control-allow-headers': 'x-one,x-two',
      'access-control-allow-methods': 'GET,HEAD,PUT,PATCH,POST,DELETE,OPTIONS,TRACE,CONNECT',
    });
  });

  it('adds Vary to the upstream one instead of replacing it', () => {
    expect(filtered({ origins: ['https://a.example'] }, { origin: 'https://a.example' }, { vary: 'Accept-Encoding' }).vary).toEqual(['Accept-Encoding', 'Origin']);
  });

  it('passes preflights upstream with preflight_continue', async () => {
    expect(await preflightOf({ origins: ['https://a.example'], preflight_continue: true }, 'https://a.example')).toBeUndefined();
  });

  it('treats OPTIONS without Access-Control-Request-Method as an ordinary request', () => {
    const plugin = corsPlugin(corsConfigSchema.parse({ origins: ['https://a.example'] }));
    expect(plugin.access?.(gatewayRequest('OPTIONS', { origin: 'https://a.example' }))).toBeUndefined();
  });
});
