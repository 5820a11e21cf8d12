import {
  Client,
  OAuthError,
  RegistrationRejectedError,
  StreamableHTTPClientTransport,
  UnauthorizedError,
  type CallToolResult,
  type Tool,
} from '@modelcontextprotocol/client';
import { AuthorizationError, type AuthorizationResponse } from './oauth/callback-server.ts';
import type { ConsoleOAuthProvider } from './oauth/provider.ts';
import type { ObservedFetch } from './observed-fetch.ts';
import type { Reporter } from './report.ts';
import type { StateStore } from './state/store.ts';

export interface SessionOptions {
  serverUrl: string;
  provider: ConsoleOAuthProvider;
  store: StateStore;
  observed: ObservedFetch;
  report: Reporter;
  clientInfo: { name: string; version: string };
}

export interface Session {
  /** Connects (signing in if needed) without doing anything else. */
  connect(): Promise<void>;
  listTools(): Promise<Tool[]>;
  callTool(name: string, args: Record<string, unknown>): Promise<CallToolResult>;
  /** Forgets the registration and tokens for this server; the next request signs in afresh. */
  logout(): Promise<boolean>;
  close(): Promise<void>;
}

interface Connection {
  client: Client;
  transport: StreamableHTTPClientTransport;
}

/**
 * Upper bound of browser sign-ins for one command: a first sign-in, one more
 * after a stale registration was replaced, one step-up for a missing scope.
 */
const MAX_SIGN_INS = 3;

const UNKNOWN_CLIENT_ERRORS = new Set(['invalid_client', 'unauthorized_client']);

/**
 * The code exchange failed because the authorization server no longer knows
 * the client. The SDK has already discarded the registration by then
 * (invalidateCredentials) and reports that it has no client to finish with.
 */
function isStaleClientError(error: unknown): boolean {
  if (error instanceof OAuthError && UNKNOWN_CLIENT_ERRORS.has(error.code)) return true;
  return error instanceof Error && error.message.startsWith('Existing OAuth client information is required');
}

/** The authorization response itself said the client is unknown (servers that can verify the redirect URI do so). */
function isUnknownClientResponse(error: unknown): boolean {
  return error instanceof AuthorizationError && UNKNOWN_CLIENT_ERRORS.has(error.error);
}

