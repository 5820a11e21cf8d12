import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unusedPort } from '@mcp-demo/testing';
import { startGateway, type Gateway } from '../../gateway/index.ts';
import {
  json,
  open,
  postInTwoParts,
  quietLogger,
  send,
  sleep,
  startEchoUpstream,
  startLocalProfile,
  startServer,
  writeKongConfig,
  type EchoUpstream,
  type LocalProfile,
  type ReceivedRequest,
  type Reply,
} from './helpers.ts';

const echoed = (reply: Reply) => json(reply) as ReceivedRequest & { upstream: string };

describe('routing and path handling over HTTP', () => {
  let gateway: Gateway;
  let slash: EchoUpstream;
  let noSlash: EchoUpstream;
  let root: EchoUpstream;
  beforeAll(async () => {
    [slash, noSlash, root] = (await Promise.all(['slash', 'no-slash', 'root'].map((name) => startEchoUpstream(name)))) as [EchoUpstream, EchoUpstream, EchoUpstream];
    const file = writeKongConfig(`_format_version: "3.0"
services:
  - name: slash
    url: http://slash:8080/base/
    routes:
      - name: slash-strip
        hosts: [a.test]
        paths: [/api]
      - name: slash-keep
        hosts: [a.test]
        paths: [/keep]
        strip_path: false
  - name: no-slash
    url: http://no-slash:8080/base
    routes:
      - name: no-slash-strip
        hosts: [b.test]
        paths: [/api]
        strip_path: true
  - name: root
    protocol: http
    host: root
    port: 8080
    routes:
      - name: root-default
        hosts: [a.test, b.test]
      - name: root-longer
        hosts: [a.test]
        paths: [/api/v2]
        strip_path: false
        preserve_host: true
`);
    gateway = await startGateway({
      kongConfigPath: file,
      virtualHosts: { 'a.test': { port: 0 }, 'b.test': { port: 0 } },
      upstreams: { 'slash:8080': slash.origin, 'no-slash:8080': noSlash.origin, 'root:8080': root.origin },
      logger: quietLogger,
    });
  });
  afterAll(async () => {
    await gateway.close();
    await Promise.all([slash, noSlash, root].map((server) => server.close()));
  });

  const via = async (host: string, path: string, headers: Record<string, string> = {}) => {
    const reply = await send(`${gateway.urls[host]}${path}`, { headers });
    expect(reply.status, path).toBe(200);
    const { upstream, url } = echoed(reply);
    return `${upstream} ${url}`;
  };

  it('strips the matched prefix and joins the service path as Kong does', async () => {
    expect(await via('a.test', '/api/items?x=1&y=%20')).toBe('slash /base/items?x=1&y=%20');
    expect(await via('a.test', '/api')).toBe('slash /base');
    expect(await via('a.test', '/api/')).toBe('slash /base/');
    expect(await via('a.test', '/keep/x')).toBe('slash /base/keep/x');
    expect(await via('b.test', '/api/items')).toBe('no-slash /base/items');
    expect(await via('b.test', '/api/')).toBe('no-slash /base/');
  });

  it('chooses the longest prefix of the host the listener serves, whatever Host says', async () => {
    expect(await via('a.test', '/api/v2/z')).toBe('root /api/v2/z');
    expect(await via('b.test', '/api/v2/z')).toBe('no-slash /base/v2/z');
    expect(await via('a.test', '/other')).toBe('root /other');
    expect(await via('b.test', '/api/items', { host: 'a.test' })).toBe('no-slash /base/items');
  });

  it('routes the normalized path and forwards it, re-escaped', async () => {
    expect(await via('a.test', '/keep/../api/x')).toBe('slash /base/x');
    expect(await via('a.test', '/keep/%2e%2e/api/x')).toBe('slash /base/x');
    expect(await via('a.test', '/keep/a%2fb/%7e/%20')).toBe('slash /base/keep/a%2Fb/~/%20');
  });

  it('sends the upstream its own host name, or the client one with preserve_host', async () => {
    const plain = echoed(await send(`${gateway.urls['a.test']}/keep/x`, { headers: { host: 'a.test' } }));
    expect(plain.headers.host).toBe(`127.0.0.1:${slash.port}`);
    const preserved = echoed(await send(`${gateway.urls['a.test']}/api/v2/x`, { headers: { host: 'a.test:8000' } }));
    expect(preserved.headers.host).toBe('a.test:8000');
  });

  it('sets X-Forwarded-* from what the gateway saw, not from what the client claims', async () => {
    const reply = echoed(
      await send(`${gateway.urls['a.test']}/api/items?q=1`, {
        headers: { host: 'A.Test:8000', 'x-forwarded-for': '203.0.113.9', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https', 'x-forwarded-prefix': '/evil' },
      }),
    );
    expect(reply.headers).toMatchObject({
      'x-forwarded-for': '203.0.113.9, 127.0.0.1',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': 'a.test',
      'x-forwarded-port': String(gateway.ports['a.test']),
      'x-forwarded-path': '/api/items',
      'x-forwarded-prefix': '/api',
      'x-real-ip': '127.0.0.1',
    });
    const unstripped = echoed(await send(`${gateway.urls['a.test']}/keep/x`, { headers: { 'x-forwarded-prefix': '/evil' } }));
    expect(unstripped.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(unstripped.headers['x-forwarded-prefix']).toBeUndefined();
  });

  it('removes hop-by-hop headers and passes the others', async () => {
    const reply = echoed(
      await send(`${gateway.urls['a.test']}/keep/x`, {
        headers: { connection: 'keep-alive, x-hop', 'x-hop': 'only for the gateway', 'keep-alive': 'timeout=5', 'proxy-connection': 'keep-alive', 'x-end-to-end': 'kept' },
      }),
    );
    expect(reply.headers['x-hop']).toBeUndefined();
    expect(reply.headers['keep-alive']).toBeUndefined();
    expect(reply.headers['proxy-connection']).toBeUndefined();
    expect(reply.headers['x-end-to-end']).toBe('kept');
  });

  it('passes a request id along, or makes one', async () => {
    const given = await send(`${gateway.urls['a.test']}/keep/x`, { headers: { 'x-request-id': 'trace-123' } });
    expect(echoed(given).headers['x-request-id']).toBe('trace-123');
    expect(given.headers['x-request-id']).toBe('trace-123');
    const made = await send(`${gateway.urls['a.test']}/keep/x`, { headers: { 'x-request-id': 'not valid!' } });
    expect(echoed(made).headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers 404 when no route matches', async () => {
    const config = writeKongConfig(`_format_version: "3.0"
services:
  - name: only
    url: http://only:80
    routes:
      - name: only-route
        hosts: [only.test]
        paths: [/here]
`);
    const narrow = await startGateway({ kongConfigPath: config, virtualHosts: { 'only.test': { port: 0 } }, upstreams: { 'only:80': slash.origin }, logger: quietLogger });
    try {
      const missing = await send(`${narrow.urls['only.test']}/elsewhere`);
      expect(missing.status).toBe(404);
      expect(json(missing)).toEqual({ code: 'no_route', message: 'no Route matched with those values' });
    } finally {
      await narrow.close();
    }
  });
});

describe('proxying on the local profile', () => {
  let profile: LocalProfile;
  beforeAll(async () => {
    profile = await startLocalProfile({ bodyLimitBytes: 1024 });
  });
  afterAll(async () => {
    await profile.close();
  });

  it('streams an event stream event by event', async () => {
    const { opaque } = await profile.issueToken();
    let releaseSecond!: () => void;
    const secondAllowed = new Promise<void>((done) => (releaseSecond = done));
    let secondSent = false;
    profile.mcp.respondWith((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write('event: message\ndata: {"n":1}\n\n');
      void Promise.race([secondAllowed, sleep(2000)]).then(() => {
        secondSent = true;
        res.end('event: message\ndata: {"n":2}\n\n');
      });
    });
    try {
      const response = await open(profile.url('mcp.demo.example', '/'), {
        method: 'POST',
        headers: { authorization: `Bearer ${opaque}`, accept: 'application/json, text/event-stream', 'content-type': 'application/json' },
        body: '{}',
      });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('text/event-stream');
      const chunks = response[Symbol.asyncIterator]();
      const first = await chunks.next();
      expect(String(first.value)).toContain('data: {"n":1}');
      // The first event arrived while the upstream still holds back the second.
      expect(secondSent).toBe(false);
      releaseSecond();
      let rest = '';
      for (let next = await chunks.next(); !next.done; next = await chunks.next()) rest += String(next.value);
      expect(rest).toContain('data: {"n":2}');
    } finally {
      profile.mcp.respondWith(undefined);
    }
  });

  it('streams a large answer at the pace of a slow client, holding the upstream back, and delivers every byte', async () => {
    const { opaque } = await profile.issueToken();
    const total = 32 * 1024 * 1024;
    const piece = Buffer.alloc(64 * 1024, 0x61);
    let written = 0;
    profile.mcp.respondWith((_req, res) => {
      // No Content-Length: the gateway streams the answer instead of reading it whole.
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const pump = () => {
        while (written < total) {
          written += piece.length;
          if (!res.write(piece)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      pump();
    });
    try {
      const response = await open(profile.url('mcp.demo.example', '/'), {
        method: 'POST',
        headers: { authorization: `Bearer ${opaque}`, 'content-type': 'application/json' },
        body: '{}',
      });
      expect(response.statusCode).toBe(200);
      // The client reads nothing for a while: the gateway must stop reading
      // the upstream rather than hold the whole answer in memory.
      response.pause();
      await sleep(500);
      expect(written).toBeLessThan(total / 2);
      let received = 0;
      response.on('data', (chunk: Buffer) => (received += chunk.length));
      response.resume();
      await once(response, 'end');
      expect(received).toBe(total);
    } finally {
      profile.mcp.respondWith(undefined);
    }
  });

  it('keeps request bodies below the limit intact', async () => {
    const body = 'x'.repeat(1000);
    const reply = await send(profile.url('mail.demo.example', '/upload'), { method: 'POST', body, chunked: true });
    expect(reply.status).toBe(200);
    expect(echoed(reply).body).toBe(body);
  });

  it('buffers request bodies as Kong does by default: the upstream sees nothing before the client has sent all', async () => {
    expect(await postInTwoParts(profile.mail, profile.url('mail.demo.example', '/upload'), 300, 'waited')).toBe('first;waited;');
  });

  it('answers 413 for a declared length above the limit without calling the upstream', async () => {
    const before = profile.mail.received.length;
    const reply = await send(profile.url('mail.demo.example', '/upload'), { method: 'POST', body: 'x'.repeat(2048) });
    expect(reply.status).toBe(413);
    expect(json(reply)).toEqual({ code: 'payload_too_large', message: 'The request body is too large' });
    expect(profile.mail.received.length).toBe(before);
  });

  it('answers 413 when a chunked body grows past the limit', async () => {
    const reply = await send(profile.url('mail.demo.example', '/upload'), { method: 'POST', body: 'x'.repeat(4096), chunked: true });
    expect(reply.status).toBe(413);
    expect(json(reply)).toMatchObject({ code: 'payload_too_large' });
  });

  it('removes hop-by-hop headers of the upstream response', async () => {
    profile.mail.respondWith((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'keep-alive': 'timeout=99', 'x-kept': 'yes', 'set-cookie': ['a=1', 'b=2'] });
      res.end('ok');
    });
    try {
      const reply = await send(profile.url('mail.demo.example', '/'));
      expect(reply.headers['keep-alive']).not.toBe('timeout=99');
      expect(reply.headers['x-kept']).toBe('yes');
      expect(reply.headers['set-cookie']).toEqual(['a=1', 'b=2']);
      expect(reply.body).toBe('ok');
    } finally {
      profile.mail.respondWith(undefined);
    }
  });
});

describe('upstream failures', () => {
  const config = (readTimeout: number) =>
    writeKongConfig(`_format_version: "3.0"
services:
  - name: flaky
    url: http://flaky:80
    read_timeout: ${readTimeout}
    routes:
      - name: flaky-route
        hosts: [flaky.test]
        paths: [/]
        plugins:
          - name: cors
            config:
              origins: [http://localhost:6274]
`);

  it('answers 502 with a JSON body when the upstream is down', async () => {
    const gateway = await startGateway({
      kongConfigPath: config(60_000),
      virtualHosts: { 'flaky.test': { port: 0 } },
      upstreams: { 'flaky:80': `http://127.0.0.1:${await unusedPort()}` },
      logger: quietLogger,
    });
    try {
      const reply = await send(`${gateway.urls['flaky.test']}/anything`, { headers: { origin: 'http://localhost:6274' } });
      expect(reply.status).toBe(502);
      expect(json(reply)).toEqual({ code: 'upstream_unavailable', message: 'An invalid response was received from the upstream server' });
      // Gateway answers still carry the route's CORS headers, as Kong's do.
      expect(reply.headers['access-control-allow-origin']).toBe('http://localhost:6274');
    } finally {
      await gateway.close();
    }
  });

  it('answers 504 when the upstream does not answer within read_timeout', async () => {
    const slow = await startServer((_req, res) => {
      setTimeout(() => res.end('too late'), 2000).unref();
    });
    const gateway = await startGateway({
      kongConfigPath: config(300),
      virtualHosts: { 'flaky.test': { port: 0 } },
      upstreams: { 'flaky:80': slow.origin },
      logger: quietLogger,
    });
    try {
      const reply = await send(`${gateway.urls['flaky.test']}/slow`);
      expect(reply.status).toBe(504);
      expect(json(reply)).toEqual({ code: 'upstream_timeout', message: 'The upstream server is timing out' });
    } finally {
      await gateway.close();
      await slow.close();
    }
  });
});
