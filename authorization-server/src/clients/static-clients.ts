import { readFileSync } from 'node:fs';
import type { ClientMetadata } from 'oidc-provider';
import { z } from 'zod';
import type { Settings } from '../config.ts';

/** Configuration variables that clients.json may reference as ${NAME}. */
export const CLIENT_FILE_VARIABLES = ['GATEWAY_CLIENT_SECRET', 'MCP_SERVER_CLIENT_SECRET', 'API_AUDIENCE'] as const;
type ClientFileVariable = (typeof CLIENT_FILE_VARIABLES)[number];

const PLACEHOLDER = /^\$\{([A-Z0-9_]+)\}$/;

const staticClientSchema = z
  .object({
    client_id: z.string().min(1),
    client_name: z.string().min(1).optional(),
    client_secret: z.string().min(1),
    token_endpoint_auth_method: z.enum(['client_secret_basic', 'client_secret_post']).optional(),
    grant_types: z.array(z.enum(['urn:ietf:params:oauth:grant-type:token-exchange'])).default([]),
    introspection_allowed: z.boolean().optional(),
    token_exchange_audiences: z.array(z.url()).optional(),
  })
  .strict();

const clientsFileSchema = z.object({
  $comment: z.string().optional(),
  clients: z.array(staticClientSchema),
});

function substitute(value: unknown, variables: Record<ClientFileVariable, string>, problems: string[]): unknown {
  if (typeof value === 'string') {
    const match = PLACEHOLDER.exec(value);
    if (!match) return value;
    const name = match[1] as string;
    if (!(CLIENT_FILE_VARIABLES as readonly string[]).includes(name)) {
      problems.push(`\${${name}} is not a variable clients.json may use (allowed: ${CLIENT_FILE_VARIABLES.join(', ')})`);
      return value;
    }
    return variables[name as ClientFileVariable];
  }
  if (Array.isArray(value)) return value.map((item) => substitute(item, variables, problems));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, substitute(item, variables, problems)]));
  }
  return value;
}

/**
 * Reads the static clients (the API gateway that introspects, the MCP server
 * that exchanges tokens) from CLIENTS_FILE, with secrets and audiences taken
 * from the validated settings. Static clients have no redirect URIs and
 * cannot run the authorization code flow.
 */
export function loadStaticClients(file: string, settings: Pick<Settings, ClientFileVariable>): ClientMetadata[] {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`CLIENTS_FILE ${file} cannot be read as JSON: ${(error as Error).message}`);
  }
  const problems: string[] = [];
  const variables = {
    GATEWAY_CLIENT_SECRET: settings.GATEWAY_CLIENT_SECRET,
    MCP_SERVER_CLIENT_SECRET: settings.MCP_SERVER_CLIENT_SECRET,
    API_AUDIENCE: settings.API_AUDIENCE,
  };
  const resolved = substitute(raw, variables, problems);
  if (problems.length > 0) throw new Error(`CLIENTS_FILE ${file}: ${problems.join('; ')}`);
  const parsed = clientsFileSchema.safeParse(resolved);
  if (!parsed.success) {
    const details = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new Error(`CLIENTS_FILE ${file} is invalid: ${details}`);
  }
  return parsed.data.clients.map((client) => ({
    ...client,
    token_endpoint_auth_method: client.token_endpoint_auth_method ?? 'client_secret_basic',
    response_types: [],
    redirect_uris: [],
  }));
}
