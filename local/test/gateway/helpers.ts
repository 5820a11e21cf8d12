import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomUUID } from 'node:crypto';
import { createLogger } from '@mcp-demo/service-kit';
import { readRequestBody, startTestIssuer, unusedPort, type TestIssuer } from '@mcp-demo/testing';
import { startGateway, type Gateway, type GatewayOptions } from '../../gateway/index.ts';

export const KONG_YML = resolve(import.meta.dirname, '../../../kong/kong.yml');
export const VECTORS_JSON = resolve(import.meta.dirname, '../../../kong/phantom-token-vectors.json');

export const quietLogger = createLogger('gateway-test', 'silent');

export interface TestServer {
  server: Server;
  port: number;
  origin: string;
  close(): Promise<void>;
}

export async function startServer(handler: RequestListener): Promise<TestServer> {
  const server = createServer(handler);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    port,
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface EchoUpstream extends TestServer {
  readonly received: ReceivedRequest[];
  /** Replaces the echo with another handler (undefined restores the echo). */
  respondWith(handler: RequestListener | undefined): void;
}

/** Answers every request with a JSON description of what it received, unless told otherwise. */
export async function startEchoUpstream(name: string): Promise<EchoUpstream> {
  const received: ReceivedRequest[] = [];
  let custom: RequestListener | undefined;
  const server = await startServer(async (req, res) => {
    if (custom) {
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: '' });
      custom(req, res);
      return;
    }
    const entry = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: await readRequestBody(req) };
    received.push(entry);
    const body = JSON.stringify({ upstream: name, ...entry });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) });
    res.end(body);
  });
  return {
    ...server,
    received,
    respondWith: (handler) => {
      custom = handler;
    },
  };
}

export function writeKongConfig(yaml: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'kong-yml-')), 'kong.yml');
  writeFileSync(file, yaml);
  return file;
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface SendOptions {
  method?: string;
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
  /** Sends the body with chunked transfer encoding instead of Content-Length. */
  chunked?: boolean;
}

