import { Writable } from 'node:stream';
import express from 'express';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorHandler, healthCheck, HttpError, listen, notFound, requestContext, type RunningServer } from '../src/index.ts';

const logs: Array<Record<string, unknown>> = [];
const sink = new Writable({
  write(chunk: Buffer, _encoding, done) {
    for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) logs.push(JSON.parse(line) as Record<string, unknown>);
    done();
  },
});

let running: RunningServer;

beforeAll(async () => {
  const app = express();
  app.use(requestContext(pino({ level: 'trace' }, sink)));
  app.get('/health', healthCheck());
  app.get('/ok', (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/refused', () => {
    throw new HttpError(409, 'conflict', 'Already there', { 'Retry-After': '3' });
  });
  app.get('/broken', () => {
    throw new Error('database password is hunter2-and-more-secret-text');
  });
  app.post('/echo', express.json({ limit: '1kb' }), (req, res) => {
    res.json(req.body);
  });
  app.use(notFound());
  app.use(errorHandler());
  running = await listen(app, 0);
});
afterAll(() => running.close());

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${running.url}${path}`, { headers });
const post = (path: string, body: string) => fetch(`${running.url}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });

describe('requestContext', () => {
  it('adopts a sane X-Request-Id and replaces anything else', async () => {
    expect((await get('/ok', { 'x-request-id': 'abc-123.X_y' })).headers.get('x-request-id')).toBe('abc-123.X_y');
    for (const bad of ['has space', 'a'.repeat(129), 'quote"d']) {
      const id = (await get('/ok', { 'x-request-id': bad })).headers.get('x-request-id');
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('writes one access line per request with the request id and the path without its query', async () => {
    const response = await get('/ok?code=secret-authorization-code', { 'x-request-id': 'trace-access-line' });
    await response.text();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const lines = logs.filter((line) => line.requestId === 'trace-access-line');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ msg: 'request completed', method: 'GET', path: '/ok', status: 200 });
    expect(JSON.stringify(logs)).not.toContain('secret-authorization-code');
  });
});

describe('healthCheck', () => {
  it('answers {"status":"ok"} that no cache keeps', async () => {
    const response = await get('/health');
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({ status: 'ok' });
  });
});

describe('errorHandler and notFound', () => {
  it('answers an HttpError with its status, headers and {code, message}', async () => {
    const response = await get('/refused');
    expect(response.status).toBe(409);
    expect(response.headers.get('retry-after')).toBe('3');
    expect(await response.json()).toEqual({ code: 'conflict', message: 'Already there' });
  });

  it('answers an unexpected error with a generic 500 and logs it without the stack', async () => {
    const response = await get('/broken', { 'x-request-id': 'trace-broken' });
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ code: 'server_error', message: 'An unexpected error occurred' });
    expect(text).not.toContain('hunter2');
    const line = logs.find((entry) => entry.requestId === 'trace-broken' && entry.msg === 'unhandled error');
    expect(line).toMatchObject({ errorName: 'Error' });
    expect(JSON.stringify(line)).not.toMatch(/\n\s+at |\.ts:\d+/);
  });

  it('answers malformed and oversized JSON bodies with 400 and 413', async () => {
    const malformed = await post('/echo', '{"a":');
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toEqual({ code: 'invalid_request', message: 'The request body is not valid JSON' });
    const oversized = await post('/echo', JSON.stringify({ a: 'x'.repeat(2_000) }));
    expect(oversized.status).toBe(413);
    expect(await oversized.json()).toEqual({ code: 'payload_too_large', message: 'The request body is too large' });
  });

  it('answers unknown routes with a JSON 404', async () => {
    const response = await get('/nowhere');
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ code: 'not_found', message: 'The requested resource does not exist' });
  });
});
