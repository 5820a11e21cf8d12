import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError, createLogger, listen, type RunningServer } from '@mcp-demo/service-kit';
import { createApp } from '../src/app.ts';
import { loadSettings } from '../src/config.ts';
import { loadDocuments, renderDocuments } from '../src/documents.ts';

const PUBLIC_BASE_URL = 'https://www.client.example';
let server: RunningServer;

beforeAll(async () => {
  const config = loadSettings({ PUBLIC_BASE_URL, LOG_LEVEL: 'silent' });
  const documents = loadDocuments(config.DOCUMENTS_FILE, config.PUBLIC_BASE_URL);
  server = await listen(createApp({ documents, logger: createLogger('client-metadata', 'silent'), cacheMaxAgeSeconds: config.CACHE_MAX_AGE_SECONDS }), 0);
});
afterAll(() => server.close());

describe('client ID metadata documents', () => {
  it.each(['/console-client.json', '/mcp-inspector.json'])('serves %s with client_id equal to its own public URL', async (path) => {
    const response = await fetch(`${server.url}${path}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('cache-control')).toBe('public, max-age=300');
    const document = (await response.json()) as Record<string, unknown>;
    expect(document.client_id).toBe(`${PUBLIC_BASE_URL}${path}`);
    expect(document).toMatchObject({
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      scope: 'stocks/read',
      client_uri: `${PUBLIC_BASE_URL}/`,
    });
  });

  it('lists a port-less loopback redirect for the console client, as native', async () => {
    const document = (await (await fetch(`${server.url}/console-client.json`)).json()) as Record<string, unknown>;
    expect(document.application_type).toBe('native');
    expect(document.redirect_uris).toContain('http://127.0.0.1/callback');
  });

  it("lists the MCP Inspector's callback URLs", async () => {
    const document = (await (await fetch(`${server.url}/mcp-inspector.json`)).json()) as Record<string, unknown>;
    expect(document.client_name).toBe('MCP Inspector');
    expect(document.redirect_uris).toEqual(expect.arrayContaining(['http://localhost:6274/oauth/callback', 'http://127.0.0.1:6274/oauth/callback', 'http://127.0.0.1:6276/oauth/callback']));
  });

  it('answers unknown paths with a JSON 404', async () => {
    const response = await fetch(`${server.url}/other-client.json`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ code: 'not_found', message: 'The requested resource does not exist' });
  });

  it('reports health', async () => {
    const response = await fetch(`${server.url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', documents: 2 });
  });

  it('links the documents from the client_uri page', async () => {
    const page = await (await fetch(`${server.url}/`)).text();
    expect(page).toContain(`href="${PUBLIC_BASE_URL}/console-client.json"`);
  });
});

describe('document templates', () => {
  it('fills in the public base URL, path prefix included', () => {
    const documents = renderDocuments(
      { documents: { '/a.json': { client_name: 'A', client_uri: '{{PUBLIC_BASE_URL}}/about', redirect_uris: ['http://127.0.0.1/callback'] } } },
      'http://127.0.0.1:3104/clients',
    );
    expect(documents.get('/a.json')).toMatchObject({ client_id: 'http://127.0.0.1:3104/clients/a.json', client_uri: 'http://127.0.0.1:3104/clients/about', token_endpoint_auth_method: 'none' });
  });

  it.each([
    [{ documents: {} }, 'at least one document'],
    [{ documents: { 'a.json': { client_name: 'A', redirect_uris: ['https://a.example/cb'] } } }, 'document paths look like'],
    [{ documents: { '/a.json': { client_name: 'A', redirect_uris: ['http://a.example/cb'] } } }, 'loopback'],
    [{ documents: { '/a.json': { client_name: 'A', redirect_uris: ['https://a.example/cb'], client_id: 'x' } } }, 'client_id'],
    [{ documents: { '/a.json': { client_name: 'A', redirect_uris: ['https://a.example/cb'], token_endpoint_auth_method: 'client_secret_post' } } }, 'token_endpoint_auth_method'],
  ])('rejects invalid templates (%#)', (templates, message) => {
    const dir = mkdtempSync(join(tmpdir(), 'client-metadata-'));
    try {
      const file = join(dir, 'templates.json');
      writeFileSync(file, JSON.stringify(templates));
      expect(() => loadDocuments(file, PUBLIC_BASE_URL)).toThrow(message);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('configuration', () => {
  it('requires PUBLIC_BASE_URL and names it', () => {
    expect(() => loadSettings({})).toThrow(ConfigurationError);
    expect(() => loadSettings({})).toThrow(/PUBLIC_BASE_URL: is required but not set/);
    expect(() => loadSettings({ PUBLIC_BASE_URL: 'ftp://x' })).toThrow(/PUBLIC_BASE_URL/);
    expect(() => loadSettings({ PUBLIC_BASE_URL, PORT: 'eighty' })).toThrow(/PORT/);
  });

  it('uses the documented defaults', () => {
    expect(loadSettings({ PUBLIC_BASE_URL: 'http://127.0.0.1:3104/' })).toMatchObject({ PORT: 3002, HOST: '127.0.0.1', PUBLIC_BASE_URL: 'http://127.0.0.1:3104', LOG_LEVEL: 'info', CACHE_MAX_AGE_SECONDS: 300 });
  });

  it('treats a blank variable as unset, like every service', () => {
    const defaults = loadSettings({ PUBLIC_BASE_URL });
    expect(loadSettings({ PUBLIC_BASE_URL, HOST: '', PORT: '', DOCUMENTS_FILE: '', CACHE_MAX_AGE_SECONDS: '', LOG_LEVEL: '' })).toEqual(defaults);
  });

  it('stops at start-up with a clear message and no stack trace', async () => {
    const main = resolve(import.meta.dirname, '..', 'src', 'main.ts');
    const child = spawn(process.execPath, [main], { env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((done) => child.once('close', done));
    expect(code).toBe(1);
    expect(stderr).toContain('PUBLIC_BASE_URL: is required but not set');
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