export function createSession(options: SessionOptions): Session {
  const { serverUrl, provider, store, observed, report, clientInfo } = options;
  let connection: Connection | undefined;
  /** The transport whose auth() call started the sign-in; it finishes it too. */
  let signingTransport: StreamableHTTPClientTransport | undefined;

  // RFC 9728 discovery is never trusted across a 401: the resource may have
  // moved to another authorization server, which only its metadata tells.
  observed.onUnauthorized(() => provider.invalidateCredentials?.('discovery'));

  async function connect(): Promise<Connection> {
    report.info(`Connecting to ${serverUrl}`);
    // Step-up is bounded per command by the loop below; the transport gets one attempt per request.
    const transport = new StreamableHTTPClientTransport(new URL(serverUrl), { authProvider: provider, fetch: observed.fetch, maxStepUpRetries: 1 });
    signingTransport = transport;
    // 'auto': server/discover first, 2026-07-28 when the server offers it, the
    // initialize handshake of earlier revisions otherwise.
    const client = new Client(clientInfo, { capabilities: {}, versionNegotiation: { mode: 'auto' } });
    client.onerror = (error) => report.debug(`connection: ${error.message}`);
    // A failed initialize closes the client; the next attempt starts a new one.
    await client.connect(transport);
    const server = client.getServerVersion();
    report.info(`Connected to ${server ? `${server.name} ${server.version}` : serverUrl}`);
    connection = { client, transport };
    return connection;
  }

  /**
   * Runs one MCP operation, signing in whenever the SDK stops with
   * UnauthorizedError after sending the user to the authorization server:
   * wait for the loopback callback, exchange the code, try again.
   */
  async function authorized<T>(operation: (client: Client) => Promise<T>): Promise<T> {
    let signIns = 0;
    /** The issuer of the last sign-in in this command, once there was one. */
    let signedInAt: string | undefined;
    // A fresh token refused again is a dead end, unless the resource now names
    // another authorization server (a migration): that one gets its sign-in.
    const rejectedFreshToken = () => signedInAt !== undefined && provider.authorizationServerIssuer() === signedInAt;
    let steppedUp = false;
    let registeredAgain = false;
    let registrationRetried = false;
    // The same bounds as below, applied before the browser opens: the SDK
    // starts a step-up sign-in on its own when the server answers 403.
    provider.guardSignIn(() => {
      const challenge = observed.lastChallenge();
      if (challenge?.status === 403 && steppedUp) return 'The MCP server still refuses the request after signing in with the scope it asked for';
      if (challenge?.status !== 403 && rejectedFreshToken()) return 'The MCP server rejected the access token that signing in just produced';
      if (signIns >= MAX_SIGN_INS) return 'Signing in did not give access to the MCP server';
      return undefined;
    });
    for (;;) {
      observed.forgetChallenge();
      try {
        const current = connection ?? (await connect());
        return await operation(current.client);
      } catch (error) {
        const pending = provider.takePendingSignIn();
        // The SDK reads the client metadata before it discovers the authorization
        // server; a server that refused a public client is asked once more with
        // the authentication method its metadata lists.
        if (error instanceof RegistrationRejectedError && !registrationRetried) {
          const asked = error.submittedMetadata.token_endpoint_auth_method;
          if (asked !== provider.clientMetadata.token_endpoint_auth_method) {
            registrationRetried = true;
            report.debug(`registration with token_endpoint_auth_method ${asked} refused; trying ${provider.clientMetadata.token_endpoint_auth_method}`);
            continue;
          }
        }
        if (!(error instanceof UnauthorizedError) || !pending) {
          if (pending) provider.abandonPendingSignIn(new Error('The request failed'));
          throw error;
        }
        const challenge = observed.lastChallenge();
        const giveUp = (message: string) => {
          provider.abandonPendingSignIn(new Error(message));
          return new Error(message);
        };
        if (challenge?.status === 403) {
          if (steppedUp) throw giveUp('The MCP server still refuses the request after signing in with the scope it asked for');
          steppedUp = true;
        } else if (rejectedFreshToken()) {
          throw giveUp('The MCP server rejected the access token that signing in just produced');
        }
        if (++signIns > MAX_SIGN_INS) throw giveUp('Signing in did not give access to the MCP server');

        let response: AuthorizationResponse;
        try {
          response = await pending;
        } catch (signInError) {
          if (!isUnknownClientResponse(signInError) || registeredAgain || !provider.usesStoredRegistration()) throw signInError;
          registeredAgain = true;
          report.info('The authorization server no longer knows this client; registering again');
          provider.forgetClient();
          continue;
        }
        report.info('Completing the sign-in…');
        try {
          await (connection?.transport ?? signingTransport)!.finishAuth(response.code, response.iss);
        } catch (finishError) {
          if (!isStaleClientError(finishError)) throw finishError;
          if (registeredAgain) {
            // Registering once more would only loop: the server refuses clients it has just registered.
            throw new Error('The authorization server refused the client it had just registered when the sign-in was completed (invalid_client); check its logs', {
              cause: finishError,
            });
          }
          registeredAgain = true;
          report.info('The authorization server no longer knows this client; registering again');
          provider.forgetClient();
          continue;
        }
        signedInAt = provider.authorizationServerIssuer() ?? '';
        const scope = store.load(serverUrl).tokens?.scope;
        report.info(`Signed in${scope ? ` (scope: ${scope})` : ''}`);
      }
    }
  }

  return {
    async connect() {
      await authorized(async () => undefined);
    },

    listTools() {
      return authorized(async (client) => {
        const tools: Tool[] = [];
        let cursor: string | undefined;
        do {
          const page = await client.listTools(cursor === undefined ? undefined : { cursor });
          tools.push(...page.tools);
          cursor = page.nextCursor;
        } while (cursor !== undefined);
        return tools;
      });
    },

    callTool(name, args) {
      return authorized(async (client) => {
        const result: Record<string, unknown> = await client.callTool({ name, arguments: args });
        if (!('content' in result)) {
          // Servers of the 2024-10-07 protocol answer with `toolResult`.
          return { content: [{ type: 'text', text: JSON.stringify(result.toolResult) }] } satisfies CallToolResult;
        }
        return result as CallToolResult;
      });
    },

    async logout() {
      await closeConnection();
      provider.invalidateCredentials?.('discovery');
      return store.remove(serverUrl);
    },

    async close() {
      await closeConnection();
    },
  };

  async function closeConnection(): Promise<void> {
    const current = connection;
    connection = undefined;
    await current?.client.close().catch(() => undefined);
  }
}
