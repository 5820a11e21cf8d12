import { errors, type Adapter, type AdapterPayload } from 'oidc-provider';
import { DYNAMIC_GRANT_TYPES, assertRegistrable, type MetadataLimits } from './client-metadata.ts';
import { isLoopbackHost } from './loopback-redirects.ts';
import { MCP_SCOPE, mcpRegistrationAttributes } from './mcp-registration-policy.ts';

/**
 * OAuth Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document,
 * adopted by the MCP authorization specification): a client uses the URL of
 * a JSON document as its client_id, and the authorization server fetches the
 * document instead of requiring registration.
 *
 * oidc-provider ships this as an experimental feature, but it only accepts
 * https URLs and refuses to connect to loopback and private addresses. Both
 * deployment profiles host the documents on such addresses (127.0.0.1 locally,
 * a container network with Docker), so documents are resolved here, in the
 * Client adapter's find(), with the same checks as dynamic registration.
 */
export interface MetadataDocumentOptions {
  /** Also accept http://127.0.0.1, http://[::1] and http://localhost client IDs (local profile only). */
  allowHttpLoopback: boolean;
  /** Audiences granted to MCP clients by the registration policy. */
  audiences: string[];
  /** The same bounds as for registration. */
  limits: MetadataLimits;
  fetch?: typeof globalThis.fetch;
  timeoutMs?: number;
  maxBytes?: number;
  /** Upper bound of the cache lifetime in seconds; the document's Cache-Control max-age may shorten it. */
  maxCacheSeconds?: number;
}

export interface MetadataDocumentResolver {
  /** True when a client_id has the form of a metadata document URL this server will fetch. */
  accepts(clientId: string): boolean;
  /** Client metadata for oidc-provider, with the registration policy applied. Throws invalid_client. */
  resolve(clientId: string): Promise<AdapterPayload>;
}

const DEFAULT_CACHE_SECONDS = 60;
/** Bounds the memory a stream of distinct client IDs can take. */
const MAX_CACHED_DOCUMENTS = 500;

/** Standard metadata taken over from a document; anything else in it is ignored. */
const TAKEN_OVER = ['client_name', 'client_uri', 'logo_uri', 'redirect_uris', 'grant_types', 'response_types', 'scope'] as const;

function rejected(description: string): never {
  throw new errors.InvalidClient(`client_id metadata document rejected: ${description}`);
}

function cacheSeconds(response: Response, maximum: number): number {
  const cacheControl = response.headers.get('cache-control') ?? '';
  if (/(?:^|,)\s*no-store\s*(?:,|$)/i.test(cacheControl)) return 0;
  const match = /(?:^|,)\s*max-age\s*=\s*(\d+)/i.exec(cacheControl);
  const requested = match ? Number(match[1]) : DEFAULT_CACHE_SECONDS;
  return Math.max(0, Math.min(maximum, requested));
}

async function readLimited(response: Response, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) rejected(`document is larger than ${maxBytes} bytes`);
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let received = 0;
  for await (const chunk of response.body) {
    received += chunk.byteLength;
    if (received > maxBytes) {
      await response.body.cancel().catch(() => undefined);
      rejected(`document is larger than ${maxBytes} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function createMetadataDocumentResolver(options: MetadataDocumentOptions): MetadataDocumentResolver {
  const fetchDocument = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const maxBytes = options.maxBytes ?? 16 * 1024;
  const maxCacheSeconds = options.maxCacheSeconds ?? 300;
  const cache = new Map<string, { properties: AdapterPayload; expiresAt: number }>();

  const accepts = (clientId: string): boolean => {
    const url = URL.parse(clientId);
    if (!url || url.username || url.password || clientId.includes('#')) return false;
    if (url.pathname === '/' || url.pathname === '') return false;
    if (url.protocol === 'https:') return true;
    return url.protocol === 'http:' && options.allowHttpLoopback && isLoopbackHost(url.hostname);
  };

  const fetchProperties = async (clientId: string): Promise<{ properties: AdapterPayload; ttl: number }> => {
    let response: Response;
    try {
      response = await fetchDocument(clientId, {
        headers: { accept: 'application/json' },
        redirect: 'error',
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch {
      rejected('the document could not be fetched');
    }
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => undefined);
      rejected(`fetching the document answered HTTP ${response.status}`);
    }
    let document: unknown;
    try {
      document = JSON.parse(await readLimited(response, maxBytes));
    } catch (error) {
      if (error instanceof errors.InvalidClient) throw error;
      rejected('the document is not JSON');
    }
    if (typeof document !== 'object' || document === null || Array.isArray(document)) rejected('the document is not a JSON object');
    const fields = document as Record<string, unknown>;
    if (fields.client_id !== clientId) rejected('its client_id does not equal the URL it was fetched from');
    if ('client_secret' in fields || 'client_secret_expires_at' in fields) rejected('a metadata document must not contain a client secret');
    const authMethod = fields.token_endpoint_auth_method ?? 'none';
    if (authMethod !== 'none') rejected('token_endpoint_auth_method must be none (a public document cannot hold a secret)');

    // A document without a scope asks for the only scope this server issues;
    // one that names other scopes but not stocks/read is refused like a registration.
    const request: Record<string, unknown> = { ...fields, scope: typeof fields.scope === 'string' ? fields.scope : MCP_SCOPE };
    try {
      assertRegistrable(request, options.limits);
    } catch (error) {
      rejected((error as { error_description?: string }).error_description ?? 'the document is not acceptable');
    }

    const properties: Record<string, unknown> = { client_id: clientId, token_endpoint_auth_method: 'none' };
    for (const key of TAKEN_OVER) if (request[key] !== undefined) properties[key] = request[key];
    properties.grant_types = Array.isArray(request.grant_types)
      ? (request.grant_types as string[]).filter((type) => DYNAMIC_GRANT_TYPES.has(type))
      : ['authorization_code'];
    Object.assign(properties, mcpRegistrationAttributes(request, { audiences: options.audiences }));
    return { properties: properties as AdapterPayload, ttl: cacheSeconds(response, maxCacheSeconds) };
  };

  return {
    accepts,
    async resolve(clientId) {
      const cached = cache.get(clientId);
      if (cached && cached.expiresAt > Date.now()) return cached.properties;
      cache.delete(clientId);
      const { properties, ttl } = await fetchProperties(clientId);
      if (ttl > 0) {
        cache.set(clientId, { properties, expiresAt: Date.now() + ttl * 1000 });
        if (cache.size > MAX_CACHED_DOCUMENTS) cache.delete(cache.keys().next().value as string);
      }
      return properties;
    },
  };
}

/**
 * The Client adapter: registered clients from storage first, then client IDs
 * that are metadata document URLs. Documents are never stored, so a change to
 * a document takes effect once its cache entry expires.
 */
export function withMetadataDocuments(stored: Adapter, resolver: MetadataDocumentResolver): Adapter {
  return {
    ...stored,
    async find(id) {
      const registered = await stored.find(id);
      if (registered) return registered;
      return resolver.accepts(id) ? resolver.resolve(id) : undefined;
    },
  };
}
