import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIssuer, unusedPort, type TestIssuer } from '@mcp-demo/testing';
import { createBalancer, FAILED_TARGET_PAUSE_MS, type Target } from '../../gateway/balancer.ts';
import { GatewayMappingError, KongConfigError, startGateway, type Gateway } from '../../gateway/index.ts';
import {
  json,
  jwtAnswer,
  quietLogger,
  send,
  startEchoUpstream,
  startIntrospectionServer,
  writeKongConfig,
  type EchoUpstream,
  type IntrospectionServer,
} from './helpers.ts';

/**
 * Replicas behind the gateway, as Kong balances them: kong.yml upstreams
 * with several targets, or one host mapped to several local origins (a DNS
 * name with several addresses), round-robin, and a target that refuses
 * connections passed over for the next one.
 */

const servedBy = async (url: string, method = 'GET', body?: string): Promise<string> => {
  const reply = await send(url, { method, body });
  expect(reply.status, reply.body).toBe(200);
  return (json(reply) as { upstream: string }).upstream;
};

const TWO_TARGETS = `
      - target: app-1:8080
      - target: app-2:8080`;

const UPSTREAM_CONFIG = (targets = TWO_TARGETS, extra = '') => `_format_version: "3.0"
upstreams:
  - name: app-upstream
    targets:${targets}${extra}
services:
  - name: app
    url: http://app-upstream:8080
    routes:
      - name: app-route
        hosts: [app.test]
        strip_path: false
`;

const HOST_CONFIG = (retries?: number) => `_format_version: "3.0"
services:
  - name: app
    url: http://app:8080
${retries === undefined ? '' : `    retries: ${retries}\n`}    routes:
      - name: app-route
        hosts: [app.test]
        strip_path: false
`;

describe('balancing over replicas', () => {
  let one: EchoUpstream;
  let two: EchoUpstream;
  let dead: string;
  const gateways: Gateway[] = [];
  const start = async (yaml: string, upstreams: Record<string, string | string[]>) => {
    const gateway = await startGateway({ kongConfigPath: writeKongConfig(yaml), virtualHosts: { 'app.test': { port: 0 } }, upstreams, logger: quietLogger });
    gateways.push(gateway);
    return (path = '/') => `${gateway.urls['app.test']}${path}`;
  };

  beforeAll(async () => {
    [one, two] = (await Promise.all([startEchoUpstream('one'), startEchoUpstream('two')])) as [EchoUpstream, EchoUpstream];
    dead = `http://127.0.0.1:${await unusedPort()}`;
  });
  afterAll(async () => {
    await Promise.all(gateways.map((gateway) => gateway.close()));
    await Promise.all([one.close(), two.close()]);
  });

  it("takes turns over the targets of a kong.yml upstream the service's host names", async () => {
    const url = await start(UPSTREAM_CONFIG(), { 'app-1:8080': one.origin, 'app-2:8080': two.origin });
    const order = [];
    for (let i = 0; i < 4; i += 1) order.push(await servedBy(url('/stocks')));
    expect(order).toEqual(['one', 'two', 'one', 'two']);
  });

  it('takes turns over several local origins of one host, as over the addresses of a DNS name', async () => {
    const url = await start(HOST_CONFIG(), { 'app:8080': [one.origin, two.origin] });
    const order = [];
    for (let i = 0; i < 4; i += 1) order.push(await servedBy(url()));
    expect(order).toEqual(['one', 'two', 'one', 'two']);
  });

  it('gives a target its share by weight, and none with weight 0', async () => {
    const yaml = UPSTREAM_CONFIG(`
      - target: app-1:8080
        weight: 200
      - target: app-2:8080
        weight: 100
      - target: app-3:8080
        weight: 0`);
    const url = await start(yaml, { 'app-1:8080': one.origin, 'app-2:8080': two.origin, 'app-3:8080': dead });
    const order = [];
    for (let i = 0; i < 6; i += 1) order.push(await servedBy(url()));
    expect(order.filter((name) => name === 'one')).toHaveLength(4);
    expect(order.filter((name) => name === 'two')).toHaveLength(2);
  });

  it('sends every request, a POST with its body included, to the live target when the other refuses connections', async () => {
    const url = await start(HOST_CONFIG(), { 'app:8080': [dead, two.origin] });
    const before = two.received.length;
    const served = [];
    for (let i = 0; i < 4; i += 1) served.push(await servedBy(url('/tools'), i % 2 ? 'POST' : 'GET', i % 2 ? `{"n":${i}}` : undefined));
    expect(served).toEqual(['two', 'two', 'two', 'two']);
    const posts = two.received.slice(before).filter((request) => request.method === 'POST');
    expect(posts.map((request) => request.body)).toEqual(['{"n":1}', '{"n":3}']);
  });

  it('answers 502 without trying another target when the service allows no retries', async () => {
    const url = await start(HOST_CONFIG(0), { 'app:8080': [dead, two.origin] });
    // The first turn goes to the dead target; with retries 0 that is the answer.
    const reply = await send(url());
    expect(reply.status).toBe(502);
    expect(json(reply)).toEqual({ code: 'upstream_unavailable', message: 'An invalid response was received from the upstream server' });
  });

  it('refuses an upstream setting it does not implement, and a mapping that misses a target', async () => {
    await expect(startGateway({ kongConfigPath: writeKongConfig(UPSTREAM_CONFIG(TWO_TARGETS, '\n    healthchecks: {}')), virtualHosts: { 'app.test': { port: 0 } }, upstreams: {} })).rejects.toThrow(KongConfigError);
    await expect(start(UPSTREAM_CONFIG(), { 'app-1:8080': one.origin })).rejects.toThrow(
      expect.objectContaining({ name: GatewayMappingError.name, message: expect.stringContaining('target app-2:8080 of upstream app-upstream') }),
    );
  });
});

