import { describe, expect, it } from 'vitest';
import { bearerChallenge } from '../src/challenge.ts';

describe('bearerChallenge', () => {
  it('writes the attributes in the fixed order', () => {
    expect(
      bearerChallenge({ error: 'insufficient_scope', description: 'More scope', resourceMetadata: 'https://mcp.demo.example/.well-known/oauth-protected-resource', scope: 'stocks/read stocks/trade' }),
    ).toBe(
      'Bearer error="insufficient_scope", error_description="More scope", resource_metadata="https://mcp.demo.example/.well-known/oauth-protected-resource", scope="stocks/read stocks/trade"',
    );
  });

  it('leaves out the attributes it is not given', () => {
    expect(bearerChallenge({ error: 'invalid_token' })).toBe('Bearer error="invalid_token"');
  });

  // The Kong plugin escapes rather than drops; kong/phantom-token-vectors.json pins the same bytes for both gateways.
  it('backslash-escapes double quotes and backslashes as quoted-pairs', () => {
    expect(bearerChallenge({ error: 'invalid_token', description: 'say "hi" \\ bye', scope: 'a\\b "c"' })).toBe(
      'Bearer error="invalid_token", error_description="say \\"hi\\" \\\\ bye", scope="a\\\\b \\"c\\""',
    );
  });
});
