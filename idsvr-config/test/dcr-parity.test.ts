// The Curity registration policy and the open authorization server's policy
// module must give the same answers, so that both Docker profiles and the
// local profile register MCP clients alike.
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
