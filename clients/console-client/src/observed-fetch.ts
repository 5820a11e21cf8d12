import { extractWWWAuthenticateParams, type FetchLike } from '@modelcontextprotocol/client';
import { describeNetworkCode } from './errors.ts';
import type { Reporter } from './report.ts';

/** The last 401/403 the MCP server answered with, as its WWW-Authenticate header described it. */
export interface Challenge {
  status: 401 | 403;
  error: string | undefined;
  scope: string | undefined;
}

export interface ObservedFetch {
  fetch: FetchLike;
  lastChallenge(): Challenge | undefined;
  forgetChallenge(): void;
  /** Called on every 401 from the MCP server, before the SDK acts on it. */
  onUnauthorized(listener: () => void): void;
}

function printable(url: URL): string {
  // Query strings can carry codes and state; they never reach the console.
  return `${url.origin}${url.pathname}`;
}

/**
 * A network failure that names the server and the reason. It stays a
 * TypeError, which is what fetch throws and what the SDK's discovery expects.
 */
function unreachable(url: URL, error: unknown): unknown {
  if (!(error instanceof TypeError)) return error;
  let reason: string | undefined;
  let cause: unknown = error.cause;
  for (let depth = 0; cause && depth < 4 && !reason; depth++) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string') reason = describeNetworkCode(code);
    else if (cause instanceof Error && cause.message) reason = cause.message;
    cause = (cause as { cause?: unknown }).cause;
  }
  return new TypeError(`Could not reach ${url.origin}${reason ? ` (${reason})` : ''}`, { cause: error });
}

/**
 * The fetch the transport and the SDK's OAuth functions use. It turns the
 * protocol's steps into progress lines (the SDK runs them without telling
 * anyone) and remembers the MCP server's last challenge, which the session
 * needs to tell an expired token (401) from a missing scope (403).
 * Only methods, URLs without query and statuses are ever printed.
 */
export function createObservedFetch(serverUrl: string, report: Reporter, base: FetchLike = (url, init) => fetch(url, init)): ObservedFetch {
  const target = new URL(serverUrl);
  let last: Challenge | undefined;
  let announcedDiscovery = false;
  let unauthorized: (() => void) | undefined;

  const observed: FetchLike = async (input, init) => {
    const url = new URL(typeof input === 'string' ? input : input.href);
    const method = init?.method ?? 'GET';
    if (!announcedDiscovery && url.pathname.startsWith('/.well-known/oauth-protected-resource')) {
      announcedDiscovery = true;
      report.info('Discovering the authorization server…');
    }
    let response: Response;
    try {
      response = await base(input, init);
    } catch (error) {
      report.debug(`${method} ${printable(url)} failed`);
      throw unreachable(url, error);
    }
    report.debug(`${method} ${printable(url)} -> ${response.status}`);
    const isMcpEndpoint = url.origin === target.origin && url.pathname === target.pathname;
    if (isMcpEndpoint && (response.status === 401 || response.status === 403)) {
      const { error, scope } = extractWWWAuthenticateParams(response);
      last = { status: response.status, error, scope };
      if (response.status === 401) {
        report.info('The MCP server requires authorization');
        unauthorized?.();
      }
      else if (error === 'insufficient_scope') report.info(`The MCP server needs more access${scope ? ` (scope "${scope}")` : ''}; signing in again`);
    }
    return response;
  };

  return {
    fetch: observed,
    lastChallenge: () => last,
    forgetChallenge: () => {
      last = undefined;
    },
    onUnauthorized: (listener) => {
      unauthorized = listener;
    },
  };
}
