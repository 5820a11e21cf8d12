import { startPostgres } from '@mcp-demo/testing';
import { roleProcesses, toolCallShape } from './hops.ts';
import { startLaunchedProfile, type LaunchedProfile } from './launched-profile.ts';
import { median, measurePath, ROLE_LABELS, type PathRun, type Role } from './measure.ts';
import type { BenchOptions } from './options.ts';
import { cpuMs, findProcesses, hasEnvironmentVariable, treeCpuMs } from './proc.ts';
import { cpuCell, fixed, table } from './report.ts';
import { introspectionRequest, signIn } from './tokens.ts';
import { runWrk, type LoadResult } from './wrk.ts';

const progress = (message: string) => process.stderr.write(`  ${message}\n`);

/** A deployment under test with one signed-in caller. */
interface Deployment {
  label: string;
  profile: LaunchedProfile;
  opaque: string;
}

async function deploy(label: string, env: Record<string, string>, replicas = 1): Promise<Deployment> {
  progress(`starting ${label}`);
  const profile = await startLaunchedProfile(env, replicas);
  try {
    return { label, profile, opaque: await signIn(profile.endpoints) };
  } catch (error) {
    await profile.stop();
    throw error;
  }
}

/**
 * `npm run bench -- --replicas`: what scaling out costs and gives on this
 * machine. Two deployments run side by side and are measured alternately in
 * each round, so that a ratio compares two runs a few seconds apart:
 * 1 against 2 MCP server replicas behind the gateway, then the
 * authorization server on SQLite against PostgreSQL.
 */
export async function runReplicas(options: BenchOptions): Promise<string> {
  const sections: string[] = [];
  const one = await deploy('the local profile with 1 MCP server replica (authorization server on SQLite)', { MCP_SERVER_REPLICAS: '1' });
  try {
    const two = await deploy('the local profile with 2 MCP server replicas', { MCP_SERVER_REPLICAS: '2' }, 2);
    try {
      sections.push(await compareReplicas(options, one, two));
    } finally {
      await two.profile.stop();
    }
    progress('starting a throwaway PostgreSQL (packages/testing: fsync and synchronous commit off)');
    const postgres = await startPostgres();
    // An interrupted run must not leave the server behind: a fast shutdown of whatever runs with its port.
    const stopPostgres = () => {
      for (const pid of findProcesses('-p', String(postgres.port))) process.kill(pid, 'SIGINT');
    };
    process.once('exit', stopPostgres);
    try {
      const databaseUrl = await postgres.createDatabase('bench_authorization_server');
      const onPostgres = await deploy('the local profile with the authorization server on PostgreSQL', { DATABASE_URL: databaseUrl });
      try {
        const postgresPid = findProcesses('-p', String(postgres.port))[0];
        sections.push(await compareStores(options, one, onPostgres, postgresPid));
      } finally {
        await onPostgres.profile.stop();
      }
    } finally {
      progress('stopping PostgreSQL');
      // Should the stop wait on a server that missed its signal, the server itself is told after 30 s.
      await Promise.race([postgres.stop(), new Promise((done) => setTimeout(done, 30_000).unref()).then(stopPostgres)]);
      process.removeListener('exit', stopPostgres);
    }
  } finally {
    await one.profile.stop();
  }
  return sections.join('\n\n');
}

