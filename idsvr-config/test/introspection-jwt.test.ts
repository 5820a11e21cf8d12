// The introspection procedure behind the phantom token pattern.
import { describe, expect, it } from 'vitest';
import { loadProcedure, NOW_SECONDS } from './support/procedure-sandbox.ts';

const procedure = loadProcedure('mcp-introspect-application-jwt.js');

const tokenData = {
  jti: '31b921b8-b166-4173-b633-7480bab89456',
  delegationId: 'd94e9d67-b426-4cff-8613-f7cf2b1ca154',
  iss: 'https://login.demo.example/oauth/v2/oauth-anonymous',
  sub: 'john.doe@demo.example',
  aud: 'https://mcp.demo.example/',
  scope: 'stocks/read',
  iat: NOW_SECONDS - 60,
  nbf: NOW_SECONDS - 60,
  exp: NOW_SECONDS + 840,
  purpose: 'access_token',
  region: 'USA',
  client_type: 'mcp',
  client_assurance_level: 1,
};

function introspection(active: boolean, delegation: unknown = { id: 'delegation-1' }) {
  const issued: Array<{ data: unknown; delegation: unknown }> = [];
  const context = {
    presentedToken: { active, data: tokenData },
    delegation,
    getDefaultAccessTokenJwtIssuer: () => ({
      issue: (data: unknown, withDelegation: unknown) => {
        issued.push({ data: structuredClone(data), delegation: withDelegation });
        return 'eyJhbGciOiJQUzI1NiJ9.phantom.signature';
      },
    }),
  };
  return { context, issued };
}

describe('introspection with an application/jwt answer', () => {
  it('returns a JWT that carries the opaque token data unchanged', () => {
    const { context, issued } = introspection(true);
    expect(procedure(context)).toEqual({ active: true, jwt: 'eyJhbGciOiJQUzI1NiJ9.phantom.signature' });
    expect(issued).toEqual([{ data: tokenData, delegation: { id: 'delegation-1' } }]);
  });

  it('returns no JWT for an inactive token', () => {
    const { context, issued } = introspection(false);
    expect(procedure(context)).toEqual({ active: false });
    expect(issued).toHaveLength(0);
  });

  it('returns no JWT when the grant behind the token is gone', () => {
    const { context, issued } = introspection(true, null);
    expect(procedure(context)).toEqual({ active: false });
    expect(issued).toHaveLength(0);
  });
});