describe('the balancer', () => {
  const target = (name: string): Target => ({ origin: `http://${name}`, host: name, dispatcher: undefined as never });
  const [a, b, c] = [target('a'), target('b'), target('c')];

  it('passes over a failed target until its pause is over, then gives it turns again', () => {
    let now = 0;
    const balancer = createBalancer([a, b, c].map((t) => ({ target: t, weight: 100 })), () => now);
    expect([balancer.next(), balancer.next(), balancer.next()]).toEqual([a, b, c]);
    balancer.failed(a);
    expect([balancer.next(), balancer.next(), balancer.next(), balancer.next()]).not.toContain(a);
    now += FAILED_TARGET_PAUSE_MS;
    const turns = [balancer.next(), balancer.next(), balancer.next()];
    expect(turns).toContain(a);
  });

  it('prefers targets the request has not tried, and still answers when every target failed', () => {
    const balancer = createBalancer([a, b].map((t) => ({ target: t, weight: 100 })), () => 0);
    expect(balancer.next(new Set([a]))).toBe(b);
    balancer.failed(a);
    balancer.failed(b);
    expect([a, b]).toContain(balancer.next(new Set([a, b])));
  });
});

describe('introspection over authorization server replicas', () => {
  let issuer: TestIssuer;
  let introspection: IntrospectionServer;
  let upstream: EchoUpstream;
  let gateway: Gateway;

  beforeAll(async () => {
    issuer = await startTestIssuer();
    introspection = await startIntrospectionServer();
    upstream = await startEchoUpstream('api');
    const yaml = `_format_version: "3.0"
services:
  - name: api
    url: http://api:8080
    routes:
      - name: api-route
        hosts: [api.test]
        plugins:
          - name: phantom-token
            config:
              introspection_endpoint: http://idsvr:8443/oauth/v2/oauth-introspect
              client_id: api-gateway-client
              client_secret: Password1
              token_cache_seconds: 0
`;
    gateway = await startGateway({
      kongConfigPath: writeKongConfig(yaml),
      virtualHosts: { 'api.test': { port: 0 } },
      upstreams: { 'api:8080': upstream.origin, 'idsvr:8443': [`http://127.0.0.1:${await unusedPort()}`, introspection.origin] },
      logger: quietLogger,
    });
  });
  afterAll(async () => {
    await gateway.close();
    await Promise.all([introspection.close(), upstream.close()]);
    await issuer.close();
  });

  it('asks the next replica when one refuses the connection', async () => {
    const opaque = `_0XBPWQQ_${randomUUID()}`;
    const jwt = await issuer.mint({ sub: 'john.doe@demo.example', scope: 'stocks/read' }, { audience: 'https://api.demo.example' });
    introspection.answers.set(opaque, jwtAnswer(jwt));
    for (let i = 0; i < 3; i += 1) {
      const reply = await send(`${gateway.urls['api.test']}/stocks`, { headers: { authorization: `Bearer ${opaque}` } });
      expect(reply.status, reply.body).toBe(200);
      expect((json(reply) as { headers: Record<string, string> }).headers.authorization).toBe(`Bearer ${jwt}`);
    }
    expect(introspection.calls.get(opaque)).toBe(3);
  });
});