async function compareReplicas(options: BenchOptions, one: Deployment, two: Deployment): Promise<string> {
  const replicaCounts = [one, two].map((deployment) => deployment.profile.servicePids().get('utility-mcp-server')?.length ?? 0);
  const shapes = [one, two].map((deployment) => toolCallShape(deployment.profile.endpoints.external.mcp, deployment.opaque));
  const processes = [one, two].map((deployment) => roleProcesses(deployment.profile));
  if (options.warmup > 0) {
    for (const [index, shape] of shapes.entries()) {
      progress(`warm-up: ${replicaCounts[index]} MCP server replica(s)`);
      await runWrk(shape, options.connections, options.warmup);
    }
  }
  const rounds: Array<[PathRun, PathRun]> = [];
  for (let round = 0; round < options.rounds; round += 1) {
    const runs: PathRun[] = [];
    for (const [index, shape] of shapes.entries()) {
      progress(`round ${round + 1} of ${options.rounds}: ${replicaCounts[index]} MCP server replica(s)`);
      runs.push(await measurePath(shape, processes[index] ?? (() => new Map()), options.connections, options.duration));
    }
    rounds.push([runs[0] as PathRun, runs[1] as PathRun]);
  }
  const roles: Role[] = ['gateway', 'mcp', 'api', 'as'];
  const rows = [0, 1].map((side) => {
    const pick = (value: (run: PathRun) => number) => median(rounds.map((pair) => value(pair[side] as PathRun)));
    const ratio = (value: (run: PathRun) => number) => median(rounds.map((pair) => value(pair[side] as PathRun) / value(pair[0])));
    return [
      `${replicaCounts[side]} MCP server replica${replicaCounts[side] === 1 ? '' : 's'}`,
      fixed(pick((run) => run.load.requestsPerSecond), 0),
      `${fixed(ratio((run) => run.load.requestsPerSecond))}x`,
      fixed(pick((run) => run.load.p50Ms)),
      fixed(pick((run) => run.load.p99Ms)),
      fixed(pick((run) => run.single.p50Ms)),
      ...roles.map((role) => cpuCell(pick((run) => run.cpuMsPerRequest[role] ?? Number.NaN))),
      String(rounds.reduce((sum, pair) => sum + (pair[side] as PathRun).load.failures + (pair[side] as PathRun).single.failures, 0)),
    ];
  });
  const notes: string[] = [];
  if (replicaCounts[1] !== 2) {
    notes.push(`Note: the launcher started ${replicaCounts[1]} MCP server process(es) for MCP_SERVER_REPLICAS=2; this launcher does not run replicas, so both rows measure the same thing.`);
  }
  const byRound = [0, 1].map((side) => [rows[side]?.[0] ?? '', ...rounds.map((pair) => fixed((pair[side] as PathRun).load.requestsPerSecond, 0))]);
  return [
    `tools/call through the gateway, ${options.connections} connections (CPU ms per request of each role, replicas summed):`,
    table(['deployment', 'req/s', 'x one', 'p50 ms', 'p99 ms', '1-conn p50 ms', ...roles.map((role) => `${ROLE_LABELS[role]} CPU`), 'failed'], rows),
    ...notes,
    '',
    'Throughput by round (req/s; "x one" is the median of the ratios within each round):',
    table(['deployment', ...rounds.map((_, index) => `round ${index + 1}`)], byRound),
  ].join('\n');
}

interface StoreRound {
  signInMs: number[];
  /** CPU ms per sign-in: the authorization server, and the database server's processes (PostgreSQL only). */
  signInCpu: { as: number; database: number };
  introspection: LoadResult;
  introspectionCpu: { as: number; database: number };
}

/** The authorization server's CPU, and the database's where it is a process of its own. */
function storeCpu(deployment: Deployment, databasePid: number | undefined): () => { as: number; database: number } {
  return () => {
    const as = (deployment.profile.servicePids().get('authorization-server') ?? []).reduce((sum, pid) => sum + (cpuMs(pid) ?? Number.NaN), 0);
    return { as, database: databasePid === undefined ? 0 : (treeCpuMs(databasePid) ?? Number.NaN) };
  };
}

