import { safeUpstreamText, UpstreamError } from '../upstream/errors.ts';
import { createUpstreamPool, parseJson, requestTarget, requestText, type UpstreamAnswer } from '../upstream/pool.ts';

/** The body of POST /stocks/:id/orders (stocks-api/src/domain/orders.ts). */
export interface OrderRequest {
  side: 'buy' | 'sell';
  quantity: number;
  limitPrice?: number | undefined;
}

/** Calls the stocks API with an access token issued for it; answers are returned as parsed JSON. */
export interface StocksApiClient {
  listStocks(accessToken: string): Promise<unknown>;
  getStock(accessToken: string, id: string): Promise<unknown>;
  /** POST /stocks/:id/orders; the API refuses it to AI agents. */
  placeOrder(accessToken: string, id: string, order: OrderRequest): Promise<unknown>;
  close(): Promise<void>;
}

const UNAVAILABLE = 'The stocks API is unavailable right now. This is temporary; try again later.';

function unavailable(detail: string | undefined, status?: number): UpstreamError {
  return new UpstreamError('stocks_api_unavailable', UNAVAILABLE, { status, detail });
}

function invalidResponse(status: number, detail: string): UpstreamError {
  return new UpstreamError('stocks_api_invalid_response', `The stocks API gave an unexpected answer (HTTP ${status}).`, { status, detail });
}

/** The API's own explanation, from its {"code","message"} error body. */
function apiMessage(body: unknown): string | undefined {
  return safeUpstreamText((body as { message?: unknown } | null)?.message);
}

function interpret({ status, headers, text }: UpstreamAnswer, notFound: string): unknown {
  const body = parseJson(text);
  // 202: an order the API accepted.
  if (status === 200 || status === 202) {
    if (body === undefined) throw invalidResponse(status, 'body is not JSON');
    return body;
  }
  if (status === 401) {
    throw new UpstreamError(
      'stocks_api_rejected_token',
      'The stocks API did not accept the access token it was given. Try again; if the problem persists, re-authorize the MCP client.',
      { status },
    );
  }
  if (status === 403) {
    const reason = apiMessage(body);
    // The API's contract: a 403 with a Bearer challenge means the token lacks
    // something the user grants (a scope, the region claim); its rules about
    // AI agents refuse without one, since no token would change the client.
    if (headers['www-authenticate'] !== undefined) {
      const message = `The stocks API refused the request for what the access token grants${reason ? `: ${reason}` : '.'}`;
      throw new UpstreamError('stocks_api_insufficient_token', message, { status });
    }
    throw new UpstreamError('stocks_api_refused_agent', `The stocks API refused this operation to AI agents${reason ? `: ${reason}` : '.'}`, {
      status,
      detail: safeUpstreamText((body as { code?: unknown } | null)?.code, 64),
    });
  }
  if (status === 404) {
    // The API's own text says the same thing in other words; it goes to the
    // log as detail rather than being appended to the caller's message.
    throw new UpstreamError('stock_not_found', `${notFound}.`, { status, detail: apiMessage(body) });
  }
  if (status === 429 || status >= 500) throw unavailable(`http_${status}`, status);
  throw invalidResponse(status, `http_${status}`);
}

export function createStocksApiClient(baseUrl: string, timeoutMs: number): StocksApiClient {
  const base = new URL(baseUrl);
  const basePath = base.pathname.replace(/\/+$/, '');
  const pool = createUpstreamPool(baseUrl, timeoutMs);

  const send = async (path: string, accessToken: string, notFound: string, json?: unknown): Promise<unknown> => {
    const target = new URL(base);
    target.pathname = `${basePath}${path}`;
    const headers: Record<string, string> = { authorization: `Bearer ${accessToken}`, accept: 'application/json' };
    if (json !== undefined) headers['content-type'] = 'application/json';
    const answer = await requestText(
      pool,
      { method: json === undefined ? 'GET' : 'POST', path: requestTarget(target), headers, ...(json === undefined ? {} : { body: JSON.stringify(json) }) },
      { unavailable, invalidResponse },
    );
    return interpret(answer, notFound);
  };
  const get = (path: string, accessToken: string, notFound: string) => send(path, accessToken, notFound);

  return {
    listStocks: (accessToken) => get('/stocks', accessToken, 'The stocks API has no list of stocks at its configured address'),
    getStock: (accessToken, id) => get(`/stocks/${encodeURIComponent(id)}`, accessToken, `No stock with id "${id}" is available to you`),
    placeOrder: (accessToken, id, order) =>
      send(`/stocks/${encodeURIComponent(id)}/orders`, accessToken, `No stock with id "${id}" is available to you`, {
        side: order.side,
        quantity: order.quantity,
        ...(order.limitPrice === undefined ? {} : { limitPrice: order.limitPrice }),
      }),
    close: () => pool.close(),
  };
}
