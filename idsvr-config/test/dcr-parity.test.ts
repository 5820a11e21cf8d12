// The Curity registration policy and the open authorization server's policy
// module must give the same answers, so that both Docker profiles and the
// local profile register MCP clients alike.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadProcedure, ProcedureError } from './support/procedure-sandbox.ts';
import { acceptedRedirectUris, refusedRedirectUris } from './support/redirect-uri-cases.ts';

interface OpenServerPolicy {
  mcpRegistrationAttributes(body: unknown, options?: { audiences?: string[] }): Record<string, unknown>;
  redirectUriProblem(uri: string): string | undefined;
}

// Imported, never skipped: if the module moves, this test must fail rather
// than stop comparing.
const policyModulePath = fileURLToPath(
  new URL('../../authorization-server/src/clients/mcp-registration-policy.ts', import.meta.url),
);
const openServer = (await import(/* @vite-ignore */ policyModulePath)) as OpenServerPolicy;

const mcpAudiences = ['https://mcp.demo.example/'];
const curityPolicy = loadProcedure('mcp-client-registration-policy.js');

function curityAttributes(method: string, body: unknown): Record<string, unknown> {
  return curityPolicy({
    getRequest: () => ({ getMethod: () => method, getParsedBodyAsJson: () => body ?? null }),
  });
}

function curityAcceptsRedirectUri(uri: string): boolean {
  try {
    curityAttributes('POST', { scope: 'stocks/read', client_name: 'Parity', redirect_uris: [uri] });
    return true;
  } catch (error) {
    if (error instanceof ProcedureError && error.errorCode === 'invalid_redirect_uri') {
      return false;
    }
    throw error;
  }
}

const registrationBodies: Array<[string, unknown]> = [
  ['stocks/read only', { client_name: 'MCP Inspector', scope: 'stocks/read', redirect_uris: ['http://localhost:6274/callback'] }],
  ['stocks/read among other scopes', { client_name: 'Claude', scope: 'openid stocks/read profile' }],
  ['other scopes only', { client_name: 'Other', scope: 'openid profile' }],
  ['a scope that only starts with stocks/read', { client_name: 'Prefix', scope: 'stocks/read-write' }],
  ['an empty scope', { client_name: 'Empty', scope: '' }],
  ['no scope', { client_name: 'No scope' }],
  ['no client_name', { scope: 'stocks/read' }],
  ['no body', undefined],
];

describe('Curity policy matches the open authorization server', () => {
  const open = openServer;

  it.each(registrationBodies)('gives the same attributes for a registration with %s', (_case, body) => {
    expect(curityAttributes('POST', body)).toEqual(open.mcpRegistrationAttributes(body, { audiences: mcpAudiences }));
  });

  // Curity runs the procedure for every method of the registration endpoint;
  // only POST registers a client. The open server's module is only called
  // with a registration body, so a request that registers nothing compares
  // with a call that has no body.
  it.each(['GET', 'PUT', 'DELETE'])('adds nothing on %s, like the open server without a registration', (method) => {
    const body = { client_name: 'MCP Inspector', scope: 'stocks/read' };
    expect(curityAttributes(method, body)).toEqual(open.mcpRegistrationAttributes(undefined, { audiences: mcpAudiences }));
  });

  it.each(acceptedRedirectUris)('both accept the redirect URI %s', (uri) => {
    expect(open.redirectUriProblem(uri)).toBeUndefined();
    expect(curityAcceptsRedirectUri(uri)).toBe(true);
  });

  it.each(refusedRedirectUris)('both refuse the redirect URI %s (%s)', (uri) => {
    const reason = open.redirectUriProblem(uri);
    expect(typeof reason).toBe('string');
    expect(reason?.length ?? 0).toBeGreaterThan(0);
    expect(curityAcceptsRedirectUri(uri)).toBe(false);
  });
});

