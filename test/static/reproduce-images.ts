/**
 * Rebuilds the file system of each Node service image without Docker, then
 * starts the service from it, to show that an image holds everything its
 * service needs at run time and nothing from development.
 *
 * For every service docker-compose.yml builds from a Node Dockerfile: the
 * Dockerfile's COPY instructions and its `npm ci` are replayed into a
 * temporary folder that stands for the image's `/`; then `node src/main.ts`
 * starts in the image's WORKDIR with the image's ENV and the service's
 * compose environment (container paths moved under that folder, HOST on
 * loopback, a free PORT), and the health URL that the image's HEALTHCHECK
 * asks must answer 200. One line per image; exit status 1 when one fails.
 *
 *   node test/static/reproduce-images.ts        (from the repository root)
 *
 * Needs the npm registry or a warm npm cache (`npm ci --prefer-offline`).
 * Not a test: it downloads, and it takes a minute.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { unusedPort } from '@mcp-demo/testing';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { loadCompose, type Service } from './src/compose.ts';
import { copiesOf, envOf, finalStage, lastInstruction, readDockerfile, type Dockerfile } from './src/dockerfile.ts';
import { repoPath } from './src/repo.ts';

interface Outcome {
  service: string;
  ok: boolean;
  detail: string;
}

/** Replays COPY and `npm ci` stage by stage; returns the folder that stands for the final stage's `/`. */
function replay(dockerfile: Dockerfile, context: string, into: string): string {
  const roots = new Map<string, string>();
  let last = '';
  dockerfile.stages.forEach((stage, index) => {
    const root = join(into, stage.name ?? `stage-${index}`);
    mkdirSync(root, { recursive: true });
    if (stage.name) roots.set(stage.name, root);
    let workdir = '/';
    for (const instruction of stage.instructions) {
      if (instruction.keyword === 'WORKDIR') workdir = posix.resolve(workdir, instruction.args);
      if (instruction.keyword === 'COPY') {
        const [copy] = copiesOf({ ...stage, instructions: [instruction] });
        if (!copy) continue;
        const destination = posix.resolve(workdir, copy.destination);
        for (const source of copy.sources) {
          const from = copy.from ? join(roots.get(copy.from) ?? '', source) : join(context, source);
          const target = copy.destination.endsWith('/') ? join(root, destination, posix.basename(source)) : join(root, destination);
          mkdirSync(dirname(target), { recursive: true });
          cpSync(from, target, { recursive: true, verbatimSymlinks: true });
        }
      }
      if (instruction.keyword === 'RUN' && instruction.args.includes('npm ci')) {
        const command = `${(instruction.args.split('&&')[0] ?? '').trim()} --prefer-offline`;
        mkdirSync(join(root, workdir), { recursive: true });
        const result = spawnSync('sh', ['-c', command], { cwd: join(root, workdir), encoding: 'utf8' });
        if (result.status !== 0) throw new Error(`${command} failed: ${result.stderr.trim().split('\n').slice(-3).join(' ')}`);
      }
    }
    last = root;
  });
  return last;
}

/** The container's environment, with absolute container paths moved under `root` (directories named *_DIR created). */
function environmentFor(service: Service, dockerfile: Dockerfile, root: string, port: number): Record<string, string> {
  const environment: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
  for (const [name, value] of Object.entries({ ...envOf(finalStage(dockerfile)), ...service.environment })) {
    if (value.startsWith('/')) {
      environment[name] = join(root, value);
      if (name.endsWith('_DIR')) mkdirSync(environment[name], { recursive: true });
    } else {
      environment[name] = value;
    }
  }
  return { ...environment, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn' };
}

async function healthy(url: string, deadline: number): Promise<boolean> {
  while (Date.now() < deadline) {
    const ok = await fetch(url, { signal: AbortSignal.timeout(1_000) }).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return true;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}

async function reproduce(service: Service & { build: NonNullable<Service['build']> }, scratch: string): Promise<Outcome> {
  const dockerfile = readDockerfile(repoPath(service.build.context, service.build.dockerfile));
  const stage = finalStage(dockerfile);
  const root = replay(dockerfile, repoPath(service.build.context), join(scratch, service.name));
  const workdir = join(root, lastInstruction(stage, 'WORKDIR')?.args ?? '/');
  const installed = readdirSync(join(root, 'app/node_modules')).length;
  // The root's development tools (TypeScript, vitest, the `node` package) must stay out.
  const rootDevelopment = Object.keys((JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { devDependencies?: Record<string, string> }).devDependencies ?? {});
  const leaked = rootDevelopment.filter((name) => existsSync(join(root, 'app/node_modules', name)));
  if (leaked.length > 0) return { service: service.name, ok: false, detail: `development packages in the image: ${leaked.join(', ')}` };
  const port = await unusedPort();
  // HEALTHCHECK: fetch('http://127.0.0.1:' + (process.env.PORT || N) + '/health')
  const healthPath = /\+ '(\/[^']*)'\)/.exec(lastInstruction(stage, 'HEALTHCHECK')?.args ?? '')?.[1] ?? '/health';
  const child = spawn(process.execPath, ['src/main.ts'], { cwd: workdir, env: environmentFor(service, dockerfile, root, port), stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  try {
    const ok = await healthy(`http://127.0.0.1:${port}${healthPath}`, Date.now() + 20_000);
    return { service: service.name, ok, detail: ok ? `${installed} top-level packages in node_modules; ${healthPath} answers 200` : `no 200 from ${healthPath}: ${stderr.trim().slice(-400)}` };
  } finally {
    child.kill('SIGTERM');
  }
}

const scratch = mkdtempSync(join(tmpdir(), 'reproduced-images-'));
const nodeImages = loadCompose().services.filter(
  (service): service is Service & { build: NonNullable<Service['build']> } => service.build !== undefined && service.build.context === '.',
);
const outcomes: Outcome[] = [];
for (const service of nodeImages) {
  outcomes.push(await reproduce(service, scratch).catch((error: unknown) => ({ service: service.name, ok: false, detail: error instanceof Error ? error.message : String(error) })));
}
if (existsSync(scratch)) rmSync(scratch, { recursive: true, force: true });
for (const outcome of outcomes) console.log(`${outcome.ok ? 'ok  ' : 'FAIL'} ${outcome.service}: ${outcome.detail}`);
process.exit(outcomes.every((outcome) => outcome.ok) ? 0 : 1);
