import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { RefusedAddressError, guardedLookup, isPublicAddress, type Resolve } from './public-addresses.ts';

export interface FetchedDocument {
  status: number;
  cacheControl: string;
  body: string;
}

export interface DocumentFetchOptions {
  resolve: Resolve;
  /** Skip the public-address check (the deployment's own metadata host). */
  allowPrivate: boolean;
  timeoutMs: number;
  maxBytes: number;
}

/** Why a fetch failed, for the server's log only: callers see one uniform error. */
export class DocumentFetchError extends Error {
  override name = 'DocumentFetchError';
}

function readLimited(response: IncomingMessage, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(response.headers['content-length']);
    // Reject before destroying: destroying emits 'aborted' at once.
    if (Number.isFinite(declared) && declared > maxBytes) {
      reject(new DocumentFetchError(`declared ${declared} bytes, more than ${maxBytes}`));
      response.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    let received = 0;
    response.on('data', (chunk: Buffer) => {
      received += chunk.byteLength;
      if (received > maxBytes) {
        reject(new DocumentFetchError(`more than ${maxBytes} bytes`));
        response.destroy();
        return;
      }
      chunks.push(chunk);
    });
    response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    response.on('error', reject);
    response.on('aborted', () => reject(new DocumentFetchError('the response was cut off')));
  });
}

/**
 * GET of a client ID metadata document: no redirects, a deadline for the
 * whole exchange, a size limit, and a connection only to addresses that
 * passed the public-address check (see guardedLookup). A literal IP address
 * in the URL is checked here, since no lookup happens for it.
 */
export async function fetchDocument(url: URL, options: DocumentFetchOptions): Promise<FetchedDocument> {
  const literal = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(literal) !== 0 && !options.allowPrivate && !isPublicAddress(literal)) {
    throw new RefusedAddressError(`${literal} is not a public address`);
  }
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const signal = AbortSignal.timeout(options.timeoutMs);
  return new Promise<FetchedDocument>((resolve, reject) => {
    const outgoing = request(
      url,
      {
        method: 'GET',
        headers: { accept: 'application/json' },
        lookup: guardedLookup(options.resolve, options.allowPrivate),
        // A fresh connection per fetch: a pooled socket would skip the address check.
        agent: false,
        signal,
      },
      (response) => {
        readLimited(response, options.maxBytes).then(
          (body) =>
            resolve({
              status: response.statusCode ?? 0,
              cacheControl: String(response.headers['cache-control'] ?? ''),
              body,
            }),
          reject,
        );
      },
    );
    outgoing.on('error', (error) => reject(signal.aborted ? new DocumentFetchError(`no answer within ${options.timeoutMs} ms`) : error));
    outgoing.end();
  });
}
