import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserCommandLine, browserEnv, browserStarts, failedBrowserRun, installBrowserShim, waitForBrowserRuns } from '../browser/support/browser-command.ts';
import { chromiumPath } from '../browser/support/chromium.ts';
import { startMcpRemote } from '../browser/support/mcp-remote.ts';
import { runConsoleClient as runClient } from './support/console-client.ts';
import { startStack } from './support/stack.ts';

/**
 * Real MCP clients against the whole local profile, each signing in through
 * headless Chromium the way its user would through a desktop browser: the
 * project's console client (one-shot mode, its browser command hook) and
 * mcp-remote, the proxy desktop hosts such as Claude Desktop run (its
 * browser opened the freedesktop way, through BROWSER).
 */
type Stack = Awaited<ReturnType<typeof startStack>>;
let stack: Stack;
let workDir: string;

const REPO_ROOT = resolve(import.meta.dirname, '..', '..');
const JOHN = 'john.doe@demo.example';

const catalogue = JSON.parse(readFileSync(join(REPO_ROOT, 'stocks-api/data/stocks.json'), 'utf8')) as {
  stocks: Array<{ id: string; region: string }>;
};
const idsIn = (region: string) => catalogue.stocks.filter((stock) => stock.region === region).map((stock) => stock.id).sort();

function regionOf(email: string): string {
  const found = stack.endpoints.users.find((user) => user.email === email);
  if (!found) throw new Error(`${email} is not a user of this deployment`);
  return found.region;
}

interface StockList {
  region?: string;
  stocks?: Array<{ id: string; region: string }>;
}

/** The tool's answer holds the user's region and exactly that region's stocks. */
function expectOnlyRegion(list: StockList, region: string): void {
  expect(list.region).toBe(region);
  expect((list.stocks ?? []).map((stock) => stock.id).sort()).toEqual(idsIn(region));
  expect(new Set((list.stocks ?? []).map((stock) => stock.region))).toEqual(new Set([region]));
}

// Each client gives up on a sign-in well before the test does, so a failure
// ends with the client's own explanation rather than a bare test timeout.
const SIGN_IN_SECONDS = 45;
const TEST_TIMEOUT_MS = 100_000;

/** The console client with the sign-in deadline these tests give it. */
const runConsoleClient = (args: string[], env: Record<string, string>, options: { npm?: boolean } = {}) =>
  runClient(args, env, { timeoutMs: (SIGN_IN_SECONDS + 20) * 1000, ...options });

function freshDir(name: string): string {
  return mkdtempSync(join(workDir, `${name}-`));
}

beforeAll(async () => {
  chromiumPath(); // fails with the install hint when Chromium is missing
  workDir = mkdtempSync(join(tmpdir(), 'mcp-clients-'));
  stack = await startStack();
});

