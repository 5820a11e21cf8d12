/**
 * Why a call to the authorization server or the stocks API did not produce
 * data. The message of an UpstreamError is written for the person (or agent)
 * using the MCP client: it never holds a token, a stack trace or an internal
 * address, so tools may return it as it is.
 */
export type UpstreamFailure =
  | 'authorization_server_unavailable'
  | 'authorization_server_invalid_response'
  | 'token_exchange_rejected'
  | 'stocks_api_unavailable'
  | 'stocks_api_invalid_response'
  | 'stocks_api_rejected_token'
  | 'stocks_api_refused_agent'
  | 'stocks_api_insufficient_token'
  | 'stock_not_found';

export class UpstreamError extends Error {
  readonly failure: UpstreamFailure;
  /** HTTP status the upstream answered with, when it answered at all. */
  readonly status: number | undefined;
  /** For operators' logs only: an OAuth error code or a transport error code, never a secret. */
  readonly detail: string | undefined;

  constructor(failure: UpstreamFailure, message: string, options: { status?: number; detail?: string | undefined } = {}) {
    super(message);
    this.name = 'UpstreamError';
    this.failure = failure;
    this.status = options.status;
    this.detail = options.detail;
  }
}

/** undici refuses to buffer a body over the pool's maxResponseSize; that is a bad answer, not an outage. */
export function isResponseTooLarge(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE';
}

/**
 * Text taken from an upstream error body, made safe to show: one line,
 * printable characters only, bounded in length.
 */
export function safeUpstreamText(value: unknown, maxLength = 200): string | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.replace(/[^\x20-\x7E\u00A0-\uFFFF]+/g, ' ').trim();
  if (!text) return undefined;
  return text.length > maxLength ? `${text.slice(0, maxLength - 1)}…` : text;
}

/** The code of a network or undici error (ECONNREFUSED, UND_ERR_HEADERS_TIMEOUT, ...), for logs. */
export function transportErrorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[A-Z0-9_]{1,64}$/.test(code) ? code : undefined;
}
