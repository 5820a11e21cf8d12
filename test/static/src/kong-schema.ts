import { readFileSync } from 'node:fs';

/**
 * The parts of Kong 3.9.1's declarative configuration schema that
 * kong/kong.yml can use, transcribed field by field from Kong's source at
 * tag 3.9.1 (github.com/Kong/kong), so that a file a real Kong would refuse
 * at `kong config parse` fails here too, without Docker:
 *
 * - document:        kong/db/schema/others/declarative_config.lua
 *                    (_format_version one of 1.1/2.1/3.0, _transform, _comment)
 * - services:        kong/db/schema/entities/services.lua (+ the url shorthand)
 * - routes:          kong/db/schema/entities/routes.lua (router_flavor
 *                    traditional_compatible, the 3.9 default in
 *                    kong/templates/kong_defaults.lua: no expression/priority)
 * - plugins:         kong/db/schema/entities/plugins.lua
 * - shared types:    kong/db/schema/typedefs.lua, protocols from kong/constants.lua
 * - cors:            kong/plugins/cors/schema.lua
 * - rate-limiting:   kong/plugins/rate-limiting/schema.lua, redis record
 *                    from kong/tools/redis/schema.lua
 * - request-transformer: kong/plugins/request-transformer/schema.lua
 * - phantom-token:   read from this repository's kong/plugins/phantom-token/schema.lua
 *
 * Only structure, types, ranges, enumerations and the entity checks listed
 * with each schema are modelled, not Kong's whole validator.
 */

export type Field =
  | { type: 'string'; required?: boolean; hasDefault?: boolean; oneOf?: readonly string[]; match?: RegExp; notMatch?: RegExp; lenMax?: number; startsWith?: string; url?: boolean }
  | { type: 'integer' | 'number'; required?: boolean; hasDefault?: boolean; between?: readonly [number, number]; gt?: number; oneOf?: readonly number[] }
  | { type: 'boolean'; required?: boolean; hasDefault?: boolean }
  | { type: 'array' | 'set'; required?: boolean; hasDefault?: boolean; elements: Field; lenMin?: number }
  | { type: 'record'; required?: boolean; hasDefault?: boolean; fields: Record<string, Field> }
  | { type: 'map'; required?: boolean; keys: Field; values: Field }
  | { type: 'foreign'; required?: boolean };

// kong/constants.lua: PROTOCOLS_WITH_SUBSYSTEM.
export const KONG_PROTOCOLS = ['grpc', 'grpcs', 'http', 'https', 'tcp', 'tls', 'tls_passthrough', 'udp'] as const;
// kong/plugins/cors/schema.lua: METHODS.
const CORS_METHODS = ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT'] as const;
// kong/constants.lua: BUNDLED_PLUGINS, the ones this deployment may name.
export const BUNDLED_PLUGINS_USED = ['cors', 'rate-limiting', 'request-transformer'] as const;

const MAX_TIMEOUT = 2 ** 31 - 2;
const str = (extra: Omit<Extract<Field, { type: 'string' }>, 'type'> = {}): Field => ({ type: 'string', ...extra });
const int = (between?: readonly [number, number], extra: { required?: boolean; hasDefault?: boolean } = {}): Field => ({ type: 'integer', ...(between ? { between } : {}), ...extra });
const bool = (hasDefault = false): Field => ({ type: 'boolean', hasDefault });
const strings = (elements: Field = str(), hasDefault = false): Field => ({ type: 'array', elements, hasDefault });
const set = (elements: Field): Field => ({ type: 'set', elements });
const foreign: Field = { type: 'foreign' };
// typedefs.path: starts with "/", no empty segment.
const path = str({ startsWith: '/', match: /^(?!.*\/\/)/ });
const tags = set(str());
const timeout = int([1, MAX_TIMEOUT], { hasDefault: true });
const port = int([0, 65535]);
const protocols: Field = { type: 'set', elements: str({ oneOf: KONG_PROTOCOLS }), hasDefault: true };
// typedefs.protocols_http: what cors, rate-limiting and request-transformer run on.
const httpProtocols: Field = { type: 'set', elements: str({ oneOf: ['grpc', 'grpcs', 'http', 'https'] }), hasDefault: true };
const endpoint: Field = { type: 'record', fields: { ip: str(), port } };

