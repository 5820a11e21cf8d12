import { z } from 'zod';

/**
 * Raised when the environment does not satisfy a service's settings schema.
 * The message names every offending variable so an operator can fix them all
 * in one go rather than one restart at a time.
 */
export class ConfigurationError extends Error {
  readonly problems: readonly string[];

  constructor(service: string, problems: readonly string[]) {
    super(`${service}: invalid configuration\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigurationError';
    this.problems = problems;
  }
}

/**
 * Parses environment variables with a zod object schema whose keys are the
 * variable names. Returns the typed settings or throws a ConfigurationError.
 */
export function loadConfig<Schema extends z.ZodType>(
  service: string,
  schema: Schema,
  env: Record<string, string | undefined> = process.env,
): z.output<Schema> {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const variable = issue.path.map(String).join('.') || '(environment)';
    const detail = issue.code === 'invalid_type' && env[variable] === undefined ? 'is required but not set' : issue.message;
    return `${variable}: ${detail}`;
  });
  throw new ConfigurationError(service, problems);
}

/** Common field helpers so every service spells its variables the same way. */
/** An empty variable (`PORT=`) means "not set", not zero or the empty string. */
const unsetWhenEmpty = (value: unknown) => (value === '' ? undefined : value);

export const env = {
  port: (fallback: number) => z.preprocess(unsetWhenEmpty, z.coerce.number().int().min(0).max(65535).default(fallback)),
  url: () => z.url({ protocol: /^https?$/ }),
  /** A base URL normalised without a trailing slash. */
  baseUrl: () => z.url({ protocol: /^https?$/ }).transform((value) => value.replace(/\/+$/, '')),
  boolean: (fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'])
      .default(fallback ? 'true' : 'false')
      .transform((value) => value === 'true' || value === '1' || value === 'yes'),
  /** Comma separated list, blanks dropped. */
  list: (fallback: string[] = []) =>
    z
      .string()
      .default(fallback.join(','))
      .transform((value) =>
        value
          .split(',')
          .map((item) => item.trim())
          .filter((item) => item.length > 0),
      ),
  seconds: (fallback: number) => z.preprocess(unsetWhenEmpty, z.coerce.number().int().min(0).default(fallback)),
  logLevel: () => z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
};
