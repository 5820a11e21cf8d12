// The claims provider procedure behind region, client_type and
// client_assurance_level, fed with the accounts that db/seed-users.sql creates.
import { describe, expect, it } from 'vitest';
import { loadProcedure } from './support/procedure-sandbox.ts';
import { approvedUsers, seededAccounts } from './support/seed-users.ts';

const procedure = loadProcedure('mcp-claims-provider.js');

/** An attribute data source whose query returns the seeded attributes column as JSON text. */
function claimsRequest(subject: string, clientProperties: Record<string, unknown> | null, client?: Record<string, unknown>) {
  const accounts = new Map(seededAccounts().map((account) => [account.username, JSON.stringify(account.attributes)]));
  return {
    subjectAttributes: { subject },
    client: client ?? (clientProperties === null ? { id: 'static-client' } : { id: 'dcr-client', properties: clientProperties }),
    getAttributeDataSource: () => ({
      getAttributes: (username: string) => ({
        getRow: (index: number) => {
          const attributes = accounts.get(username);
          if (index !== 0 || attributes === undefined) {
            throw new Error('no such row');
          }
          return { attributes };
        },
      }),
    }),
  };
}

const mcpClientProperties = { client_type: 'mcp', client_assurance_level: 1, name: 'MCP Inspector' };

describe('claims provider for stocks/read', () => {
  it.each(approvedUsers().map((user) => [user.email, user.region] as const))(
    'gives %s the region %s from the seeded account',
    (email, region) => {
      expect(procedure(claimsRequest(email, mcpClientProperties))).toEqual({
        region,
        client_type: 'mcp',
        client_assurance_level: 1,
      });
    },
  );

  it('turns an assurance level stored as text into a number', () => {
    const claims = procedure(claimsRequest('john.doe@demo.example', { client_type: 'mcp', client_assurance_level: '1' }));
    expect(claims['client_assurance_level']).toBe(1);
  });

  it('gives no client claims to a client without the MCP properties', () => {
    expect(procedure(claimsRequest('jane.test@demo.example', null))).toEqual({ region: 'Europe' });
  });

  it('gives a client described by a client ID metadata document the claims of every MCP client', () => {
    const ephemeral = { id: 'https://www.client.example/mcp-inspector.json' };
    expect(procedure(claimsRequest('jane.test@demo.example', null, ephemeral))).toEqual({
      region: 'Europe',
      client_type: 'mcp',
      client_assurance_level: 1,
    });
  });

  it('gives no client claims to a static client with a plain client ID', () => {
    expect(procedure(claimsRequest('jane.test@demo.example', null, { id: 'mcp-server' }))).toEqual({ region: 'Europe' });
  });

  it('gives no region for an unknown user', () => {
    expect(procedure(claimsRequest('nobody@demo.example', mcpClientProperties))).toEqual({
      client_type: 'mcp',
      client_assurance_level: 1,
    });
  });

  it('reads attributes that the driver already parsed', () => {
    const context = {
      ...claimsRequest('john.doe@demo.example', null),
      getAttributeDataSource: () => ({
        getAttributes: () => ({ getRow: () => ({ attributes: { region: 'USA' } }) }),
      }),
    };
    expect(procedure(context)).toEqual({ region: 'USA' });
  });
});
