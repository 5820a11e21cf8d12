import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The authorization server (or the user) ended the sign-in with an OAuth error. */
export class AuthorizationError extends Error {
  readonly error: string;
  readonly description: string | undefined;

  constructor(error: string, description?: string) {
    super(description ? `${error}: ${description}` : error);
    this.name = 'AuthorizationError';
    this.error = error;
    this.description = description;
  }
}

/** What the pending sign-in must look like when it comes back. */
export interface CallbackExpectation {
  state: string;
  /** The issuer from the authorization server metadata, compared with `iss` (RFC 9207). */
  issuer?: string;
  /** The server advertised `authorization_response_iss_parameter_supported`: a missing `iss` is refused. */
  issuerRequired: boolean;
  /** Gives up after this long; the user may simply have walked away. */
  timeoutMs?: number;
}

export interface CallbackServer {
  /** The redirect URI to send in authorization requests, with the port actually bound. */
  readonly redirectUrl: string;
  readonly port: number;
  /** Arms the listener for one authorization response; resolves with the authorization code and the checked issuer. */
  expect(expectation: CallbackExpectation): Promise<AuthorizationResponse>;
  /** Fails the pending sign-in, if any (for example when the browser hook gave up). */
  cancel(reason: Error): void;
  close(): Promise<void>;
}

/** A successful authorization response: the code, and `iss` when the server sent it (already checked). */
export interface AuthorizationResponse {
  code: string;
  iss: string | undefined;
}

export interface CallbackServerOptions {
  /** 0 picks a free port. */
  port?: number;
  host?: string;
  path?: string;
}

interface Pending {
  expectation: CallbackExpectation;
  resolve: (response: AuthorizationResponse) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function sendPage(res: ServerResponse, status: number, title: string, message: string): void {
  const body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#222}h1{font-size:1.4rem}</style>
</head><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p></body></html>
`;
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
    'Referrer-Policy': 'no-referrer',
    'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'",
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(body);
}

function single(params: URLSearchParams, name: string): string | undefined {
  const values = params.getAll(name);
  return values.length === 1 ? values[0] : undefined;
}

/**
 * The loopback redirect listener of a native app (RFC 8252 section 7.3). It
 * accepts exactly one response per sign-in: the one whose `state` matches.
 * Anything else that reaches the port (a stale tab, another local page) gets
 * an error page and leaves the sign-in waiting. The issuer check of RFC 9207
 * happens here, before the code is handed to anyone, because the SDK does not
 * see the authorization response at all.
 */
export function startCallbackServer({ port = 0, host = '127.0.0.1', path = '/callback' }: CallbackServerOptions = {}): Promise<CallbackServer> {
  let pending: Pending | undefined;

  const settle = (outcome: AuthorizationResponse | { error: Error }) => {
    const current = pending;
    if (!current) return;
    pending = undefined;
    if (current.timer) clearTimeout(current.timer);
    if ('code' in outcome) current.resolve(outcome);
    else current.reject(outcome.error);
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://loopback');
    if (url.pathname !== path) {
      sendPage(res, 404, 'Not found', 'This address only receives sign-in responses.');
      return;
    }
    if (req.method !== 'GET') {
      res.setHeader('Allow', 'GET');
      sendPage(res, 405, 'Method not allowed', 'Sign-in responses arrive as GET requests.');
      return;
    }
    const current = pending;
    if (!current) {
      sendPage(res, 400, 'No sign-in in progress', 'The console client is not waiting for a sign-in. Start again from the console.');
      return;
    }
    const params = url.searchParams;
    const { expectation } = current;
    if (single(params, 'state') !== expectation.state) {
      sendPage(res, 400, 'Unexpected sign-in response', 'This response does not belong to the sign-in in progress and was ignored.');
      return;
    }

    // RFC 9207: with the state matched, the response is ours; now make sure it
    // came from the authorization server we sent the user to (mix-up defence).
    const iss = params.has('iss') ? single(params, 'iss') : undefined;
    if (params.has('iss') && iss === undefined) {
      settle({ error: new AuthorizationError('invalid_request', 'The authorization response carries more than one iss parameter') });
      sendPage(res, 400, 'Sign-in refused', 'The response was malformed and has been refused. Return to the console.');
      return;
    }
    if (iss === undefined && expectation.issuerRequired) {
      settle({ error: new AuthorizationError('invalid_request', 'The authorization response carries no iss parameter although the authorization server promises one (RFC 9207); refusing it') });
      sendPage(res, 400, 'Sign-in refused', 'The response did not identify its issuer and has been refused. Return to the console.');
      return;
    }
    if (iss !== undefined && expectation.issuer !== undefined && iss !== expectation.issuer) {
      settle({
        error: new AuthorizationError(
          'issuer_mismatch',
          `The authorization response comes from "${iss}" but the sign-in was sent to "${expectation.issuer}"; refusing it (possible mix-up attack, RFC 9207)`,
        ),
      });
      sendPage(res, 400, 'Sign-in refused', 'The response came from an unexpected authorization server and has been refused. Return to the console.');
      return;
    }

    const error = single(params, 'error');
    if (error !== undefined) {
      const description = single(params, 'error_description');
      settle({ error: new AuthorizationError(error, description) });
      sendPage(res, 400, 'Sign-in not completed', `The authorization server answered: ${description ?? error}. You can close this window and return to the console.`);
      return;
    }
    const code = single(params, 'code');
    if (!code) {
      settle({ error: new AuthorizationError('invalid_request', 'The authorization response carries no authorization code') });
      sendPage(res, 400, 'Sign-in not completed', 'The response carried no authorization code. Return to the console.');
      return;
    }
    settle({ code, iss });
    sendPage(res, 200, 'Signed in', 'You can close this window and return to the console.');
  };

  const server = createServer(handle);
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'EADDRINUSE' ? new Error(`The callback port ${port} on ${host} is already in use; choose another --callback-port`) : error);
    });
    server.listen(port, host, () => {
      const bound = (server.address() as AddressInfo).port;
      const hostPart = host.includes(':') ? `[${host}]` : host;
      resolve({
        redirectUrl: `http://${hostPart}:${bound}${path}`,
        port: bound,
        expect(expectation) {
          settle({ error: new Error('A newer sign-in replaced this one') });
          return new Promise<AuthorizationResponse>((resolveCode, rejectCode) => {
            const { timeoutMs } = expectation;
            const timer =
              timeoutMs === undefined
                ? undefined
                : setTimeout(() => {
                    settle({ error: new Error(`No sign-in response arrived within ${Math.round(timeoutMs / 1000)} seconds`) });
                  }, timeoutMs);
            timer?.unref();
            pending = { expectation, resolve: resolveCode, reject: rejectCode, timer };
          });
        },
        cancel(reason) {
          settle({ error: reason });
        },
        close() {
          settle({ error: new Error('The console client stopped waiting for the sign-in') });
          return new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          });
        },
      });
    });
  });
}
