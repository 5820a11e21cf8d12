import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';

/**
 * Kong's proxy access log format, read from where the deployment sets it:
 * docker-compose.yml's KONG_NGINX_HTTP_LOG_FORMAT (`<name> '<format>'`, which
 * Kong injects as `log_format <value>;`). The nginx gateway logs with the
 * same format, so what is tested here is what Kong writes.
 */
export interface AccessLogFormat {
  name: string;
  /** The `log_format` directive, without the trailing semicolon. */
  directive: string;
}

const COMPOSE_FILE = resolve(import.meta.dirname, '..', '..', '..', 'docker-compose.yml');

export function kongAccessLogFormat(file = COMPOSE_FILE): AccessLogFormat {
  const compose = parse(readFileSync(file, 'utf8'), { merge: true }) as { services?: { kong?: { environment?: Record<string, unknown> } } };
  const raw = compose.services?.kong?.environment?.KONG_NGINX_HTTP_LOG_FORMAT;
  if (typeof raw !== 'string') throw new Error(`${file}: the kong service sets no KONG_NGINX_HTTP_LOG_FORMAT`);
  // Compose reads $$ as a literal $ (and this value uses no variables of its own).
  const value = raw.replaceAll('$$', '$');
  const name = /^(\w+)\s/.exec(value)?.[1];
  if (!name) throw new Error(`${file}: KONG_NGINX_HTTP_LOG_FORMAT does not start with a format name`);
  return { name, directive: `log_format ${value}` };
}
