import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen, type RunningServer } from '@mcp-demo/service-kit';
import { abortOnClose, sendWebResponse, webRequestOf } from '../src/http/web-exchange.ts';
import { rawRequest } from './support/http-client.ts';

let running: RunningServer;
const seen: { request?: Request; aborted?: boolean } = {};

beforeAll(async () => {
  const app = express();
  app.post('/json', async (_req, res) => {
    await sendWebResponse(res, Response.json({ jsonrpc: '2.0', id: 1, result: { ok: 'é' } }, { headers: { 'x-extra': 'kept' } }));
  });
  app.post('/empty', async (_req, res) => {
    await sendWebResponse(res, new Response(null, { status: 202 }));
  });
  app.post('/stream', async (_req, res) => {
    const frames = ['event: message\ndata: {"a":1}\n\n', 'event: message\ndata: {"b":2}\n\n'];
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const frame of frames) controller.enqueue(new TextEncoder().encode(frame));
        controller.close();
      },
    });
    await sendWebResponse(res, new Response(body, { headers: { 'content-type': 'text/event-stream' } }));
  });
  app.post('/request', (req, res) => {
    const signal = abortOnClose(res);
    seen.request = webRequestOf(req, signal);
    res.on('close', () => (seen.aborted = signal.aborted));
    res.json({ ok: true });
  });
  running = await listen(app, 0);
});
afterAll(() => running.close());

describe('express <-> web bridge', () => {
  it('writes a JSON answer whole, with its status, its headers and a content length', async () => {
    const response = await rawRequest(running.url, { method: 'POST', path: '/json' });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.headers['x-extra']).toBe('kept');
    expect(response.headers['content-length']).toBe(String(Buffer.byteLength(response.text)));
    expect(response.headers['transfer-encoding']).toBeUndefined();
    expect(response.json()).toEqual({ jsonrpc: '2.0', id: 1, result: { ok: 'é' } });
  });

  it('answers a body-less response with its status only', async () => {
    const response = await rawRequest(running.url, { method: 'POST', path: '/empty' });
    expect(response.status).toBe(202);
    expect(response.text).toBe('');
  });

  it('passes an event stream on frame by frame', async () => {
    const response = await rawRequest(running.url, { method: 'POST', path: '/stream' });
    expect(response.headers['content-type']).toBe('text/event-stream');
    expect(response.text).toBe('event: message\ndata: {"a":1}\n\nevent: message\ndata: {"b":2}\n\n');
  });

  it('builds a web Request with the method, path and headers, and no abort for a completed answer', async () => {
    await rawRequest(running.url, { method: 'POST', path: '/request?x=1', headers: { 'mcp-method': 'tools/call', 'x-twice': 'a' } });
    expect(seen.request?.method).toBe('POST');
    expect(new URL(seen.request?.url ?? '').pathname).toBe('/request');
    expect(seen.request?.headers.get('mcp-method')).toBe('tools/call');
    expect(seen.aborted).toBe(false);
  });
});
