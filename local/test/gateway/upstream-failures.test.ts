import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type Gateway } from '../../gateway/index.ts';
import { json, postInTwoParts, quietLogger, send, startEchoUpstream, writeKongConfig, type EchoUpstream, type ReceivedRequest } from './helpers.ts';

/**
 * What the gateway does when an upstream misbehaves: closes kept-alive
 * connections right after answering, freezes, or stops reading, and what it
 * does with oversized request targets.
 */

interface RawUpstream {
  port: number;
  /** Raw requests received, one string per request's first packet. */
  requests: string[];
  /** What to do with a socket once a request arrived. */
  onRequest(handler: (socket: Socket, text: string) => void): void;
  close(): Promise<void>;
}

async function startRawUpstream(): Promise<RawUpstream> {
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  let handler: (socket: Socket, text: string) => void = () => undefined;
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    socket.on('data', (data) => {
      const text = data.toString('latin1');
      // Body continuation packets are not requests.
      if (!/^[A-Z]+ \//.test(text)) return;
      requests.push(text);
      handler(socket, text);
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    onRequest: (next) => (handler = next),
    close: () =>
      new Promise<void>((done) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => done());
      }),
  };
}

const CONFIG = `_format_version: "3.0"
services:
  - name: raw
    url: http://raw:8080
    connect_timeout: 500
    write_timeout: 400
    read_timeout: 400
    routes:
      - name: raw-route
        hosts: [raw.test]
  - name: raw-slow-reader
    url: http://raw:8080
    write_timeout: 300
    read_timeout: 20000
    routes:
      - name: raw-slow-reader-route
        hosts: [raw.test]
        paths: [/upload]
        strip_path: false
  - name: echo
    url: http://echo:8080
    routes:
      - name: echo-route
        hosts: [echo.test]
      - name: echo-streaming-route
        hosts: [echo.test]
        paths: [/stream]
        strip_path: false
        request_buffering: false
`;

describe('upstream failures and limits', () => {
  let gateway: Gateway;
  let raw: RawUpstream;
  let echo: EchoUpstream;
  beforeAll(async () => {
    raw = await startRawUpstream();
    echo = await startEchoUpstream('echo');
    gateway = await startGateway({
      kongConfigPath: writeKongConfig(CONFIG),
      virtualHosts: { 'raw.test': { port: 0 }, 'echo.test': { port: 0 } },
      upstreams: { 'raw:8080': `http://127.0.0.1:${raw.port}`, 'echo:8080': echo.origin },
      logger: quietLogger,
    });
  });
  afterAll(async () => {
    await gateway.close();
    await Promise.all([raw.close(), echo.close()]);
  });

  const rawUrl = (path: string) => `${gateway.urls['raw.test']}${path}`;

  it('never answers 502 when a kept-alive upstream closes its connection right after each answer', async () => {
    // Keep-alive is implied (HTTP/1.1, no Connection: close), yet the
    // upstream closes a moment later: the next request may go out on the
    // dying connection.
    raw.onRequest((socket, text) => {
      const head = text.startsWith('HEAD ');
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n${head ? '' : 'ok'}`);
      setTimeout(() => socket.destroy(), raw.requests.length % 3);
    });
    const statuses: Record<string, number> = {};
    for (const method of ['GET', 'HEAD', 'POST', 'PUT']) {
      for (let index = 0; index < 60; index += 1) {
        const reply = await send(rawUrl('/'), { method, body: method === 'POST' || method === 'PUT' ? '{"a":1}' : undefined });
        const key = `${method} ${reply.status}`;
        statuses[key] = (statuses[key] ?? 0) + 1;
      }
    }
    expect(statuses).toEqual({ 'GET 200': 60, 'HEAD 200': 60, 'POST 200': 60, 'PUT 200': 60 });
  });

  it('still answers 502, after one retry, when the upstream closes every connection without answering', async () => {
    const before = raw.requests.length;
    raw.onRequest((socket) => socket.destroy());
    const reply = await send(rawUrl('/'), { method: 'POST', body: 'x' });
    expect(reply.status).toBe(502);
    expect(json(reply)).toMatchObject({ code: 'upstream_unavailable' });
    expect(raw.requests.length - before).toBe(2);
  });

  it("answers 504 within the service's read_timeout when the upstream freezes", async () => {
    raw.onRequest(() => undefined);
    const started = performance.now();
    const reply = await send(rawUrl('/login'));
    const elapsed = performance.now() - started;
    expect(reply.status).toBe(504);
    expect(json(reply)).toMatchObject({ code: 'upstream_timeout' });
    // read_timeout is 400 ms here; Kong's default would be a minute.
    expect(elapsed).toBeLessThan(5000);
  });

  it('answers 504 when the upstream stops reading a large body for longer than write_timeout, long before read_timeout', async () => {
    // Reads the first packet, then nothing more: the socket buffers fill up.
    raw.onRequest((socket) => socket.pause());
    const started = performance.now();
    const reply = await send(rawUrl('/upload'), { method: 'POST', body: Buffer.alloc(8 * 1024 * 1024, 'a') });
    expect(reply.status).toBe(504);
    expect(json(reply)).toMatchObject({ code: 'upstream_timeout' });
    // write_timeout 300 ms, read_timeout 20 s on this service.
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('answers 414 for a request target longer than 8 KB, as Kong (nginx) does, without calling the upstream', async () => {
    const before = echo.received.length;
    const reply = await send(`${gateway.urls['echo.test']}/${'a'.repeat(8500)}`);
    expect(reply.status).toBe(414);
    // Kong's error handler (kong/error_handlers.lua) names the status so.
    expect(json(reply)).toMatchObject({ message: 'URI too long' });
    expect(echo.received.length).toBe(before);
  });

  it('forwards a path just under 8 KB without doubling it in X-Forwarded-Path, so the upstream does not answer 431', async () => {
    const path = `/${'b'.repeat(8000)}`;
    const reply = await send(`${gateway.urls['echo.test']}${path}`);
    expect(reply.status).toBe(200);
    const received = json(reply) as ReceivedRequest;
    expect(received.url).toBe(path);
    expect(received.headers['x-forwarded-path']).toBeUndefined();
    // Short paths keep the header, as Kong sends it.
    const short = json(await send(`${gateway.urls['echo.test']}/short`)) as ReceivedRequest;
    expect(short.headers['x-forwarded-path']).toBe('/short');
  });

  it('streams the body upstream as it arrives on a route with request_buffering: false', async () => {
    expect(await postInTwoParts(echo, `${gateway.urls['echo.test']}/stream`, 2000, 'timed out')).toBe('first;arrived;');
  });
});