// kong/db/schema/entities/services.lua
export const SERVICE_FIELDS: Record<string, Field> = {
  id: str(),
  created_at: int(),
  updated_at: int(),
  name: str(),
  retries: int([0, 32767], { hasDefault: true }),
  protocol: str({ oneOf: KONG_PROTOCOLS }),
  host: str(),
  port,
  path,
  connect_timeout: timeout,
  write_timeout: timeout,
  read_timeout: timeout,
  tags,
  client_certificate: foreign,
  tls_verify: bool(),
  tls_verify_depth: int([0, 64]),
  ca_certificates: strings(),
  enabled: bool(true),
  // shorthand_fields
  url: str({ url: true }),
};

// kong/db/schema/entities/routes.lua
export const ROUTE_FIELDS: Record<string, Field> = {
  id: str(),
  created_at: int(),
  updated_at: int(),
  name: str(),
  protocols: { type: 'set', elements: str({ oneOf: KONG_PROTOCOLS }), lenMin: 1, hasDefault: true },
  https_redirect_status_code: { type: 'integer', oneOf: [426, 301, 302, 307, 308], hasDefault: true },
  strip_path: bool(true),
  preserve_host: bool(true),
  request_buffering: bool(true),
  response_buffering: bool(true),
  tags,
  service: foreign,
  snis: set(str()),
  sources: set(endpoint),
  destinations: set(endpoint),
  methods: set(str({ match: /^[A-Z]+$/ })),
  hosts: strings(),
  paths: strings(str({ match: /^(\/|~)/ })),
  headers: { type: 'map', keys: str(), values: strings() },
  regex_priority: int(undefined, { hasDefault: true }),
  path_handling: str({ oneOf: ['v0', 'v1'], hasDefault: true }),
};

// kong/db/schema/entities/plugins.lua (config is checked per plugin).
export const PLUGIN_FIELDS: Record<string, Field> = {
  id: str(),
  name: str({ required: true }),
  instance_name: str(),
  created_at: int(),
  updated_at: int(),
  route: foreign,
  service: foreign,
  consumer: foreign,
  protocols,
  enabled: bool(true),
  tags,
};

// kong/plugins/cors/schema.lua (3.9.1 has no allow_origin_absent; 3.10 added it).
const CORS: Record<string, Field> = {
  origins: strings(),
  headers: strings(),
  exposed_headers: strings(),
  methods: strings(str({ oneOf: CORS_METHODS }), true),
  max_age: { type: 'number' },
  credentials: bool(true),
  private_network: bool(true),
  preflight_continue: bool(true),
};

const limit: Field = { type: 'number', gt: 0 };
// kong/plugins/rate-limiting/schema.lua; redis: kong/tools/redis/schema.lua.
const RATE_LIMITING: Record<string, Field> = {
  second: limit,
  minute: limit,
  hour: limit,
  day: limit,
  month: limit,
  year: limit,
  limit_by: str({ oneOf: ['consumer', 'credential', 'ip', 'service', 'header', 'path'], hasDefault: true }),
  header_name: str(),
  path,
  // DB-less Kong (KONG_DATABASE=off) offers local and redis only.
  policy: str({ oneOf: ['local', 'redis'], hasDefault: true }),
  fault_tolerant: bool(true),
  redis: {
    type: 'record',
    fields: {
      host: str(),
      port: int([0, 65535], { hasDefault: true }),
      timeout: int([0, MAX_TIMEOUT], { hasDefault: true }),
      username: str(),
      password: str(),
      database: int(undefined, { hasDefault: true }),
      ssl: bool(true),
      ssl_verify: bool(true),
      server_name: str(),
    },
  },
  hide_client_headers: bool(true),
  error_code: { type: 'number', gt: 0, hasDefault: true },
  error_message: str({ hasDefault: true }),
  sync_rate: { type: 'number', hasDefault: true },
};

const PERIODS = ['second', 'minute', 'hour', 'day', 'month', 'year'] as const;

