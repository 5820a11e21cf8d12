import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPhantomTokenVectors } from '@mcp-demo/testing';
import { luaRuntimeErrors, nginxUnavailable } from '../src/nginx.ts';
import { INTROSPECTION_ORIGIN, startPluginHarness, type IntrospectionAnswer, type PluginHarness } from '../src/plugin-harness.ts';
import { rawRequest } from '../src/raw-http.ts';

/**
 * kong/phantom-token-vectors.json, replayed over real HTTP against the
 * plugin's unchanged handler.lua in nginx: a real introspection endpoint
 * answers as each step says, a real upstream records the Authorization
 * header it receives. The vector clock ages the real shared dict's entries
 * (their TTLs shrink by the step's seconds). A step's network error is a
 * connection the endpoint drops without answering.
 */

const document = readPhantomTokenVectors();
const unavailable = nginxUnavailable();
const routeOf = (index: number) => `vector-${index}`;
const endpointPath = new URL(String(document.config.introspection_endpoint)).pathname;

let harness: PluginHarness | undefined;

beforeAll(async () => {
  if (unavailable) return;
  const routes = Object.fromEntries(
    document.vectors.map((vector, index) => {
      const config: Record<string, unknown> = { ...document.config, ...vector.config_overrides };
      // The vector's host name stands for the test's endpoint; the path stays.
      const endpoint = new URL(String(config.introspection_endpoint));
      return [routeOf(index), { ...config, introspection_endpoint: `${INTROSPECTION_ORIGIN}${endpoint.pathname}` }];
    }),
  );
  harness = await startPluginHarness({ routes });
});

afterAll(async () => {
  await harness?.stop();
});

describe.skipIf(unavailable)('shared phantom-token vectors through nginx and the Lua plugin', () => {
  it('has vectors to run', () => {
    expect(document.vectors.length).toBeGreaterThan(0);
  });

  document.vectors.forEach((vector, index) => {
    it(vector.name, async () => {
      const h = harness;
      if (!h) throw new Error('nginx did not start');
      await h.flushCache();
      const callsBefore = h.introspectionCalls.length;
      let clock = 0;

      for (const [stepIndex, step] of vector.steps.entries()) {
        const label = `step ${stepIndex + 1}`;
        if (step.clock !== undefined && step.clock !== clock) {
          await h.advanceClock(step.clock - clock);
          clock = step.clock;
        }
        h.answers.length = 0;
        const answer: IntrospectionAnswer | undefined =
          step.introspection === null ? undefined : 'network_error' in step.introspection ? { drop: true } : step.introspection;
        if (answer) h.answers.push(answer);
        const upstreamBefore = h.upstreamCalls.length;
        const stepCallsBefore = h.introspectionCalls.length;

        const { method, headers, body } = step.request;
        const response = await rawRequest(h.url(routeOf(index), 'resource'), { method, headers, body });

        expect(h.introspectionCalls.length - callsBefore, `${label}: introspection calls`).toBe(step.expect.introspection_calls);
        const wanted = step.expect_introspection_request;
        if (wanted) {
          expect(h.introspectionCalls.length, `${label}: an introspection call`).toBeGreaterThan(stepCallsBefore);
          const seen = h.introspectionCalls.at(-1);
          expect(seen?.method, label).toBe(wanted.method);
          expect(seen?.path, label).toBe(endpointPath);
          for (const [name, value] of Object.entries(wanted.headers)) expect(seen?.headers[name], `${label}: ${name}`).toBe(value);
          expect(seen?.body, label).toBe(wanted.body);
        }

        if (step.expect.status === null) {
          expect(response.status, `${label}: ${response.body}`).toBe(200);
          expect(h.upstreamCalls.length, `${label}: forwarded once`).toBe(upstreamBefore + 1);
          expect(h.upstreamCalls.at(-1)?.authorization, label).toBe(step.expect.upstream_authorization);
          continue;
        }
        expect(response.status, `${label}: ${response.body}`).toBe(step.expect.status);
        expect(h.upstreamCalls.length, `${label}: must not reach the upstream`).toBe(upstreamBefore);
        for (const [name, value] of Object.entries(step.expect.headers ?? {})) expect(response.headers[name], `${label}: ${name}`).toBe(value);
        if (step.expect.body_json !== undefined && step.expect.body_json !== null) {
          expect(JSON.parse(response.body), label).toEqual(step.expect.body_json);
        }
      }
    });
  });

  it('left no Lua runtime error in the error log, and logged no token', () => {
    const log = harness?.nginx.errorLog() ?? '';
    expect(luaRuntimeErrors(log)).toEqual([]);
    // The plugin's own kong.log lines reach the same file.
    expect(log).toContain('[kong] [phantom-token]');
    for (const vector of document.vectors) {
      for (const step of vector.steps) {
        const token = /^\S+\s+(\S{8,})$/.exec(step.request.headers.authorization ?? '')?.[1];
        if (token) expect(log).not.toContain(token);
      }
    }
  });
});

if (unavailable) {
  describe('shared phantom-token vectors through nginx', () => {
    it.skip(`needs nginx with lua-nginx-module: ${unavailable}`, () => {});
  });
}
