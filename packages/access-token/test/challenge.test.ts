import { describe, expect, it } from 'vitest';
import { readPhantomTokenVectors } from '@mcp-demo/testing';
import { bearerChallenge, INSUFFICIENT_SCOPE_MESSAGE } from '../src/challenge.ts';

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

// The Kong plugin keeps its own copy of the message (Lua cannot import it): the shared vectors,
// which busted and the nginx replay run against that plugin, must carry these exact words.
describe('INSUFFICIENT_SCOPE_MESSAGE', () => {
  const codeOf = (body: unknown) => (typeof body === 'object' && body !== null && 'code' in body ? body.code : undefined);
  const refusals = readPhantomTokenVectors()
    .vectors.flatMap((vector) => vector.steps.map((step) => ({ vector: vector.name, expect: step.expect })))
    .filter(({ expect: answer }) => codeOf(answer.body_json) === 'insufficient_scope');

  it('is the message of every insufficient_scope answer in the shared phantom-token vectors', () => {
    expect(refusals.length).toBeGreaterThan(0);
    for (const { vector, expect: answer } of refusals) {
      expect(answer.status, vector).toBe(403);
      expect(answer.body_json, vector).toEqual({ code: 'insufficient_scope', message: INSUFFICIENT_SCOPE_MESSAGE });
      expect(answer.headers?.['www-authenticate'], vector).toContain(`error_description="${INSUFFICIENT_SCOPE_MESSAGE}"`);
    }
  });
});
