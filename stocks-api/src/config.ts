import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ASYMMETRIC_ALGORITHMS, type AsymmetricAlgorithm } from '@mcp-demo/access-token';
import { env, loadConfig } from '@mcp-demo/service-kit';

export const SERVICE_NAME = 'stocks-api';

export const BUNDLED_STOCKS_FILE = fileURLToPath(new URL('../data/stocks.json', import.meta.url));

function isAsymmetric(value: string): value is AsymmetricAlgorithm {
  return (ASYMMETRIC_ALGORITHMS as readonly string[]).includes(value);
}

// Symmetric algorithms and `none` are refused here already, so a
// misconfiguration stops the service at start-up instead of weakening it.
const algorithms = env.list(['PS256']).transform((values, ctx) => {
  const refused = values.filter((value) => !isAsymmetric(value));
  if (refused.length > 0) {
    ctx.addIssue({
      code: 'custom',
      message: `${refused.join(', ')} not allowed; use asymmetric algorithms only (${ASYMMETRIC_ALGORITHMS.join(', ')})`,
    });
    return z.NEVER;
  }
  if (values.length === 0) {
    ctx.addIssue({ code: 'custom', message: 'at least one algorithm is required' });
    return z.NEVER;
  }
  return values.filter(isAsymmetric);
});

export const settingsSchema = z.object({
  PORT: env.port(3001),
  HOST: z.string().trim().min(1).default('127.0.0.1'),
  /** Compared byte for byte with the token's iss claim, so no normalisation. */
  ISSUER: env.url(),
  JWKS_URI: env.url(),
  AUDIENCE: z.string().trim().min(1).default('https://api.demo.example'),
  ALGORITHMS: algorithms,
  REQUIRED_SCOPE: z
    .string()
    .trim()
    .min(1)
    .regex(/^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/, 'must be space separated scope tokens (RFC 6749 section 3.3)')
    .default('stocks/read'),
  CLOCK_TOLERANCE_SECONDS: env.seconds(5).pipe(z.number().max(300, 'must be at most 300 seconds')),
  STOCKS_DATA_FILE: z.string().trim().min(1).default(BUNDLED_STOCKS_FILE),
  LOG_LEVEL: env.logLevel(),
});

export type Settings = z.output<typeof settingsSchema>;

export function loadSettings(source: Record<string, string | undefined> = process.env): Settings {
  return loadConfig(SERVICE_NAME, settingsSchema, source);
}
