// The token exchange procedure: the MCP server trades its token for one
// aimed at the stocks API.
import { describe, expect, it } from 'vitest';
import { javaList, loadProcedure, NOW_SECONDS, refusal } from './support/procedure-sandbox.ts';

const procedure = loadProcedure('mcp-token-exchange.js');

const API = 'https://api.demo.example';
const MCP = 'https://mcp.demo.example/';
const EXCHANGED_JWT = 'eyJhbGciOiJQUzI1NiJ9.exchanged.signature';

/** The introspected JWT the MCP server received through the gateway. */
const subjectToken = {
  jti: '31b921b8-b166-4173-b633-7480bab89456',
  delegationId: 'd94e9d67-b426-4cff-8613-f7cf2b1ca154',
  iss: 'https://login.demo.example/oauth/v2/oauth-anonymous',
  sub: 'john.doe@demo.example',
  aud: MCP,
  scope: 'stocks/read',
  iat: NOW_SECONDS - 300,
  nbf: NOW_SECONDS - 300,
  exp: NOW_SECONDS + 600,
  purpose: 'access_token',
  region: 'USA',
  client_type: 'mcp',
  client_assurance_level: 1,
  // Not for the API: must not be carried over.
  email: 'john.doe@demo.example',
};

interface ExchangeOptions {
  audience?: string | null;
  subject?: unknown;
  delegation?: unknown;
  clientId?: string;
}

function exchange(options: ExchangeOptions = {}) {
  const calls = {
    initialized: [] as Array<{ audiences: unknown; scopes: unknown }>,
    issued: [] as Array<{ data: Record<string, unknown>; delegation: unknown }>,
  };
  const delegation = 'delegation' in options ? options.delegation : { id: 'delegation-1' };
  const context = {
    client: { id: options.clientId ?? 'mcp-server' },
    request: {
      getFormParameter: (name: string) => (name === 'audience' ? (options.audience === undefined ? API : options.audience) : null),
    },
    getPresentedSubjectToken: () => ('subject' in options ? options.subject : subjectToken),
    getPresentedSubjectTokenDelegation: () => delegation,
    subjectAttributes: () => ({ subject: 'john.doe@demo.example' }),
    contextAttributes: () => ({}),
    getInitializedContext: (_subject: unknown, _context: unknown, audiences: unknown, scopes: unknown) => {
      calls.initialized.push({ audiences: structuredClone(audiences), scopes: structuredClone(scopes) });
      return {
        getDefaultAccessTokenJwtIssuer: () => ({
          issue: (data: Record<string, unknown>, withDelegation: unknown) => {
            calls.issued.push({ data: structuredClone(data), delegation: withDelegation });
            return EXCHANGED_JWT;
          },
        }),
      };
    },
  };
  return { context, calls };
}

describe('token exchange for the stocks API', () => {
  it('issues a JWT for the API that keeps the user, scope and claims and names the MCP server as actor', () => {
    const { context, calls } = exchange();
    expect(procedure(context)).toEqual({
      access_token: EXCHANGED_JWT,
      issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      token_type: 'bearer',
      expires_in: 600,
      scope: 'stocks/read',
    });

    const { email: _notForTheApi, ...kept } = subjectToken;
    expect(calls.issued).toHaveLength(1);
    expect(calls.issued[0]?.data).toEqual({ ...kept, aud: API, act: { sub: 'mcp-server' } });
    expect(calls.issued[0]?.delegation).toEqual({ id: 'delegation-1' });
    expect(calls.initialized).toEqual([{ audiences: [API], scopes: ['stocks/read'] }]);
  });

  it('never lets the new token outlive the token it was exchanged from', () => {
    const { context, calls } = exchange();
    procedure(context);
    expect(calls.issued[0]?.data['exp']).toBeLessThanOrEqual(subjectToken.exp);
  });

  it('names the authenticated client as the actor', () => {
    const { context, calls } = exchange({ clientId: 'another-service' });
    procedure(context);
    expect(calls.issued[0]?.data['act']).toEqual({ sub: 'another-service' });
  });

  it.each([
    ['no audience', null],
    ['the MCP server itself', MCP],
    ['the API with a trailing slash', `${API}/`],
    ['another API', 'https://payments.demo.example'],
  ])('refuses %s with invalid_target', (_case, audience) => {
    const { context, calls } = exchange({ audience });
    const error = refusal(procedure, context);
    expect(error.status).toBe(400);
    expect(error.errorCode).toBe('invalid_target');
    expect(calls.issued).toHaveLength(0);
  });

  it('refuses a subject token the server could not introspect', () => {
    const { context, calls } = exchange({ subject: null });
    expect(refusal(procedure, context).errorCode).toBe('invalid_request');
    expect(calls.issued).toHaveLength(0);
  });

  it('refuses a subject token without a grant behind it', () => {
    const { context } = exchange({ delegation: null });
    expect(refusal(procedure, context).errorCode).toBe('invalid_request');
  });

  it('refuses to exchange a token that was not issued for the MCP server', () => {
    const { context, calls } = exchange({ subject: { ...subjectToken, aud: API } });
    expect(refusal(procedure, context).errorCode).toBe('invalid_request');
    expect(calls.issued).toHaveLength(0);
  });

  it.each([
    ['a list', [MCP, 'https://other.example']],
    ['a Java list', javaList([MCP])],
  ])('accepts a subject token whose audience is %s', (_case, aud) => {
    const { context, calls } = exchange({ subject: { ...subjectToken, aud } });
    procedure(context);
    expect(calls.issued[0]?.data['aud']).toBe(API);
  });

  it('reads subject token data that arrives as a Java map', () => {
    const javaMap = { get: (name: string) => (subjectToken as Record<string, unknown>)[name] };
    const { context, calls } = exchange({ subject: javaMap });
    procedure(context);
    expect(calls.issued[0]?.data).toMatchObject({ sub: 'john.doe@demo.example', region: 'USA', aud: API });
  });
});