async function measureStore(options: BenchOptions, deployment: Deployment, databasePid: number | undefined): Promise<StoreRound> {
  const cpu = storeCpu(deployment, databasePid);
  const signInMs: number[] = [];
  let before = cpu();
  for (let index = 0; index < options.signIns; index += 1) {
    const started = performance.now();
    await signIn(deployment.profile.endpoints);
    signInMs.push(performance.now() - started);
  }
  let after = cpu();
  const signInCpu = { as: (after.as - before.as) / options.signIns, database: (after.database - before.database) / options.signIns };

  const introspection = introspectionRequest(deployment.profile.endpoints, deployment.opaque);
  progress('introspection');
  before = cpu();
  const load = await runWrk(
    {
      url: introspection.url,
      method: 'POST',
      headers: { authorization: introspection.authorization, accept: 'application/jwt' },
      body: introspection.body,
      contentType: 'application/x-www-form-urlencoded',
    },
    options.connections,
    options.duration,
  );
  after = cpu();
  const perRequest = (spent: number) => (load.requests > 0 ? spent / load.requests : Number.NaN);
  return {
    signInMs,
    signInCpu,
    introspection: load,
    introspectionCpu: { as: perRequest(after.as - before.as), database: perRequest(after.database - before.database) },
  };
}

async function compareStores(options: BenchOptions, sqlite: Deployment, postgres: Deployment, postgresPid: number | undefined): Promise<string> {
  const sides: Array<[Deployment, number | undefined]> = [
    [sqlite, undefined],
    [postgres, postgresPid],
  ];
  const rounds: Array<[StoreRound, StoreRound]> = [];
  for (let round = 0; round < options.rounds; round += 1) {
    const results: StoreRound[] = [];
    for (const [deployment, pid] of sides) {
      progress(`round ${round + 1} of ${options.rounds}: ${options.signIns} sign-ins and introspections, ${deployment === sqlite ? 'SQLite' : 'PostgreSQL'}`);
      results.push(await measureStore(options, deployment, pid));
    }
    rounds.push([results[0] as StoreRound, results[1] as StoreRound]);
  }
  const labels = ['SQLite (node:sqlite file)', 'PostgreSQL (throwaway server, same machine)'];
  const rows = [0, 1].map((side) => {
    const pick = (value: (run: StoreRound) => number) => median(rounds.map((pair) => value(pair[side] as StoreRound)));
    const ratio = (value: (run: StoreRound) => number) => median(rounds.map((pair) => value(pair[side] as StoreRound) / value(pair[0])));
    return [
      labels[side] ?? '',
      fixed(pick((run) => median(run.signInMs)), 0),
      fixed(pick((run) => run.signInCpu.as), 1),
      side === 0 ? '-' : fixed(pick((run) => run.signInCpu.database), 1),
      `${fixed(ratio((run) => run.signInCpu.as + run.signInCpu.database))}x`,
      fixed(pick((run) => run.introspection.requestsPerSecond), 0),
      fixed(pick((run) => run.introspection.p50Ms)),
      fixed(pick((run) => run.introspectionCpu.as)),
      side === 0 ? '-' : fixed(pick((run) => run.introspectionCpu.database)),
      `${fixed(ratio((run) => run.introspectionCpu.as + run.introspectionCpu.database))}x`,
      String(rounds.reduce((sum, pair) => sum + (pair[side] as StoreRound).introspection.failures, 0)),
    ];
  });
  const asPids = postgres.profile.servicePids().get('authorization-server') ?? [];
  const onPostgres = asPids.length > 0 && asPids.every((pid) => hasEnvironmentVariable(pid, 'DATABASE_URL'));
  return [
    ...(onPostgres ? [] : ['Note: the launcher did not give DATABASE_URL to the authorization server, so both rows measure SQLite.']),
    `The authorization server's store: ${options.signIns} sign-in${options.signIns === 1 ? '' : 's'} per round (registration, e-mail code, consent, token), then introspection (Accept: application/jwt) at ${options.connections} connections:`,
    table(
      ['store', 'sign-in ms', 'AS CPU ms', 'DB CPU ms', 'CPU x SQLite', 'introspect req/s', 'p50 ms', 'AS CPU ms/req', 'DB CPU ms/req', 'CPU x SQLite', 'failed'],
      rows,
    ),
    'Sign-in ms is wall time (it includes waiting for the e-mail); CPU columns are per sign-in or per introspection.',
  ].join('\n');
}
