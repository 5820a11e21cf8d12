import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadCompose, type Service } from '../src/compose.ts';
import { envOf, finalStage, lastInstruction, readDockerfile } from '../src/dockerfile.ts';
import { repoPath } from '../src/repo.ts';

/**
 * Every service built from this repository starts only when its one zod
 * schema accepts its environment. The container gets the Dockerfile's ENV
 * overlaid with the compose file's environment; this feeds exactly that to
 * the service's own configuration module, so a variable added to a schema
 * and forgotten in docker-compose.yml fails here, not at `docker compose up`.
 */

type Environment = Record<string, string | undefined>;
type Outcome = { ok: true } | { ok: false; problems: string[] };
type Validate = (environment: Environment) => Outcome;

interface SafeParser {
  safeParse(input: unknown): { success: true } | { success: false; error: { issues: Array<{ path: PropertyKey[]; message: string }> } };
}

function isSafeParser(value: unknown): value is SafeParser {
  return value !== null && typeof value === 'object' && typeof (value as { safeParse?: unknown }).safeParse === 'function';
}

/**
 * The service's exported schema when it has one; otherwise its exported
 * loader (loadSettings, readConfig, ...), which throws a ConfigurationError.
 */
function validatorOf(module: Record<string, unknown>): Validate | undefined {
  const schema = Object.values(module).find(isSafeParser);
  if (schema) {
    return (environment) => {
      const result = schema.safeParse(environment);
      if (result.success) return { ok: true };
      return { ok: false, problems: result.error.issues.map((issue) => `${issue.path.map(String).join('.')}: ${issue.message}`) };
    };
  }
  const loader = Object.entries(module).find(([name, value]) => typeof value === 'function' && /^(load|read)\w*(Config|Settings)$/.test(name))?.[1];
  if (typeof loader !== 'function') return undefined;
  return (environment) => {
    try {
      (loader as (environment: Environment) => unknown)(environment);
      return { ok: true };
    } catch (error) {
      const problems = (error as { problems?: string[] }).problems;
      return { ok: false, problems: problems ?? [error instanceof Error ? error.message : String(error)] };
    }
  };
}

function containerEnvironment(service: Service): Environment {
  const build = service.build as NonNullable<Service['build']>;
  const image = envOf(finalStage(readDockerfile(repoPath(build.context, build.dockerfile))));
  return { ...image, ...service.environment };
}

const built = loadCompose().services.filter((service) => service.build && service.name !== 'kong');

describe.each(built.map((service) => [service.name, service] as const))('%s configuration in docker-compose.yml', (_name, service) => {
  const folder = dirname((service.build as NonNullable<Service['build']>).dockerfile);
  const configModule = repoPath(folder, 'src/config.ts');

  // Never skipped: a service without src/config.ts fails here, since the import fails.
  it(`is accepted by ${folder}/src/config.ts`, async () => {
    const validate = validatorOf((await import(pathToFileURL(configModule).href)) as Record<string, unknown>);
    expect(validate, `${folder}/src/config.ts exports neither a zod schema nor a load/read...Config function`).toBeDefined();
    if (!validate) return;

    // The check can fail: an empty environment lacks the required variables.
    expect(validate({}).ok, `${folder}'s configuration accepts an empty environment, so this check proves nothing`).toBe(false);

    const outcome = validate(containerEnvironment(service));
    expect(outcome.ok ? [] : outcome.problems, `${service.name} would not start with the environment docker-compose.yml gives it`).toEqual([]);
  });

  it('listens on all interfaces of its container, on the port its image exposes and checks', () => {
    const environment = containerEnvironment(service);
    expect(environment.HOST).toBe('0.0.0.0');
    const stage = finalStage(readDockerfile(repoPath('.', (service.build as NonNullable<Service['build']>).dockerfile)));
    expect(lastInstruction(stage, 'EXPOSE')?.args).toBe(environment.PORT);
    expect(lastInstruction(stage, 'HEALTHCHECK')?.args).toContain(`process.env.PORT || ${environment.PORT}`);
  });
});