afterAll(async () => {
  await stack?.stop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe('the console client in one-shot mode', () => {
  const call = (stateDir: string, extra: string[] = []) => [stack.endpoints.external.mcp, '--call', 'fetch-stock-prices', '--state-dir', stateDir, '--authorization-url-command', browserCommandLine(), '--login-timeout', String(SIGN_IN_SECONDS), ...extra];

  it('registers dynamically, signs in through the browser, prints only the user\'s stocks, and reuses its tokens next time', async () => {
    const stateDir = freshDir('console-dcr');
    const logFile = join(stateDir, 'browser.jsonl');
    const env = browserEnv({ email: JOHN, inbox: stack.endpoints.external.inbox, label: 'console-client-dcr', logFile, expectedClientName: 'MCP Console Client', timeoutMs: SIGN_IN_SECONDS * 1000 });

    const first = await runConsoleClient(call(stateDir, ['--no-client-metadata']), env);
    expect(first.code, first.stderr).toBe(0);
    expectOnlyRegion(JSON.parse(first.stdout) as StockList, regionOf(JOHN));

    const runs = await waitForBrowserRuns(logFile, 1);
    expect(runs, first.stderr).toHaveLength(1);
    const [signIn] = runs;
    expect(signIn?.ok, signIn?.error).toBe(true);
    const authorizationUrl = new URL(signIn?.url ?? '');
    expect(authorizationUrl.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorizationUrl.searchParams.get('resource')).toBe(stack.endpoints.external.mcp);
    const redirect = new URL(signIn?.redirect ?? '');
    expect(redirect.hostname).toBe('127.0.0.1');
    expect(redirect.searchParams.get('code')).toEqual(expect.any(String));
    expect(redirect.searchParams.get('iss')).toBe(stack.endpoints.external.issuer);

    // Same state directory: the stored registration and token are used, no
    // browser is needed. Through npm this time, as the README shows it for
    // scripts: nothing but the result may reach stdout.
    const second = await runConsoleClient(call(stateDir, ['--no-client-metadata']), env, { npm: true });
    expect(second.code, second.stderr).toBe(0);
    expectOnlyRegion(JSON.parse(second.stdout) as StockList, regionOf(JOHN));
    expect(browserStarts(logFile)).toBe(1);
  }, TEST_TIMEOUT_MS);

  it("uses the deployment's published client ID metadata document by default, found through the launcher's endpoints file", async () => {
    const documentUrl = stack.endpoints.clientMetadataDocuments.consoleClient;
    const stateDir = freshDir('console-published');
    const logFile = join(stateDir, 'browser.jsonl');
    const env = {
      // The launcher wrote this run's endpoints (with its free ports) there.
      DEPLOY_DIR: stack.deployDir,
      ...browserEnv({ email: JOHN, inbox: stack.endpoints.external.inbox, label: 'console-client-published', logFile, timeoutMs: SIGN_IN_SECONDS * 1000 }),
    };

    const result = await runConsoleClient(call(stateDir), env);
    expect(result.code, result.stderr).toBe(0);
    expectOnlyRegion(JSON.parse(result.stdout) as StockList, regionOf(JOHN));
    const [signIn] = await waitForBrowserRuns(logFile, 1);
    expect(signIn?.ok, signIn?.error).toBe(true);
    expect(new URL(signIn?.url ?? '').searchParams.get('client_id')).toBe(documentUrl);
    expect(result.stderr).toContain(`Using the client ID metadata document ${documentUrl}`);
  }, TEST_TIMEOUT_MS);

  it('identifies itself with the client ID metadata document it is given instead of registering', async () => {
    const documentUrl = stack.endpoints.clientMetadataDocuments.consoleClient;
    const document = (await (await fetch(documentUrl)).json()) as { client_id?: string; client_name?: string };
    expect(document.client_id).toBe(documentUrl);
    const stateDir = freshDir('console-cimd');
    const logFile = join(stateDir, 'browser.jsonl');
    const env = browserEnv({
      email: JOHN,
      inbox: stack.endpoints.external.inbox,
      label: 'console-client-cimd',
      logFile,
      timeoutMs: SIGN_IN_SECONDS * 1000,
      ...(document.client_name ? { expectedClientName: document.client_name } : {}),
    });

    const result = await runConsoleClient(call(stateDir, ['--client-metadata-url', documentUrl]), env);
    expect(result.code, result.stderr).toBe(0);
    expectOnlyRegion(JSON.parse(result.stdout) as StockList, regionOf(JOHN));

    const [signIn, ...more] = await waitForBrowserRuns(logFile, 1);
    expect(more).toHaveLength(0);
    expect(signIn?.ok, signIn?.error).toBe(true);
    // The client id is the document's URL: nothing was registered.
    expect(new URL(signIn?.url ?? '').searchParams.get('client_id')).toBe(documentUrl);
    expect(new URL(signIn?.redirect ?? '').searchParams.get('iss')).toBe(stack.endpoints.external.issuer);
  }, TEST_TIMEOUT_MS);
});

describe('mcp-remote, as a desktop host runs it', () => {
  it('signs in through the desktop browser and proxies tools/call over stdio', async () => {
    const configDir = freshDir('mcp-remote-config');
    const logFile = join(configDir, 'browser.jsonl');
    const env = {
      ...installBrowserShim(freshDir('desktop')),
      ...browserEnv({
        email: JOHN,
        inbox: stack.endpoints.external.inbox,
        label: 'mcp-remote',
        logFile,
        timeoutMs: SIGN_IN_SECONDS * 1000,
        // The name mcp-remote registers with (dynamic client registration).
        expectedClientName: 'MCP CLI Proxy',
      }),
      // Keeps its registrations and tokens out of ~/.mcp-auth.
      MCP_REMOTE_CONFIG_DIR: configDir,
    };
    const proxy = startMcpRemote([stack.endpoints.external.mcp, '--transport', 'http-only', '--auth-timeout', String(SIGN_IN_SECONDS)], env);
    const watching = new AbortController();
    try {
      // The proxy signs in before it serves stdio; the request waits in the
      // pipe meanwhile. A failed sign-in ends the wait at once.
      const initialized = await Promise.race([
        proxy.request(
          'initialize',
          { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'e2e-desktop-host', version: '1.0.0' } },
          (SIGN_IN_SECONDS + 20) * 1000,
        ),
        failedBrowserRun(logFile, watching.signal).catch((error: unknown) => {
          throw new Error(`${(error as Error).message}\nmcp-remote's log:\n${proxy.stderr()}`);
        }),
      ]);
      expect(initialized.error, proxy.stderr()).toBeUndefined();
      expect(initialized.result?.serverInfo).toMatchObject({ name: expect.any(String) });
      proxy.notify('notifications/initialized');

      const called = await proxy.request('tools/call', { name: 'fetch-stock-prices', arguments: {} });
      expect(called.error, proxy.stderr()).toBeUndefined();
      const result = called.result as { isError?: boolean; content?: Array<{ type: string; text?: string }> } | undefined;
      expect(result?.isError ?? false).toBe(false);
      const text = result?.content?.find((item) => item.type === 'text')?.text ?? '';
      expectOnlyRegion(JSON.parse(text) as StockList, regionOf(JOHN));

      // mcp-remote carries on as soon as the callback arrives; the browser writes its line once it has closed.
      const runs = await waitForBrowserRuns(logFile, 1);
      expect(runs, proxy.stderr()).toHaveLength(1);
      expect(runs[0]?.ok, runs[0]?.error).toBe(true);
      const redirect = new URL(runs[0]?.redirect ?? '');
      expect(redirect.searchParams.get('code')).toEqual(expect.any(String));
      expect(redirect.searchParams.get('iss')).toBe(stack.endpoints.external.issuer);
    } finally {
      watching.abort();
      await proxy.close();
    }
  }, TEST_TIMEOUT_MS);
});
