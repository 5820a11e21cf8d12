import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createStateStore, defaultStateDirectory } from '../src/state/store.ts';

let root: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'console-store-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const tokens = { access_token: 'opaque-1', token_type: 'bearer', expires_in: 900, scope: 'stocks/read' };

describe('state store', () => {
  it('creates a private directory and private files', () => {
    const store = createStateStore(join(root, 'nested', 'state'));
    store.update('https://mcp.demo.example/', (state) => ({ ...state, tokens }));

    expect(statSync(store.directory).mode & 0o777).toBe(0o700);
    expect(statSync(store.fileFor('https://mcp.demo.example/')).mode & 0o777).toBe(0o600);
    // No temporary file is left behind by the atomic write.
    expect(readdirSync(store.directory)).toHaveLength(1);
  });

  it('keeps each server apart and treats spellings of one URL as the same server', () => {
    const store = createStateStore(join(root, 'state'));
    store.update('https://mcp.demo.example/', (state) => ({ ...state, tokens: { ...tokens, access_token: 'one' } }));
    store.update('http://127.0.0.1:3100/', (state) => ({ ...state, tokens: { ...tokens, access_token: 'two' } }));

    expect(store.load('https://MCP.demo.example:443').tokens?.access_token).toBe('one');
    expect(store.load('http://127.0.0.1:3100').tokens?.access_token).toBe('two');
    expect(store.load('http://127.0.0.1:3101/').tokens).toBeUndefined();
    expect(store.fileFor('https://mcp.demo.example/')).not.toBe(store.fileFor('http://127.0.0.1:3100/'));
  });

  it('keeps client registrations per issuer, apart from the servers, issuers compared exactly', () => {
    const store = createStateStore(join(root, 'state'));
    const issuer = 'https://login.demo.example/oauth/v2/oauth-anonymous';
    store.updateClient(issuer, (state) => ({ ...state, registration: 'dynamic', clientInformation: { client_id: 'one' } }));
    store.updateClient('https://login.other.example/', (state) => ({ ...state, registration: 'dynamic', clientInformation: { client_id: 'two' } }));

    expect(store.loadClient(issuer).clientInformation?.client_id).toBe('one');
    expect(store.loadClient('https://login.other.example/').clientInformation?.client_id).toBe('two');
    expect(store.loadClient(`${issuer}/`).clientInformation).toBeUndefined();
    expect(statSync(store.clientFileFor(issuer)).mode & 0o777).toBe(0o600);
    expect(store.removeClient(issuer)).toBe(true);
    expect(store.loadClient(issuer)).toEqual({ issuer });
    expect(store.loadClient('https://login.other.example/').clientInformation?.client_id).toBe('two');
  });

  it('forgets one server on logout and leaves the others', () => {
    const store = createStateStore(join(root, 'state'));
    store.update('https://mcp.demo.example/', (state) => ({ ...state, tokens, codeVerifier: 'verifier' }));
    store.update('http://127.0.0.1:3100/', (state) => ({ ...state, tokens }));

    expect(store.remove('https://mcp.demo.example/')).toBe(true);
    expect(store.remove('https://mcp.demo.example/')).toBe(false);
    expect(store.load('https://mcp.demo.example/')).toEqual({ serverUrl: 'https://mcp.demo.example/' });
    expect(store.load('http://127.0.0.1:3100/').tokens?.access_token).toBe('opaque-1');
  });

  it('treats a damaged file as nothing stored', () => {
    const store = createStateStore(join(root, 'state'));
    store.update('https://mcp.demo.example/', (state) => ({ ...state, tokens }));
    writeFileSync(store.fileFor('https://mcp.demo.example/'), '{"serverUrl": ', { mode: 0o600 });

    expect(store.load('https://mcp.demo.example/')).toEqual({ serverUrl: 'https://mcp.demo.example/' });
  });

  it.skipIf(process.platform === 'win32')('refuses a state directory that other users can read', () => {
    const shared = join(root, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o755);
    const store = createStateStore(shared);

    expect(() => store.update('https://mcp.demo.example/', (state) => ({ ...state, tokens }))).toThrow(/accessible by other users.*chmod 700/);
  });

  it('follows XDG_STATE_HOME and falls back to ~/.local/state', () => {
    expect(defaultStateDirectory({ XDG_STATE_HOME: '/var/lib/me' })).toBe('/var/lib/me/mcp-console-client');
    expect(defaultStateDirectory({})).toMatch(/\.local\/state\/mcp-console-client$/);
    // A relative XDG path is invalid by the specification and ignored.
    expect(defaultStateDirectory({ XDG_STATE_HOME: 'relative' })).toMatch(/\.local\/state\/mcp-console-client$/);
  });
});
