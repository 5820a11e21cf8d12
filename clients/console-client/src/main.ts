import packageJson from '../package.json' with { type: 'json' };
import { parseCommandLine, USAGE, UsageError, type ConsoleOptions } from './args.ts';
import { describeError } from './errors.ts';
import { formatToolResult, formatTools } from './format.ts';
import { createUrlOpener } from './oauth/browser.ts';
import { startCallbackServer } from './oauth/callback-server.ts';
import { createConsoleOAuthProvider } from './oauth/provider.ts';
import { checkDocument, publishedDocumentFor } from './oauth/published-document.ts';
import { createObservedFetch } from './observed-fetch.ts';
import { runRepl } from './repl.ts';
import { createReporter, type Reporter } from './report.ts';
import { createSession } from './session.ts';
import { createStateStore } from './state/store.ts';

/** Writes and waits until the text is handed to the OS: exiting right after must not cut piped output. */
function writeOut(stream: NodeJS.WriteStream, text: string): Promise<void> {
  return new Promise((resolve) => {
    stream.write(text, () => resolve());
  });
}

/**
 * The client ID metadata document to offer: the one given, else the one the
 * deployment publishes when it answers, else none (dynamic registration).
 * Pre-registered credentials need none. Whether the authorization server
 * takes documents at all is decided later, from its metadata.
 */
async function chooseMetadataDocument(options: ConsoleOptions, report: Reporter): Promise<string | undefined> {
  if (options.preRegistered || !options.publishedClientMetadata) return options.clientMetadataUrl;
  const published = publishedDocumentFor(options.serverUrl);
  if (!published) return undefined;
  const check = await checkDocument(published);
  if (!check.ok) {
    report.debug(`not using the published client ID metadata document: ${check.reason}`);
    return undefined;
  }
  report.debug(`client ID metadata document published by this deployment: ${published}`);
  return published;
}

async function run(options: ConsoleOptions): Promise<number> {
  const report = createReporter({ verbose: options.verbose });
  const store = createStateStore(options.stateDirectory);

  if (options.logout) {
    const removed = store.remove(options.serverUrl);
    report.info(removed ? `Signed out of ${options.serverUrl}` : `Nothing was stored for ${options.serverUrl}`);
    if (options.command.kind === 'logout-only') return 0;
  }

  const callback = await startCallbackServer({ port: options.callbackPort });
  const observed = createObservedFetch(options.serverUrl, report);
  const provider = createConsoleOAuthProvider({
    serverUrl: options.serverUrl,
    store,
    callback,
    openUrl: createUrlOpener(options.browser, report),
    report,
    clientName: options.clientName,
    clientMetadataUrl: await chooseMetadataDocument(options, report),
    ...(options.preRegistered ? { preRegistered: options.preRegistered } : {}),
    signInTimeoutMs: options.signInTimeoutSeconds * 1000,
  });
  const session = createSession({
    serverUrl: options.serverUrl,
    provider,
    store,
    observed,
    report,
    clientInfo: { name: 'mcp-console-client', version: packageJson.version },
  });

  try {
    switch (options.command.kind) {
      case 'call': {
        const result = await session.callTool(options.command.tool, options.command.args);
        const text = formatToolResult(result);
        if (result.isError) {
          await writeOut(process.stderr, `The tool reported an error:\n${text}\n`);
          return 1;
        }
        await writeOut(process.stdout, `${text}\n`);
        return 0;
      }
      case 'list':
        await writeOut(process.stdout, `${formatTools(await session.listTools())}\n`);
        return 0;
      default:
        await session.connect();
        await runRepl({ session, input: process.stdin, output: process.stdout, errors: process.stderr });
        return 0;
    }
  } finally {
    await session.close();
    await callback.close();
  }
}

async function main(argv: string[]): Promise<number> {
  let commandLine;
  try {
    commandLine = parseCommandLine(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    await writeOut(process.stderr, `Error: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (commandLine.kind === 'help') {
    await writeOut(process.stdout, USAGE);
    return 0;
  }
  if (commandLine.kind === 'version') {
    await writeOut(process.stdout, `${packageJson.version}\n`);
    return 0;
  }
  try {
    return await run(commandLine.options);
  } catch (error) {
    await writeOut(process.stderr, `Error: ${describeError(error)}\n`);
    return 1;
  }
}

// Exit explicitly: a browser or SSE stream left behind must not keep a script waiting.
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  async (error: unknown) => {
    await writeOut(process.stderr, `Error: ${describeError(error)}\n`);
    process.exit(1);
  },
);
