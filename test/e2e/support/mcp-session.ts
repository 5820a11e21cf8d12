import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { createRecordingProvider, type RecordingProvider } from './oauth-provider.ts';
import { signInOverHttp, type LoginOptions } from './http-login.ts';

export interface Exchange {
  method: string;
  url: string;
  status: number;
  headers: Headers;
  body: string;
}

/** A fetch that remembers every request/response pair the SDK makes, for assertions on the wire format. */
export function recordingFetch(): { fetch: typeof fetch; log: Exchange[] } {
  const log: Exchange[] = [];
  const recording: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    const url = input instanceof Request ? input.url : String(input);
    const method = init?.method ?? (input instanceof Request ? input.method : 'GET');
    const isJson = response.headers.get('content-type')?.includes('json') ?? false;
    const body = isJson ? await response.clone().text() : '';
    log.push({ method, url, status: response.status, headers: response.headers, body });
    return response;
  };
  return { fetch: recording, log };
}

export interface SignedInClient {
  client: Client;
  provider: RecordingProvider;
  /** The redirect the authorization server sent back (code, iss, state). */
  redirect: URL;
  wire: Exchange[];
  close(): Promise<void>;
}

const REDIRECT_URI = 'http://127.0.0.1:53682/callback';

/**
 * The whole client side of the MCP authorization flow with the SDK: connect,
 * get a 401, discover, register, authorize with PKCE and resource, sign in,
 * redeem the code, connect again with the token.
 */
export async function connectWithSignIn(mcpUrl: string, login: Omit<LoginOptions, 'redirectUri'> & { clientMetadataUrl?: string }): Promise<SignedInClient> {
  const wire = recordingFetch();
  const provider = createRecordingProvider({
    redirectUrl: REDIRECT_URI,
    ...(login.clientMetadataUrl ? { clientMetadataUrl: login.clientMetadataUrl } : {}),
  });
  const first = new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider, fetch: wire.fetch });
  const unauthenticated = new Client({ name: 'e2e-test-client', version: '1.0.0' });
  const refusal = await unauthenticated.connect(first).then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(refusal instanceof UnauthorizedError)) throw new Error(`expected the first connection to need authorization, got ${String(refusal)}`);
  if (!provider.lastAuthorizationUrl) throw new Error('the SDK did not produce an authorization URL');

  const redirect = await signInOverHttp(provider.lastAuthorizationUrl, { ...login, redirectUri: REDIRECT_URI });
  const code = redirect.searchParams.get('code');
  if (!code) throw new Error(`the authorization server redirected without a code: ${redirect.search}`);
  await first.finishAuth(code);

  const client = new Client({ name: 'e2e-test-client', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider, fetch: wire.fetch }));
  return { client, provider, redirect, wire: wire.log, close: () => client.close() };
}

export function textOf(result: CallToolResult): string {
  return result.content
    .filter((item): item is { type: 'text'; text: string } => item.type === 'text')
    .map((item) => item.text)
    .join('\n');
}