function rateLimitingChecks(config: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const set = PERIODS.filter((period) => typeof config[period] === 'number');
  if (set.length === 0) problems.push('at least one of these fields must be non-empty: config.second, config.minute, config.hour, config.day, config.month, config.year');
  set.forEach((shorter, index) => {
    for (const longer of set.slice(index + 1)) {
      if ((config[longer] as number) < (config[shorter] as number)) problems.push(`The limit for ${longer} cannot be lower than the limit for ${shorter}`);
    }
  });
  const policy = config.policy ?? 'local';
  const syncRate = config.sync_rate ?? -1;
  if (policy !== 'redis' && syncRate !== -1) problems.push('sync_rate can only be used with the redis policy');
  if (config.limit_by === 'header' && typeof config.header_name !== 'string') problems.push('config.header_name: required field missing');
  if (config.limit_by === 'path' && typeof config.path !== 'string') problems.push('config.path: required field missing');
  if (policy === 'redis' && typeof (config.redis as { host?: unknown } | undefined)?.host !== 'string') problems.push('config.redis.host: required field missing');
  return problems;
}

// kong/plugins/request-transformer/schema.lua: "name:value" entries need a
// value (check_for_value), header entries need a colon.
const colonValue = str({ match: /^[^:]+:+.+$/ });
const colonHeader = str({ match: /^[^:]+:.*$/ });
const record = (fields: Record<string, Field>): Field => ({ type: 'record', fields, hasDefault: true });
const REQUEST_TRANSFORMER: Record<string, Field> = {
  http_method: str({ match: /^[A-Z]+$/ }),
  remove: record({ body: strings(str(), true), headers: strings(str(), true), querystring: strings(str(), true) }),
  rename: record({ body: strings(colonValue, true), headers: strings(colonHeader, true), querystring: strings(colonValue, true) }),
  replace: record({ body: strings(colonValue, true), headers: strings(colonHeader, true), querystring: strings(colonValue, true), uri: str() }),
  add: record({ body: strings(colonValue, true), headers: strings(colonHeader, true), querystring: strings(colonValue, true) }),
  append: record({ body: strings(colonValue, true), headers: strings(colonHeader, true), querystring: strings(colonValue, true) }),
};

/** Index just past the brace that closes the one at `open`. */
function closing(text: string, open: number): number {
  let depth = 0;
  for (let index = open; index < text.length; index += 1) {
    if (text[index] === '{') depth += 1;
    if (text[index] === '}') {
      depth -= 1;
      if (depth === 0) return index + 1;
    }
  }
  throw new Error('unbalanced braces');
}

/** A Lua pattern of the kind schema.lua uses (sets, ranges, %w, escaped punctuation) as a regular expression. */
function luaPattern(pattern: string): RegExp {
  let source = '';
  for (let index = 0; index < pattern.length; index += 1) {
    const char = pattern[index];
    if (char === '%') {
      const next = pattern[index + 1] ?? '';
      source += next === 'w' ? 'A-Za-z0-9' : `\\${next}`;
      index += 1;
    } else source += char === '\\' ? '\\\\' : char;
  }
  return new RegExp(source);
}

/** The `{...}` that follows `key =` at the top level of `block` (not in a nested table), and the block without it. */
function takeBlock(block: string, key: string): { inner?: string; rest: string } {
  const depthAt = (index: number) => [...block.slice(0, index)].reduce((depth, char) => depth + (char === '{' ? 1 : char === '}' ? -1 : 0), 0);
  const at = [...block.matchAll(new RegExp(`\\b${key}\\s*=\\s*\\{`, 'g'))].find((match) => depthAt(match.index) === 0);
  if (!at) return { rest: block };
  const open = at.index + at[0].length - 1;
  const close = closing(block, open);
  return { inner: block.slice(open, close), rest: block.slice(0, at.index) + block.slice(close) };
}

