// The procedure sandbox offers only the procedure API members listed in
// support/procedure-api.ts, each with its source, and fails loudly on
// anything else.
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readText } from './support/curity-config.ts';
import { CONTEXT_OF_PROCEDURE, PROCEDURE_API, unconfirmedMembers } from './support/procedure-api.ts';
import { loadProcedureSource, procedureSource } from './support/procedure-sandbox.ts';

const claimsContext = {
  client: { id: 'dcr-client', properties: {}, secret: 'never offered' },
  subjectAttributes: { subject: 'john.doe@demo.example' },
  getAttributeDataSource: () => ({ getAttributes: () => ({ getRow: () => ({ attributes: '{}' }) }) }),
  // A member the mock has but Curity does not document for this context.
  getSessionManager: () => ({}),
};

function run(body: string): () => Record<string, unknown> {
  const procedure = loadProcedureSource(`function result(context) { ${body} }`, 'ClaimsProviderProcedureContext');
  return () => procedure(claimsContext);
}

describe('procedure sandbox', () => {
  it('lets a procedure read the documented members of its context, and of the objects they return', () => {
    expect(run('return { id: context.client.id, row: context.getAttributeDataSource().getAttributes("x").getRow(0).attributes };')()).toEqual({
      id: 'dcr-client',
      row: '{}',
    });
  });

  it('throws on a context member Curity does not document, even when the test context has it', () => {
    expect(run('context.getSessionManager(); return {};')).toThrow(
      'ClaimsProviderProcedureContext.getSessionManager is not a documented member of the Curity procedure API',
    );
  });

  it('throws on an undocumented member of a nested API object', () => {
    expect(run('return { secret: context.client.secret };')).toThrow('OAuthClient.secret is not a documented member');
    expect(run('context.getAttributeDataSource().getAllRows(); return {};')).toThrow('AttributeDataSource.getAllRows is not a documented member');
  });

  it('offers only the documented globals and their documented members', () => {
    expect(run('logger.info("x"); return {};')).toThrow(/logger is not defined/);
    expect(run('throw exceptionFactory.forbiddenException("no");')).toThrow('ExceptionFactory.forbiddenException is not a documented member');
    expect(Object.keys(PROCEDURE_API['Globals'] ?? {}).sort()).toEqual(['exceptionFactory', 'secondsUntil']);
  });

  it('names a source for every member it offers', () => {
    for (const [type, members] of Object.entries(PROCEDURE_API)) {
      for (const [name, member] of Object.entries(members)) {
        expect(member.source.length, `${type}.${name}`).toBeGreaterThan(10);
        for (const referenced of [member.type, member.returns]) {
          if (referenced) expect(PROCEDURE_API[referenced], `${type}.${name} refers to ${referenced}`).toBeDefined();
        }
      }
    }
  });

  it('knows the context type of every procedure, as the procedure\'s own @param says', () => {
    const files = readdirSync(new URL('../procedures/', import.meta.url)).filter((name) => name.endsWith('.js')).sort();
    expect(Object.keys(CONTEXT_OF_PROCEDURE).sort()).toEqual(files);
    for (const file of files) {
      const declared = /@param \{se\.curity\.identityserver\.procedures\.(?:context|claims)\.(\w+)\} context/.exec(procedureSource(file))?.[1];
      expect(declared, file).toBe(CONTEXT_OF_PROCEDURE[file]);
      expect(PROCEDURE_API[declared ?? ''], file).toBeDefined();
    }
  });

  it('has every member that no Curity document confirms listed in README.md', () => {
    const readme = readText('README.md');
    const unconfirmed = unconfirmedMembers();
    expect(unconfirmed.length).toBeGreaterThan(0);
    for (const member of unconfirmed) expect(readme, member).toContain(`\`${member}\``);
  });
});
