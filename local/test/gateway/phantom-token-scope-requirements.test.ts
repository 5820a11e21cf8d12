import { describe, expect, it } from 'vitest';
import { createPhantomToken, phantomTokenConfigSchema } from '../../gateway/index.ts';
import { MAX_INSPECTED_BODY, callFromBody, challengeScope, grantedScopes } from '../../gateway/plugins/scope-requirements.ts';
import { RequestBodyTooLarge } from '../../gateway/plugins/types.ts';

/**
 * Scope requirements beyond the shared vectors: bodies the gateway will not
 * read, repeated headers, and the pieces the vectors only reach together.
 */

const payload = (claims: Record<string, unknown>) => Buffer.from(JSON.stringify(claims)).toString('base64url');
const jwtWith = (scope: string) => `eyJhbGciOiJSUzI1NiJ9.${payload({ sub: 'john', scope })}.c2ln`;

function phantomToken(scope = 'stocks/read') {
  return createPhantomToken({
    config: phantomTokenConfigSchema.parse({
      introspection_endpoint: 'https://login.demo.example/introspect',
      client_id: 'api-gateway-client',
      client_secret: 'Password1',
      scope: 'stocks/read',
      resource_metadata: 'https://mcp.demo.example/.well-known/oauth-protected-resource',
      scope_requirements: [{ method: 'tools/call', name: 'place-order', scopes: ['stocks/trade'] }],
    }),
    introspect: async () => ({ status: 200, headers: {}, body: jwtWith(scope) }),
  });
}

const placeOrder = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'place-order' } });

describe('phantom-token scope requirements', () => {
  it('refuses with 400 a body over the gateway limit when no header names the method', async () => {
    const outcome = await phantomToken().authorize({
      headers: { authorization: 'Bearer opaque-token' },
      readBody: async () => {
        throw new RequestBodyTooLarge();
      },
    });
    expect(outcome).toMatchObject({ action: 'reject', status: 400 });
  });

  it(`refuses with 400 a body over ${MAX_INSPECTED_BODY} bytes when no header names the method`, async () => {
    const big = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'place-order', note: 'x'.repeat(MAX_INSPECTED_BODY) } });
    const outcome = await phantomToken().authorize({ headers: { authorization: 'Bearer opaque-token' }, readBody: async () => Buffer.from(big) });
    expect(outcome).toMatchObject({ action: 'reject', status: 400 });
  });

  it('refuses a repeated Mcp-Name header (a list) with 400', async () => {
    const outcome = await phantomToken('stocks/read stocks/trade').authorize({
      headers: { authorization: 'Bearer opaque-token', 'mcp-method': 'tools/call', 'mcp-name': ['fetch-stock-price', 'place-order'] as unknown as string },
      readBody: async () => Buffer.from(placeOrder),
    });
    expect(outcome).toMatchObject({ action: 'reject', status: 400 });
  });

  it('reads the body only when a header it needs is missing', async () => {
    let reads = 0;
    const outcome = await phantomToken().authorize({
      headers: { authorization: 'Bearer opaque-token', 'mcp-method': 'tools/list' },
      readBody: async () => {
        reads += 1;
        return Buffer.from(placeOrder);
      },
    });
    expect(outcome.action).toBe('forward');
    expect(reads).toBe(0);
  });

  it('lets other errors of the body reader through (a client that went away)', async () => {
    const gone = new Error('client aborted the request');
    await expect(
      phantomToken().authorize({
        headers: { authorization: 'Bearer opaque-token' },
        readBody: async () => {
          throw gone;
        },
      }),
    ).rejects.toBe(gone);
  });

  it('checks each remembered token against its own scopes, on every request', async () => {
    const scopeOf: Record<string, string> = { 'reader-token': 'stocks/read', 'trader-token': 'stocks/read stocks/trade' };
    let introspections = 0;
    const cached = createPhantomToken({
      config: phantomTokenConfigSchema.parse({
        introspection_endpoint: 'https://login.demo.example/introspect',
        client_id: 'api-gateway-client',
        client_secret: 'Password1',
        token_cache_seconds: 300,
        scope_requirements: [{ method: 'tools/call', name: 'place-order', scopes: ['stocks/trade'] }],
      }),
      introspect: async (request) => {
        introspections += 1;
        const token = new URLSearchParams(request.body).get('token') ?? '';
        return { status: 200, headers: {}, body: jwtWith(scopeOf[token] ?? '') };
      },
    });
    const call = (token: string, name: string) =>
      cached.authorize({ headers: { authorization: `Bearer ${token}`, 'mcp-method': 'tools/call', 'mcp-name': name }, readBody: async () => Buffer.alloc(0) });
    const statuses = [];
    for (const [token, name] of [
      ['reader-token', 'place-order'],
      ['trader-token', 'place-order'],
      ['reader-token', 'get-stocks'],
      ['reader-token', 'place-order'],
      ['trader-token', 'place-order'],
    ] as const) {
      const outcome = await call(token, name);
      statuses.push(outcome.action === 'forward' ? 'forward' : outcome.status);
    }
    expect(statuses).toEqual([403, 'forward', 'forward', 403, 'forward']);
    expect(introspections).toBe(2);
  });

  it('reads calls, scopes and the challenge scope as the Lua plugin does', () => {
    expect(callFromBody(Buffer.from(placeOrder))).toEqual({ method: 'tools/call', name: 'place-order' });
    expect(callFromBody(Buffer.from('{"jsonrpc":"2.0","id":1,"result":{}}'))).toEqual({});
    expect(callFromBody(Buffer.from('  '))).toEqual({});
    expect(callFromBody(Buffer.from('{"method":42}'))).toBeUndefined();
    expect(callFromBody(Buffer.from('{"method":"tools/call","params":{"name":"a b"}}'))).toBeUndefined();
    expect(grantedScopes(jwtWith('stocks/read  stocks/trade'))).toEqual(new Set(['stocks/read', 'stocks/trade']));
    expect(grantedScopes('not-a-jwt')).toEqual(new Set());
    expect(challengeScope('stocks/read', ['stocks/trade', 'stocks/read'])).toBe('stocks/read stocks/trade');
    expect(challengeScope(undefined, ['stocks/trade'])).toBe('stocks/trade');
  });

  it('refuses a configuration whose scopes are not OAuth scope tokens, or whose method is not a method name', () => {
    const base = { introspection_endpoint: 'https://a.example/i', client_id: 'c', client_secret: 's' };
    expect(phantomTokenConfigSchema.safeParse({ ...base, scope_requirements: [{ method: 'tools/call', scopes: ['a"b'] }] }).success).toBe(false);
    expect(phantomTokenConfigSchema.safeParse({ ...base, scope_requirements: [{ method: 'tools/call', scopes: [] }] }).success).toBe(false);
    expect(phantomTokenConfigSchema.safeParse({ ...base, scope_requirements: [{ method: 'tools call', scopes: ['a'] }] }).success).toBe(false);
    expect(phantomTokenConfigSchema.parse(base).scope_requirements).toEqual([]);
  });
});
