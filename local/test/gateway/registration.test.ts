import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { rateLimitingConfigSchema, rateLimitingPlugin } from '../../gateway/plugins/rate-limiting.ts';
import { removeFromForm, removeFromJson } from '../../gateway/plugins/request-transformer.ts';
import type { GatewayRequest, PluginResponse } from '../../gateway/plugins/types.ts';
import type { HeaderMap } from '../../gateway/headers.ts';
import { json, quietLogger, send, sleep, startLocalProfile, type LocalProfile, type ReceivedRequest, type Reply } from './helpers.ts';

/**
 * The login host's OAuth endpoints in kong.yml, served by the Node gateway:
 * client_uri removed from registrations (request-transformer), registration
 * and token requests limited per caller (rate-limiting), and CORS for the
 * MCP Inspector replacing whatever the authorization server says.
 */

const LOGIN = 'login.demo.example';
const INSPECTOR = 'http://localhost:6274';
const REGISTRATION = '/token-service/oauth-registration';

const MCP_REMOTE_REGISTRATION = {
  client_name: 'MCP CLI Proxy',
  redirect_uris: ['http://127.0.0.1:23415/oauth/callback'],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'none',
  client_uri: 'https://github.com/modelcontextprotocol/mcp-cli',
  software_id: '2e6dc280-f3c3-4e01-99a7-8181dbd1d23d',
};

