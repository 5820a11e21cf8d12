import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Paths that may carry credentials. Tokens must never reach a log line, so
 * they are removed rather than masked: a masked prefix of a bearer token is
 * still a partial secret.
 */
const SECRET_PATHS = [
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  'request.headers.authorization',
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'subject_token',
  'client_secret',
  'code_verifier',
  'password',
  'otp',
  '*.authorization',
  '*.token',
  '*.access_token',
  '*.subject_token',
  '*.client_secret',
];

/**
 * A pino logger with the project's redaction rules. Logs to stdout unless a
 * file path or a stream is given (tests pass a stream to read what was logged).
 * Files and stdout are written asynchronously: lines that arrive while a write
 * is under way go out together in the next one, rather than one system call
 * per line on the request path; pino flushes what is left when the process
 * exits.
 */
export function createLogger(name: string, level = 'info', output?: string | DestinationStream): Logger {
  const destination: DestinationStream =
    typeof output === 'string' ? pino.destination({ dest: output, mkdir: true, sync: false }) : (output ?? pino.destination({ dest: 1, sync: false }));
  const options = {
    name,
    level,
    redact: { paths: SECRET_PATHS, remove: true },
    base: { service: name },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return pino(options, destination);
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
