import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from './repo.ts';

/**
 * A reading of docker-compose.yml that is good enough to check it without a
 * Docker engine: values interpolated as Compose does, services filtered by
 * profile, and the few service fields the checks need in one normalised form.
 */

export const COMPOSE_FILE = resolve(REPO_ROOT, 'docker-compose.yml');

export type Variables = Record<string, string | undefined>;

export interface HealthCheck {
  test: string[] | string;
  disable?: boolean;
}

export interface Mount {
  type: 'bind' | 'volume' | 'tmpfs';
  source: string | undefined;
  target: string;
  readOnly: boolean;
}

export interface EnvFile {
  path: string;
  required: boolean;
}

export interface Service {
  name: string;
  profiles: string[];
  image: string | undefined;
  build: { context: string; dockerfile: string } | undefined;
  hostname: string | undefined;
  aliases: string[];
  environment: Record<string, string>;
  envFiles: EnvFile[];
  dependsOn: Record<string, { condition: string; required: boolean }>;
  healthcheck: HealthCheck | undefined;
  ports: string[];
  mounts: Mount[];
  restart: string | undefined;
  raw: Record<string, unknown>;
}

export interface ComposeProject {
  services: Service[];
  volumes: string[];
  raw: Record<string, unknown>;
}

/**
 * Compose's variable interpolation: $$, $NAME, ${NAME}, ${NAME:-default},
 * ${NAME-default}, ${NAME:?error}, ${NAME?error}, ${NAME:+other},
 * ${NAME+other}; defaults may nest further references.
 */
export function interpolate(text: string, variables: Variables): string {
  let output = '';
  let index = 0;
  while (index < text.length) {
    const char = text[index];
    if (char !== '$') {
      output += char;
      index += 1;
      continue;
    }
    const next = text[index + 1];
    if (next === '$') {
      output += '$';
      index += 2;
    } else if (next === '{') {
      const end = closingBrace(text, index + 2);
      output += expand(text.slice(index + 2, end), variables);
      index = end + 1;
    } else {
      const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(index + 1))?.[0];
      if (!name) throw new Error(`invalid "$" in "${text}" (write $$ for a literal dollar)`);
      output += variables[name] ?? '';
      index += 1 + name.length;
    }
  }
  return output;
}

function closingBrace(text: string, from: number): number {
  let depth = 1;
  for (let index = from; index < text.length; index += 1) {
    if (text[index] === '{') depth += 1;
    if (text[index] === '}') {
      depth -= 1;
      if (depth === 0) return index;
    }
  }
  throw new Error(`unclosed "\${" in "${text}"`);
}

function expand(expression: string, variables: Variables): string {
  const match = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([\s\S]*))?$/.exec(expression);
  if (!match?.[1]) throw new Error(`invalid variable reference "\${${expression}}"`);
  const [, name, operator, argument = ''] = match;
  const value = variables[name];
  const unset = value === undefined;
  const empty = unset || value === '';
  switch (operator) {
    case undefined:
      return value ?? '';
    case ':-':
      return empty ? interpolate(argument, variables) : (value as string);
    case '-':
      return unset ? interpolate(argument, variables) : (value as string);
    case ':?':
    case '?':
      if (operator === ':?' ? empty : unset) throw new Error(`required variable ${name} is missing: ${argument}`);
      return value as string;
    case ':+':
      return empty ? '' : interpolate(argument, variables);
    case '+':
      return unset ? '' : interpolate(argument, variables);
    default:
      throw new Error(`unsupported operator in "\${${expression}}"`);
  }
}

function interpolateTree(value: unknown, variables: Variables): unknown {
  if (typeof value === 'string') return interpolate(value, variables);
  if (Array.isArray(value)) return value.map((item) => interpolateTree(item, variables));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolateTree(item, variables)]));
  }
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function asStrings(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new Error(`expected a list, got ${JSON.stringify(value)}`);
  return value.map((item) => String(item));
}

function environmentOf(value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (Array.isArray(value)) {
    return Object.fromEntries(
      value.map((item) => {
        const text = String(item);
        const equals = text.indexOf('=');
        return equals < 0 ? [text, ''] : [text.slice(0, equals), text.slice(equals + 1)];
      }),
    );
  }
  if (!isRecord(value)) throw new Error('environment must be a list or a map');
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, item === null ? '' : String(item)]));
}

