import { z } from 'zod';
import { setHeader, type HeaderMap } from '../headers.ts';
import { kongError, type GatewayRequest, type GatewayPlugin } from './types.ts';

/**
 * Kong's bundled rate-limiting plugin (priority 910) with the `local`
 * policy, as Kong 3.9's kong/plugins/rate-limiting/handler.lua and
 * policies/init.lua do it:
 *
 * - fixed windows aligned to UTC calendar periods (second, minute, hour,
 *   day, month, year), one counter per plugin instance, caller and window;
 * - a request is refused once a window's count has reached its limit, and a
 *   refused request is not counted;
 * - X-RateLimit-Limit-<Period>, X-RateLimit-Remaining-<Period> and
 *   RateLimit-Limit/-Remaining/-Reset (the period with the fewest requests
 *   left; on a tie the longer one) on every response of the route, unless
 *   hide_client_headers; a refusal also gets Retry-After and Kong's error
 *   body, 429 `{"message":"API rate limit exceeded",...}` by default.
 *
 * The local gateway has no consumers or credentials, so limit_by consumer
 * and credential count per client address, which is what Kong does when no
 * consumer is identified. limit_by service/header/path and the redis policy
 * are refused when kong.yml is loaded. Counters live in the gateway's memory
 * (Kong's local policy: in the node's shared memory), so a restart resets
 * them.
 */

export const RATE_LIMITING_PRIORITY = 910;

const PERIODS = ['second', 'minute', 'hour', 'day', 'month', 'year'] as const;
type Period = (typeof PERIODS)[number];

// kong/plugins/rate-limiting/expiration.lua: the window lengths in seconds
// that Reset and Retry-After count from.
const WINDOW_SECONDS: Record<Period, number> = { second: 1, minute: 60, hour: 3600, day: 86400, month: 2592000, year: 31536000 };

const HEADER_PERIOD: Record<Period, string> = { second: 'Second', minute: 'Minute', hour: 'Hour', day: 'Day', month: 'Month', year: 'Year' };

const limit = z.number().gt(0).nullish();

export const rateLimitingConfigSchema = z
  .strictObject({
    second: limit,
    minute: limit,
    hour: limit,
    day: limit,
    month: limit,
    year: limit,
    limit_by: z
      .enum(['consumer', 'credential', 'ip', 'service', 'header', 'path'])
      .default('consumer')
      .refine((value) => value === 'consumer' || value === 'credential' || value === 'ip', {
        error: 'the local gateway limits per client address only (limit_by ip, or consumer/credential, which fall back to it)',
      }),
    header_name: z.null({ error: 'header_name is not supported by the local gateway' }).optional(),
    path: z.null({ error: 'path is not supported by the local gateway' }).optional(),
    policy: z.enum(['local', 'redis']).default('local').refine((value) => value === 'local', { error: 'only the local policy is supported by the local gateway' }),
    fault_tolerant: z.boolean().default(true),
    hide_client_headers: z.boolean().default(false),
    error_code: z.number().gt(0).default(429),
    error_message: z.string().default('API rate limit exceeded'),
    sync_rate: z.literal(-1, { error: 'sync_rate can only be used with the redis policy' }).default(-1),
  })
  .superRefine((config, context) => {
    const set = PERIODS.filter((period) => typeof config[period] === 'number');
    if (set.length === 0) context.addIssue({ code: 'custom', message: 'at least one of second, minute, hour, day, month, year is required' });
    // Kong's validate_periods_order: a longer period never allows fewer requests.
    for (const [index, shorter] of set.entries()) {
      for (const longer of set.slice(index + 1)) {
        if ((config[longer] as number) < (config[shorter] as number)) {
          context.addIssue({ code: 'custom', path: [longer], message: `the limit for ${longer} cannot be lower than the limit for ${shorter}` });
        }
      }
    }
  });

export type RateLimitingConfig = z.output<typeof rateLimitingConfigSchema>;

