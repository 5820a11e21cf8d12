import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRequestBody } from '@mcp-demo/testing';
import { pickFreePorts } from '../../../local/launcher/ports.ts';
import { mainConfig, startNginx, type NginxProcess } from './nginx.ts';

/**
 * The phantom-token plugin in real nginx, one location per named
 * configuration, between two real HTTP servers of the test: an
 * introspection endpoint that answers as the test says, and an upstream
 * that records the Authorization header it receives. A control server
 * inside the same nginx moves the shared dict's clock and reports the
 * adapter's surface; it is the test's, not the plugin's.
 */

export interface IntrospectionCall {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** What the introspection endpoint does with the next call: answer, or drop the connection unanswered. */
export type IntrospectionAnswer = { status: number; headers?: Record<string, string>; body?: string; chunked?: boolean } | { drop: true };

export interface UpstreamCall {
  path: string;
  authorization: string | undefined;
}

export interface PluginHarness {
  /** URL of the location that runs `route`'s configuration; `path` is appended. */
  url(route: string, path?: string): string;
  /** The origin the introspection endpoint listens on, for configurations. */
  introspectionOrigin: string;
  introspectionCalls: IntrospectionCall[];
  /** Answers for the coming introspection calls, in order; a call with none left gets 599 and is a test failure. */
  answers: IntrospectionAnswer[];
  upstreamCalls: UpstreamCall[];
  /** Empties the plugin's cache. */
  flushCache(): Promise<void>;
  /** Ages every cached entry by `seconds`, as if that much time had passed (ngx.shared TTLs, real dict). */
  advanceClock(seconds: number): Promise<void>;
  /** What the nginx adapter offers next to what kong/spec/support/surface.lua lists for it. */
  adapterSurface(): Promise<{ offered: string[]; listed: string[] }>;
  /** Reads a dotted global such as kong.request.get_headers inside nginx: "offered", or the error raised. */
  readGlobal(name: string): Promise<string>;
  nginx: NginxProcess;
  stop(): Promise<void>;
}

export interface PluginHarnessOptions {
  /**
   * Plugin configurations by route name. The string INTROSPECTION_ORIGIN in
   * an introspection_endpoint is replaced by the test endpoint's origin.
   */
  routes: Record<string, Record<string, unknown>>;
  env?: Record<string, string>;
  /** Serve the introspection endpoint over HTTPS with this key and certificate; nginx trusts `ca`. */
  tls?: { key: string; cert: string; ca: string };
}

export const INTROSPECTION_ORIGIN = 'INTROSPECTION_ORIGIN';

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolveListen());
  });
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolveClose) => server.close(() => resolveClose()));
}

