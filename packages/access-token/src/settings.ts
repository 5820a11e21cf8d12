import { z } from 'zod';
import { env } from '@mcp-demo/service-kit';
import { ASYMMETRIC_ALGORITHMS, type AccessTokenPolicy, type AsymmetricAlgorithm } from './verifier.ts';

/** RFC 6749 section 3.3: scope tokens are printable ASCII without '"' or '\', separated by single spaces. */
const SCOPE = /^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/;

function isAsymmetric(value: string): value is AsymmetricAlgorithm {
  return (ASYMMETRIC_ALGORITHMS as readonly string[]).includes(value);
}

// Symmetric algorithms and `none` are refused here already, so a
// misconfiguration stops the service at start-up instead of weakening it.
const algorithms = env.list(['PS256']).transform((values, ctx) => {
  const refused = values.filter((value) => !isAsymmetric(value));
  if (refused.length > 0) {
    ctx.addIssue({
      code: 'custom',
      message: `${refused.join(', ')} not allowed; use asymmetric algorithms only (${ASYMMETRIC_ALGORITHMS.join(', ')})`,
    });
    return z.NEVER;
  }
  if (values.length === 0) {
    ctx.addIssue({ code: 'custom', message: 'at least one algorithm is required' });
    return z.NEVER;
  }
  return values.filter(isAsymmetric);
});

/**
 * The environment variables of a resource server that accepts JWT access
 * tokens, for the service to spread into its one settings schema, so that the
 * API and the MCP server name, default and check them identically.
 */
export function accessTokenVariables(defaults: { audience: string; scope?: string }) {
  return {
    /** Compared byte for byte with the token's iss claim, so no normalisation. */
    ISSUER: env.url(),
    JWKS_URI: env.url(),
    AUDIENCE: env.text(defaults.audience),
    ALGORITHMS: algorithms,
    REQUIRED_SCOPE: env.text(defaults.scope ?? 'stocks/read').pipe(z.string().regex(SCOPE, 'must be space separated scope tokens (RFC 6749 section 3.3)')),
    CLOCK_TOLERANCE_SECONDS: env.seconds(5, 300),
    VERIFIED_TOKEN_CACHE_ENTRIES: env.integer(10_000, { max: 1_000_000 }),
  };
}

export interface AccessTokenVariables {
  ISSUER: string;
  AUDIENCE: string;
  ALGORITHMS: AsymmetricAlgorithm[];
  REQUIRED_SCOPE: string;
  CLOCK_TOLERANCE_SECONDS: number;
  VERIFIED_TOKEN_CACHE_ENTRIES: number;
}

export function accessTokenPolicyOf(settings: AccessTokenVariables): AccessTokenPolicy {
  return {
    issuer: settings.ISSUER,
    audience: settings.AUDIENCE,
    algorithms: settings.ALGORITHMS,
    requiredScope: settings.REQUIRED_SCOPE,
    clockToleranceSeconds: settings.CLOCK_TOLERANCE_SECONDS,
    verifiedTokenCacheEntries: settings.VERIFIED_TOKEN_CACHE_ENTRIES,
  };
}