/** Start of the UTC calendar period containing `nowMs` (Kong's kong.tools.timestamp.get_timestamps). */
export function periodStart(period: Period, nowMs: number): number {
  const date = new Date(Math.floor(nowMs / 1000) * 1000);
  switch (period) {
    case 'second':
      return date.getTime();
    case 'minute':
      return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate(), date.getUTCHours(), date.getUTCMinutes());
    case 'hour':
      return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate(), date.getUTCHours());
    case 'day':
      return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
    case 'month':
      return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
    case 'year':
      return Date.UTC(date.getUTCFullYear(), 0, 1);
  }
}

export interface RateLimitingOptions {
  /** Milliseconds since the epoch; tests move it. */
  now?: () => number;
  /** Bound of the counters kept; expired ones are dropped first. Default 100 000. */
  maxCounters?: number;
}

interface Counter {
  start: number;
  count: number;
}

export function rateLimitingPlugin(config: RateLimitingConfig, options: RateLimitingOptions = {}): GatewayPlugin {
  const now = options.now ?? Date.now;
  const maxCounters = options.maxCounters ?? 100_000;
  const limits = PERIODS.flatMap((period) => (typeof config[period] === 'number' ? [{ period, limit: config[period] }] : []));
  const counters = new Map<string, Counter>();
  const headersOf = new WeakMap<GatewayRequest, HeaderMap>();

  const usage = (key: string, start: number) => {
    const counter = counters.get(key);
    return counter && counter.start === start ? counter.count : 0;
  };

  const prune = (nowMs: number) => {
    for (const [key, counter] of counters) {
      const period = key.slice(0, key.indexOf(' ')) as Period;
      if (counter.start !== periodStart(period, nowMs)) counters.delete(key);
    }
    // Still full: forget the oldest callers rather than grow without bound.
    for (const key of counters.keys()) {
      if (counters.size < maxCounters) break;
      counters.delete(key);
    }
  };

  return {
    name: 'rate-limiting',
    priority: RATE_LIMITING_PRIORITY,
    access(gatewayRequest) {
      // Kong counts with second precision (ngx.time()).
      const nowMs = Math.floor(now() / 1000) * 1000;
      const caller = gatewayRequest.clientAddress;
      const windows = limits.map(({ period, limit: allowed }) => {
        const start = periodStart(period, nowMs);
        const key = `${period} ${caller}`;
        return { period, allowed, start, key, remaining: allowed - usage(key, start) };
      });
      const stop = windows.find((window) => window.remaining <= 0)?.period;

      const headers: HeaderMap = {};
      let chosen: { remaining: number; window: number; limit: number; reset: number } | undefined;
      for (const window of windows) {
        const remaining = Math.max(0, stop === undefined || stop === window.period ? window.remaining - 1 : window.remaining);
        const length = WINDOW_SECONDS[window.period];
        if (!chosen || remaining < chosen.remaining || (remaining === chosen.remaining && length > chosen.window)) {
          const reset = Math.max(1, length - Math.floor((nowMs - window.start) / 1000));
          chosen = { remaining, window: length, limit: window.allowed, reset };
        }
        setHeader(headers, `X-RateLimit-Limit-${HEADER_PERIOD[window.period]}`, String(window.allowed));
        setHeader(headers, `X-RateLimit-Remaining-${HEADER_PERIOD[window.period]}`, String(remaining));
      }
      if (chosen) {
        setHeader(headers, 'RateLimit-Limit', String(chosen.limit));
        setHeader(headers, 'RateLimit-Remaining', String(chosen.remaining));
        setHeader(headers, 'RateLimit-Reset', String(chosen.reset));
      }

      if (stop !== undefined) {
        if (config.hide_client_headers) return kongError(config.error_code, config.error_message, gatewayRequest.requestId);
        if (chosen) setHeader(headers, 'Retry-After', String(chosen.reset));
        return kongError(config.error_code, config.error_message, gatewayRequest.requestId, headers);
      }
      if (!config.hide_client_headers) headersOf.set(gatewayRequest, headers);

      if (counters.size >= maxCounters) prune(nowMs);
      for (const window of windows) counters.set(window.key, { start: window.start, count: usage(window.key, window.start) + 1 });
      return undefined;
    },
    headerFilter(gatewayRequest, responseHeaders) {
      const headers = headersOf.get(gatewayRequest);
      if (!headers) return;
      for (const [name, value] of Object.entries(headers)) responseHeaders[name] = value;
    },
  };
}
