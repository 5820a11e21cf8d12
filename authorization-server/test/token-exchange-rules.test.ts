import { describe, expect, it } from 'vitest';
import {
  ACCESS_TOKEN_TYPE,
  carriedClaims,
  checkExchangeParameters,
  chooseAudience,
  exchangedLifetime,
  narrowScope,
} from '../src/grants/token-exchange-rules.ts';

function errorOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    return (error as { error?: string }).error;
  }
  return undefined;
}

const API = 'https://api.demo.example';

describe('checkExchangeParameters', () => {
  const valid = { subject_token: 'eyJ...', subject_token_type: ACCESS_TOKEN_TYPE };
  it('accepts an access token subject', () => {
    expect(errorOf(() => checkExchangeParameters(valid))).toBeUndefined();
    expect(errorOf(() => checkExchangeParameters({ ...valid, requested_token_type: ACCESS_TOKEN_TYPE }))).toBeUndefined();
  });
  it.each([
    ['no subject token', { subject_token_type: ACCESS_TOKEN_TYPE }],
    ['another subject token type', { ...valid, subject_token_type: 'urn:ietf:params:oauth:token-type:id_token' }],
    ['an actor token', { ...valid, actor_token: 'x' }],
    ['a refresh token as the requested type', { ...valid, requested_token_type: 'urn:ietf:params:oauth:token-type:refresh_token' }],
  ])('refuses %s with invalid_request', (_case, params) => {
    expect(errorOf(() => checkExchangeParameters(params))).toBe('invalid_request');
  });
});

describe('chooseAudience', () => {
  it('returns the configured form of an allowed audience', () => {
    expect(chooseAudience({ audience: API }, [API])).toBe(API);
    expect(chooseAudience({ audience: `${API}/` }, [API])).toBe(API);
    expect(chooseAudience({ resource: API }, [API])).toBe(API);
  });
  it('requires an audience', () => {
    expect(errorOf(() => chooseAudience({}, [API]))).toBe('invalid_request');
  });
  it('refuses audiences the client may not request', () => {
    expect(errorOf(() => chooseAudience({ audience: 'https://mcp.demo.example/' }, [API]))).toBe('invalid_target');
    expect(errorOf(() => chooseAudience({ audience: API }, []))).toBe('invalid_target');
  });
  it('refuses more than one target', () => {
    expect(errorOf(() => chooseAudience({ audience: [API, 'https://other.example'] }, [API, 'https://other.example']))).toBe('invalid_target');
    expect(chooseAudience({ audience: API, resource: API }, [API])).toBe(API);
  });
});

describe('narrowScope', () => {
  it('keeps the subject scope by default', () => {
    expect(narrowScope('stocks/read', undefined)).toBe('stocks/read');
  });
  it('narrows on request', () => {
    expect(narrowScope('stocks/read stocks/list', 'stocks/list')).toBe('stocks/list');
  });
  it('never widens', () => {
    expect(errorOf(() => narrowScope('stocks/read', 'stocks/read stocks/write'))).toBe('invalid_scope');
  });
  it('refuses a subject without scope', () => {
    expect(errorOf(() => narrowScope(undefined, undefined))).toBe('invalid_grant');
  });
});

describe('exchangedLifetime', () => {
  it('is bounded by the subject token expiry', () => {
    expect(exchangedLifetime(1_060, 1_000, 900)).toBe(60);
    expect(exchangedLifetime(5_000, 1_000, 900)).toBe(900);
  });
  it('refuses an expired subject', () => {
    expect(errorOf(() => exchangedLifetime(1_000, 1_000, 900))).toBe('invalid_grant');
    expect(errorOf(() => exchangedLifetime(undefined, 1_000, 900))).toBe('invalid_grant');
  });
});

describe('carriedClaims', () => {
  it('keeps the user and client context and names the actor', () => {
    expect(
      carriedClaims(
        { sub: 'u', region: 'USA', client_type: 'mcp', client_assurance_level: 1, delegationId: 'd', aud: 'x', jti: 'j', scope: 's' },
        'mcp-server',
      ),
    ).toEqual({ purpose: 'access_token', act: { sub: 'mcp-server' }, region: 'USA', client_type: 'mcp', client_assurance_level: 1, delegationId: 'd' });
  });
});
