import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, KONG_YML, send, sleep, startLocalProfile, writeKongConfig, type LocalProfile } from './helpers.ts';

const MCP = 'mcp.demo.example';
const API = 'api.demo.example';
const INVALID = { code: 'invalid_token', message: 'Missing, invalid or expired access token' };

describe('phantom token through the gateway', () => {
  let profile: LocalProfile;
  beforeAll(async () => {
    profile = await startLocalProfile();
  });
  afterAll(async () => {
    await profile.close();
  });

  const callMcp = (authorization?: string) =>
    send(profile.url(MCP, '/'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
      body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}',
    });

  it('forwards the JWT from introspection in place of the opaque token', async () => {
    const { opaque, jwt } = await profile.issueToken();
    const reply = await callMcp(`Bearer ${opaque}`);
    expect(reply.status).toBe(200);
    const received = json(reply) as { headers: Record<string, string>; body: string; url: string };
    expect(received.headers.authorization).toBe(`Bearer ${jwt}`);
    expect(received.body).toBe('{"jsonrpc":"2.0","id":1,"method":"tools/list"}');
    expect(received.url).toBe('/');
    expect(profile.introspection.calls.get(opaque)).toBe(1);
  });

  it('answers 401 with the discovery challenge and never calls the upstream without a token', async () => {
    const before = profile.mcp.received.length;
    const reply = await callMcp();
    expect(reply.status).toBe(401);
    expect(reply.headers['www-authenticate']).toBe(
      `Bearer error="invalid_token", error_description="Missing, invalid or expired access token", resource_metadata="${profile.gateway.urls[MCP]}/.well-known/oauth-protected-resource", scope="stocks/read"`,
    );
    expect(reply.headers['content-type']).toBe('application/json');
    expect(json(reply)).toEqual(INVALID);
    expect(profile.mcp.received.length).toBe(before);
  });

  it('leaves resource_metadata out where it is not configured', async () => {
    const reply = await send(profile.url(API, '/stocks'));
    expect(reply.status).toBe(401);
    expect(reply.headers['www-authenticate']).toBe('Bearer error="invalid_token", error_description="Missing, invalid or expired access token", scope="stocks/read"');
  });

  it('introspects a client-made JWT like any token and refuses it when inactive', async () => {
    const forged = await profile.issuer.mint({ sub: 'john.doe@demo.example', scope: 'stocks/read' }, { audience: 'https://mcp.demo.example/' });
    const before = profile.mcp.received.length;
    const reply = await callMcp(`Bearer ${forged}`);
    expect(reply.status).toBe(401);
    expect(json(reply)).toEqual(INVALID);
    expect(profile.introspection.calls.get(forged)).toBe(1);
    expect(profile.mcp.received.length).toBe(before);
  });

  it('refuses malformed Authorization headers without introspection', async () => {
    const before = profile.introspection.totalCalls();
    for (const authorization of ['Basic YTpi', 'Bearer', 'Bearer a,b', 'Token abc']) {
      const reply = await callMcp(authorization);
      expect(reply.status, authorization).toBe(401);
    }
    expect(profile.introspection.totalCalls()).toBe(before);
  });

  it('introspects once for many sequential requests with the same token', async () => {
    const { opaque, jwt } = await profile.issueToken();
    for (let i = 0; i < 5; i += 1) {
      const reply = await callMcp(`Bearer ${opaque}`);
      expect((json(reply) as { headers: Record<string, string> }).headers.authorization).toBe(`Bearer ${jwt}`);
    }
    expect(profile.introspection.calls.get(opaque)).toBe(1);
  });

  it('introspects once for many concurrent requests with the same uncached token', async () => {
    const { opaque, jwt } = await profile.issueToken();
    const answer = profile.introspection.answers.get(opaque);
    if (answer) answer.delayMs = 300;
    const replies = await Promise.all(Array.from({ length: 10 }, () => callMcp(`Bearer ${opaque}`)));
    for (const reply of replies) {
      expect(reply.status).toBe(200);
      expect((json(reply) as { headers: Record<string, string> }).headers.authorization).toBe(`Bearer ${jwt}`);
    }
    expect(profile.introspection.calls.get(opaque)).toBe(1);
  });

  it('caches no longer than the max-age of the introspection response', async () => {
    const { opaque } = await profile.issueToken(1);
    await callMcp(`Bearer ${opaque}`);
    await callMcp(`Bearer ${opaque}`);
    expect(profile.introspection.calls.get(opaque)).toBe(1);
    await sleep(1100);
    const reply = await callMcp(`Bearer ${opaque}`);
    expect(reply.status).toBe(200);
    expect(profile.introspection.calls.get(opaque)).toBe(2);
  });

  it('shares the cache between routes, as Kong shares its dictionary', async () => {
    const { opaque, jwt } = await profile.issueToken();
    await callMcp(`Bearer ${opaque}`);
    const reply = await send(profile.url(API, '/stocks'), { headers: { authorization: `Bearer ${opaque}` } });
    expect((json(reply) as { upstream: string; headers: Record<string, string> }).headers.authorization).toBe(`Bearer ${jwt}`);
    expect((json(reply) as { upstream: string }).upstream).toBe('stocks-api');
    expect(profile.introspection.calls.get(opaque)).toBe(1);
  });

  it('answers 502 when introspection answers something else, without caching it', async () => {
    const opaque = 'opaque-token-with-a-broken-introspection';
    profile.introspection.answers.set(opaque, { status: 500, body: 'Internal Server Error' });
    const before = profile.mcp.received.length;
    const reply = await callMcp(`Bearer ${opaque}`);
    expect(reply.status).toBe(502);
    expect(json(reply)).toMatchObject({ code: 'introspection_failed' });
    expect(profile.mcp.received.length).toBe(before);
    await callMcp(`Bearer ${opaque}`);
    expect(profile.introspection.calls.get(opaque)).toBe(2);
  });

  it('always authenticated as api-gateway-client', () => {
    expect(profile.introspection.rejectedCredentials()).toBe(0);
  });
});

