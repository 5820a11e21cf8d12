import type { Endpoints } from '../../../local/topology/index.ts';
import type { ClientEra } from '../support/mcp-session.ts';

export type { ClientEra } from '../support/mcp-session.ts';

/**
 * What a scenario needs to know about a running deployment, whatever the
 * profile: the public URLs a client uses (the `external` part of the local
 * launcher's endpoints file; test/compose fills the same shape with the
 * Docker host names) and a fetch that reaches them.
 */
export type ExternalEndpoints = Endpoints['external'];

/** The part of fetch the scenarios use; the global fetch and undici's both fit. */
export interface FetchInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  redirect?: 'manual' | 'follow' | 'error';
}

export interface FetchResponse {
  status: number;
  headers: { get(name: string): string | null };
  json(): Promise<unknown>;
  text(): Promise<string>;
}

export type Fetch = (url: string, init?: FetchInit) => Promise<FetchResponse>;

/** A running deployment as a client sees it: its public URLs and a fetch that reaches them. */
export interface Deployment {
  endpoints: ExternalEndpoints;
  fetch: Fetch;
}

export interface Scenario {
  name: string;
  run(deployment: Deployment): Promise<void>;
}

/** Scenarios that run in order against one deployment, and what to release afterwards. */
export interface ScenarioSuite {
  name: string;
  scenarios: Scenario[];
  close(): Promise<void>;
}

/**
 * A fresh suite per deployment and client era (the MCP revision the client
 * speaks). The names are known before anything starts (they become test
 * names); the endpoints only when the scenarios run.
 */
export type ScenarioSource = (era: ClientEra) => ScenarioSuite;
