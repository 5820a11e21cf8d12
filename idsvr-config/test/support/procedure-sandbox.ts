// Runs a Curity JavaScript procedure outside the server: the file is
// evaluated in a fresh `vm` context that provides the few globals Curity
// gives procedures and that these procedures use (exceptionFactory,
// secondsUntil). Contexts are plain objects built by each test; the
// procedure sees them through procedure-api.ts, which lets it read only the
// members Curity documents for its context type and throws on anything else.
import { readFileSync } from 'node:fs';
import { createContext, runInContext } from 'node:vm';
import { asApiObject, CONTEXT_OF_PROCEDURE, PROCEDURE_API } from './procedure-api.ts';

/** The fixed "now" of every procedure run, in seconds since the epoch. */
export const NOW_SECONDS = 1_762_336_403;

/** The error that exceptionFactory creates; the server answers it with an OAuth error response. */
export class ProcedureError extends Error {
  readonly status: number;
  readonly errorCode: string | undefined;

  constructor(status: number, errorCode: string | undefined, message: string) {
    super(message);
    this.name = 'ProcedureError';
    this.status = status;
    this.errorCode = errorCode;
  }
}

const exceptionFactory = {
  badRequestException(codeOrMessage?: string, message?: string): ProcedureError {
    return message === undefined
      ? new ProcedureError(400, undefined, codeOrMessage ?? 'Bad request')
      : new ProcedureError(400, codeOrMessage, message);
  },
};

export type Procedure = (context: unknown) => Record<string, unknown>;

export function procedureSource(fileName: string): string {
  return readFileSync(new URL(`../../procedures/${fileName}`, import.meta.url), 'utf8');
}

const globals: Record<string, unknown> = {
  exceptionFactory: asApiObject(exceptionFactory, 'ExceptionFactory'),
  secondsUntil: (epochSeconds: number) => epochSeconds - NOW_SECONDS,
};

/** Loads procedures/<fileName> and returns its result(context) function. */
export function loadProcedure(fileName: string): Procedure {
  const contextType = CONTEXT_OF_PROCEDURE[fileName];
  if (!contextType) throw new Error(`procedure-api.ts names no context type for ${fileName}`);
  return loadProcedureSource(procedureSource(fileName), contextType, fileName);
}

/** Evaluates a procedure's source; its result(context) sees the context as the API type contextType. */
export function loadProcedureSource(source: string, contextType: string, fileName = 'procedure.js'): Procedure {
  const sandbox: Record<string, unknown> = {};
  for (const name of Object.keys(PROCEDURE_API['Globals'] ?? {})) sandbox[name] = globals[name];
  createContext(sandbox);
  runInContext(source, sandbox, { filename: fileName });

  const result = sandbox['result'];
  if (typeof result !== 'function') {
    throw new Error(`${fileName} defines no result(context) function`);
  }
  // Copy the answer out of the sandbox's realm so that assertions compare
  // plain objects of this realm.
  return (context) => structuredClone(result(asApiObject(context as object, contextType)) as Record<string, unknown>);
}

/** Runs a procedure that is expected to refuse the request and returns the refusal. */
export function refusal(procedure: Procedure, context: unknown): ProcedureError {
  try {
    procedure(context);
  } catch (error) {
    if (error instanceof ProcedureError) {
      return error;
    }
    throw error;
  }
  throw new Error('the procedure accepted a request it should refuse');
}

/** A Java list as scripts see it: size() and get(i), no JavaScript array methods. */
export function javaList<T>(items: T[]): { size(): number; get(index: number): T | undefined } {
  return {
    size: () => items.length,
    get: (index: number) => items[index],
  };
}
