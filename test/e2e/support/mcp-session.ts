import { Client as CurrentClient, StreamableHTTPClientTransport as CurrentTransport, UnauthorizedError as CurrentUnauthorizedError } from '@modelcontextprotocol/client';
import { Client as PreviousClient } from '@modelcontextprotocol/sdk/client/index.js';
import { UnauthorizedError as PreviousUnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport as PreviousTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createRecordingProvider, type RecordingProvider } from './oauth-provider.ts';
import { signInOverHttp, type LoginOptions } from './http-login.ts';

/**
 * The MCP revision a client speaks. 2026-07-28 is the SDK v2 client pinned to
 * the current revision (no handshake, `Mcp-Method` on every request, no
 * fallback); 2025-11-25 is the SDK v1 client, which is what mcp-remote, MCP
 * Inspector and older hosts still speak.
 */
export type ClientEra = '2026-07-28' | '2025-11-25';
export const CLIENT_ERAS: readonly ClientEra[] = ['2026-07-28', '2025-11-25'];

/** What the tests read of a tool result; both SDKs' results fit. */
export interface ToolResult {
  content: Array<{ type: string; text?: string }>;
  structuredContent?: unknown;
  isError?: boolean;
}

/** The part of an MCP client the scenarios use, the same for both SDKs. */
export interface ToolClient {
  listTools(): Promise<{ tools: Array<{ name: string }> }>;
  callTool(params: { name: string; arguments: Record<string, unknown> }): Promise<ToolResult>;
}

export interface Exchange {
  method: string;
  url: string;
  status: number;
  headers: Headers;
  body: string;
  requestHeaders: Headers;
  /** The JSON-RPC method of a POSTed MCP message, when the body was one. */
  rpcMethod?: string;
  /** `params.name` of a tools/call. */
  rpcName?: string;
}

function rpcOf(body: unknown): { rpcMethod?: string; rpcName?: string } {
  if (typeof body !== 'string') return {};
  try {
    const message = JSON.parse(body) as { method?: unknown; params?: { name?: unknown } };
    return {
      ...(typeof message.method === 'string' ? { rpcMethod: message.method } : {}),
      ...(typeof message.params?.name === 'string' ? { rpcName: message.params.name } : {}),
    };
  } catch {
    return {};
  }
}

/** A fetch that remembers every request/response pair the SDK makes, for assertions on the wire format. */
export function recordingFetch(): { fetch: typeof fetch; log: Exchange[] } {
  const log: Exchange[] = [];
  const recording: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    const url = input instanceof Request ? input.url : String(input);
    const method = init?.method ?? (input instanceof Request ? input.method : 'GET');
    const requestHeaders = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
    const isJson = response.headers.get('content-type')?.includes('json') ?? false;
    const body = isJson ? await response.clone().text() : '';
    log.push({ method, url, status: response.status, headers: response.headers, body, requestHeaders, ...rpcOf(init?.body) });
    return response;
  };
  return { fetch: recording, log };
}

export interface SignedInClient {
  era: ClientEra;
  client: ToolClient;
  provider: RecordingProvider;
  /** The redirect the authorization server sent back (code, iss, state). */
  redirect: URL;
  wire: Exchange[];
  close(): Promise<void>;
}

const REDIRECT_URI = 'http://127.0.0.1:53682/callback';

interface Connected {
  client: ToolClient;
  close(): Promise<void>;
}

/**
 * One era's client and transport. `first` is what the client does before it
 * has a token; it must end in the SDK's UnauthorizedError, after which the
 * same transport finishes the sign-in.
 */
interface EraDriver {
  first(): Promise<unknown>;
  finishAuth(code: string, iss: string | undefined): Promise<void>;
  isUnauthorized(error: unknown): boolean;
  connect(): Promise<Connected>;
}

function previousRevision(mcpUrl: URL, provider: RecordingProvider, fetch: typeof globalThis.fetch): EraDriver {
  const transport = new PreviousTransport(mcpUrl, { authProvider: provider, fetch });
  const info = { name: 'e2e-test-client', version: '1.0.0' };
  return {
    // The initialize handshake is the first request of this revision.
    first: () => new PreviousClient(info).connect(transport),
    finishAuth: (code) => transport.finishAuth(code),
    isUnauthorized: (error) => error instanceof PreviousUnauthorizedError,
    async connect() {
      const client = new PreviousClient(info);
      await client.connect(new PreviousTransport(mcpUrl, { authProvider: provider, fetch }));
      return { client: client as ToolClient, close: () => client.close() };
    },
  };
}

function currentRevision(mcpUrl: URL, provider: RecordingProvider, fetch: typeof globalThis.fetch): EraDriver {
  // Pinned, not 'auto': a server that cannot speak 2026-07-28 must fail the test, not be talked to in 2025-11-25.
  const create = () => new CurrentClient({ name: 'e2e-test-client', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
  const transport = new CurrentTransport(mcpUrl, { authProvider: provider, fetch });
  return {
    // No handshake in this revision: the first request that needs a token is the first real one.
    async first() {
      const client = create();
      await client.connect(transport);
      await client.listTools();
    },
    finishAuth: (code, iss) => transport.finishAuth(code, iss),
    isUnauthorized: (error) => error instanceof CurrentUnauthorizedError,
    async connect() {
      const client = create();
      await client.connect(new CurrentTransport(mcpUrl, { authProvider: provider, fetch }));
      return { client: client as unknown as ToolClient, close: () => client.close() };
    },
  };
}

export interface SignInOptions extends Omit<LoginOptions, 'redirectUri'> {
  clientMetadataUrl?: string;
  /** The revision the client speaks: the current one (SDK v2) unless given. */
  era?: ClientEra;
}

/**
 * The whole client side of the MCP authorization flow with the SDK of the
 * given era: a request without a token gets a 401, then discover, register,
 * authorize with PKCE and resource, sign in, redeem the code, and connect
 * again with the token.
 */
export async function connectWithSignIn(mcpUrl: string, login: SignInOptions): Promise<SignedInClient> {
  const era = login.era ?? '2026-07-28';
  const wire = recordingFetch();
  const provider = createRecordingProvider({
    redirectUrl: REDIRECT_URI,
    ...(login.clientMetadataUrl ? { clientMetadataUrl: login.clientMetadataUrl } : {}),
  });
  const driver = (era === '2026-07-28' ? currentRevision : previousRevision)(new URL(mcpUrl), provider, wire.fetch);
  const refusal = await driver.first().then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!driver.isUnauthorized(refusal)) throw new Error(`expected the first request to need authorization, got ${String(refusal)}`);
  if (!provider.lastAuthorizationUrl) throw new Error('the SDK did not produce an authorization URL');

  const redirect = await signInOverHttp(provider.lastAuthorizationUrl, { email: login.email, inbox: login.inbox, ...(login.consent ? { consent: login.consent } : {}), ...(login.onPage ? { onPage: login.onPage } : {}), redirectUri: REDIRECT_URI });
  const code = redirect.searchParams.get('code');
  if (!code) throw new Error(`the authorization server redirected without a code: ${redirect.search}`);
  await driver.finishAuth(code, redirect.searchParams.get('iss') ?? undefined);

  const connected = await driver.connect();
  return { era, client: connected.client, provider, redirect, wire: wire.log, close: connected.close };
}

export function textOf(result: ToolResult): string {
  return result.content
    .filter((item): item is { type: 'text'; text: string } => item.type === 'text' && typeof item.text === 'string')
    .map((item) => item.text)
    .join('\n');
}
