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
 */
export function createLogger(name: string, level = 'info', output?: string | DestinationStream): Logger {
  const destination: DestinationStream | undefined =
    typeof output === 'string' ? pino.destination({ dest: output, mkdir: true, sync: false }) : output;
  const options = {
    name,
    level,
    redact: { paths: SECRET_PATHS, remove: true },
    base: { service: name },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination ? pino(options, destination) : pino(options);
}
