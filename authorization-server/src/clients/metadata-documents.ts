import { errors, type Adapter, type AdapterPayload } from 'oidc-provider';
import { errorFields } from '@mcp-demo/service-kit';
import { fetchDocument, type FetchedDocument } from './document-fetch.ts';
import { systemResolve, type Resolve } from './public-addresses.ts';
import { DYNAMIC_GRANT_TYPES, assertRegistrable, type MetadataLimits } from './client-metadata.ts';
import { isLoopbackHost } from './loopback-redirects.ts';
import { MCP_SCOPE, mcpClientScope, mcpRegistrationAttributes } from './mcp-registration-policy.ts';

/**
 * OAuth Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document,
 * adopted by the MCP authorization specification): a client uses the URL of
 * a JSON document as its client_id, and the authorization server fetches the
 * document instead of requiring registration.
 *
 * oidc-provider ships this as an experimental feature, but it only accepts
 * https URLs and refuses every loopback and private address, while both
 * deployment profiles host their own documents on such addresses (127.0.0.1
 * locally, a container network with Docker). So documents are resolved here,
 * in the Client adapter's find(), with the same checks as dynamic
 * registration: public addresses only, except the origins named in
 * `privateOrigins`; one uniform refusal; one fetch per client ID at a time,
 * cached as the document's Cache-Control says within set bounds.
 */
export interface MetadataDocumentOptions {
  /** Also accept http://127.0.0.1, http://[::1] and http://localhost client IDs (local profile only). */
  allowHttpLoopback: boolean;
  /**
   * Origins whose documents may be fetched although they resolve to loopback
   * or private addresses (the deployment's own metadata host). Every other
   * document must be on a public address.
   */
  privateOrigins: readonly string[];
  /** Audiences granted to MCP clients by the registration policy. */
  audiences: string[];
  /** The same bounds as for registration. */
  limits: MetadataLimits;
  /** Bounds of the cache lifetime in seconds; the document's Cache-Control decides within them. */
  minCacheSeconds: number;
  maxCacheSeconds: number;
  /** How many documents (and refusals) are kept at most. */
  cacheEntries: number;
  /** Told why a document was refused, for the server's log; the client only sees one uniform error. */
  onRejected?: (clientId: string, reason: string) => void;
  resolve?: Resolve;
  timeoutMs?: number;
  maxBytes?: number;
}

export interface MetadataDocumentResolver {
  /** True when a client_id has the form of a metadata document URL this server will fetch. */
  accepts(clientId: string): boolean;
  /** Client metadata for oidc-provider, with the registration policy applied. Throws invalid_client. */
  resolve(clientId: string): Promise<AdapterPayload>;
}

/** Used when a document says nothing about caching. */
const DEFAULT_CACHE_SECONDS = 60;

/**
 * The one answer for every refusal. Whether the document was unreachable,
 * answered 401, was too large, not JSON, or broke a rule is told to the
 * server's log only: the answer must not turn this server into a probe of
 * what answers at a URL.
 */
export const DOCUMENT_REFUSED = 'the client_id metadata document could not be used';

/** Standard metadata taken over from a document; anything else in it is ignored. */
const TAKEN_OVER = ['client_name', 'client_uri', 'logo_uri', 'redirect_uris', 'grant_types', 'response_types', 'scope'] as const;

class DocumentRejected extends Error {
  override name = 'DocumentRejected';
}

function rejected(reason: string): never {
  throw new DocumentRejected(reason);
}

/**
 * Seconds to keep a document: its Cache-Control max-age (no-store counts as
 * 0), clamped to [minimum, maximum]. The minimum also covers no-store: one
 * authorization request resolves its client more than once, and must not
 * fetch more than once.
 */
export function cacheSecondsOf(cacheControl: string, minimum: number, maximum: number): number {
  const noStore = /(?:^|,)\s*(?:no-store|no-cache)\s*(?:,|$)/i.test(cacheControl);
  const maxAge = /(?:^|,)\s*max-age\s*=\s*"?(\d+)"?\s*(?:,|$)/i.exec(cacheControl);
  const requested = noStore ? 0 : maxAge ? Number(maxAge[1]) : DEFAULT_CACHE_SECONDS;
  return Math.min(maximum, Math.max(minimum, requested));
}

