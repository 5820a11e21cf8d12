import { request } from 'node:http';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: () => unknown;
}

/**
 * A plain node:http request, so tests control every header (Host included)
 * and every byte of the body, malformed ones too.
 */
export function rawRequest(
  baseUrl: string,
  options: { method?: string; path?: string; headers?: Record<string, string>; body?: string },
): Promise<RawResponse> {
  const url = new URL(options.path ?? '/', baseUrl);
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) as unknown });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

export const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw-test-client', version: '1.0.0' } },
};

/** A JSON-RPC POST as a Streamable HTTP client sends it. */
export function postMcp(baseUrl: string, options: { token?: string; body?: string; headers?: Record<string, string> } = {}): Promise<RawResponse> {
  return rawRequest(baseUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    body: options.body ?? JSON.stringify(INITIALIZE),
  });
}

export const MODERN_REVISION = '2026-07-28';

/**
 * A 2026-07-28 request as the SDK v2 client sends it: no handshake, the
 * protocol version, client info and capabilities in the per-request _meta
 * envelope.
 */
export function modernRequest(method: string, params: Record<string, unknown> = {}, id: number | string = 1): Record<string, unknown> {
  return {
    jsonrpc: '2.0',
    id,
    method,
    params: {
      ...params,
      _meta: {
        'io.modelcontextprotocol/protocolVersion': MODERN_REVISION,
        'io.modelcontextprotocol/clientInfo': { name: 'raw-test-client', version: '1.0.0' },
        'io.modelcontextprotocol/clientCapabilities': {},
      },
    },
  };
}

/** The standard request headers of the 2026-07-28 revision that gateways route and log on. */
export function modernHeaders(method: string, name?: string): Record<string, string> {
  return { 'mcp-protocol-version': MODERN_REVISION, 'mcp-method': method, ...(name === undefined ? {} : { 'mcp-name': name }) };
}
