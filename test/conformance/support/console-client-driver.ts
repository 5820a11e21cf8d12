/**
 * The console client as the conformance suite runs a client under test: the
 * suite appends the MCP server URL as the last argument (and passes
 * pre-registered credentials in MCP_CONFORMANCE_CONTEXT for the scenarios
 * that need them; `--client-metadata-url <url>` before it sets a client ID
 * metadata document URL). The client's own session, OAuth provider, callback
 * listener and state store do the work; the person at the browser is
 * replaced by a request that follows the authorization server's redirects
 * back to the loopback listener. It lists the tools and calls the first one,
 * which is what the scenarios' servers protect (tools/call is where step-up
 * happens).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeError } from '../../../clients/console-client/src/errors.ts';
import { startCallbackServer } from '../../../clients/console-client/src/oauth/callback-server.ts';
import { createConsoleOAuthProvider, type PreRegisteredClient } from '../../../clients/console-client/src/oauth/provider.ts';
import { createObservedFetch } from '../../../clients/console-client/src/observed-fetch.ts';
import { createReporter } from '../../../clients/console-client/src/report.ts';
import { createSession } from '../../../clients/console-client/src/session.ts';
import { createStateStore } from '../../../clients/console-client/src/state/store.ts';
import { followAuthorization } from '../../../clients/console-client/test/support/follow-redirects.ts';

function preRegisteredFrom(context: string | undefined): PreRegisteredClient | undefined {
  if (!context) return undefined;
  const parsed = JSON.parse(context) as { client_id?: unknown; client_secret?: unknown };
  if (typeof parsed.client_id !== 'string') return undefined;
  return { client_id: parsed.client_id, ...(typeof parsed.client_secret === 'string' ? { client_secret: parsed.client_secret } : {}) };
}

async function run(serverUrl: string, clientMetadataUrl: string | undefined): Promise<number> {
  const stateDir = mkdtempSync(join(tmpdir(), 'conformance-console-'));
  const report = createReporter({ verbose: true });
  const callback = await startCallbackServer();
  try {
    const store = createStateStore(join(stateDir, 'state'));
    const observed = createObservedFetch(serverUrl, report);
    const preRegistered = preRegisteredFrom(process.env.MCP_CONFORMANCE_CONTEXT);
    const provider = createConsoleOAuthProvider({
      serverUrl,
      store,
      callback,
      report,
      clientName: 'MCP Console Client',
      ...(clientMetadataUrl ? { clientMetadataUrl } : {}),
      ...(preRegistered ? { preRegistered } : {}),
      signInTimeoutMs: 15_000,
      openUrl: (url, onFailure) => {
        followAuthorization(url).catch(onFailure);
      },
    });
    const session = createSession({ serverUrl, provider, store, observed, report, clientInfo: { name: 'mcp-console-client', version: '0.1.0' } });
    try {
      const tools = await session.listTools();
      const first = tools[0];
      if (first) await session.callTool(first.name, {});
      return 0;
    } finally {
      await session.close();
    }
  } catch (error) {
    process.stderr.write(`Error: ${describeError(error)}\n`);
    return 1;
  } finally {
    await callback.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

const serverUrl = process.argv.at(-1);
if (!serverUrl) {
  process.stderr.write('usage: console-client-driver.ts <mcp-server-url>\n');
  process.exit(2);
}
// `--client-metadata-url <url>` before the server URL, as the console client's own option.
const option = process.argv.indexOf('--client-metadata-url');
process.exit(await run(serverUrl, option > 0 ? process.argv[option + 1] : undefined));
