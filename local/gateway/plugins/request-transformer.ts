import { z } from 'zod';
import { kongError, type GatewayPlugin, type PluginResponse } from './types.ts';

/**
 * The part of Kong's bundled request-transformer plugin (priority 801) that
 * kong.yml uses: `remove.body`, with the semantics of Kong 3.9's
 * kong/plugins/request-transformer/access.lua:
 *
 * - only when Content-Type contains application/json, or else
 *   application/x-www-form-urlencoded (a case-insensitive substring match,
 *   JSON first), and the body is not empty;
 * - JSON: a body that does not parse passes unchanged; an object loses the
 *   named top-level keys; an array passes re-encoded; any other JSON value
 *   makes Kong's Lua fail, which Kong answers with 500;
 * - form: at most the first 100 fields are kept (ngx.decode_args' limit),
 *   then the named fields are dropped;
 * - the body is re-encoded whenever a name is configured, even if none was
 *   present, and Content-Length follows the new body.
 *
 * Re-encoded bodies are equal as JSON or form data, not byte for byte: Kong's
 * cjson writes "\/" and 14 significant digits, URLSearchParams writes "+" for
 * a space. Every other operation (rename, replace, add, append, headers,
 * querystring, http_method) is refused when kong.yml is loaded; a multipart
 * body, which Kong would transform, is refused with 415 rather than
 * forwarded unchanged.
 */

export const REQUEST_TRANSFORMER_PRIORITY = 801;

// ngx.decode_args parses at most 100 arguments and drops the rest.
const FORM_FIELD_LIMIT = 100;

const unsupported = (operation: string) =>
  z
    .array(z.string())
    .max(0, { error: `${operation} is not supported by the local gateway (only remove.body is)` })
    .nullish();

const emptyFields = (operation: string) => ({
  body: unsupported(`${operation}.body`),
  headers: unsupported(`${operation}.headers`),
  querystring: unsupported(`${operation}.querystring`),
});

const emptyRecord = (operation: string) => z.strictObject(emptyFields(operation)).nullish();

export const requestTransformerConfigSchema = z.strictObject({
  http_method: z.null({ error: 'http_method is not supported by the local gateway' }).optional(),
  remove: z
    .strictObject({
      body: z.array(z.string().min(1)).default([]),
      headers: unsupported('remove.headers'),
      querystring: unsupported('remove.querystring'),
    })
    .default({ body: [] }),
  rename: emptyRecord('rename'),
  replace: z
    .strictObject({ ...emptyFields('replace'), uri: z.null({ error: 'replace.uri is not supported by the local gateway' }).optional() })
    .nullish(),
  add: emptyRecord('add'),
  append: emptyRecord('append'),
});

export type RequestTransformerConfig = z.output<typeof requestTransformerConfigSchema>;

type BodyKind = 'json' | 'multipart' | 'form';

/** Kong's get_content_type: substring matches, in this order. */
export function bodyKindOf(contentType: string | undefined): BodyKind | undefined {
  const value = contentType?.toLowerCase();
  if (value === undefined) return undefined;
  if (value.includes('application/json')) return 'json';
  if (value.includes('multipart/form-data')) return 'multipart';
  if (value.includes('application/x-www-form-urlencoded')) return 'form';
  return undefined;
}

/** A failure Kong reports as a Lua error in the plugin: 500. */
export class TransformFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TransformFailed';
  }
}

/** The JSON body without the named top-level keys; undefined: pass the body unchanged. */
export function removeFromJson(body: string, names: readonly string[]): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (Array.isArray(parsed)) return JSON.stringify(parsed);
  if (parsed === null || typeof parsed !== 'object') throw new TransformFailed('a JSON body that is not an object or an array cannot be transformed');
  const fields = parsed as Record<string, unknown>;
  for (const name of names) delete fields[name];
  return JSON.stringify(fields);
}

/** The form body without the named fields, after ngx.decode_args' 100-field cut. */
export function removeFromForm(body: string, names: readonly string[]): string {
  const kept = [...new URLSearchParams(body)].slice(0, FORM_FIELD_LIMIT).filter(([name]) => !names.includes(name));
  return new URLSearchParams(kept).toString();
}

export function requestTransformerPlugin(config: RequestTransformerConfig): GatewayPlugin {
  const names = config.remove.body;
  return {
    name: 'request-transformer',
    priority: REQUEST_TRANSFORMER_PRIORITY,
    async access(gatewayRequest): Promise<PluginResponse | undefined> {
      const contentType = gatewayRequest.requestHeaders['content-type'];
      const kind = bodyKindOf(contentType);
      if (kind === undefined || names.length === 0) return undefined;
      if (kind === 'multipart') {
        return kongError(415, 'The local gateway does not transform multipart bodies; send JSON or a form', gatewayRequest.requestId);
      }
      const body = await gatewayRequest.readBody();
      if (body.length === 0) return undefined;
      const text = body.toString('utf8');
      let transformed: string | undefined;
      try {
        transformed = kind === 'json' ? removeFromJson(text, names) : removeFromForm(text, names);
      } catch (error) {
        if (!(error instanceof TransformFailed)) throw error;
        gatewayRequest.log.warn({ plugin: 'request-transformer', reason: error.message }, 'request body not transformed');
        return kongError(500, 'An unexpected error occurred', gatewayRequest.requestId);
      }
      if (transformed !== undefined) gatewayRequest.replaceBody(Buffer.from(transformed, 'utf8'));
      return undefined;
    },
  };
}
