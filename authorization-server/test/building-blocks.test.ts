import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { matchesLoopbackRedirect } from '../src/clients/loopback-redirects.ts';
import { createCsrfTokens } from '../src/interactions/csrf.ts';
import { loadCookieKeys } from '../src/keys/cookie-keys.ts';
import { loadSigningKeys } from '../src/keys/signing-keys.ts';
import type { ModelStorage } from '../src/storage/model-storage.ts';
import { openSqliteStorage } from '../src/storage/sqlite-adapter.ts';
import { escapeHtml, html, toHtmlString } from '../src/views/html.ts';

describe('matchesLoopbackRedirect (RFC 8252 §7.3)', () => {
  it.each([
    ['http://127.0.0.1:6274/callback', 'http://127.0.0.1:51234/callback'],
    ['http://127.0.0.1/callback', 'http://127.0.0.1:51234/callback'],
    ['http://localhost:6274/cb?x=1', 'http://localhost:9/cb?x=1'],
    ['http://[::1]:1/cb', 'http://[::1]:2/cb'],
  ])('lets %s match %s', (registered, requested) => {
    expect(matchesLoopbackRedirect(registered, requested)).toBe(true);
  });

  it.each([
    ['another path', 'http://127.0.0.1:6274/callback', 'http://127.0.0.1:6274/other'],
    ['another loopback name', 'http://127.0.0.1:6274/callback', 'http://localhost:6274/callback'],
    ['https', 'https://127.0.0.1:6274/callback', 'https://127.0.0.1:1/callback'],
    ['a non-loopback host', 'http://app.example:80/cb', 'http://app.example:81/cb'],
    ['another query', 'http://127.0.0.1/cb?a=1', 'http://127.0.0.1:5/cb?a=2'],
    ['a fragment', 'http://127.0.0.1/cb', 'http://127.0.0.1:5/cb#x'],
    ['user information', 'http://127.0.0.1/cb', 'http://user@127.0.0.1:5/cb'],
  ])('refuses %s', (_case, registered, requested) => {
    expect(matchesLoopbackRedirect(registered, requested)).toBe(false);
  });
});

describe('CSRF tokens', () => {
  it('are bound to one interaction and survive key rotation', () => {
    const tokens = createCsrfTokens(['k'.repeat(32)]);
    const token = tokens.issue('interaction-a');
    expect(tokens.verify('interaction-a', token)).toBe(true);
    expect(tokens.verify('interaction-b', token)).toBe(false);
    expect(tokens.verify('interaction-a', '')).toBe(false);
    expect(tokens.verify('interaction-a', undefined)).toBe(false);
    const rotated = createCsrfTokens(['n'.repeat(32), 'k'.repeat(32)]);
    expect(rotated.verify('interaction-a', token)).toBe(true);
    expect(createCsrfTokens(['n'.repeat(32)]).verify('interaction-a', token)).toBe(false);
  });
});

describe('html templates', () => {
  it('escape every interpolated value', () => {
    const name = '<script>alert("x")</script>';
    expect(toHtmlString(html`<p>${name}</p>`)).toBe('<p>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</p>');
    expect(toHtmlString(html`<a title='${"' onmouseover='x"}'>`)).not.toContain("' onmouseover");
    expect(escapeHtml('`&')).toBe('&#96;&amp;');
  });

  it('nest templates and lists without double escaping', () => {
    const items = ['a&b', 'c'].map((item) => html`<li>${item}</li>`);
    expect(toHtmlString(html`<ul>${items}</ul>`)).toBe('<ul><li>a&amp;b</li><li>c</li></ul>');
  });
});

describe('sqlite storage files', () => {
  let dir: string;
  let storage: ModelStorage | undefined;

  afterEach(async () => {
    await storage?.close();
    storage = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  const open = () => {
    dir = mkdtempSync(join(tmpdir(), 'as-storage-'));
    storage = openSqliteStorage(join(dir, 'store.sqlite'));
    return storage;
  };

  it("takes over an older version's key files once, so a single node keeps its keys and sessions", async () => {
    const store = open();
    const signingFile = join(dir, 'signing-keys.json');
    const cookieFile = join(dir, 'cookie-keys.json');
    const scratch = openSqliteStorage(join(dir, 'scratch.sqlite'));
    const generated = await loadSigningKeys(scratch.shared);
    await scratch.close();
    writeFileSync(signingFile, JSON.stringify({ keys: generated.privateJwks.keys }));
    writeFileSync(cookieFile, JSON.stringify({ keys: ['a'.repeat(32), 'b'.repeat(32)] }));

    expect((await loadSigningKeys(store.shared, { legacyFile: signingFile })).kid).toBe(generated.kid);
    expect(await loadCookieKeys([], store.shared, cookieFile)).toEqual(['a'.repeat(32), 'b'.repeat(32)]);
    // From then on the store holds them; the files are no longer read.
    rmSync(signingFile);
    writeFileSync(cookieFile, 'not json');
    expect((await loadSigningKeys(store.shared, { legacyFile: signingFile })).kid).toBe(generated.kid);
    expect(await loadCookieKeys([], store.shared, cookieFile)).toEqual(['a'.repeat(32), 'b'.repeat(32)]);
  });

  it('keeps the database and its -wal and -shm files readable by their owner only', async () => {
    const mode = (path: string) => statSync(path).mode & 0o777;
    const previous = process.umask(0o022);
    try {
      const store = open();
      await store.adapterFor('AccessToken').upsert('t1', { grantId: 'g1' }, 60);
      const file = join(dir, 'store.sqlite');
      for (const path of [file, `${file}-wal`, `${file}-shm`]) expect(mode(path).toString(8), path).toBe('600');

      // A database left world-readable by an older version is narrowed on open.
      await store.close();
      storage = undefined;
      chmodSync(file, 0o644);
      writeFileSync(`${file}-wal`, '', { mode: 0o644 });
      chmodSync(`${file}-wal`, 0o644);
      storage = openSqliteStorage(file);
      expect(mode(file).toString(8)).toBe('600');
      expect(mode(`${file}-wal`).toString(8)).toBe('600');
    } finally {
      process.umask(previous);
    }
  });
});
