import type { Request as ExpressRequest, Response as ExpressResponse } from 'express';

/**
 * The bridge between express and the SDK's web-standard handlers, written for
 * what this server needs and no more: the body is already parsed (the SDK
 * takes it as `parsedBody`), so the web Request carries only the method and
 * headers; answers are plain JSON in all but rare cases, so a JSON answer is
 * read whole and written with its headers in one go.
 */

/** A body-less web Request with the request's headers; `signal` aborts when the client goes away. */
export function webRequestOf(req: ExpressRequest, signal: AbortSignal): Request {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === 'string') headers[name] = value;
    else if (Array.isArray(value)) headers[name] = value.join(', ');
  }
  // Only the path and headers matter to the SDK; the host part is never used to build links.
  return new Request(`http://mcp.invalid${req.originalUrl}`, { method: req.method, headers, signal });
}

/** An AbortSignal that fires when the response closes before it was fully written. */
export function abortOnClose(res: ExpressResponse): AbortSignal {
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}

function isJson(response: Response): boolean {
  const type = response.headers.get('content-type');
  return type !== null && /^application\/json\b/i.test(type);
}

/** Writes a web Response: JSON in one write, anything else (an event stream) chunk by chunk. */
export async function sendWebResponse(res: ExpressResponse, response: Response): Promise<void> {
  const headers: Record<string, string> = {};
  for (const [name, value] of response.headers) headers[name] = value;
  if (response.body === null) {
    res.writeHead(response.status, headers).end();
    return;
  }
  if (isJson(response)) {
    const body = Buffer.from(await response.arrayBuffer());
    headers['content-length'] = String(body.length);
    res.writeHead(response.status, headers).end(body);
    return;
  }
  res.writeHead(response.status, headers);
  // Leaving the loop early (client gone) cancels the stream, which ends the SDK's side of the exchange.
  for await (const chunk of response.body) {
    if (res.destroyed) break;
    if (!res.write(chunk)) await new Promise<void>((resume) => res.once('drain', resume).once('close', resume));
  }
  if (!res.destroyed) res.end();
}
