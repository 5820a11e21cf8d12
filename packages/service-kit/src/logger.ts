import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Field names that carry credentials. Tokens must never reach a log line, so
 * such fields are removed rather than masked (a masked prefix of a bearer
 * token is still a partial secret), under any of these names in any letter
 * case, at the top of a log object or nested up to SECRET_SEARCH_DEPTH levels
 * (a request's headers, a form, a token response).
 */
const SECRET_FIELDS = new Set([
  'authorization',
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'subject_token',
  'client_secret',
  'code_verifier',
  'password',
  'otp',
]);
const SECRET_SEARCH_DEPTH = 4;

/**
 * The value without secret fields. Objects and arrays are copied only along
 * the way to a field that goes, so the usual log object (a few plain fields)
 * is returned as it is after one look at its keys: this runs on every line,
 * the access line of every request included. Objects that define their own
 * JSON form (toJSON: dates, URLs) are left to it.
 */
export function withoutSecrets<Value>(value: Value, depth = 0): Value {
  if (value === null || typeof value !== 'object' || depth > SECRET_SEARCH_DEPTH) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((item: unknown, index) => {
      const cleaned = withoutSecrets(item, depth + 1);
      if (cleaned !== item) (copy ??= [...value])[index] = cleaned;
    });
    return (copy ?? value) as Value;
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return value;
  const record = value as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(record)) {
    if (SECRET_FIELDS.has(key.toLowerCase())) {
      copy ??= { ...record };
      delete copy[key];
      continue;
    }
    const inner = record[key];
    if (inner === null || typeof inner !== 'object') continue;
    const cleaned = withoutSecrets(inner, depth + 1);
    if (cleaned !== inner) (copy ??= { ...record })[key] = cleaned;
  }
  return (copy ?? value) as Value;
}

/**
 * How lines reach a file or stdout: collected until BUFFERED_LOG_BYTES are
 * waiting or FLUSH_INTERVAL_MS has passed, then written in one system call,
 * as nginx's `access_log ... buffer= flush=` does. Under load a line per
 * request would otherwise be a write per request. The write itself is
 * synchronous (pino's default): a few KiB at a time cost less on the event
 * loop than handing each write to libuv's thread pool and waking up for its
 * completion. Error and fatal lines are written at once, and whatever is
 * waiting is written when the process exits; only a process killed outright
 * loses its last interval.
 */
const BUFFERED_LOG_BYTES = 4096;
const FLUSH_INTERVAL_MS = 100;
const ERROR_LEVEL = 50;

type BufferedDestination = ReturnType<typeof pino.destination>;

/** Destinations still holding lines when the process exits; weakly held, so a dropped logger is not kept alive. */
const flushedAtExit = new Set<WeakRef<BufferedDestination>>();

function flushAtExit(destination: BufferedDestination): void {
  if (flushedAtExit.size === 0) {
    process.once('exit', () => {
      for (const ref of flushedAtExit) {
        try {
          ref.deref()?.flushSync();
        } catch {
          // A destination closed already has nothing left to write.
        }
      }
    });
  }
  flushedAtExit.add(new WeakRef(destination));
}

function bufferedDestination(dest: string | number): BufferedDestination {
  const destination = pino.destination({ dest, mkdir: typeof dest === 'string', sync: true, minLength: BUFFERED_LOG_BYTES, periodicFlush: FLUSH_INTERVAL_MS });
  flushAtExit(destination);
  return destination;
}

/**
 * A pino logger with the project's redaction rules. Logs to stdout unless a
 * file path or a stream is given (tests pass a stream to read what was logged;
 * a given stream gets each line as it is logged).
 */
export function createLogger(name: string, level = 'info', output?: string | DestinationStream): Logger {
  const buffered = typeof output === 'object' ? undefined : bufferedDestination(output ?? 1);
  const destination: DestinationStream = buffered ?? (output as DestinationStream);
  const options = {
    name,
    level,
    // Secrets go from every line's object here, and from child bindings below: pino's
    // redact option, which did both, parses each of its paths again on every line.
    formatters: { log: withoutSecrets },
    base: { service: name },
    timestamp: pino.stdTimeFunctions.isoTime,
    hooks: {
      logMethod(this: Logger, args: Parameters<Logger['info']>, write: Logger['info'], level: number) {
        write.apply(this, args);
        if (level >= ERROR_LEVEL) buffered?.flush();
      },
    },
  };
  const logger = pino(options, destination);
  // Children are made from their parent's prototype chain, so this also serves children of children.
  const child = logger.child;
  logger.child = function childWithoutSecrets(this: Logger, bindings, childOptions) {
    return child.call(this, withoutSecrets(bindings), childOptions);
  } as Logger['child'];
  return logger;
}

/** JWTs (three dot-separated base64url runs) and long opaque tokens, as they might appear inside an error message. */
const TOKEN_LIKE = /[A-Za-z0-9_-]{16,}(?:\.[A-Za-z0-9_-]*){0,2}/g;

/**
 * Log fields for an error nobody anticipated. Stack traces stay out of the
 * logs (they are shipped off the machine), and anything in the message that
 * looks like a token is cut out: a library may quote a header or URL it choked
 * on, and redaction by path cannot see inside a message string.
 */
export function errorFields(error: unknown): { errorName: string; errorCode?: string; errorMessage?: string } {
  if (!(error instanceof Error)) return { errorName: typeof error };
  const code = (error as { code?: unknown }).code;
  return {
    errorName: error.name,
    ...(typeof code === 'string' || typeof code === 'number' ? { errorCode: String(code) } : {}),
    errorMessage: error.message.replace(TOKEN_LIKE, '[redacted]').slice(0, 300),
  };
}