describe('the registration route of kong.yml', () => {
  let profile: LocalProfile;
  beforeAll(async () => {
    profile = await startLocalProfile();
  });
  afterAll(async () => {
    await profile.close();
  });
  afterEach(() => profile.login.respondWith(undefined));

  const register = (body: string, contentType = 'application/json', headers: Record<string, string> = {}) =>
    send(profile.url(LOGIN, REGISTRATION), { method: 'POST', headers: { 'content-type': contentType, ...headers }, body });
  const received = (reply: Reply) => json(reply) as ReceivedRequest;

  it("removes mcp-remote's client_uri from a JSON registration and keeps every other field", async () => {
    const reply = await register(JSON.stringify(MCP_REMOTE_REGISTRATION));
    expect(reply.status).toBe(200);
    const upstream = received(reply);
    const { client_uri: _removed, ...rest } = MCP_REMOTE_REGISTRATION;
    expect(JSON.parse(upstream.body)).toEqual(rest);
    expect(upstream.headers['content-length']).toBe(String(Buffer.byteLength(upstream.body)));
    expect(upstream.headers['content-type']).toBe('application/json');
  });

  it('removes client_uri from a form-encoded body, and from a chunked one', async () => {
    const form = 'client_name=a+b&client_uri=https%3A%2F%2Fgithub.com%2Fx&redirect_uris=http%3A%2F%2F127.0.0.1%2Fcb';
    for (const chunked of [false, true]) {
      const reply = await send(profile.url(LOGIN, REGISTRATION), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', ...(chunked ? { 'transfer-encoding': 'chunked' } : {}) },
        body: form,
        chunked,
      });
      const upstream = received(reply);
      expect(Object.fromEntries(new URLSearchParams(upstream.body))).toEqual({ client_name: 'a b', redirect_uris: 'http://127.0.0.1/cb' });
      expect(upstream.headers['content-length']).toBe(String(Buffer.byteLength(upstream.body)));
      expect(upstream.headers['transfer-encoding']).toBeUndefined();
    }
  });

  it('passes a body that is not JSON, or of another type, unchanged, as Kong does', async () => {
    expect(received(await register('{"client_uri": "x", broken')).body).toBe('{"client_uri": "x", broken');
    expect(received(await register('client_uri=x', 'text/plain')).body).toBe('client_uri=x');
  });

  it('answers 500 for a JSON body that is neither an object nor an array (a Lua error in Kong), and 415 for multipart', async () => {
    const before = profile.login.received.length;
    const scalar = await register('"client_uri"');
    expect(scalar.status).toBe(500);
    expect(json(scalar)).toMatchObject({ message: 'An unexpected error occurred' });
    const multipart = await register('--x\r\nContent-Disposition: form-data; name="client_uri"\r\n\r\nx\r\n--x--\r\n', 'multipart/form-data; boundary=x');
    expect(multipart.status).toBe(415);
    expect(profile.login.received.length).toBe(before);
  });

  it('leaves the login pages alone: client_uri passes on other routes', async () => {
    const reply = await send(profile.url(LOGIN, '/authn/interaction/abc'), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'client_uri=x' });
    expect(received(reply).body).toBe('client_uri=x');
  });

  it('answers CORS preflights for the Inspector on metadata, JWKS, registration and token, before any rate limit', async () => {
    const before = profile.login.received.length;
    for (const path of [REGISTRATION, '/oauth/v2/oauth-token', '/.well-known/oauth-authorization-server/oauth/v2/oauth-anonymous', '/oauth/v2/oauth-anonymous/jwks']) {
      const reply = await send(profile.url(LOGIN, path), {
        method: 'OPTIONS',
        headers: { origin: INSPECTOR, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,mcp-protocol-version' },
      });
      expect(reply.status, path).toBe(200);
      expect(reply.headers['access-control-allow-origin'], path).toBe(INSPECTOR);
      expect(reply.headers['access-control-allow-methods'], path).toBe('GET,POST,OPTIONS');
      expect(reply.headers['access-control-allow-headers'], path).toBe('Authorization,Content-Type,Accept,Mcp-Protocol-Version');
      expect(reply.headers['x-ratelimit-limit-minute'], path).toBeUndefined();
    }
    expect(profile.login.received.length).toBe(before);
  });

  it("replaces the authorization server's own Access-Control-Allow-Origin, as Kong's cors plugin does, and keeps its Vary", async () => {
    // The open authorization server allows any origin on metadata.
    profile.login.respondWith((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'access-control-allow-origin': '*', vary: 'Accept-Encoding' });
      res.end('{}');
    });
    const reply = await send(profile.url(LOGIN, '/.well-known/oauth-authorization-server/oauth/v2/oauth-anonymous'), { headers: { origin: INSPECTOR } });
    expect(reply.headers['access-control-allow-origin']).toBe(INSPECTOR);
    expect(reply.headers.vary).toBe('Accept-Encoding, Origin');
    expect(reply.headers['access-control-expose-headers']).toBe('WWW-Authenticate,Retry-After');
    // The login pages get no CORS headers from the gateway.
    const page = await send(profile.url(LOGIN, '/authn/interaction/abc'), { headers: { origin: INSPECTOR } });
    expect(page.headers['access-control-allow-origin']).toBe('*');
  });

  it('limits registration to 60 a minute per caller: the 61st gets 429 with Retry-After, CORS, and is not forwarded', async () => {
    const body = JSON.stringify({ redirect_uris: ['http://127.0.0.1/cb'] });
    // Windows are calendar minutes: start well inside one.
    const secondsLeft = 60 - new Date().getUTCSeconds();
    if (secondsLeft < 15) await sleep(secondsLeft * 1000 + 200);
    const first = await register(body, 'application/json', { origin: INSPECTOR });
    expect(first.status).toBe(200);
    // Earlier tests of this file registered too; the headers say how many are left.
    const remaining = Number(first.headers['x-ratelimit-remaining-minute']);
    expect(first.headers['x-ratelimit-limit-minute']).toBe('60');
    expect(first.headers['x-ratelimit-limit-hour']).toBe('600');
    expect(first.headers['ratelimit-limit']).toBe('60');
    expect(first.headers['ratelimit-remaining']).toBe(String(remaining));
    for (let index = 0; index < remaining; index += 1) expect((await register(body)).status).toBe(200);

    const before = profile.login.received.length;
    const refused = await register(body, 'application/json', { origin: INSPECTOR });
    expect(refused.status).toBe(429);
    expect(json(refused)).toEqual({ message: 'API rate limit exceeded', request_id: refused.headers['x-request-id'] });
    expect(refused.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(refused.headers['ratelimit-remaining']).toBe('0');
    expect(refused.headers['x-ratelimit-remaining-minute']).toBe('0');
    expect(refused.headers['access-control-allow-origin']).toBe(INSPECTOR);
    expect(profile.login.received.length).toBe(before);

    // Other routes of the host keep working, and the token route counts on its own.
    expect((await send(profile.url(LOGIN, '/'))).status).toBe(200);
    const token = await send(profile.url(LOGIN, '/oauth/v2/oauth-token'), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=x' });
    expect(token.status).toBe(200);
    expect(token.headers['x-ratelimit-limit-minute']).toBe('300');
  });
});

