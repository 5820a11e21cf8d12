import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { errorFields, logRequestCompleted, requestIdOf } from '@mcp-demo/service-kit';
import type { Balancer } from './balancer.ts';
import type { RouteDefinition } from './config.ts';
import { endToEndHeaders, setForwardedHeaders, type HeaderMap } from './headers.ts';
import { escapePath, normalizePath } from './paths.ts';
import { hasRequestBody, proxy, readLimitedBody, TOO_LARGE } from './proxy.ts';
import type { Router } from './routing.ts';
import { jsonResponse, kongError, RequestAborted, RequestBodyTooLarge, type GatewayRequest, type GatewayPlugin, type PluginResponse } from './plugins/types.ts';

/** What a route needs at run time: its plugins, in Kong's order, and where its upstream's targets really are. */
export interface RuntimeRoute {
  plugins: GatewayPlugin[];
  balancer: Balancer;
  retries: number;
  writeTimeoutMs: number;
  readTimeoutMs: number;
}

export interface HandlerContext {
  /** The virtual host this listener serves. */
  host: string;
  port: () => number;
  router: Router;
  runtime: () => Map<RouteDefinition, RuntimeRoute> | undefined;
  bodyLimitBytes: number;
  logger: Logger;
}

// nginx (Kong) reads the request line into one of its
// large_client_header_buffers, 8 KB by default, and answers 414 beyond.
export const MAX_REQUEST_TARGET_BYTES = 8192;

/** Path and raw query ("?..." or "") of origin-form or absolute-form targets. */
function splitTarget(url: string | undefined): { path: string; query: string } | undefined {
  let target = url ?? '';
  if (/^https?:\/\//i.test(target)) {
    const pathStart = target.indexOf('/', target.indexOf('//') + 2);
    target = pathStart === -1 ? '/' : target.slice(pathStart);
  }
  if (!target.startsWith('/')) return undefined;
  const queryStart = target.indexOf('?');
  return queryStart === -1 ? { path: target, query: '' } : { path: target.slice(0, queryStart), query: target.slice(queryStart) };
}