function envFilesOf(value: unknown): EnvFile[] {
  if (value === undefined || value === null) return [];
  const entries = Array.isArray(value) ? value : [value];
  return entries.map((entry) =>
    isRecord(entry) ? { path: String(entry.path), required: entry.required !== false } : { path: String(entry), required: true },
  );
}

function dependsOnOf(value: unknown): Service['dependsOn'] {
  if (value === undefined || value === null) return {};
  if (Array.isArray(value)) return Object.fromEntries(value.map((name) => [String(name), { condition: 'service_started', required: true }]));
  if (!isRecord(value)) throw new Error('depends_on must be a list or a map');
  return Object.fromEntries(
    Object.entries(value).map(([name, item]) => {
      const entry = isRecord(item) ? item : {};
      return [name, { condition: String(entry.condition ?? 'service_started'), required: entry.required !== false }];
    }),
  );
}

function mountsOf(value: unknown): Mount[] {
  return (Array.isArray(value) ? value : []).map((item): Mount => {
    if (isRecord(item)) {
      return {
        type: (item.type as Mount['type'] | undefined) ?? 'volume',
        source: item.source === undefined ? undefined : String(item.source),
        target: String(item.target),
        readOnly: item.read_only === true,
      };
    }
    // Short syntax: [SOURCE:]TARGET[:MODE]
    const parts = String(item).split(':');
    if (parts.length === 1) return { type: 'volume', source: undefined, target: parts[0] ?? '', readOnly: false };
    const [source = '', target = '', mode = ''] = parts;
    const bind = source.startsWith('.') || source.startsWith('/') || source.startsWith('~');
    return { type: bind ? 'bind' : 'volume', source, target, readOnly: mode.split(',').includes('ro') };
  });
}

function aliasesOf(value: unknown): string[] {
  if (!isRecord(value)) return [];
  return Object.values(value).flatMap((network) => (isRecord(network) ? asStrings(network.aliases) : []));
}

function serviceOf(name: string, value: unknown): Service {
  if (!isRecord(value)) throw new Error(`service ${name} must be a map`);
  const build = value.build;
  return {
    name,
    profiles: asStrings(value.profiles),
    image: value.image === undefined ? undefined : String(value.image),
    build:
      build === undefined
        ? undefined
        : typeof build === 'string'
          ? { context: build, dockerfile: 'Dockerfile' }
          : isRecord(build)
            ? { context: String(build.context ?? '.'), dockerfile: String(build.dockerfile ?? 'Dockerfile') }
            : undefined,
    hostname: value.hostname === undefined ? undefined : String(value.hostname),
    aliases: aliasesOf(value.networks),
    environment: environmentOf(value.environment),
    envFiles: envFilesOf(value.env_file),
    dependsOn: dependsOnOf(value.depends_on),
    healthcheck: isRecord(value.healthcheck) ? (value.healthcheck as unknown as HealthCheck) : undefined,
    ports: asStrings(value.ports),
    mounts: mountsOf(value.volumes),
    restart: value.restart === undefined ? undefined : String(value.restart),
    raw: value,
  };
}

/** Reads the compose file as Compose would with the given shell variables (none: every default applies). */
export function loadCompose(variables: Variables = {}, file = COMPOSE_FILE): ComposeProject {
  const document: unknown = parse(readFileSync(file, 'utf8'), { merge: true });
  if (!isRecord(document) || !isRecord(document.services)) throw new Error(`${file} has no services`);
  const interpolated = interpolateTree(document, variables) as Record<string, unknown>;
  const services = Object.entries(interpolated.services as Record<string, unknown>).map(([name, value]) => serviceOf(name, value));
  const volumes = isRecord(interpolated.volumes) ? Object.keys(interpolated.volumes) : [];
  return { services, volumes, raw: interpolated };
}

/** The services `docker compose --profile <profile> up` starts: those without profiles, and the profile's own. */
export function servicesOf(project: ComposeProject, profile: string): Service[] {
  return project.services.filter((service) => service.profiles.length === 0 || service.profiles.includes(profile));
}

export function serviceNamed(project: ComposeProject, name: string): Service {
  const service = project.services.find((candidate) => candidate.name === name);
  if (!service) throw new Error(`docker-compose.yml has no service ${name}`);
  return service;
}

/** Every name under which a service is reachable on the project network. */
export function namesOf(service: Service): string[] {
  return [service.name, ...(service.hostname ? [service.hostname] : []), ...service.aliases];
}

/** The profiles named anywhere in the file. */
export function profilesOf(project: ComposeProject): string[] {
  return [...new Set(project.services.flatMap((service) => service.profiles))].sort();
}