describe('rate-limiting windows and headers (Kong 3.9 semantics)', () => {
  const requestFrom = (clientAddress: string): GatewayRequest => ({
    method: 'POST',
    requestHeaders: {},
    upstreamHeaders: {},
    clientAddress,
    requestId: 'request-1',
    readBody: () => Promise.resolve(Buffer.alloc(0)),
    replaceBody: () => undefined,
    log: quietLogger,
  });

  // 2026-01-01T10:00:50Z: ten seconds before the minute ends.
  let now = Date.UTC(2026, 0, 1, 10, 0, 50);
  const plugin = rateLimitingPlugin(rateLimitingConfigSchema.parse({ minute: 2, hour: 3, limit_by: 'ip' }), { now: () => now });
  const call = (address = '192.0.2.1') => {
    const gatewayRequest = requestFrom(address);
    const response = plugin.access?.(gatewayRequest) as PluginResponse | undefined;
    const headers: HeaderMap = {};
    plugin.headerFilter?.(gatewayRequest, headers);
    return { response, headers };
  };

  it('counts per caller in UTC calendar windows, reports the tightest window, and does not count refusals', () => {
    const first = call();
    expect(first.response).toBeUndefined();
    expect(first.headers).toMatchObject({
      'x-ratelimit-limit-minute': '2',
      'x-ratelimit-remaining-minute': '1',
      'x-ratelimit-limit-hour': '3',
      'x-ratelimit-remaining-hour': '2',
      'ratelimit-limit': '2',
      'ratelimit-remaining': '1',
      'ratelimit-reset': '10',
    });
    expect(call().headers['ratelimit-remaining']).toBe('0');
    const refused = call().response;
    expect(refused?.status).toBe(429);
    expect(refused?.headers['retry-after']).toBe('10');
    // Another caller has its own budget.
    expect(call('192.0.2.2').response).toBeUndefined();
    // Refused requests did not count: the next minute allows one more (hour: 3).
    expect(call().response?.status).toBe(429);
    now += 10_000;
    const nextMinute = call();
    expect(nextMinute.response).toBeUndefined();
    expect(nextMinute.headers).toMatchObject({ 'x-ratelimit-remaining-minute': '1', 'x-ratelimit-remaining-hour': '0', 'ratelimit-limit': '3', 'ratelimit-remaining': '0' });
    const hourSpent = call().response;
    expect(hourSpent?.status).toBe(429);
    // The hour ends at 11:00: 3540 seconds from 10:01:00.
    expect(hourSpent?.headers['retry-after']).toBe('3540');
  });

  it('hides the headers when told to, and uses the configured error', () => {
    const quiet = rateLimitingPlugin(rateLimitingConfigSchema.parse({ second: 1, hide_client_headers: true, error_code: 503, error_message: 'Slow down' }), { now: () => now });
    const gatewayRequest = requestFrom('192.0.2.9');
    expect(quiet.access?.(gatewayRequest)).toBeUndefined();
    const headers: HeaderMap = {};
    quiet.headerFilter?.(gatewayRequest, headers);
    expect(headers).toEqual({});
    const refused = quiet.access?.(requestFrom('192.0.2.9')) as PluginResponse;
    expect(refused.status).toBe(503);
    expect(JSON.parse(refused.body ?? '')).toEqual({ message: 'Slow down', request_id: 'request-1' });
    expect(refused.headers['retry-after']).toBeUndefined();
  });
});

describe('request-transformer body edits (Kong 3.9 semantics)', () => {
  it('re-encodes JSON objects without the named keys, arrays unchanged', () => {
    expect(JSON.parse(removeFromJson('{"a":1,"client_uri":"x","b":{"client_uri":"kept"}}', ['client_uri']) ?? '')).toEqual({ a: 1, b: { client_uri: 'kept' } });
    expect(removeFromJson('[{"client_uri":"x"}]', ['client_uri'])).toBe('[{"client_uri":"x"}]');
    expect(removeFromJson('not json', ['client_uri'])).toBeUndefined();
  });

  it('keeps only the first 100 form fields, as ngx.decode_args does, then drops the named ones', () => {
    const fields = Array.from({ length: 120 }, (_, index) => `f${index}=${index}`);
    const result = new URLSearchParams(removeFromForm(['client_uri=x', ...fields].join('&'), ['client_uri']));
    expect(result.has('client_uri')).toBe(false);
    expect([...result.keys()]).toHaveLength(99);
    expect(result.get('f98')).toBe('98');
    expect(result.has('f99')).toBe(false);
  });
});
