import { describe, expect, it } from 'vitest';
import { cacheKey, createPhantomToken, createTokenCache, phantomTokenConfigSchema, type IntrospectionRequest } from '../../gateway/index.ts';
import { readPhantomTokenVectors, type VectorStep } from '@mcp-demo/testing';

/**
 * kong/phantom-token-vectors.json pins the behaviour the Kong plugin and the
 * Node gateway share. Every vector runs against the Node implementation with
 * a fake clock and a fake authorization server.
 */

// The Lua plugin's busted specs read the same file: a missing file must fail here, not skip.
const document = readPhantomTokenVectors();

describe('shared phantom-token vectors', () => {
  it('has vectors to run', () => {
    expect(document.vectors.length).toBeGreaterThan(0);
  });

  for (const example of document.cache_key_examples ?? []) {
    it(`derives the cache key of ${example.token}`, () => {
      expect(cacheKey(example.token)).toBe(example.cache_key);
    });
  }

  for (const vector of document.vectors) {
    it(vector.name, async () => {
      const start = 1_750_000_000_000;
      let clock = 0;
      let calls = 0;
      let step: VectorStep | undefined;
      const requests: IntrospectionRequest[] = [];
      const unexpected: string[] = [];

      const now = () => start + clock * 1000;
      const phantomToken = createPhantomToken({
        config: phantomTokenConfigSchema.parse({ ...document.config, ...vector.config_overrides }),
        cache: createTokenCache({ now }),
        introspect: async (request) => {
          calls += 1;
          requests.push(request);
          const answer = step?.introspection;
          if (!answer) {
            unexpected.push(`introspection call ${calls} where the vector allows none`);
            throw new Error('no introspection expected');
          }
          if ('network_error' in answer) throw new Error(answer.network_error);
          return { status: answer.status, headers: answer.headers, body: answer.body };
        },
      });

      for (const [index, current] of vector.steps.entries()) {
        step = current;
        const requestsBefore = requests.length;
        if (current.clock !== undefined) clock = current.clock;
        // Node hands plugins lower-case header names; a body is read only when a requirement needs it.
        const headers = Object.fromEntries(Object.entries(current.request.headers).map(([name, value]) => [name.toLowerCase(), value]));
        const body = Buffer.from(current.request.body ?? '', 'utf8');
        const outcome = await phantomToken.authorize({ headers, readBody: async () => body });
        const label = `step ${index + 1}`;

        expect(unexpected, label).toEqual([]);
        expect(calls, `${label}: introspection calls`).toBe(current.expect.introspection_calls);
        if (current.expect_introspection_request) {
          const wanted = current.expect_introspection_request;
          const seen = requests.length > requestsBefore ? requests.at(-1) : undefined;
          expect(seen, `${label}: introspection request`).toBeDefined();
          expect(seen?.method).toBe(wanted.method);
          for (const [name, value] of Object.entries(wanted.headers)) expect(seen?.headers[name], `${label}: ${name}`).toBe(value);
          expect(seen?.body).toBe(wanted.body);
        }
        if (current.expect.status === null) {
          expect(outcome, label).toEqual({ action: 'forward', authorization: current.expect.upstream_authorization });
          continue;
        }
        if (outcome.action !== 'reject') throw new Error(`${label}: expected status ${current.expect.status}, the request was forwarded`);
        expect(outcome.status, label).toBe(current.expect.status);
        for (const [name, value] of Object.entries(current.expect.headers ?? {})) expect(outcome.headers[name], `${label}: ${name}`).toBe(value);
        if (current.expect.body_json !== undefined) expect(JSON.parse(outcome.body ?? ''), label).toEqual(current.expect.body_json);
      }
    });
  }
});
