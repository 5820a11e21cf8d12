import { describe, expect, it } from 'vitest';
import { jwtFormClaims, opaqueTokenClaims } from '../src/tokens/claims.ts';

describe('opaqueTokenClaims', () => {
  it('carries the region, the client context and the delegation', () => {
    expect(
      opaqueTokenClaims({ region: 'USA', client_type: 'mcp', client_assurance_level: 1, grantId: 'grant-1', tokenId: 'id-1' }),
    ).toEqual({ jti: 'id-1', purpose: 'access_token', delegationId: 'grant-1', region: 'USA', client_type: 'mcp', client_assurance_level: 1 });
  });

  it('leaves out what the client or user does not have', () => {
    expect(opaqueTokenClaims({ tokenId: 'id-2' })).toEqual({ jti: 'id-2', purpose: 'access_token' });
  });

  it('ignores client attributes of the wrong type', () => {
    const claims = opaqueTokenClaims({ client_type: 7, client_assurance_level: '1', tokenId: 'id-3' });
    expect(claims).not.toHaveProperty('client_type');
    expect(claims).not.toHaveProperty('client_assurance_level');
  });
});

describe('jwtFormClaims', () => {
  const introspection = {
    active: true,
    sub: 'john.doe@demo.example',
    scope: 'stocks/read',
    region: 'USA',
    client_type: 'mcp',
    client_assurance_level: 1,
    purpose: 'access_token',
    delegationId: 'grant-1',
    client_id: 'client-1',
    iss: 'https://login.demo.example/oauth/v2/oauth-anonymous',
    aud: 'https://mcp.demo.example/',
    iat: 1000,
    exp: 1900,
    token_type: 'Bearer',
    jti: 'must-not-be-used',
  };

  it('builds the seed token payload with nbf equal to iat and the stored token id as jti', () => {
    expect(jwtFormClaims(introspection, 'token-id')).toEqual({
      jti: 'token-id',
      delegationId: 'grant-1',
      sub: 'john.doe@demo.example',
      scope: 'stocks/read',
      client_id: 'client-1',
      purpose: 'access_token',
      region: 'USA',
      client_type: 'mcp',
      client_assurance_level: 1,
      iss: 'https://login.demo.example/oauth/v2/oauth-anonymous',
      aud: 'https://mcp.demo.example/',
      iat: 1000,
      nbf: 1000,
      exp: 1900,
    });
  });

  it('drops introspection-only members', () => {
    const claims = jwtFormClaims(introspection, 'token-id');
    expect(claims).not.toHaveProperty('active');
    expect(claims).not.toHaveProperty('token_type');
  });

  it('has no jti when the token has no stored id', () => {
    expect(jwtFormClaims(introspection, undefined)).not.toHaveProperty('jti');
  });
});