// Both servers bound what one open registration may store, with the same
// limits: the open server's defaults (authorization-server/src/config.ts)
// are the Curity procedure's constants.
const configModulePath = fileURLToPath(new URL('../../authorization-server/src/config.ts', import.meta.url));
const clientMetadataPath = fileURLToPath(new URL('../../authorization-server/src/clients/client-metadata.ts', import.meta.url));
const { settingsSchema } = (await import(/* @vite-ignore */ configModulePath)) as {
  settingsSchema: { parse(input: Record<string, string>): Record<string, unknown> };
};
const { assertWithinLimits } = (await import(/* @vite-ignore */ clientMetadataPath)) as {
  assertWithinLimits(body: Record<string, unknown>, limits: { maxClientNameLength: number; maxListItems: number; maxValueLength: number }): void;
};

describe('registration metadata limits', () => {
  const defaults = settingsSchema.parse({ PUBLIC_BASE_URL: 'https://login.demo.example', GATEWAY_CLIENT_SECRET: 'x', MCP_SERVER_CLIENT_SECRET: 'x' });
  const openLimits = {
    maxClientNameLength: defaults['REGISTRATION_MAX_CLIENT_NAME_LENGTH'] as number,
    maxListItems: defaults['REGISTRATION_MAX_LIST_ITEMS'] as number,
    maxValueLength: defaults['REGISTRATION_MAX_VALUE_LENGTH'] as number,
  };
  const source = readFileSync(fileURLToPath(new URL('../procedures/mcp-client-registration-policy.js', import.meta.url)), 'utf8');
  const curityLimit = (name: string) => Number(new RegExp(`${name}: (\\d+)`).exec(source)?.[1]);

  it('uses the open server\'s default limits', () => {
    for (const [name, value] of Object.entries(openLimits)) {
      expect(curityLimit(name), name).toBe(value);
    }
  });

  const base = { scope: 'stocks/read', redirect_uris: ['http://127.0.0.1:8080/callback'] };
  const cases: Array<[string, Record<string, unknown>]> = [
    ['a short name', { ...base, client_name: 'MCP Inspector' }],
    ['a name of the maximum length', { ...base, client_name: 'n'.repeat(100) }],
    ['a name one character too long', { ...base, client_name: 'n'.repeat(101) }],
    ['a 40 KB name', { ...base, client_name: 'n'.repeat(40_000) }],
    ['a name of 100 emoji', { ...base, client_name: '\u{1F600}'.repeat(100) }],
    ['ten redirect URIs', { ...base, redirect_uris: Array.from({ length: 10 }, (_, i) => `http://127.0.0.1:${8000 + i}/cb`) }],
    ['eleven redirect URIs', { ...base, redirect_uris: Array.from({ length: 11 }, (_, i) => `http://127.0.0.1:${8000 + i}/cb`) }],
    ['a long redirect URI', { ...base, redirect_uris: [`https://www.client.example/${'p'.repeat(2000)}`] }],
    ['a long logo_uri', { ...base, logo_uri: `https://www.client.example/${'l'.repeat(2000)}` }],
    ['a large unknown member', { ...base, software_statement_extra: 'x'.repeat(2001) }],
    ['a deeply nested member', { ...base, jwks: { keys: [{ x: { y: 'z' } }] } }],
    ['a nested object with many members', { ...base, jwks: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, i])) }],
  ];

  it.each(cases)('accepts or refuses %s as the open server does', (_case, body) => {
    let openVerdict = 'accepted';
    try {
      assertWithinLimits(body, openLimits);
    } catch (error) {
      // oidc-provider's errors carry the explanation in error_description.
      openVerdict = (error as { error_description?: string }).error_description ?? (error as Error).message;
    }
    let curityVerdict = 'accepted';
    try {
      curityAttributes('POST', body);
    } catch (error) {
      if (!(error instanceof ProcedureError)) throw error;
      expect(error.errorCode).toBe('invalid_client_metadata');
      curityVerdict = error.message;
    }
    expect(curityVerdict === 'accepted', `open server: ${openVerdict}; Curity: ${curityVerdict}`).toBe(openVerdict === 'accepted');
    // The same description, so either server explains a refusal alike.
    if (openVerdict !== 'accepted') expect(openVerdict).toContain(curityVerdict);
  });
});
