import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { kongAccessLogFormat } from './access-log.ts';

/**
 * Debian's nginx with lua-nginx-module, run as a foreground child process
 * (no daemon, no master) with its own prefix directory: configuration, pid
 * file, error and access logs and temp paths all live there, so several can
 * run side by side and nothing under /etc/nginx or /var is touched.
 */

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..', '..');
export const NGINX_BINARY = process.env.NGINX_BINARY ?? '/usr/sbin/nginx';
/** Debian's libnginx-mod-http-lua (and the NDK it needs), as /usr/share/nginx/modules-available loads them. */
export const LUA_MODULES = ['/usr/lib/nginx/modules/ndk_http_module.so', '/usr/lib/nginx/modules/ngx_http_lua_module.so'];

/** Why nginx with Lua cannot run here, or undefined when it can. */
export function nginxUnavailable(): string | undefined {
  if (!existsSync(NGINX_BINARY)) return `${NGINX_BINARY} is missing (Debian: apt-get install nginx libnginx-mod-http-lua)`;
  const missing = LUA_MODULES.filter((module) => !existsSync(module));
  if (missing.length > 0) return `${missing.join(', ')} missing (Debian: apt-get install libnginx-mod-http-lua)`;
  return undefined;
}

/** Where the Lua code nginx loads lives: the adapter, the spec support files, and the plugin itself, unchanged. */
export const LUA_PACKAGE_PATH = [
  join(REPO_ROOT, 'kong/spec/nginx/?.lua'),
  join(REPO_ROOT, 'kong/spec/?.lua'),
  join(REPO_ROOT, '?.lua'),
].join(';');

export interface MainConfigOptions {
  prefix: string;
  /** Environment variables nginx passes on to Lua (os.getenv), e.g. for {vault://env/...}. */
  env: string[];
  /** The plugins file kong_adapter.init() reads. */
  pluginsFile: string;
  /** server { } blocks and any other http-level directives. */
  http: string;
  /** PEM bundle for verifying https introspection endpoints. */
  trustedCertificate?: string;
  /** Defaults to error.log in the prefix. */
  errorLog?: string;
}

/** nginx.conf around the caller's servers, with the Kong settings the plugin relies on. */
export function mainConfig(options: MainConfigOptions): string {
  const at = (name: string) => join(options.prefix, name);
  const quote = (value: string) => `'${value.replace(/[\\']/g, '\\$&')}'`;
  const accessLog = kongAccessLogFormat();
  return `${LUA_MODULES.map((module) => `load_module ${module};`).join('\n')}
daemon off;
master_process off;
worker_processes 1;
pid ${at('nginx.pid')};
error_log ${options.errorLog ?? at('error.log')} info;
${options.env.map((name) => `env ${name};`).join('\n')}

events {
  worker_connections 1024;
}

http {
  # Kong's access line (docker-compose.yml), with the MCP method and tool name.
  ${accessLog.directive};
  access_log ${at('access.log')} ${accessLog.name};
  client_body_temp_path ${at('temp/client_body')};
  proxy_temp_path ${at('temp/proxy')};
  fastcgi_temp_path ${at('temp/fastcgi')};
  uwsgi_temp_path ${at('temp/uwsgi')};
  scgi_temp_path ${at('temp/scgi')};
  default_type application/octet-stream;

  lua_package_path ${quote(`${LUA_PACKAGE_PATH};;`)};
  # Kong's nginx template sets this, so failed cosocket calls are logged by the plugin, not by nginx.
  lua_socket_log_errors off;
  # What KONG_NGINX_HTTP_LUA_SHARED_DICT="phantom-token 10m" gives Kong.
  lua_shared_dict phantom-token 10m;
${options.trustedCertificate ? `  lua_ssl_trusted_certificate ${options.trustedCertificate};\n  lua_ssl_verify_depth 3;\n` : ''}
  init_by_lua_block {
    require("kong_adapter").init(${JSON.stringify(options.pluginsFile)})
  }

${options.http}
}
`;
}

export interface NginxProcess {
  prefix: string;
  errorLogPath: string;
  errorLog(): string;
  /** The access log, in Kong's format (mainConfig's access.log in the prefix). */
  accessLog(): string;
  /** Stops nginx (SIGQUIT: graceful, SIGKILL after 5 s) and waits for the process to end. */
  stop(): Promise<void>;
}

export interface StartNginxOptions {
  prefix: string;
  /** Must match the configuration's error_log; defaults to error.log in the prefix. */
  errorLog?: string;
  config: string;
  /** Loopback ports the configuration listens on; start() resolves once all accept connections. */
  ports: number[];
  env?: Record<string, string>;
  startTimeoutMs?: number;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolveAccepts) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolveAccepts(true);
    });
    socket.once('error', () => resolveAccepts(false));
  });
}

/** Checks the configuration with `nginx -t` first, so a bad one fails with nginx's own message. */
export async function startNginx(options: StartNginxOptions): Promise<NginxProcess> {
  const reason = nginxUnavailable();
  if (reason) throw new Error(`nginx cannot run: ${reason}`);
  mkdirSync(join(options.prefix, 'temp'), { recursive: true });
  const configPath = join(options.prefix, 'nginx.conf');
  const errorLogPath = options.errorLog ?? join(options.prefix, 'error.log');
  writeFileSync(configPath, options.config);
  const args = ['-p', `${options.prefix}/`, '-c', configPath, '-e', errorLogPath];
  const env = { PATH: process.env.PATH ?? '', ...options.env };

  const check = spawnSync(NGINX_BINARY, [...args, '-t', '-q'], { env, encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`nginx rejects ${configPath}:\n${check.stderr}`);

  const child = spawn(NGINX_BINARY, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolveExit) =>
    child.on('exit', (code, signal) => {
      exitCode = code ?? (signal ? -1 : null);
      resolveExit();
    }),
  );
  const errorLog = () => (existsSync(errorLogPath) ? readFileSync(errorLogPath, 'utf8') : '');
  const stop = async () => {
    if (exitCode !== undefined) return;
    child.kill('SIGQUIT');
    // A graceful stop waits for requests in flight; a stuck one must not hang the suite.
    const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(force);
  };

  // nginx writes its pid file only once every listen socket is bound, so a
  // port another process took in the meantime cannot pass for nginx.
  const pidFile = join(options.prefix, 'nginx.pid');
  const pidWritten = () => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() === String(child.pid);
  const deadline = Date.now() + (options.startTimeoutMs ?? 10_000);
  for (;;) {
    if (exitCode !== undefined) throw new Error(`nginx exited with ${exitCode} while starting:\n${output}${errorLog()}`);
    const ready = pidWritten() && (await Promise.all(options.ports.map(accepts))).every(Boolean);
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`nginx did not listen on ${options.ports.join(', ')} in time:\n${output}${errorLog()}`);
    }
    await new Promise((wait) => setTimeout(wait, 50));
  }
  const accessLogPath = join(options.prefix, 'access.log');
  const accessLog = () => (existsSync(accessLogPath) ? readFileSync(accessLogPath, 'utf8') : '');
  return { prefix: options.prefix, errorLogPath, errorLog, accessLog, stop };
}

/**
 * Lines of an nginx error log that show the Lua code failing at run time
 * (an error raised in a handler, a call of a missing function), as opposed
 * to what the plugin logs on purpose through kong.log.
 */
export function luaRuntimeErrors(errorLog: string): string[] {
  return errorLog
    .split('\n')
    .filter((line) => /runtime error|lua entry thread aborted|stack traceback|attempt to (call|index|perform|compare|concatenate)|failed to run init_by_lua|is not offered \(support\/surface\.lua/.test(line));
}
