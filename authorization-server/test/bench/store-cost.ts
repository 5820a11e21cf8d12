/**
 * What the store costs per sign-in and per introspection, SQLite against
 * PostgreSQL. The real authorization server runs in this process twice, once
 * on each store (PostgreSQL: a throwaway server from @mcp-demo/testing on
 * this machine, over TCP on loopback), with every store call timed:
 *
 *   - per sign-in: registration, authorization request, e-mail, code,
 *     consent, token — the store calls it makes and the time spent in them
 *     (wall time too, though mail delivery dominates it);
 *   - per introspection: the gateway's JWT-form introspection of an opaque
 *     token, the store calls and time, and the wall time per request.
 *
 * A script that prints figures; it asserts nothing.
 *
 *   node_modules/.bin/node authorization-server/test/bench/store-cost.ts [--json]
 *   BENCH_SIGN_INS=10 BENCH_INTROSPECTIONS=500 ...
 */
import { performance } from 'node:perf_hooks';
import type { Adapter } from 'oidc-provider';
import { startPostgres, startTestInbox } from '@mcp-demo/testing';
import type { ModelStorage } from '../../src/storage/model-storage.ts';
import { openModelStorage } from '../../src/storage/open-storage.ts';
import { createBrowser } from '../support/browser.ts';
import { introspect, obtainAccessToken } from '../support/oauth.ts';
import { GATEWAY_SECRET, mailSettings, startAuthorizationServer } from '../support/server.ts';

const SIGN_INS = Number(process.env.BENCH_SIGN_INS ?? 10);
const INTROSPECTIONS = Number(process.env.BENCH_INTROSPECTIONS ?? 300);
const json = process.argv.includes('--json');

interface Meter {
  calls: number;
  ms: number;
}

/** The same store, with every call counted and timed into `meter`. */
function measured(storage: ModelStorage, meter: Meter): ModelStorage {
  const time = <Args extends unknown[], Result>(call: (...args: Args) => Promise<Result>) =>
    async (...args: Args): Promise<Result> => {
      const started = performance.now();
      try {
        return await call(...args);
      } finally {
        meter.calls += 1;
        meter.ms += performance.now() - started;
      }
    };
  const timeAll = <T extends object>(target: T): T =>
    Object.fromEntries(Object.entries(target).map(([name, value]) => [name, typeof value === 'function' ? time(value.bind(target)) : value])) as T;
  return {
    ...storage,
    adapterFor: (model: string): Adapter => timeAll(storage.adapterFor(model)),
    counters: timeAll(storage.counters),
    shared: timeAll(storage.shared),
    keep: time(storage.keep),
    sweep: time(storage.sweep),
  };
}

interface Figures {
  store: string;
  signIn: { storeCalls: number; storeMs: number; wallMs: number };
  introspection: { storeCalls: number; storeMs: number; wallMs: number };
}

async function measure(store: string, env: Record<string, string>): Promise<Figures> {
  const inbox = await startTestInbox();
  const meter: Meter = { calls: 0, ms: 0 };
  const server = await startAuthorizationServer({
    env: { ...mailSettings(inbox), ...env },
    openStorage: async (settings) => measured(await openModelStorage(settings), meter),
  });
  try {
    // One sign-in first, so that start-up work and first-use compilation are not counted.
    const { token } = await obtainAccessToken(server.baseUrl, inbox, createBrowser());
    const gateway = { id: 'api-gateway-client', secret: GATEWAY_SECRET };
    await (await introspect(server.baseUrl, token.access_token as string, gateway, 'application/jwt')).text();

    Object.assign(meter, { calls: 0, ms: 0 });
    let started = performance.now();
    for (let round = 0; round < SIGN_INS; round += 1) await obtainAccessToken(server.baseUrl, inbox, createBrowser());
    const signIn = { storeCalls: meter.calls / SIGN_INS, storeMs: meter.ms / SIGN_INS, wallMs: (performance.now() - started) / SIGN_INS };

    Object.assign(meter, { calls: 0, ms: 0 });
    started = performance.now();
    for (let round = 0; round < INTROSPECTIONS; round += 1) {
      const response = await introspect(server.baseUrl, token.access_token as string, gateway, 'application/jwt');
      if (response.status !== 200) throw new Error(`introspection answered ${response.status}`);
      await response.text();
    }
    const introspection = {
      storeCalls: meter.calls / INTROSPECTIONS,
      storeMs: meter.ms / INTROSPECTIONS,
      wallMs: (performance.now() - started) / INTROSPECTIONS,
    };
    return { store, signIn, introspection };
  } finally {
    await server.destroy();
    await inbox.close();
  }
}

const postgres = await startPostgres();
let results: Figures[];
try {
  results = [await measure('sqlite', {}), await measure('postgresql', { DATABASE_URL: await postgres.createDatabase('store_cost') })];
} finally {
  await postgres.stop();
}

if (json) {
  console.log(JSON.stringify({ signIns: SIGN_INS, introspections: INTROSPECTIONS, results }));
} else {
  const ms = (value: number) => value.toFixed(2).padStart(8);
  const calls = (value: number) => value.toFixed(1).padStart(6);
  console.log(`Store cost, ${SIGN_INS} sign-ins and ${INTROSPECTIONS} JWT introspections each, sequential (ms per operation)`);
  console.log('store        sign-in: calls  store ms   wall ms | introspection: calls  store ms   wall ms');
  for (const { store, signIn, introspection } of results) {
    console.log(
      `${store.padEnd(12)} ${calls(signIn.storeCalls)}          ${ms(signIn.storeMs)}  ${ms(signIn.wallMs)} |        ${calls(introspection.storeCalls)}          ${ms(introspection.storeMs)}  ${ms(introspection.wallMs)}`,
    );
  }
  console.log('Wall time per sign-in includes waiting for the one-time code to arrive in the test inbox.');
}
