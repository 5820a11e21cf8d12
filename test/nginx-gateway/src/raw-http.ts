import { connect } from 'node:net';

/**
 * One HTTP/1.1 request over a plain socket, with header values sent byte for
 * byte: fetch() and node:http refuse some of the malformed Authorization
 * headers the shared vectors send on purpose (a tab, a quote...).
 */

export interface RawResponse {
  status: number;
  /** Lower-case names; a repeated header's values joined with ", ". */
  headers: Record<string, string>;
  body: string;
}

function decodeChunked(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', offset);
    if (lineEnd < 0) throw new Error('truncated chunked body');
    const size = Number.parseInt(data.subarray(offset, lineEnd).toString('latin1'), 16);
    if (Number.isNaN(size)) throw new Error('bad chunk size');
    if (size === 0) return Buffer.concat(parts);
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
}

export function rawRequest(url: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<RawResponse> {
  const target = new URL(url);
  const lines = [`${options.method ?? 'GET'} ${target.pathname}${target.search} HTTP/1.1`, `Host: ${target.host}`];
  for (const [name, value] of Object.entries(options.headers ?? {})) lines.push(`${name}: ${value}`);
  if (options.body !== undefined) lines.push(`Content-Length: ${Buffer.byteLength(options.body, 'utf8')}`);
  lines.push('Connection: close', '', '');
  return new Promise((resolveResponse, reject) => {
    const socket = connect({ host: target.hostname, port: Number(target.port) });
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.write(lines.join('\r\n'), 'latin1');
      if (options.body !== undefined) socket.write(options.body, 'utf8');
    });
    socket.once('end', () => {
      try {
        const data = Buffer.concat(chunks);
        const headEnd = data.indexOf('\r\n\r\n');
        if (headEnd < 0) throw new Error(`no complete response from ${url}`);
        const [statusLine = '', ...headerLines] = data.subarray(0, headEnd).toString('latin1').split('\r\n');
        const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
        const headers: Record<string, string> = {};
        for (const line of headerLines) {
          const colon = line.indexOf(':');
          const name = line.slice(0, colon).trim().toLowerCase();
          const value = line.slice(colon + 1).trim();
          headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
        }
        const rest = data.subarray(headEnd + 4);
        const body = headers['transfer-encoding']?.includes('chunked') ? decodeChunked(rest) : rest;
        resolveResponse({ status, headers, body: body.toString('utf8') });
      } catch (error) {
        reject(error as Error);
      }
    });
  });
}