function send(res: ServerResponse, response: PluginResponse): void {
  const body = response.body ?? '';
  res.writeHead(response.status, { ...response.headers, 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
}

function clientAddress(req: IncomingMessage): string {
  const address = req.socket.remoteAddress ?? '';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

// MCP 2026-07-28 clients name the JSON-RPC method and the tool in headers,
// so the access log says what was called without reading the body. Only
// plain identifiers are logged: a header is the client's text, not ours.
const MCP_IDENTIFIER = /^[A-Za-z0-9_./-]{1,128}$/;

function mcpHeader(req: IncomingMessage, name: 'mcp-method' | 'mcp-name'): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' && MCP_IDENTIFIER.test(value) ? value : undefined;
}

/** The request listener of one virtual host: route, run the plugins, proxy. */
export function createRequestHandler(context: HandlerContext): RequestListener {
  const handle = async (req: IncomingMessage, res: ServerResponse, requestId: string, log: Logger, noteRoute: (name: string) => void) => {
    if (Buffer.byteLength(req.url ?? '') > MAX_REQUEST_TARGET_BYTES) {
      send(res, kongError(414, 'URI too long', requestId, { connection: 'close' }));
      return;
    }
    const target = splitTarget(req.url);
    if (!target) {
      send(res, jsonResponse(400, { code: 'invalid_request', message: 'The request target must be a path' }));
      return;
    }
    const runtimeRoutes = context.runtime();
    if (!runtimeRoutes) {
      send(res, jsonResponse(503, { code: 'starting', message: 'The gateway is starting' }));
      return;
    }
    const match = context.router.match(context.host, normalizePath(target.path));
    const route = match && runtimeRoutes.get(match.route);
    if (!match || !route) {
      send(res, jsonResponse(404, { code: 'no_route', message: 'no Route matched with those values' }));
      return;
    }
    noteRoute(match.route.name);

    let buffered: Promise<Buffer> | undefined;
    let replacement: Buffer | undefined;
    const gatewayRequest: GatewayRequest = {
      method: req.method ?? 'GET',
      requestHeaders: req.headers,
      upstreamHeaders: {},
      clientAddress: clientAddress(req),
      requestId,
      readBody: () => (buffered ??= readLimitedBody(req, context.bodyLimitBytes)),
      replaceBody: (body) => {
        replacement = body;
      },
      log,
    };
    const filterHeaders = (headers: HeaderMap) => {
      for (const plugin of route.plugins) plugin.headerFilter?.(gatewayRequest, headers);
      if (headers['x-request-id'] === undefined) headers['x-request-id'] = requestId;
    };
    const answer = (response: PluginResponse) => {
      const headers = { ...response.headers };
      filterHeaders(headers);
      send(res, { ...response, headers });
    };
    const tooLarge = () => answer(jsonResponse(TOO_LARGE.status, { code: TOO_LARGE.code, message: TOO_LARGE.message }, { connection: 'close' }));

    const declaredLength = Number(req.headers['content-length'] ?? 0);
    if (declaredLength > context.bodyLimitBytes) {
      tooLarge();
      return;
    }

    /** Runs a step that may read the body; false once the request has been answered or abandoned. */
    const reading = async (step: () => PluginResponse | undefined | Promise<PluginResponse | undefined>): Promise<boolean> => {
      try {
        const response = await step();
        if (response) answer(response);
        return response === undefined;
      } catch (error) {
        if (error instanceof RequestBodyTooLarge) tooLarge();
        else if (!(error instanceof RequestAborted)) throw error;
        return false;
      }
    };
    for (const plugin of route.plugins) {
      const access = plugin.access;
      if (access !== undefined && !(await reading(() => access.call(plugin, gatewayRequest)))) return;
    }
    // A plugin read the body, or the route buffers it as Kong does by
    // default: what goes upstream is the buffered (or replaced) one.
    if (match.route.requestBuffering && hasRequestBody(req) && !(await reading(async () => void (await gatewayRequest.readBody())))) return;
    const body = replacement ?? (buffered ? await buffered : undefined);

    const headers = endToEndHeaders(req.headersDistinct);
    setForwardedHeaders(headers, req.headers, {
      clientAddress: clientAddress(req),
      listenerPort: context.port(),
      fallbackHost: context.host,
      rawPath: target.path,
      prefix: match.prefix,
    });
    // Without preserve_host each target gets its own host name (see proxy).
    if (match.route.preserveHost) headers.host = req.headers.host ?? context.host;
    else delete headers.host;
    headers['x-request-id'] = requestId;
    if (body) headers['content-length'] = String(body.length);
    Object.assign(headers, gatewayRequest.upstreamHeaders);

    const failure = await proxy({
      req,
      res,
      balancer: route.balancer,
      retries: route.retries,
      path: `${escapePath(match.upstreamPath)}${target.query}`,
      headers,
      body,
      writeTimeoutMs: route.writeTimeoutMs,
      readTimeoutMs: route.readTimeoutMs,
      bodyLimitBytes: context.bodyLimitBytes,
      onResponseHeaders: filterHeaders,
      log,
    });
    if (failure && !res.headersSent && !res.destroyed) {
      if (failure === TOO_LARGE) tooLarge();
      else answer(jsonResponse(failure.status, { code: failure.code, message: failure.message }));
    }
  };

  return (req, res) => {
    const startedAt = performance.now();
    const requestId = requestIdOf(req.headers['x-request-id']);
    const log = context.logger.child({ requestId });
    let route: string | undefined;
    res.once('close', () => {
      // Only the path: query strings can carry authorization codes.
      const path = splitTarget(req.url)?.path;
      const mcp = { mcpMethod: mcpHeader(req, 'mcp-method'), mcpName: mcpHeader(req, 'mcp-name') };
      logRequestCompleted(log, { method: req.method, path, route, ...mcp, status: res.statusCode, completed: res.writableFinished, startedAt });
    });
    handle(req, res, requestId, log, (name) => (route = name)).catch((error: unknown) => {
      log.error(errorFields(error), 'request failed inside the gateway');
      if (!res.headersSent) send(res, jsonResponse(500, { code: 'server_error', message: 'An unexpected error occurred' }));
      else res.destroy();
    });
  };
}
