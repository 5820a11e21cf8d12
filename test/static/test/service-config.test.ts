import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '@mcp-demo/service-kit';
import { loadCompose, type Service } from '../src/compose.ts';
import { envOf, finalStage, lastInstruction, readDockerfile } from '../src/dockerfile.ts';
import { repoPath } from '../src/repo.ts';

/**
 * Every service reads its settings one way (packages/service-kit/README.md):
 * its settings module exports `settingsSchema` (one zod object, the variables
 * as keys), `type Settings` and `loadSettings(source = process.env)` built on
 * service-kit's `loadConfig`, which names every bad variable in a
 * ConfigurationError and treats a blank variable as unset.
 *
 * For the services built into images, the container's environment (the
 * Dockerfile's ENV overlaid with docker-compose.yml's) is fed to that
 * loader, so a variable added to a schema and forgotten in the compose file
 * fails here, not at `docker compose up`.
 */

type Environment = Record<string, string | undefined>;

interface SettingsModule {
  settingsSchema: { shape: Record<string, unknown> };
  loadSettings: (source?: Environment) => Record<string, unknown>;
}

interface Checked {
  /** Repository path of the settings module. */
  module: string;
  /** An environment the service starts with. */
  environment: Environment;
  /** Whether the service needs variables that have no default (an empty environment must then be refused). */
  requiresVariables: boolean;
}

function containerEnvironment(service: Service): Environment {
  const build = service.build as NonNullable<Service['build']>;
  const image = envOf(finalStage(readDockerfile(repoPath(build.context, build.dockerfile))));
  return { ...image, ...service.environment };
}

const built = loadCompose().services.filter((service) => service.build && service.name !== 'kong');
const folderOf = (service: Service) => dirname((service.build as NonNullable<Service['build']>).dockerfile);

const MODULES: Checked[] = [
  ...built.map((service) => ({ module: `${folderOf(service)}/src/config.ts`, environment: containerEnvironment(service), requiresVariables: true })),
  // The launcher of the local profile and its gateway run alone: every setting has a default.
  { module: 'local/topology/settings.ts', environment: {}, requiresVariables: false },
  { module: 'local/gateway/settings.ts', environment: {}, requiresVariables: false },
];

async function importSettings(module: string): Promise<SettingsModule> {
  const loaded = (await import(pathToFileURL(repoPath('.', module)).href)) as Partial<SettingsModule>;
  expect(typeof loaded.loadSettings, `${module} exports loadSettings`).toBe('function');
  expect(typeof (loaded.settingsSchema as { safeParse?: unknown } | undefined)?.safeParse, `${module} exports settingsSchema, a zod schema`).toBe('function');
  expect(typeof loaded.settingsSchema?.shape, `${module}'s settingsSchema is an object schema whose keys are the variables`).toBe('object');
  return loaded as SettingsModule;
}

/** What loading gives: the settings, or the problems of the ConfigurationError. */
function outcome(settings: SettingsModule, environment: Environment): { settings: Record<string, unknown> } | { problems: readonly string[] } {
  try {
    return { settings: settings.loadSettings(environment) };
  } catch (error) {
    expect(error, 'a bad environment is reported as a ConfigurationError').toBeInstanceOf(ConfigurationError);
    return { problems: (error as ConfigurationError).problems };
  }
}

describe.each(MODULES.map((entry) => [entry.module, entry] as const))('%s', (module, entry) => {
  it('follows the convention: settingsSchema, type Settings, loadSettings(source = process.env) on loadConfig', async () => {
    const settings = await importSettings(module);
    // One optional parameter: the environment, process.env unless given.
    expect(settings.loadSettings.length).toBe(0);
    // A type has no runtime trace; the module's text is the only place to see it.
    expect(readFileSync(repoPath('.', module), 'utf8')).toMatch(/^export type Settings = /m);
    expect(outcome(settings, entry.environment)).toEqual({ settings: expect.any(Object) });
    if (entry.requiresVariables) expect(outcome(settings, {}), 'an empty environment is refused').toEqual({ problems: expect.arrayContaining([expect.stringMatching(/is required but not set/)]) });
    expect(outcome(settings, { ...entry.environment, LOG_LEVEL: 'loud' })).toEqual({ problems: [expect.stringMatching(/^LOG_LEVEL: /)] });
  });

  it('treats every blank variable as unset', async () => {
    const settings = await importSettings(module);
    for (const variable of Object.keys(settings.settingsSchema.shape)) {
      const without = { ...entry.environment };
      delete without[variable];
      expect(outcome(settings, { ...entry.environment, [variable]: '' }), `${variable}=`).toEqual(outcome(settings, without));
    }
  });
});

describe.each(built.map((service) => [service.name, service] as const))('%s in docker-compose.yml', (_name, service) => {
  it('listens on all interfaces of its container, on the port its image exposes and checks', () => {
    const environment = containerEnvironment(service);
    expect(environment.HOST).toBe('0.0.0.0');
    const stage = finalStage(readDockerfile(repoPath('.', (service.build as NonNullable<Service['build']>).dockerfile)));
    expect(lastInstruction(stage, 'EXPOSE')?.args).toBe(environment.PORT);
    expect(lastInstruction(stage, 'HEALTHCHECK')?.args).toContain(`process.env.PORT || ${environment.PORT}`);
  });
});
