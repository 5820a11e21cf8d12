import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { StartedDockerComposeEnvironment } from 'testcontainers';
import { parse } from 'yaml';
import { REPO_ROOT } from './repo.ts';

/**
 * Starts one Docker profile of docker-compose.yml under a throwaway project
 * name, with Kong's ports published on free host ports, and stops it again
 * with its volumes. Prepares what ./deploy.sh would: the development
 * certificates and, for the curity profile, the license and keys.
 */

export type Profile = 'open' | 'curity';

export interface RunningStack {
  profile: Profile;
  /** Where Kong's HTTPS port is published on this machine. */
  gateway: { address: string; port: number };
  ca: Buffer;
  stop(): Promise<void>;
}

function curityVersion(): string {
  const compose = parse(readFileSync(resolve(REPO_ROOT, 'docker-compose.yml'), 'utf8')) as { services: { idsvr: { image: string } } };
  return /:-([^}]+)\}/.exec(compose.services.idsvr.image)?.[1] ?? 'latest';
}

function writePrivate(file: string, content: string): void {
  writeFileSync(file, content, { mode: 0o600 });
}

export interface CurityFiles {
  /** Where deploy.sh keeps the generated env files (.deploy/). */
  deployDir: string;
  /** The development CA the keys carry (certs/ca.crt). */
  caFile: string;
  /** idsvr-config/scripts/create-crypto-env.sh */
  createCryptoEnv: string;
  /** The Curity image whose tools convert the keys. */
  image: string;
}

function curityFiles(): CurityFiles {
  return {
    deployDir: resolve(REPO_ROOT, '.deploy'),
    caFile: resolve(REPO_ROOT, 'certs/ca.crt'),
    createCryptoEnv: resolve(REPO_ROOT, 'idsvr-config/scripts/create-crypto-env.sh'),
    image: `curity.azurecr.io/curity/idsvr:${process.env.CURITY_VERSION ?? curityVersion()}`,
  };
}

/** The license key and keys that the curity profile reads from .deploy/, as deploy.sh writes them. */
export function prepareCurity(licenseFile: string, files: CurityFiles = curityFiles()): void {
  mkdirSync(files.deployDir, { recursive: true });
  const license = JSON.parse(readFileSync(licenseFile, 'utf8')) as { License?: unknown };
  if (typeof license.License !== 'string') throw new Error(`${licenseFile} has no "License" key`);
  writePrivate(resolve(files.deployDir, 'curity-license.env'), `LICENSE_KEY=${license.License.trim()}\n`);
  const secrets = resolve(files.deployDir, 'curity-secrets.env');
  // As deploy.sh: made once, and again when the development CA they carry is newer.
  if (!existsSync(secrets) || statSync(files.caFile).mtimeMs > statSync(secrets).mtimeMs) {
    const output = execFileSync(files.createCryptoEnv, [files.caFile], {
      env: { ...process.env, CURITY_IMAGE: files.image },
      encoding: 'utf8',
    });
    writePrivate(secrets, output);
  }
}

export async function startStack(profile: Profile, options: { licenseFile?: string } = {}): Promise<RunningStack> {
  const { DockerComposeEnvironment } = await import('testcontainers');
  execFileSync(resolve(REPO_ROOT, 'certs/create.sh'), { stdio: 'ignore' });
  if (profile === 'curity') {
    if (!options.licenseFile) throw new Error('the curity profile needs a license file');
    prepareCurity(options.licenseFile);
  }

  const environment: StartedDockerComposeEnvironment = await new DockerComposeEnvironment(REPO_ROOT, 'docker-compose.yml')
    .withProfiles(profile)
    .withBuild()
    .withEnvironment({
      // Free host ports, so a running deployment or another test run is no obstacle.
      HTTPS_PORT: '0',
      HTTP_PORT: '0',
      COOKIE_KEYS: randomBytes(32).toString('hex'),
    })
    .withStartupTimeout(10 * 60_000)
    .up();

  const kong = environment.getContainer('kong-1');
  return {
    profile,
    gateway: { address: kong.getHost(), port: kong.getMappedPort(443) },
    ca: readFileSync(resolve(REPO_ROOT, 'certs/ca.crt')),
    stop: async () => {
      await environment.down({ removeVolumes: true });
    },
  };
}