/** Reads one field definition: `typedefs.url {...}` or `{ type = "...", ... }`, arrays and records included. */
function readLuaField(definition: string, constants: Record<string, number>, where: string): Field {
  const { inner: elements, rest: withoutElements } = takeBlock(definition.slice(definition.indexOf('{') + 1), 'elements');
  const { inner: recordFields, rest } = takeBlock(withoutElements, 'fields');
  const required = /required\s*=\s*true/.test(rest);
  const hasDefault = /default\s*=/.test(rest);
  if (/typedefs\.url/.test(definition.slice(0, definition.indexOf('{')))) return str({ url: true, required, hasDefault });
  const type = /type\s*=\s*"(\w+)"/.exec(rest)?.[1];
  const number = (name: string) => {
    const value = new RegExp(`\\b${name}\\s*=\\s*(\\w+)`).exec(rest)?.[1];
    return value === undefined ? undefined : /^\d+$/.test(value) ? Number(value) : (constants[value] ?? Number.NaN);
  };
  const text = (name: string) => {
    const literal = new RegExp(`\\b${name}\\s*=\\s*("(?:[^"\\\\]|\\\\.)*"|'(?:[^'\\\\]|\\\\.)*')`).exec(rest)?.[1];
    return literal === undefined ? undefined : literal.slice(1, -1).replace(/\\(.)/g, '$1');
  };
  if (type === 'string') {
    const match = text('match');
    const notMatch = text('not_match');
    const lenMax = number('len_max');
    return str({ required, hasDefault, ...(match ? { match: luaPattern(match) } : {}), ...(notMatch ? { notMatch: luaPattern(notMatch) } : {}), ...(lenMax ? { lenMax } : {}) });
  }
  if (type === 'boolean') return { type: 'boolean', required, hasDefault };
  if (type === 'integer' || type === 'number') {
    const between = /between\s*=\s*\{\s*(\w+)\s*,\s*(\w+)\s*\}/.exec(rest);
    const bound = (value: string) => (/^\d+$/.test(value) ? Number(value) : (constants[value] ?? Number.NaN));
    return { type, required, hasDefault, ...(between?.[1] && between[2] ? { between: [bound(between[1]), bound(between[2])] as const } : {}) };
  }
  if (type === 'array' && elements) {
    const lenMin = number('len_min');
    return { type, required, hasDefault, elements: readLuaField(elements, constants, `${where}[]`), ...(lenMin ? { lenMin } : {}) };
  }
  if (type === 'record' && recordFields) return { type, required, hasDefault, fields: readLuaFieldList(recordFields.slice(1, -1), constants, where) };
  throw new Error(`${where} has a type this reader does not know (${type})`);
}