export async function startPluginHarness(options: PluginHarnessOptions): Promise<PluginHarness> {
  const [gatewayPort = 0, controlPort = 0, introspectionPort = 0, upstreamPort = 0] = await pickFreePorts(4);
  const prefix = mkdtempSync(join(tmpdir(), 'nginx-plugin-'));
  const introspectionCalls: IntrospectionCall[] = [];
  const upstreamCalls: UpstreamCall[] = [];
  const answers: IntrospectionAnswer[] = [];

  const introspect = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readRequestBody(req);
    introspectionCalls.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });
    const answer = answers.shift();
    if (!answer) {
      res.writeHead(599).end();
      return;
    }
    if ('drop' in answer) {
      req.socket.destroy();
      return;
    }
    // Without a Content-Length Node sends the body chunked.
    const headers = answer.chunked ? answer.headers : { ...answer.headers, 'content-length': String(Buffer.byteLength(answer.body ?? '')) };
    res.writeHead(answer.status, headers);
    if (answer.chunked && answer.body) {
      const middle = Math.floor(answer.body.length / 2);
      res.write(answer.body.slice(0, middle));
      res.end(answer.body.slice(middle));
    } else {
      res.end(answer.body ?? '');
    }
  };
  const introspection = options.tls
    ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert }, (req, res) => void introspect(req, res))
    : createHttpServer((req, res) => void introspect(req, res));
  const upstream = createHttpServer((req, res) => {
    upstreamCalls.push({ path: req.url ?? '', authorization: req.headers.authorization });
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ reached: 'upstream' }));
  });
  await listen(introspection, introspectionPort);
  await listen(upstream, upstreamPort);
  const introspectionOrigin = `${options.tls ? 'https' : 'http'}://127.0.0.1:${introspectionPort}`;

  const routes = Object.fromEntries(
    Object.entries(options.routes).map(([route, config]) => {
      const endpoint = typeof config.introspection_endpoint === 'string' ? config.introspection_endpoint.replace(INTROSPECTION_ORIGIN, introspectionOrigin) : config.introspection_endpoint;
      return [route, [{ name: 'phantom-token', config: { ...config, introspection_endpoint: endpoint } }]];
    }),
  );
  const pluginsFile = join(prefix, 'plugins.json');
  writeFileSync(pluginsFile, JSON.stringify({ routes }), { mode: 0o600 });

  const locations = Object.keys(routes)
    .map(
      (route) => `    location ^~ /${route}/ {
      access_by_lua_block { require("kong_adapter").access(${JSON.stringify(route)}) }
      proxy_http_version 1.1;
      proxy_pass http://127.0.0.1:${upstreamPort};
    }`,
    )
    .join('\n');
  const http = `  server {
    listen 127.0.0.1:${gatewayPort};
${locations}
    location / { return 404; }
  }

  # Test control: ages cache entries, empties the cache, reports the adapter's surface.
  server {
    listen 127.0.0.1:${controlPort};
    location = /flush { content_by_lua_block { ngx.shared["phantom-token"]:flush_all() ngx.say("ok") } }
    location = /advance {
      content_by_lua_block {
        local seconds = tonumber(ngx.var.arg_seconds)
        local dict = ngx.shared["phantom-token"]
        for _, key in ipairs(dict:get_keys(0)) do
          local ttl = dict:ttl(key)
          if ttl and ttl > 0 then
            if ttl - seconds <= 0 then dict:delete(key) else dict:expire(key, ttl - seconds) end
          end
        end
        ngx.say("ok")
      }
    }
    location = /surface { content_by_lua_block { ngx.say(require("cjson").encode(require("kong_adapter").surface())) } }
    location = /read {
      content_by_lua_block {
        local ok, err = pcall(function()
          local value = _G
          for part in ngx.var.arg_name:gmatch("[^.]+") do value = value[part] end
          return value
        end)
        ngx.say(ok and "offered" or tostring(err))
      }
    }
  }
`;
  const certificateFile = options.tls ? join(prefix, 'ca.pem') : undefined;
  if (options.tls && certificateFile) writeFileSync(certificateFile, options.tls.ca);

  let nginx: NginxProcess;
  try {
    nginx = await startNginx({
      prefix,
      ports: [gatewayPort, controlPort],
      config: mainConfig({ prefix, env: Object.keys(options.env ?? {}), pluginsFile, http, trustedCertificate: certificateFile }),
      env: options.env,
    });
  } catch (error) {
    await Promise.all([close(introspection), close(upstream)]);
    rmSync(prefix, { recursive: true, force: true });
    throw error;
  }

  const control = async (path: string) => {
    const response = await fetch(`http://127.0.0.1:${controlPort}${path}`);
    if (!response.ok) throw new Error(`control ${path}: ${response.status}`);
    return response.text();
  };

  return {
    url: (route, path = '') => `http://127.0.0.1:${gatewayPort}/${route}/${path}`,
    introspectionOrigin,
    introspectionCalls,
    answers,
    upstreamCalls,
    flushCache: async () => void (await control('/flush')),
    advanceClock: async (seconds) => void (await control(`/advance?seconds=${seconds}`)),
    adapterSurface: async () => JSON.parse(await control('/surface')) as { offered: string[]; listed: string[] },
    readGlobal: async (name) => (await control(`/read?name=${encodeURIComponent(name)}`)).trim(),
    nginx,
    stop: async () => {
      await nginx.stop();
      await Promise.all([close(introspection), close(upstream)]);
      if (!process.env.KEEP_NGINX_PREFIX) rmSync(prefix, { recursive: true, force: true });
    },
  };
}
