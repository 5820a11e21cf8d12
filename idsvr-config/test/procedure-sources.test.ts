// Curity runs procedures as ECMAScript 5.1 and calls their result(context)
// function: newer syntax would only fail once the server loads the file.
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { folder } from './support/curity-config.ts';
import { procedureSource } from './support/procedure-sandbox.ts';

const procedures = readdirSync(new URL('procedures/', folder)).filter((name) => name.endsWith('.js'));

/** The source without comments and string literals, so only code is checked. */
function codeOnly(source: string): string {
  return source
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\/\/.*$/gm, '')
    .replace(/'(?:[^'\\\n]|\\.)*'/g, "''")
    .replace(/"(?:[^"\\\n]|\\.)*"/g, '""');
}

describe.each(procedures)('procedures/%s', (name) => {
  const source = procedureSource(name);
  const code = codeOnly(source);

  it('declares the result(context) entry point', () => {
    expect(code).toMatch(/^function result\(context\) \{$/m);
  });

  it('uses only ECMAScript 5.1 syntax', () => {
    expect(code).not.toMatch(/\b(let|const|class|async|await|yield)\b/);
    expect(code).not.toMatch(/=>/);
    expect(code).not.toMatch(/`/);
    expect(code).not.toMatch(/\.\.\./);
    expect(code).not.toMatch(/\?\.|\?\?/);
    expect(code).not.toMatch(/\b(import|export)\b/);
  });

  it('says which Curity context type it receives', () => {
    expect(source).toMatch(/@param \{se\.curity\.identityserver\.procedures\.[A-Za-z.]+Context\} context/);
  });
});