function readLuaFieldList(list: string, constants: Record<string, number>, where: string): Record<string, Field> {
  const fields: Record<string, Field> = {};
  for (let index = list.indexOf('{'); index !== -1; ) {
    const end = closing(list, index);
    const entry = list.slice(index, end);
    const named = /^\{\s*(\w+)\s*=\s*/.exec(entry);
    if (!named?.[1]) throw new Error(`${where}: cannot read the field ${entry}`);
    fields[named[1]] = readLuaField(entry.slice(named[0].length, -1).trim(), constants, `${where}: field ${named[1]}`);
    index = list.indexOf('{', end);
  }
  return fields;
}

/**
 * The config fields of a plugin schema.lua written as this repository's
 * phantom-token one is: `{ name = typedefs.url {...} }` or
 * `{ name = { type = "...", required = ..., default = ..., between = { a, B } } }`,
 * with arrays (`elements = {...}`) and records (`fields = {...}`) nested.
 */
export function configFieldsFromLua(file: string): Record<string, Field> {
  const lua = readFileSync(file, 'utf8').replace(/--[^\n]*/g, '');
  const constants = Object.fromEntries([...lua.matchAll(/local\s+(\w+)\s*=\s*(\d+)/g)].map((match) => [match[1], Number(match[2])]));
  const config = /\{\s*config\s*=\s*\{[^{]*?fields\s*=\s*\{/.exec(lua);
  if (!config) throw new Error(`${file}: no config record with fields`);
  const listStart = config.index + config[0].length - 1;
  return readLuaFieldList(lua.slice(listStart + 1, closing(lua, listStart) - 1), constants, file);
}

export interface PluginSchema {
  fields: Record<string, Field>;
  protocols: Field;
  checks?: (config: Record<string, unknown>) => string[];
}

export function pluginSchemas(phantomTokenSchemaFile: string): Record<string, PluginSchema> {
  return {
    cors: { fields: CORS, protocols: httpProtocols },
    'rate-limiting': { fields: RATE_LIMITING, protocols: httpProtocols, checks: rateLimitingChecks },
    'request-transformer': { fields: REQUEST_TRANSFORMER, protocols: protocols },
    'phantom-token': { fields: configFieldsFromLua(phantomTokenSchemaFile), protocols: httpProtocols },
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Kong's field validation, for the constraints modelled above; problems are "<path>: <message>". */
export function checkField(value: unknown, field: Field, at: string, problems: string[]): void {
  if (value === null || value === undefined) {
    if (field.required && !('hasDefault' in field && field.hasDefault)) problems.push(`${at}: required field missing`);
    return;
  }
  switch (field.type) {
    case 'foreign':
      problems.push(`${at}: a reference, which a nested entity must not set`);
      return;
    case 'string':
      if (typeof value !== 'string') return void problems.push(`${at}: expected a string`);
      if (field.oneOf && !field.oneOf.includes(value)) problems.push(`${at}: expected one of: ${field.oneOf.join(', ')}`);
      if (field.startsWith && !value.startsWith(field.startsWith)) problems.push(`${at}: should start with: ${field.startsWith}`);
      if (field.match && !field.match.test(value)) problems.push(`${at}: invalid value: ${value}`);
      if (field.notMatch?.test(value)) problems.push(`${at}: invalid value: ${value}`);
      if (field.lenMax !== undefined && value.length > field.lenMax) problems.push(`${at}: length must be at most ${field.lenMax}`);
      if (field.url && !URL.canParse(value)) problems.push(`${at}: missing host in url`);
      return;
    case 'integer':
    case 'number':
      if (typeof value !== 'number' || (field.type === 'integer' && !Number.isInteger(value))) return void problems.push(`${at}: expected ${field.type === 'integer' ? 'an integer' : 'a number'}`);
      if (field.between && (value < field.between[0] || value > field.between[1])) problems.push(`${at}: value should be between ${field.between[0]} and ${field.between[1]}`);
      if (field.gt !== undefined && !(value > field.gt)) problems.push(`${at}: value must be greater than ${field.gt}`);
      if (field.oneOf && !field.oneOf.includes(value)) problems.push(`${at}: expected one of: ${field.oneOf.join(', ')}`);
      return;
    case 'boolean':
      if (typeof value !== 'boolean') problems.push(`${at}: expected a boolean`);
      return;
    case 'array':
    case 'set':
      if (!Array.isArray(value)) return void problems.push(`${at}: expected ${field.type === 'set' ? 'a set' : 'an array'}`);
      if (field.lenMin !== undefined && value.length < field.lenMin) problems.push(`${at}: length must be at least ${field.lenMin}`);
      if (field.type === 'set' && new Set(value.map((item) => JSON.stringify(item))).size !== value.length) problems.push(`${at}: duplicate value in a set`);
      value.forEach((item, index) => checkField(item, field.elements, `${at}[${index}]`, problems));
      return;
    case 'record':
      checkRecord(value, field.fields, at, problems);
      return;
    case 'map':
      if (!isRecord(value)) return void problems.push(`${at}: expected a map`);
      for (const [key, item] of Object.entries(value)) {
        checkField(key, field.keys, `${at}.${key}`, problems);
        checkField(item, field.values, `${at}.${key}`, problems);
      }
  }
}

export function checkRecord(value: unknown, fields: Record<string, Field>, at: string, problems: string[], nested: Record<string, (item: unknown, path: string) => void> = {}): void {
  if (!isRecord(value)) return void problems.push(`${at}: expected a record`);
  for (const [key, item] of Object.entries(value)) {
    const path = at ? `${at}.${key}` : key;
    const nestedCheck = nested[key];
    if (nestedCheck) nestedCheck(item, path);
    else if (fields[key]) checkField(item, fields[key], path, problems);
    else problems.push(`${path}: unknown field`);
  }
  for (const [key, field] of Object.entries(fields)) {
    if (!(key in value) && field.required && !('hasDefault' in field && field.hasDefault)) problems.push(`${at ? `${at}.` : ''}${key}: required field missing`);
  }
}

/**
 * Checks a parsed declarative configuration: the document, services with
 * their nested routes and plugins, and each plugin's config. A nested
 * entity may not name its parent (Kong fills the reference in).
 */
export function checkDeclarativeConfig(document: unknown, plugins: Record<string, PluginSchema>): string[] {
  const problems: string[] = [];
  const checkPlugins = (list: unknown, at: string, parentFields: string[]) => {
    if (!Array.isArray(list)) return void problems.push(`${at}: expected an array`);
    list.forEach((entry, index) => {
      const path = `${at}[${index}]`;
      const fields = Object.fromEntries(Object.entries(PLUGIN_FIELDS).filter(([name]) => !parentFields.includes(name)));
      const name = isRecord(entry) ? entry.name : undefined;
      const schema = typeof name === 'string' ? plugins[name] : undefined;
      if (typeof name === 'string' && !schema) problems.push(`${path}.name: plugin '${name}' not enabled; add it to the 'plugins' configuration property`);
      checkRecord(entry, { ...fields, protocols: schema?.protocols ?? protocols }, path, problems, {
        config: (config, configPath) => {
          if (!schema) return;
          checkRecord(config ?? {}, schema.fields, configPath, problems);
          if (isRecord(config) && schema.checks) problems.push(...schema.checks(config).map((problem) => `${configPath}: ${problem}`));
        },
      });
    });
  };
  const checkRoutes = (list: unknown, at: string) => {
    if (!Array.isArray(list)) return void problems.push(`${at}: expected an array`);
    list.forEach((entry, index) => {
      const path = `${at}[${index}]`;
      const fields = Object.fromEntries(Object.entries(ROUTE_FIELDS).filter(([name]) => name !== 'service'));
      checkRecord(entry, fields, path, problems, { plugins: (item, itemPath) => checkPlugins(item, itemPath, ['route', 'service']) });
    });
  };
  checkRecord(
    document,
    {
      _format_version: str({ required: true, oneOf: ['1.1', '2.1', '3.0'] }),
      _transform: bool(true),
      _comment: str(),
    },
    '',
    problems,
    {
      services: (list, at) => {
        if (!Array.isArray(list)) return void problems.push(`${at}: expected an array`);
        list.forEach((entry, index) => {
          const path = `${at}[${index}]`;
          checkRecord(entry, SERVICE_FIELDS, path, problems, {
            routes: (routes, routesPath) => checkRoutes(routes, routesPath),
            plugins: (item, itemPath) => checkPlugins(item, itemPath, ['service']),
          });
          // services.lua: host is required; the url shorthand provides it.
          if (isRecord(entry) && entry.url === undefined && entry.host === undefined) problems.push(`${path}.host: required field missing`);
          if (isRecord(entry) && entry.url !== undefined && ['protocol', 'host', 'port', 'path'].some((key) => key in entry)) {
            problems.push(`${path}: url cannot be combined with protocol, host, port or path`);
          }
        });
      },
      routes: (list, at) => checkRoutes(list, at),
      plugins: (list, at) => checkPlugins(list, at, []),
    },
  );
  return problems;
}

/** scheme, host and port of a service, as Kong's url shorthand expands them. */
export function serviceTarget(service: Record<string, unknown>): { protocol: string; host: string; port: number } {
  if (typeof service.url === 'string') {
    const url = new URL(service.url);
    const protocol = url.protocol.slice(0, -1);
    return { protocol, host: url.hostname, port: url.port ? Number(url.port) : protocol === 'https' ? 443 : 80 };
  }
  const protocol = typeof service.protocol === 'string' ? service.protocol : 'http';
  return { protocol, host: String(service.host), port: typeof service.port === 'number' ? service.port : 80 };
}

/** KONG_PROXY_LISTEN: which protocols its listeners accept ("0.0.0.0:80, 0.0.0.0:443 ssl"). */
export function listenerProtocols(proxyListen: string): Set<'http' | 'https'> {
  const found = new Set<'http' | 'https'>();
  for (const listener of proxyListen.split(',').map((part) => part.trim()).filter(Boolean)) {
    if (listener === 'off') continue;
    found.add(listener.split(/\s+/).slice(1).includes('ssl') ? 'https' : 'http');
  }
  return found;
}
