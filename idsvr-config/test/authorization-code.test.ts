// The authorization code token procedure: opaque access tokens whose
// audience follows the RFC 8707 resource parameter when the client may use it.
import { describe, expect, it } from 'vitest';
import { javaList, loadProcedure, NOW_SECONDS, refusal } from './support/procedure-sandbox.ts';

const procedure = loadProcedure('mcp-authorization-code.js');

const MCP = 'https://mcp.demo.example/';
const OPAQUE_TOKEN = '_0XBPWQQ_2fb1bc61-0e98-413c-a44d-d8a46d3bd2f2';

/** A dynamically registered MCP client as the registration policy leaves it. */
const mcpClient = {
  id: '15d64f90-5df1-4ab8-ae48-af0aa2e6d562',
  properties: { audiences: [MCP], client_type: 'mcp', client_assurance_level: 1 },
};

interface RunOptions {
  resource?: string;
  client?: unknown;
  refreshTokenData?: Record<string, unknown>;
  idTokenData?: Record<string, unknown>;
}

function tokenRequest(options: RunOptions = {}) {
  const issued = {
    delegations: [] as unknown[],
    accessTokens: [] as Array<{ data: Record<string, unknown>; delegation: unknown }>,
    refreshTokens: 0,
  };
  const delegation = { id: 'delegation-1' };
  const context = {
    client: options.client ?? mcpClient,
    getRequest: () => ({
      getFormParameter: (name: string) => (name === 'resource' ? (options.resource ?? null) : null),
    }),
    getDefaultDelegationData: () => ({ subject: 'john.doe@demo.example' }),
    delegationIssuer: {
      issue: (data: unknown) => {
        issued.delegations.push(data);
        return delegation;
      },
    },
    // What the server computes for this client: its configured audience and
    // the claims of the stocks/read scope.
    getDefaultAccessTokenData: () => ({
      sub: 'john.doe@demo.example',
      scope: 'stocks/read',
      aud: 'https://default.audience.example',
      exp: NOW_SECONDS + 900,
      region: 'USA',
      client_type: 'mcp',
      client_assurance_level: 1,
    }),
    accessTokenIssuer: {
      issue: (data: Record<string, unknown>, withDelegation: unknown) => {
        issued.accessTokens.push({ data: { ...data }, delegation: withDelegation });
        return OPAQUE_TOKEN;
      },
    },
    getDefaultRefreshTokenData: () => options.refreshTokenData ?? null,
    refreshTokenIssuer: {
      issue: () => {
        issued.refreshTokens += 1;
        return 'refresh-token';
      },
    },
    getDefaultIdTokenData: () => options.idTokenData ?? null,
    idTokenIssuer: {
      atHash: (token: string) => `hash-of-${token}`,
      issue: (data: Record<string, unknown>) => `id-token-with-${String(data['at_hash'])}`,
    },
  };
  return { context, issued, delegation };
}

describe('authorization code token procedure', () => {
  it('issues an opaque token for the requested MCP resource, with no refresh token', () => {
    const { context, issued, delegation } = tokenRequest({ resource: MCP });
    expect(procedure(context)).toEqual({
      access_token: OPAQUE_TOKEN,
      token_type: 'bearer',
      expires_in: 900,
      scope: 'stocks/read',
    });
    expect(issued.accessTokens).toHaveLength(1);
    expect(issued.accessTokens[0]?.data['aud']).toBe(MCP);
    expect(issued.accessTokens[0]?.delegation).toEqual(delegation);
    expect(issued.accessTokens[0]?.data).toMatchObject({ region: 'USA', client_type: 'mcp', client_assurance_level: 1 });
    expect(issued.refreshTokens).toBe(0);
  });

  it('keeps the client default audience when no resource is requested', () => {
    const { context, issued } = tokenRequest();
    procedure(context);
    expect(issued.accessTokens[0]?.data['aud']).toBe('https://default.audience.example');
  });

  it.each([
    ['an API the client was not registered for', 'https://api.demo.example'],
    ['the MCP server without its trailing slash', 'https://mcp.demo.example'],
    ['an unrelated site', 'https://evil.example/'],
  ])('refuses %s with invalid_target before issuing anything', (_case, resource) => {
    const { context, issued } = tokenRequest({ resource });
    const error = refusal(procedure, context);
    expect(error.status).toBe(400);
    expect(error.errorCode).toBe('invalid_target');
    expect(issued.delegations).toHaveLength(0);
    expect(issued.accessTokens).toHaveLength(0);
  });

  it.each([
    ['a Java list', javaList([MCP])],
    ['JSON text', JSON.stringify([MCP])],
    ['space separated text', `https://other.example/ ${MCP}`],
  ])('reads the stored audiences property as %s', (_case, audiences) => {
    const client = { id: 'dcr-client', properties: { audiences } };
    const { context, issued } = tokenRequest({ resource: MCP, client });
    procedure(context);
    expect(issued.accessTokens[0]?.data['aud']).toBe(MCP);
  });

  it('compares whole audiences, never parts of a stored text', () => {
    const client = { id: 'dcr-client', properties: { audiences: JSON.stringify([MCP]) } };
    const { context } = tokenRequest({ resource: 'https://mcp.demo', client });
    expect(refusal(procedure, context).errorCode).toBe('invalid_target');
  });

  it('allows the audiences of a statically configured client', () => {
    const client = { id: 'web-client', audiencesAsString: 'https://api.demo.example https://other.example', properties: {} };
    const { context, issued } = tokenRequest({ resource: 'https://api.demo.example', client });
    procedure(context);
    expect(issued.accessTokens[0]?.data['aud']).toBe('https://api.demo.example');
  });

  describe('a client described by a client ID metadata document (ephemeral client)', () => {
    // No stored properties: its client ID is the URL of its document.
    const ephemeral = { id: 'https://www.client.example/console-client.json' };

    it('may ask for the MCP server as its audience', () => {
      const { context, issued } = tokenRequest({ resource: MCP, client: ephemeral });
      procedure(context);
      expect(issued.accessTokens[0]?.data['aud']).toBe(MCP);
    });

    it.each([
      ['the API', 'https://api.demo.example'],
      ['its own URL', 'https://www.client.example/console-client.json'],
    ])('may not ask for %s', (_case, resource) => {
      const { context, issued } = tokenRequest({ resource, client: ephemeral });
      expect(refusal(procedure, context).errorCode).toBe('invalid_target');
      expect(issued.accessTokens).toHaveLength(0);
    });

    it('is told apart by the https scheme of its client ID only', () => {
      for (const id of ['http://www.client.example/console-client.json', 'mcp-server', 'xhttps://www.client.example/']) {
        const { context } = tokenRequest({ resource: MCP, client: { id } });
        expect(refusal(procedure, context).errorCode, id).toBe('invalid_target');
      }
    });
  });

  it('still issues refresh and ID tokens to clients that have them', () => {
    const { context, issued } = tokenRequest({
      resource: MCP,
      refreshTokenData: { exp: NOW_SECONDS + 3600 },
      idTokenData: { sub: 'john.doe@demo.example' },
    });
    const response = procedure(context);
    expect(response['refresh_token']).toBe('refresh-token');
    expect(response['id_token']).toBe(`id-token-with-hash-of-${OPAQUE_TOKEN}`);
    expect(issued.refreshTokens).toBe(1);
  });
});
