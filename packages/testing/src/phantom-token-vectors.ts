import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * The shape of kong/phantom-token-vectors.json: the behaviour the Kong
 * plugin and the Node gateway share, replayed by busted, by the Node
 * gateway's test and against the plugin inside real nginx.
 */
export interface VectorIntrospectionAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface VectorStep {
  /** A GET without a body unless `method` and `body` say otherwise. */
  request: { method?: string; headers: Record<string, string>; body?: string };
  /** Seconds the clock moves before this step. */
  clock?: number;
  /** null: the step must not introspect. */
  introspection: null | VectorIntrospectionAnswer | { network_error: string };
  expect_introspection_request?: { method: string; headers: Record<string, string>; body: string };
  expect: {
    /** null: the request reaches the upstream. */
    status: number | null;
    headers?: Record<string, string>;
    body_json?: unknown;
    upstream_authorization?: string;
    introspection_calls: number;
  };
}

export interface PhantomTokenVectors {
  config: Record<string, unknown>;
  cache_key_examples?: { token: string; cache_key: string }[];
  vectors: { name: string; config_overrides?: Record<string, unknown>; steps: VectorStep[] }[];
}

export const PHANTOM_TOKEN_VECTORS_FILE = resolve(import.meta.dirname, '../../../kong/phantom-token-vectors.json');

/** Reads the vectors; a missing file throws, so no replay can pass by skipping. */
export function readPhantomTokenVectors(): PhantomTokenVectors {
  return JSON.parse(readFileSync(PHANTOM_TOKEN_VECTORS_FILE, 'utf8')) as PhantomTokenVectors;
}
