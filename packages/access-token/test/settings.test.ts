import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigurationError, loadConfig } from '@mcp-demo/service-kit';
import { accessTokenPolicyOf, accessTokenVariables } from '../src/index.ts';

const schema = z.object(accessTokenVariables({ audience: 'https://api.demo.example' }));
const required = { ISSUER: 'https://login.demo.example/oauth/v2/oauth-anonymous', JWKS_URI: 'http://idsvr:8443/oauth/v2/oauth-anonymous/jwks' };

function problemsOf(variables: Record<string, string>): readonly string[] {
  try {
    loadConfig('svc', schema, variables);
  } catch (error) {
    if (error instanceof ConfigurationError) return error.problems;
    throw error;
  }
  throw new Error('configuration was accepted');
}

describe('access token variables', () => {
  it('default to PS256, stocks/read, 5 s of clock tolerance and 10,000 remembered tokens, and make a policy', () => {
    const settings = loadConfig('svc', schema, required);
    expect(accessTokenPolicyOf(settings)).toEqual({
      issuer: required.ISSUER,
      audience: 'https://api.demo.example',
      algorithms: ['PS256'],
      requiredScope: 'stocks/read',
      clockToleranceSeconds: 5,
      verifiedTokenCacheEntries: 10_000,
    });
    expect(settings.JWKS_URI).toBe(required.JWKS_URI);
  });

  it.each<[string, string, RegExp]>([
    ['ALGORITHMS', 'HS256', /^ALGORITHMS: HS256 not allowed; use asymmetric algorithms only/],
    ['ALGORITHMS', 'PS256,none', /^ALGORITHMS: none not allowed/],
    ['ALGORITHMS', ',', /^ALGORITHMS: at least one algorithm is required/],
    ['REQUIRED_SCOPE', 'stocks/read  "x"', /^REQUIRED_SCOPE: must be space separated scope tokens/],
    ['CLOCK_TOLERANCE_SECONDS', '301', /^CLOCK_TOLERANCE_SECONDS: must be at most 300/],
    ['JWKS_URI', 'file:///etc/passwd', /^JWKS_URI: must be an http or https URL/],
    ['VERIFIED_TOKEN_CACHE_ENTRIES', '-1', /^VERIFIED_TOKEN_CACHE_ENTRIES: must be at least 0/],
  ])('name %s when it is %j', (variable, value, problem) => {
    expect(problemsOf({ ...required, [variable]: value })).toEqual([expect.stringMatching(problem)]);
  });

  it('report both missing URLs at once', () => {
    expect(problemsOf({})).toEqual(['ISSUER: is required but not set', 'JWKS_URI: is required but not set']);
  });
});
