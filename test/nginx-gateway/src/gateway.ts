import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GatewayStartOptions } from '../../../local/launcher/deployment.ts';
import { generateGateway } from './gateway-config.ts';
import { mainConfig, startNginx, type NginxProcess } from './nginx.ts';

/**
 * The local profile's gateway as nginx + the Kong phantom-token plugin:
 * what the launcher's `gateway` option accepts in place of the Node gateway.
 * kong.yml is read when it starts, so routes added to it are served (or
 * listed as skipped) without changes here. nginx's error log is the
 * launcher's gateway log file; it starts with the skipped settings.
 */
export interface NginxGateway {
  nginx: NginxProcess;
  /** Settings of kong.yml nginx does not apply, with the reason (also at the top of the log file). */
  skipped: string[];
  close(): Promise<void>;
}

/** The nginx configuration proxies each upstream to one origin: replicas run behind the Node gateway. */
function oneOriginEach(upstreams: Record<string, string[]>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(upstreams).map(([key, origins]) => {
      if (origins.length !== 1) throw new Error(`the nginx gateway proxies ${key} to one origin, not ${origins.length}: run replicas behind the Node gateway`);
      return [key, origins[0] as string];
    }),
  );
}

export async function startNginxGateway(options: GatewayStartOptions): Promise<NginxGateway> {
  const generated = generateGateway(readFileSync(options.kongConfigPath, 'utf8'), {
    virtualHosts: options.virtualHosts,
    upstreams: oneOriginEach(options.upstreams),
    publicUrls: options.publicUrls,
    unservedHosts: options.unservedHosts,
  });
  const prefix = mkdtempSync(join(tmpdir(), 'nginx-gateway-'));
  const pluginsFile = join(prefix, 'plugins.json');
  writeFileSync(pluginsFile, JSON.stringify(generated.plugins), { mode: 0o600 });
  appendFileSync(
    options.logFile,
    `nginx gateway for ${options.kongConfigPath}: ${generated.skipped.length} setting(s) not applied\n${generated.skipped.map((line) => `  skipped ${line}\n`).join('')}`,
  );

  // Only the variables the vault references name reach nginx (its `env` directive).
  const env: Record<string, string> = {};
  for (const name of generated.env) {
    const value = options.env[name];
    if (value === undefined || value === '') throw new Error(`kong.yml refers to {vault://env/...} variable ${name}, which is not set`);
    env[name] = value;
  }
  try {
    const nginx = await startNginx({
      prefix,
      errorLog: options.logFile,
      ports: generated.ports,
      env,
      config: mainConfig({ prefix, env: generated.env, pluginsFile, http: generated.servers, errorLog: options.logFile }),
    });
    return {
      nginx,
      skipped: generated.skipped,
      close: async () => {
        await nginx.stop();
        rmSync(prefix, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(prefix, { recursive: true, force: true });
    throw error;
  }
}