/** Plain node:http, which lets a test set Host and hop-by-hop headers freely. */
export function send(url: string, options: SendOptions = {}): Promise<Reply> {
  return new Promise((done, fail) => {
    const target = new URL(url);
    const headers: Record<string, string | string[]> = { ...options.headers };
    if (options.body !== undefined && !options.chunked) headers['content-length'] = String(Buffer.byteLength(options.body));
    const req = request(
      { host: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, method: options.method ?? 'GET', headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => done({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', fail);
      },
    );
    req.on('error', fail);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

/** Like send, but hands over the response stream as soon as its headers arrive. */
export function open(url: string, options: SendOptions = {}): Promise<IncomingMessage> {
  return new Promise((done, fail) => {
    const target = new URL(url);
    const req = request(
      { host: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, method: options.method ?? 'GET', headers: options.headers, agent: false },
      done,
    );
    req.on('error', fail);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

export function json(reply: Reply): unknown {
  return JSON.parse(reply.body);
}

/** Waits that many milliseconds. */
export { sleep };

/**
 * POSTs a body in two parts: "first;" at once, then, to end it, "arrived;"
 * as soon as the upstream has seen the first part, or `<waitedLabel>;` after
 * `waitMs`. The upstream echoes the whole body, so the answer tells whether
 * the gateway streamed the body or held it until it was complete.
 */
export async function postInTwoParts(upstream: EchoUpstream, url: string, waitMs: number, waitedLabel: string): Promise<string> {
  let firstPartArrived!: () => void;
  const arrived = new Promise<void>((done) => (firstPartArrived = done));
  upstream.respondWith((req, res) => {
    let received = '';
    req.on('data', (chunk: Buffer) => {
      received += chunk.toString();
      if (received.includes('first')) firstPartArrived();
    });
    req.on('end', () => res.end(received));
  });
  try {
    const target = new URL(url);
    return await new Promise<string>((done, fail) => {
      const req = request({ host: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent: false }, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => done(text));
      });
      req.on('error', fail);
      req.write('first;');
      void Promise.race([arrived.then(() => 'arrived'), sleep(waitMs).then(() => waitedLabel)]).then((outcome) => req.end(`${outcome};`));
    });
  } finally {
    upstream.respondWith(undefined);
  }
}

export interface IntrospectionAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Milliseconds to wait before answering. */
  delayMs?: number;
}

export interface IntrospectionServer extends TestServer {
  endpoint: string;
  /** Introspection calls per token. */
  calls: Map<string, number>;
  totalCalls(): number;
  /** What to answer for a token; unknown tokens get 204 (inactive). */
  answers: Map<string, IntrospectionAnswer>;
  /** Requests whose client credentials were wrong. */
  rejectedCredentials(): number;
}

/**
 * A stand-in for the authorization server's introspection endpoint that
 * checks the gateway's client credentials the way RFC 6749 2.3.1 says.
 */
export async function startIntrospectionServer(clientId = 'api-gateway-client', clientSecret = 'Password1'): Promise<IntrospectionServer> {
  const calls = new Map<string, number>();
  const answers = new Map<string, IntrospectionAnswer>();
  const state = { rejectedCredentials: 0 };
  const expected = `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`;
  const server = await startServer(async (req: IncomingMessage, res: ServerResponse) => {
    const form = new URLSearchParams(await readRequestBody(req));
    if (req.method !== 'POST' || req.url !== '/oauth/v2/oauth-introspect' || req.headers.authorization !== expected) {
      state.rejectedCredentials += 1;
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end('{"error":"invalid_client"}');
      return;
    }
    const token = form.get('token') ?? '';
    calls.set(token, (calls.get(token) ?? 0) + 1);
    const answer = answers.get(token) ?? { status: 204 };
    if (answer.delayMs) await sleep(answer.delayMs);
    res.writeHead(answer.status, answer.headers ?? {});
    res.end(answer.body ?? '');
  });
  return {
    ...server,
    endpoint: `${server.origin}/oauth/v2/oauth-introspect`,
    calls,
    answers,
    totalCalls: () => [...calls.values()].reduce((sum, count) => sum + count, 0),
    rejectedCredentials: () => state.rejectedCredentials,
  };
}

export function jwtAnswer(jwt: string, maxAge = 900): IntrospectionAnswer {
  return { status: 200, headers: { 'content-type': 'application/jwt', 'cache-control': `max-age=${maxAge}` }, body: jwt };
}

export interface LocalProfile {
  gateway: Gateway;
  introspection: IntrospectionServer;
  issuer: TestIssuer;
  mcp: EchoUpstream;
  stocks: EchoUpstream;
  login: EchoUpstream;
  mail: EchoUpstream;
  clientMetadata: EchoUpstream;
  url(host: string, path: string): string;
  /** Registers an opaque token that introspects to a freshly minted JWT; returns both. */
  issueToken(maxAge?: number): Promise<{ opaque: string; jwt: string }>;
  close(): Promise<void>;
}

/**
 * The real kong/kong.yml served by the gateway, every upstream an in-test
 * server: the login host's upstream also answers introspection, as idsvr does.
 */
export async function startLocalProfile(overrides: Partial<GatewayOptions> = {}, { idsvrDown = false } = {}): Promise<LocalProfile> {
  const issuer = await startTestIssuer();
  const introspection = await startIntrospectionServer();
  const [mcp, stocks, login, mail, clientMetadata] = await Promise.all(
    ['utility-mcp-server', 'stocks-api', 'idsvr', 'maildev', 'client-metadata'].map((name) => startEchoUpstream(name)),
  ) as [EchoUpstream, EchoUpstream, EchoUpstream, EchoUpstream, EchoUpstream];
  // idsvr:8443 serves both the login host and introspection: route by path.
  const loginOrIntrospection = await startServer((req, res) => {
    const target = req.url?.startsWith('/oauth/v2/oauth-introspect') ? introspection : login;
    target.server.emit('request', req, res);
  });
  const gateway = await startGateway({
    kongConfigPath: KONG_YML,
    virtualHosts: Object.fromEntries(HOSTS.map((host) => [host, { port: 0 }])),
    upstreams: {
      'utility-mcp-server:3000': mcp.origin,
      'stocks-api:3001': stocks.origin,
      'idsvr:8443': idsvrDown ? `http://127.0.0.1:${await unusedPort()}` : loginOrIntrospection.origin,
      'maildev:1080': mail.origin,
      'client-metadata:3002': clientMetadata.origin,
    },
    env: { GATEWAY_CLIENT_SECRET: 'Password1' },
    unservedHosts: ['admin.demo.example'],
    logger: quietLogger,
    ...overrides,
  });
  return {
    gateway,
    introspection,
    issuer,
    mcp,
    stocks,
    login,
    mail,
    clientMetadata,
    url: (host, path) => `${gateway.urls[host]}${path}`,
    async issueToken(maxAge = 900) {
      const opaque = `_0XBPWQQ_${randomUUID()}`;
      const jwt = await issuer.mint({ sub: 'john.doe@demo.example', scope: 'stocks/read', region: 'USA' }, { audience: 'https://mcp.demo.example/' });
      introspection.answers.set(opaque, jwtAnswer(jwt, maxAge));
      return { opaque, jwt };
    },
    async close() {
      await gateway.close();
      await Promise.all([introspection, mcp, stocks, login, mail, clientMetadata, loginOrIntrospection].map((server) => server.close()));
      await issuer.close();
    },
  };
}

export const HOSTS = ['mcp.demo.example', 'api.demo.example', 'login.demo.example', 'mail.demo.example', 'www.client.example'];
