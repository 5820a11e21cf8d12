import { readFileSync } from 'node:fs';
import { z } from 'zod';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Redirect URIs a public document may list: https anywhere, http only on a
 * loopback address (where the native or developer tool runs).
 */
const redirectUri = z.string().refine((value) => {
  const url = URL.parse(value);
  if (!url || url.hash) return false;
  return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname));
}, 'must be an https URL or an http URL on a loopback address, without fragment');

/**
 * One client's metadata (RFC 7591 names) without `client_id`, which the
 * service fills in. Strings may contain {{PUBLIC_BASE_URL}}.
 */
const templateSchema = z
  .looseObject({
    client_name: z.string().min(1),
    client_uri: z.string().optional(),
    redirect_uris: z.array(redirectUri).min(1),
    grant_types: z.array(z.string()).default(['authorization_code']),
    response_types: z.array(z.string()).default(['code']),
    // These documents are public: a client identified by one cannot hold a shared secret.
    token_endpoint_auth_method: z.enum(['none', 'private_key_jwt']).default('none'),
    scope: z.string().optional(),
  })
  .refine((template) => !('client_id' in template), {
    message: 'client_id is the URL the document is served at; leave it out of the template',
    path: ['client_id'],
  });

const documentsFileSchema = z.object({
  documents: z
    .record(z.string().regex(/^\/[A-Za-z0-9._-]+\.json$/, 'document paths look like /name.json'), templateSchema)
    .refine((documents) => Object.keys(documents).length > 0, 'at least one document is required'),
});

export type ClientMetadataDocument = z.output<typeof templateSchema> & { client_id: string };

/** Rendered documents by path. */
export type DocumentSet = ReadonlyMap<string, ClientMetadataDocument>;

function substitute(value: unknown, base: string): unknown {
  if (typeof value === 'string') return value.replaceAll('{{PUBLIC_BASE_URL}}', base);
  if (Array.isArray(value)) return value.map((item) => substitute(item, base));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, substitute(item, base)]));
  return value;
}

/**
 * Builds the documents from their templates. Each document's `client_id` is
 * the URL it is served at, which is what makes it a client ID metadata
 * document: the authorization server fetches the client_id and checks that
 * the document names itself.
 */
export function renderDocuments(templates: unknown, publicBaseUrl: string): DocumentSet {
  const parsed = documentsFileSchema.parse(templates);
  const documents = new Map<string, ClientMetadataDocument>();
  for (const [path, template] of Object.entries(parsed.documents)) {
    const rendered = substitute(template, publicBaseUrl) as z.output<typeof templateSchema>;
    documents.set(path, { client_id: `${publicBaseUrl}${path}`, ...rendered });
  }
  return documents;
}

export function loadDocuments(file: string, publicBaseUrl: string): DocumentSet {
  let templates: unknown;
  try {
    templates = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read the document templates ${file}: ${(error as Error).message}`);
  }
  try {
    return renderDocuments(templates, publicBaseUrl);
  } catch (error) {
    if (error instanceof z.ZodError) {
      const problems = error.issues
        .map((issue) => {
          // A bad record key carries the reason one level down.
          const reason = issue.code === 'invalid_key' ? issue.issues.map((inner) => inner.message).join(', ') : issue.message;
          return `${issue.path.join('.')}: ${reason}`;
        })
        .join('; ');
      throw new Error(`invalid document templates in ${file}: ${problems}`);
    }
    throw error;
  }
}
