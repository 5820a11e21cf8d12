import type { IncomingHttpHeaders } from 'node:http';
import { z } from 'zod';

/**
 * Per-method / per-tool scope requirements of the phantom-token plugin, as
 * kong/plugins/phantom-token/scope_requirements.lua has them (the shared
 * vectors pin both). Which MCP call a request makes comes from the
 * Mcp-Method and Mcp-Name headers (MCP 2026-07-28) and, for each one a
 * request lacks, from its JSON-RPC body (2025-11-25 clients send no such
 * headers), so a missing header never skips a requirement. When both are
 * present the header decides here; the MCP server checks that they agree.
 */

/** Kong's default client_body_buffer_size: the Lua plugin cannot read larger bodies. */
export const MAX_INSPECTED_BODY = 8192;

// JSON-RPC method names as MCP uses them (tools/call), the Lua pattern ^[%w_./%-]+$.
const METHOD = /^[A-Za-z0-9_./-]{1,128}$/;
// Tool, prompt and resource names: visible ASCII, no spaces (Lua ^[!-~]+$).
const NAME = /^[\x21-\x7E]{1,256}$/;
// RFC 6749 section 3.3 scope-token.
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

export const scopeRequirementSchema = z.strictObject({
  method: z.string().regex(METHOD, { error: 'must be a JSON-RPC method name such as tools/call' }),
  name: z
    .string()
    .regex(NAME, { error: 'must be visible ASCII without spaces, at most 256 characters' })
    .nullish()
    .transform((value) => value ?? undefined),
  scopes: z.array(z.string().regex(SCOPE_TOKEN, { error: 'must be an OAuth scope token' })).min(1),
});

export type ScopeRequirement = z.output<typeof scopeRequirementSchema>;

/** The MCP call a request makes, as far as it says. */
export interface McpCall {
  method?: string | undefined;
  name?: string | undefined;
}

export type NeededScopes = { scopes: string[] } | { problem: 'malformed_header' | 'unreadable_body' };

/** The call a JSON-RPC body makes, or undefined when the body cannot be read as one. */
export function callFromBody(body: Buffer): McpCall | undefined {
  if (body.length > MAX_INSPECTED_BODY) return undefined;
  const text = body.toString('utf8');
  if (text.trim() === '') return {};
  if (!/^\s*\{/.test(text)) return undefined;
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    return undefined;
  }
  const { method, params } = message as { method?: unknown; params?: unknown };
  // A JSON-RPC response or error calls nothing.
  if (method === undefined) return {};
  if (typeof method !== 'string' || !METHOD.test(method)) return undefined;
  const name = typeof params === 'object' && params !== null && !Array.isArray(params) ? (params as { name?: unknown }).name : undefined;
  if (name !== undefined && (typeof name !== 'string' || !NAME.test(name))) return undefined;
  return { method, name };
}

/** A header's single value; undefined when absent, null when repeated or malformed. */
function headerValue(headers: IncomingHttpHeaders, name: string, pattern: RegExp): string | undefined | null {
  const value = headers[name];
  if (value === undefined) return undefined;
  return typeof value === 'string' && pattern.test(value) ? value : null;
}

/**
 * The scopes a request needs beyond a valid token. `readBody` is called
 * only when a header is missing that a requirement depends on; it rejects
 * for a body the gateway will not read.
 */
export async function neededScopes(
  requirements: readonly ScopeRequirement[],
  headers: IncomingHttpHeaders,
  readBody: () => Promise<Buffer>,
): Promise<NeededScopes> {
  if (requirements.length === 0) return { scopes: [] };
  let method = headerValue(headers, 'mcp-method', METHOD);
  let name = headerValue(headers, 'mcp-name', NAME);
  if (method === null || name === null) return { problem: 'malformed_header' };

  const namesATool = (wanted: string) => requirements.some((requirement) => requirement.method === wanted && requirement.name !== undefined);
  if (method === undefined || (name === undefined && namesATool(method))) {
    let call: McpCall | undefined;
    try {
      call = callFromBody(await readBody());
    } catch (error) {
      if (error instanceof UnreadableBody) return { problem: 'unreadable_body' };
      throw error;
    }
    if (!call) return { problem: 'unreadable_body' };
    method ??= call.method;
    name ??= call.name;
  }
  if (method === undefined) return { scopes: [] };
  const scopes = requirements
    .filter((requirement) => requirement.method === method && (requirement.name === undefined || requirement.name === name))
    .flatMap((requirement) => requirement.scopes);
  return { scopes };
}

/** Thrown by a body reader for a body too large to inspect. */
export class UnreadableBody extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'UnreadableBody';
  }
}

/** The scopes in the `scope` claim of a JWT's payload; empty when it cannot be read. */
export function grantedScopes(jwt: string): Set<string> {
  const payload = /^[^.]+\.([^.]+)\./.exec(jwt)?.[1];
  if (payload === undefined) return new Set();
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    const scope = (claims as { scope?: unknown } | null)?.scope;
    return new Set(typeof scope === 'string' ? scope.split(/\s+/).filter(Boolean) : []);
  } catch {
    return new Set();
  }
}

/** The challenge's scope: the route's own scope first, then the needed ones, each once. */
export function challengeScope(routeScope: string | undefined, needed: readonly string[]): string {
  return [...new Set([...(routeScope ?? '').split(/\s+/).filter(Boolean), ...needed])].join(' ');
}
