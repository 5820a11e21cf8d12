import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Errors reach the logs only through `errorFields`: pino serialises an error
 * object (`{ err }`, `{ error }`, or the error as first argument) with its
 * stack, and an unredacted message may quote a token. This test reads the
 * services' TypeScript sources and refuses logger calls that pass an error
 * object or a stack. It is a text scan, not a type check: it knows the names
 * errors go by in this code base (`err`, `error`, `e`, `cause`).
 */

const REPO_ROOT = resolve(import.meta.dirname, '..', '..', '..');

/** Every workspace's `src`, and the local profile's gateway and launcher, which have no `src`. */
function sourceFolders(): string[] {
  const { workspaces } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { workspaces: string[] };
  const folders = workspaces.flatMap((pattern) =>
    pattern.endsWith('/*') ? readdirSync(join(REPO_ROOT, pattern.slice(0, -2))).map((name) => `${pattern.slice(0, -2)}/${name}`) : [pattern],
  );
  return [...folders.map((folder) => `${folder}/src`), 'local/gateway', 'local/launcher'].filter((folder) => existsSync(join(REPO_ROOT, folder)));
}

function typeScriptFiles(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    if (name === 'node_modules') return [];
    if (statSync(path).isDirectory()) return typeScriptFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/** `log.error(`, `res.locals.log?.warn(`, `console.error(`, and a logger returned by a call: `loggerOf(ctx, logger).error(`. */
const LOGGER_CALL = /\b([A-Za-z_$][\w$]*(?:\??\.[A-Za-z_$][\w$]*)*)(\([^()]*\))?\??\.(?:fatal|error|warn|info|debug|trace)\(/g;
const ERROR_NAME = '(?:err|error|e|cause)';
const RULES: Array<{ pattern: RegExp; why: string }> = [
  { pattern: /\.stack\b/, why: 'logs a stack trace' },
  { pattern: new RegExp(`[{,]\\s*${ERROR_NAME}\\s*[,}:]`), why: 'passes an error object as a field' },
  { pattern: new RegExp(`^\\s*${ERROR_NAME}\\s*(?:,|$)`), why: 'passes an error object as the merging object' },
  { pattern: new RegExp(`\\.\\.\\.\\s*\\(?\\s*${ERROR_NAME}\\b`), why: 'spreads an error object' },
];

/** The argument text of the call whose opening parenthesis is at `open`, strings skipped. */
function argumentsAt(source: string, open: number): string {
  let depth = 0;
  let quote: string | undefined;
  for (let index = open; index < source.length; index += 1) {
    const char = source[index];
    if (quote) {
      if (char === '\\') index += 1;
      else if (char === quote) quote = undefined;
      continue;
    }
    if (char === "'" || char === '"' || char === '`') quote = char;
    else if (char === '(' || char === '{' || char === '[') depth += 1;
    else if (char === ')' || char === '}' || char === ']') {
      depth -= 1;
      if (depth === 0) return source.slice(open + 1, index);
    }
  }
  return source.slice(open + 1);
}

/** String literals blanked out, so a message that says "error:" is not mistaken for a field. */
const withoutStrings = (text: string) => text.replace(/'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*"|`(?:\\.|[^`\\])*`/g, "''");

export function rawErrorLogging(source: string): Array<{ line: number; call: string; why: string }> {
  const findings: Array<{ line: number; call: string; why: string }> = [];
  for (const match of source.matchAll(LOGGER_CALL)) {
    const receiver = match[1] ?? '';
    const last = receiver.split(/\??\./).at(-1) ?? '';
    const isLogger = match[2] === undefined ? /log(?:ger)?$/i.test(last) || last === 'console' : /^log/i.test(last);
    if (!isLogger) continue;
    const start = match.index ?? 0;
    const args = withoutStrings(argumentsAt(source, start + match[0].length - 1));
    for (const { pattern, why } of RULES) {
      if (pattern.test(args)) {
        findings.push({ line: source.slice(0, start).split('\n').length, call: `${match[0]}${args.slice(0, 80)}`.replace(/\s+/g, ' '), why });
        break;
      }
    }
  }
  return findings;
}

describe('the error-logging scan', () => {
  it.each([
    ["log.error({ err: error }, 'request failed')", 'passes an error object as a field'],
    ["logger.error({ err }, 'failed')", 'passes an error object as a field'],
    ["res.locals.log.warn({ requestId, error }, 'failed')", 'passes an error object as a field'],
    ["logger.warn({ error: { name: (error as Error).name, message: (error as Error).message } }, 'x')", 'passes an error object as a field'],
    ["log?.error(error, 'failed')", 'passes an error object as the merging object'],
    ["console.error(err)", 'passes an error object as the merging object'],
    ["logger.error({ ...error }, 'failed')", 'spreads an error object'],
    ["logger.info({ detail: (e as Error).stack }, 'x')", 'logs a stack trace'],
    ["loggerOf(ctx, logger).error({ error: { name: error?.name } }, 'x')", 'passes an error object as a field'],
  ])('catches %s', (code, why) => {
    expect(rawErrorLogging(`try { work(); } catch (error) {\n  ${code};\n}`)).toEqual([{ line: 2, call: expect.any(String), why }]);
  });

  it.each([
    "logger.error(errorFields(error), 'failed')",
    "res.locals.log.error({ ...errorFields(error), requestId }, 'failed')",
    "log.info({ reason: 'error: the words in a message' }, 'error: text')",
    "log.info({ errorCode: code, errors: 3 }, 'counted')",
    "report.error(error)",
    "loggerOf(ctx, logger).info({ oauthError: error?.error, status: error?.status }, 'refused')",
  ])('accepts %s', (code) => {
    expect(rawErrorLogging(code)).toEqual([]);
  });
});

describe('service sources', () => {
  it('scans every workspace, the gateway and the launcher', () => {
    expect(sourceFolders()).toEqual(expect.arrayContaining(['packages/service-kit/src', 'stocks-api/src', 'utility-mcp-server/src', 'authorization-server/src', 'local/gateway', 'local/launcher']));
  });

  it('log errors only through errorFields', () => {
    const findings = sourceFolders()
      .flatMap((folder) => typeScriptFiles(join(REPO_ROOT, folder)))
      .flatMap((file) => rawErrorLogging(readFileSync(file, 'utf8')).map((found) => `${relative(REPO_ROOT, file)}:${found.line}: ${found.why}: ${found.call}`));
    expect(findings).toEqual([]);
  });
});
