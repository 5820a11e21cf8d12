import { Agent } from 'undici';
import { IntrospectionProtocolError, type Introspect } from './phantom-token.ts';

// A JWT is a few kilobytes; anything far larger is not a usable answer.
const MAX_RESPONSE_BYTES = 256 * 1024;

export interface IntrospectionClient {
  introspect: Introspect;
  close(): Promise<void>;
}

/**
 * Introspection over HTTP with undici: one connection pool per
 * authorization server, kept alive between requests. `verify_ssl: false`
 * gets an agent of its own so that it never weakens the verifying one.
 */
export function createIntrospectionClient(): IntrospectionClient {
  const verifying = new Agent();
  let lenient: Agent | undefined;

  const introspect: Introspect = async (request) => {
    const dispatcher = request.verifySsl ? verifying : (lenient ??= new Agent({ connect: { rejectUnauthorized: false } }));
    const url = new URL(request.url);
    const response = await dispatcher.request({
      origin: url.origin,
      path: `${url.pathname}${url.search}`,
      method: request.method,
      headers: request.headers,
      body: request.body,
      headersTimeout: request.timeoutMs,
      bodyTimeout: request.timeoutMs,
      signal: AbortSignal.timeout(request.timeoutMs),
    });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body) {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
      size += buffer.length;
      if (size > MAX_RESPONSE_BYTES) {
        response.body.destroy();
        throw new IntrospectionProtocolError(`introspection response exceeds ${MAX_RESPONSE_BYTES} bytes`);
      }
      chunks.push(buffer);
    }
    return { status: response.statusCode, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') };
  };

  return {
    introspect,
    async close() {
      await Promise.all([verifying.destroy(), lenient?.destroy()]);
    },
  };
}
