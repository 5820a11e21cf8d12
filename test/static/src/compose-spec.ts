import { z } from 'zod';

/**
 * The Compose Specification as far as docker-compose.yml uses it, in zod:
 * every key the specification defines for the top level and for a service
 * (so a misspelt or invented key fails), and the exact shape of each key the
 * file uses. Source: compose-spec/compose-spec, schema/compose-spec.json
 * (draft-07 JSON schema; commit 170098b of 2026-06-23), which `docker compose`
 * validates files against through compose-go.
 *
 * Objects of the specification refuse unknown keys except extensions
 * (`x-...`), as the schema's `additionalProperties: false` and
 * `patternProperties: {"^x-": {}}` do.
 */

/** Top-level keys of the specification. */
export const TOP_LEVEL_KEYS = ['configs', 'include', 'models', 'name', 'networks', 'secrets', 'services', 'version', 'volumes'] as const;

/** Every key the specification defines for a service. */
export const SERVICE_KEYS = [
  'annotations', 'attach', 'blkio_config', 'build', 'cap_add', 'cap_drop', 'cgroup', 'cgroup_parent', 'command', 'configs',
  'container_name', 'cpu_count', 'cpu_percent', 'cpu_period', 'cpu_quota', 'cpu_rt_period', 'cpu_rt_runtime', 'cpu_shares', 'cpus',
  'cpuset', 'credential_spec', 'depends_on', 'deploy', 'develop', 'device_cgroup_rules', 'devices', 'dns', 'dns_opt', 'dns_search',
  'domainname', 'entrypoint', 'env_file', 'environment', 'expose', 'extends', 'external_links', 'extra_hosts', 'gpus', 'group_add',
  'healthcheck', 'hostname', 'image', 'init', 'ipc', 'isolation', 'label_file', 'labels', 'links', 'logging', 'mac_address',
  'mem_limit', 'mem_reservation', 'mem_swappiness', 'memswap_limit', 'models', 'network_mode', 'networks', 'oom_kill_disable',
  'oom_score_adj', 'pid', 'pids_limit', 'platform', 'ports', 'post_start', 'pre_stop', 'privileged', 'profiles', 'provider',
  'pull_policy', 'pull_refresh_after', 'read_only', 'restart', 'runtime', 'scale', 'secrets', 'security_opt', 'shm_size',
  'stdin_open', 'stop_grace_period', 'stop_signal', 'storage_opt', 'sysctls', 'tmpfs', 'tty', 'ulimits', 'use_api_socket', 'user',
  'userns_mode', 'uts', 'volumes', 'volumes_from', 'working_dir',
] as const;

const EXTENSION = /^x-/;

/** An object of the specification: the given keys (each optional unless its schema says otherwise), extensions, nothing else. */
function specObject<Shape extends z.ZodRawShape>(shape: Shape, allowed: readonly string[] = Object.keys(shape)) {
  return z
    .object(shape)
    .catchall(z.unknown())
    .superRefine((value, context) => {
      for (const key of Object.keys(value)) {
        if (!allowed.includes(key) && !EXTENSION.test(key)) {
          context.addIssue({ code: 'custom', path: [key], message: `${key} is not a key the Compose Specification defines here` });
        }
      }
    });
}

const name = z.string().regex(/^[a-zA-Z0-9._-]+$/);
const listOfStrings = z.array(z.string());
const listOrDict = z.union([z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])), z.array(z.string())]);
const duration = z.string().regex(/^(\d+(\.\d+)?(us|ms|s|m|h))+$/, 'a Compose duration such as 10s or 1m30s');
const booleanOrString = z.union([z.boolean(), z.string()]);

const healthcheck = specObject({
  disable: booleanOrString.optional(),
  interval: duration.optional(),
  retries: z.union([z.number().int(), z.string()]).optional(),
  start_interval: duration.optional(),
  start_period: duration.optional(),
  timeout: duration.optional(),
  // A list starts with NONE, CMD or CMD-SHELL; a string runs in the shell.
  test: z.union([z.string(), z.tuple([z.enum(['NONE', 'CMD', 'CMD-SHELL'])], z.string())]).optional(),
});

const dependsOn = z.union([
  listOfStrings,
  z.record(
    name,
    specObject({
      condition: z.enum(['service_started', 'service_healthy', 'service_completed_successfully']),
      restart: booleanOrString.optional(),
      required: z.boolean().optional(),
    }),
  ),
]);

const envFile = z.union([
  z.string(),
  z.array(z.union([z.string(), specObject({ path: z.string(), format: z.string().optional(), required: booleanOrString.optional() })])),
]);

const volumeMount = z.union([
  z.string(),
  specObject(
    {
      type: z.enum(['bind', 'volume', 'tmpfs', 'cluster', 'npipe', 'image']),
      source: z.string().optional(),
      target: z.string().optional(),
      read_only: booleanOrString.optional(),
    },
    ['type', 'source', 'target', 'read_only', 'consistency', 'bind', 'volume', 'tmpfs', 'image'],
  ),
]);

const serviceNetworks = z.union([
  listOfStrings,
  z.record(
    name,
    z.union([
      z.null(),
      specObject({ aliases: listOfStrings.optional() }, [
        'aliases', 'interface_name', 'ipv4_address', 'ipv6_address', 'link_local_ips', 'mac_address', 'driver_opts', 'priority', 'gw_priority',
      ]),
    ]),
  ),
]);

const build = z.union([
  z.string(),
  specObject({ context: z.string().optional(), dockerfile: z.string().optional() }, [
    'context', 'dockerfile', 'dockerfile_inline', 'entitlements', 'args', 'ssh', 'labels', 'cache_from', 'cache_to', 'no_cache',
    'additional_contexts', 'network', 'provenance', 'sbom', 'pull', 'target', 'shm_size', 'extra_hosts', 'isolation', 'privileged',
    'secrets', 'tags', 'ulimits', 'platforms',
  ]),
]);

const command = z.union([z.null(), z.string(), listOfStrings]);

/** `restart`: the values Docker accepts for a restart policy. */
const restart = z.string().regex(/^(no|always|unless-stopped|on-failure(:\d+)?)$/);

const service = specObject(
  {
    build: build.optional(),
    image: z.string().optional(),
    command: command.optional(),
    entrypoint: command.optional(),
    environment: listOrDict.optional(),
    env_file: envFile.optional(),
    depends_on: dependsOn.optional(),
    healthcheck: healthcheck.optional(),
    hostname: z.string().optional(),
    networks: serviceNetworks.optional(),
    ports: z.array(z.union([z.number(), z.string()])).optional(),
    profiles: listOfStrings.optional(),
    restart: restart.optional(),
    sysctls: listOrDict.optional(),
    user: z.string().optional(),
    volumes: z.array(volumeMount).optional(),
  },
  SERVICE_KEYS,
);

export const composeFile = specObject(
  {
    name: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'a project name: lower-case letters, digits, dashes and underscores').optional(),
    services: z.record(name, service),
    volumes: z.record(name, z.union([z.null(), z.record(z.string(), z.unknown())])).optional(),
    networks: z.record(name, z.union([z.null(), z.record(z.string(), z.unknown())])).optional(),
  },
  TOP_LEVEL_KEYS,
);

/** The problems zod finds, as "path: message" lines. */
export function specificationProblems(document: unknown): string[] {
  const result = composeFile.safeParse(document);
  return result.success ? [] : result.error.issues.map((issue) => `${issue.path.map(String).join('.')}: ${issue.message}`);
}