describe('phantom token when the authorization server fails', () => {
  it('answers 503 when the authorization server is down', async () => {
    const profile = await startLocalProfile({}, { idsvrDown: true });
    try {
      const reply = await send(profile.url(MCP, '/'), { method: 'POST', headers: { authorization: 'Bearer some-opaque-token' }, body: '{}' });
      expect(reply.status).toBe(503);
      expect(json(reply)).toEqual({ code: 'authorization_server_unavailable', message: 'The authorization server could not be reached' });
      expect(profile.mcp.received).toEqual([]);
    } finally {
      await profile.close();
    }
  });

  it('answers 503 when introspection takes longer than timeout_ms', async () => {
    const config = readFileSync(KONG_YML, 'utf8').replace('token_cache_seconds: 60\n', 'token_cache_seconds: 60\n              timeout_ms: 300\n');
    const profile = await startLocalProfile({ kongConfigPath: writeKongConfig(config) });
    try {
      const { opaque } = await profile.issueToken();
      const answer = profile.introspection.answers.get(opaque);
      if (answer) answer.delayMs = 2000;
      // The authorization server would answer with a valid JWT after 2 s: a 503 means the gateway gave up first.
      const reply = await send(profile.url(MCP, '/'), { method: 'POST', headers: { authorization: `Bearer ${opaque}` }, body: '{}' });
      expect(reply.status).toBe(503);
      expect(profile.mcp.received).toEqual([]);
    } finally {
      await profile.close();
    }
  });

  it('answers 502 when the authorization server rejects the gateway client', async () => {
    const profile = await startLocalProfile({ env: { GATEWAY_CLIENT_SECRET: 'not-the-secret' } });
    try {
      const { opaque } = await profile.issueToken();
      const reply = await send(profile.url(MCP, '/'), { method: 'POST', headers: { authorization: `Bearer ${opaque}` }, body: '{}' });
      expect(reply.status).toBe(502);
      expect(json(reply)).toMatchObject({ code: 'introspection_failed' });
      expect(profile.introspection.rejectedCredentials()).toBe(1);
    } finally {
      await profile.close();
    }
  });
});
