import { z } from 'zod';

/**
 * Raised when the environment does not satisfy a service's settings schema.
 * The message names every offending variable so an operator can fix them all
 * in one go rather than one restart at a time.
 */
export class ConfigurationError extends Error {
  readonly problems: readonly string[];

  constructor(service: string, problems: readonly string[]) {
    super(`${service}: invalid configuration\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
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
    const unset = isBlank(env[variable] ?? '');
    const detail = issue.code === 'invalid_type' && unset ? 'is required but not set' : issue.message;
    return `${variable}: ${detail}`;
  });
  throw new ConfigurationError(service, problems);
}

/**
 * An empty or whitespace-only variable (`PORT=`, `PORT=" "`, or a line copied
 * from an example file and left blank) means "not set": the default applies, or a required variable is
 * reported as missing, instead of the empty string becoming 0, false or an
 * invalid URL.
 */
const isBlank = (value: unknown): boolean => typeof value === 'string' && value.trim() === '';
const unsetWhenEmpty = (value: unknown) => (isBlank(value) ? undefined : value);

/** `schema`, or undefined when the variable is unset or blank. */
const optional = <Schema extends z.ZodType>(schema: Schema) => z.preprocess(unsetWhenEmpty, schema.optional());

const wholeNumberIn = (min: number, max: number) =>
  z.coerce
    .number({ error: 'must be a whole number' })
    .int({ error: 'must be a whole number' })
    .min(min, { error: `must be at least ${min}` })
    .max(max, { error: `must be at most ${max}` });

const wholeNumber = (fallback: number, min: number, max: number) => z.preprocess(unsetWhenEmpty, wholeNumberIn(min, max).default(fallback));

const PORT_RANGE = [0, 65_535] as const;

const httpUrl = () => z.url({ protocol: /^https?$/, error: 'must be an http or https URL' });

const trimmedText = () => z.string().trim().min(1, { error: 'must not be blank' });

/**
 * Field helpers, so every service spells and checks its variables the same
 * way. Blanks are turned into "unset" inside each helper, so a `.optional()`
 * or `.default()` added around one still sees the blank: use the `optional…`
 * helpers and the helpers' own fallbacks instead.
 */
export const env = {
  port: (fallback: number) => wholeNumber(fallback, ...PORT_RANGE),
  /** A port, or undefined when unset: for a listener that is off unless asked for. */
  optionalPort: () => optional(wholeNumberIn(...PORT_RANGE)),
  url: () => z.preprocess(unsetWhenEmpty, httpUrl()),
  optionalUrl: () => optional(httpUrl()),
  /** A base URL normalised without a trailing slash. */
  baseUrl: () => z.preprocess(unsetWhenEmpty, httpUrl().transform((value) => value.replace(/\/+$/, ''))),
  /** A PostgreSQL connection URL (postgres:// or postgresql://), or undefined when unset. */
  optionalPostgresUrl: () =>
    optional(z.string().trim().regex(/^postgres(ql)?:\/\//, { error: 'must be a postgres:// or postgresql:// URL' })),
  boolean: (fallback: boolean) =>
    z.preprocess(
      unsetWhenEmpty,
      z
        .enum(['true', 'false', '1', '0', 'yes', 'no'])
        .default(fallback ? 'true' : 'false')
        .transform((value) => value === 'true' || value === '1' || value === 'yes'),
    ),
  /** Comma separated list, blank items dropped. */
  list: (fallback: string[] = []) =>
    z.preprocess(
      unsetWhenEmpty,
      z
        .string()
        .default(fallback.join(','))
        .transform((value) =>
          value
            .split(',')
            .map((item) => item.trim())
            .filter((item) => item.length > 0),
        ),
    ),
  /** Free text, trimmed; required unless a fallback is given. */
  text: (fallback?: string) => z.preprocess(unsetWhenEmpty, fallback === undefined ? trimmedText() : trimmedText().default(fallback)),
  /** Free text, trimmed, or undefined when unset. */
  optionalText: () => optional(trimmedText()),
  /** A credential: required, and taken exactly as written (no trimming). */
  secret: () => z.preprocess(unsetWhenEmpty, z.string()),
  /**
   * A credential with a demo value for a profile that must run out of the
   * box (never for a service built into an image: those require `secret`).
   * A set value is taken exactly as written.
   */
  demoSecret: (demoValue: string) => z.preprocess(unsetWhenEmpty, z.string().default(demoValue)),
  seconds: (fallback: number, max = Number.MAX_SAFE_INTEGER) => wholeNumber(fallback, 0, max),
  /** A bounded whole number that is not a port or a duration in seconds: milliseconds, a cache size. */
  integer: (fallback: number, bounds: { min?: number; max?: number } = {}) =>
    wholeNumber(fallback, bounds.min ?? 0, bounds.max ?? Number.MAX_SAFE_INTEGER),
  /** One of a fixed set of words, `fallback` when unset. */
  oneOf: <const Choice extends string>(choices: readonly [Choice, ...Choice[]], fallback: NoInfer<Choice>) =>
    z.preprocess(unsetWhenEmpty, z.enum(choices, { error: `must be one of ${choices.join(', ')}` }).default(fallback)),
  logLevel: () => env.oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
};