type CacheEntry = { properties: AdapterPayload; expiresAt: number } | { refused: true; expiresAt: number };

export function createMetadataDocumentResolver(options: MetadataDocumentOptions): MetadataDocumentResolver {
  const resolveHost = options.resolve ?? systemResolve;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const maxBytes = options.maxBytes ?? 16 * 1024;
  const privateOrigins = new Set(options.privateOrigins.map((origin) => new URL(origin).origin));
  const cache = new Map<string, CacheEntry>();
  const inFlight = new Map<string, Promise<AdapterPayload>>();

  const accepts = (clientId: string): boolean => {
    const url = URL.parse(clientId);
    if (!url || url.username || url.password || clientId.includes('#')) return false;
    if (url.pathname === '/' || url.pathname === '') return false;
    if (url.protocol === 'https:') return true;
    return url.protocol === 'http:' && options.allowHttpLoopback && isLoopbackHost(url.hostname);
  };

  const remember = (clientId: string, entry: CacheEntry) => {
    if (options.cacheEntries === 0 || entry.expiresAt <= Date.now()) return;
    cache.delete(clientId);
    cache.set(clientId, entry);
    // Oldest first: a stream of distinct client IDs cannot grow the cache past its bound.
    while (cache.size > options.cacheEntries) cache.delete(cache.keys().next().value as string);
  };

  const fetchProperties = async (clientId: string): Promise<{ properties: AdapterPayload; ttl: number }> => {
    const url = new URL(clientId);
    let fetched: FetchedDocument;
    try {
      fetched = await fetchDocument(url, { resolve: resolveHost, allowPrivate: privateOrigins.has(url.origin), timeoutMs, maxBytes });
    } catch (error) {
      const { errorName, errorMessage } = errorFields(error);
      rejected(`fetch failed: ${errorName}: ${errorMessage ?? ''}`);
    }
    if (fetched.status !== 200) rejected(`answered HTTP ${fetched.status}`);
    let document: unknown;
    try {
      document = JSON.parse(fetched.body);
    } catch {
      rejected('not JSON');
    }
    if (typeof document !== 'object' || document === null || Array.isArray(document)) rejected('not a JSON object');
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
      rejected((error as { error_description?: string }).error_description ?? 'not acceptable');
    }

    const properties: Record<string, unknown> = { client_id: clientId, token_endpoint_auth_method: 'none' };
    for (const key of TAKEN_OVER) if (request[key] !== undefined) properties[key] = request[key];
    properties.scope = mcpClientScope(String(request.scope));
    properties.grant_types = Array.isArray(request.grant_types)
      ? (request.grant_types as string[]).filter((type) => DYNAMIC_GRANT_TYPES.has(type))
      : ['authorization_code'];
    Object.assign(properties, mcpRegistrationAttributes(request, { audiences: options.audiences }));
    return {
      properties: properties as AdapterPayload,
      ttl: cacheSecondsOf(fetched.cacheControl, options.minCacheSeconds, options.maxCacheSeconds),
    };
  };

  const load = async (clientId: string): Promise<AdapterPayload> => {
    try {
      const { properties, ttl } = await fetchProperties(clientId);
      remember(clientId, { properties, expiresAt: Date.now() + ttl * 1000 });
      return properties;
    } catch (error) {
      const reason = error instanceof DocumentRejected ? error.message : 'could not be processed';
      options.onRejected?.(clientId, reason);
      // A refusal is kept as long as the shortest document, so repeating a request does not fetch again.
      remember(clientId, { refused: true, expiresAt: Date.now() + options.minCacheSeconds * 1000 });
      throw new errors.InvalidClient(DOCUMENT_REFUSED);
    }
  };

  return {
    accepts,
    async resolve(clientId) {
      const cached = cache.get(clientId);
      if (cached && cached.expiresAt > Date.now()) {
        if ('refused' in cached) throw new errors.InvalidClient(DOCUMENT_REFUSED);
        return cached.properties;
      }
      cache.delete(clientId);
      // Requests that arrive while a fetch is under way share it.
      const pending = inFlight.get(clientId) ?? load(clientId).finally(() => inFlight.delete(clientId));
      inFlight.set(clientId, pending);
      return pending;
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
