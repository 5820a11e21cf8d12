import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DOCKER_ENDPOINTS } from '../../compose/src/endpoints.ts';
import { repoPath } from '../src/repo.ts';
import { commandExists, environmentWithFakeDocker, environmentWithoutDocker, run } from '../src/run.ts';

const SCRIPTS = [
  'build.sh',
  'deploy.sh',
  'test.sh',
  '.ci/run',
  'scripts/system-packages.sh',
  'certs/create.sh',
  'clients/mcp-inspector/run.sh',
  'kong/spec/run.sh',
  'idsvr-config/db/init.sh',
  'idsvr-config/scripts/create-crypto-env.sh',
  'idsvr-config/scripts/protect-values.sh',
];
const MISSING_SHELLCHECK =
  'shellcheck is not installed: run scripts/system-packages.sh (test.sh does) or apt-get install -y shellcheck';

describe.each(SCRIPTS)('%s', (script) => {
  it('exists and is executable', () => {
    expect(existsSync(repoPath(script))).toBe(true);
    expect(statSync(repoPath(script)).mode & 0o111).not.toBe(0);
  });

  it('passes bash -n', () => {
    const result = run('bash', ['-n', script]);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('passes shellcheck', () => {
    expect(commandExists('shellcheck'), MISSING_SHELLCHECK).toBe(true);
    const result = run('shellcheck', [script]);
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});

describe('deploy.sh', () => {
  const licenses = mkdtempSync(join(tmpdir(), 'licenses-'));
  const file = (name: string, content: string) => {
    const path = join(licenses, name);
    writeFileSync(path, content);
    return path;
  };
  const deploy = (args: string[], licenseFile?: string) =>
    run('./deploy.sh', args, { env: environmentWithoutDocker(licenseFile === undefined ? {} : { LICENSE_FILE_PATH: licenseFile }) });

  it('explains its options', () => {
    const result = deploy(['--help']);
    expect(result.status).toBe(0);
    for (const option of ['--local', '--open', '--curity', '--down', 'LICENSE_FILE_PATH']) expect(result.stdout).toContain(option);
  });

  it('refuses an unknown option', () => {
    const result = deploy(['--bogus']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('unknown option: --bogus');
  });

  it.each([
    ['a missing file', () => join(licenses, 'missing.json'), 'does not exist'],
    ['a folder', () => licenses, 'is not a file'],
    ['a file that is not JSON', () => file('license.txt', 'not a license'), 'is not a JSON file'],
    ['JSON without a License key', () => file('other.json', '{"Licence": "eyJhbGciOi.e30.c2ln"}'), 'has no "License" key'],
    ['a License key that is not a string', () => file('number.json', '{"License": 42}'), 'has no "License" key'],
  ])('rejects %s as LICENSE_FILE_PATH before anything starts', (_case, path, message) => {
    const result = deploy(['--curity'], path());
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(message);
    expect(result.stdout).not.toContain('Starting');
  });

  it('accepts a Curity license file and then needs Docker for the Curity profile', () => {
    const result = deploy(['--curity'], file('license.json', '{"License": "eyJhbGciOi.eyJ0eXAiOiJsaWNlbnNlIn0.c2lnbmF0dXJl"}'));
    expect(result.stderr).not.toContain('License');
    expect(result.stderr).toContain('Docker is not available; the Curity profile runs in Docker');
    expect(result.status).toBe(1);
  });

  it('asks for LICENSE_FILE_PATH when the Curity profile is requested without it', () => {
    const result = deploy(['--curity']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('needs LICENSE_FILE_PATH');
  });

  it.each([
    ['without a license', undefined],
    ['even with a license, which it says it cannot use', '{"License": "eyJhbGciOi.e30.c2ln"}'],
  ])('runs the local profile (npm start) when Docker is not available, %s', (_case, license) => {
    // A stand-in npm that records how it was called instead of starting the stack.
    const bin = mkdtempSync(join(tmpdir(), 'fake-npm-'));
    const calls = join(bin, 'calls');
    writeFileSync(join(bin, 'npm'), `#!/bin/sh\nprintf '%s\\n' "$*" >> "${calls}"\n`, { mode: 0o755 });
    const env = environmentWithoutDocker(license === undefined ? {} : { LICENSE_FILE_PATH: file('local.json', license) });
    const result = run('./deploy.sh', [], { env: { ...env, PATH: `${bin}:${env.PATH ?? ''}` } });

    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('Docker is not available: running the local profile instead.');
    expect(result.stdout).toContain('Starting the local profile');
    expect(result.stdout.includes('LICENSE_FILE_PATH is set, but the Curity Identity Server needs Docker')).toBe(license !== undefined);
    expect(readFileSync(calls, 'utf8').trim().split('\n')).toEqual(['start']);
  });

  it('hands REPLICAS to the launcher as its replica settings in the local profile', () => {
    const bin = mkdtempSync(join(tmpdir(), 'fake-npm-'));
    const calls = join(bin, 'calls');
    writeFileSync(join(bin, 'npm'), `#!/bin/sh\nprintf '%s mcp=%s as=%s\\n' "$*" "$MCP_SERVER_REPLICAS" "$AUTHORIZATION_SERVER_REPLICAS" >> "${calls}"\n`, { mode: 0o755 });
    const env = environmentWithoutDocker({ REPLICAS: '2' });
    const result = run('./deploy.sh', ['--local'], { env: { ...env, PATH: `${bin}:${env.PATH ?? ''}` } });
    expect(result.status, result.stderr).toBe(0);
    expect(readFileSync(calls, 'utf8').trim()).toBe('start mcp=2 as=2');
  });

  it('says so when a Docker profile or --down is requested without Docker', () => {
    expect(deploy(['--open']).stderr).toContain('Docker is not available');
    const down = deploy(['--down']);
    expect(down.status).toBe(1);
    expect(down.stderr).toContain('Docker is not available');
  });
});

describe('deploy.sh with a Docker engine (a stand-in that starts nothing)', () => {
  /** A copy of the files deploy.sh uses, so its .deploy/ and certs/ land in a temporary folder. */
  function deployment(): { root: string; log: string } {
    const root = mkdtempSync(join(tmpdir(), 'deploy-'));
    for (const path of ['deploy.sh', 'certs/create.sh', 'data/users.json', 'idsvr-config/scripts/create-crypto-env.sh', 'idsvr-config/scripts/protect-values.sh']) {
      cpSync(repoPath(path), join(root, path));
    }
    return { root, log: join(root, 'docker.log') };
  }
  const calls = (log: string) => readFileSync(log, 'utf8').trim().split('\n');

  it('deploys the open profile when no license is given, with per-deployment cookie keys, and prints where everything is', () => {
    const { root, log } = deployment();
    const result = run(join(root, 'deploy.sh'), [], { cwd: root, env: environmentWithFakeDocker(log) });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('LICENSE_FILE_PATH is not set: deploying the open profile');
    expect(result.stdout).toContain('The Docker deployment is running (profile open)');
    for (const url of ['https://mcp.demo.example/', 'https://mail.demo.example/']) {
      expect(result.stdout).toContain(url);
    }
    // The metadata location the Curity Identity Server serves too (RFC 8414
    // path insertion); it has nothing at the root form.
    expect(result.stdout).toMatch(/Authorization server metadata +https:\/\/login\.demo\.example\/\.well-known\/oauth-authorization-server\/oauth\/v2\/oauth-anonymous\n/);
    expect(result.stdout).toContain('john.doe@demo.example');
    expect(result.stdout).toMatch(/mcp\.demo\.example resolves to this machine|127\.0\.0\.1 mcp\.demo\.example api\.demo\.example login\.demo\.example/);
    expect(result.stdout).not.toContain('admin.demo.example/admin');

    const cookieFile = join(root, '.deploy/authorization-server.env');
    expect(statSync(cookieFile).mode & 0o077).toBe(0);
    const cookieKeys = /^COOKIE_KEYS=([0-9a-f]{64})$/.exec(readFileSync(cookieFile, 'utf8').trim())?.[1];
    expect(cookieKeys).toBeDefined();
    const up = calls(log).find((call) => call.startsWith('compose --profile open up -d'));
    expect(up).toBe(`compose --profile open up -d --remove-orphans|COOKIE_KEYS=${cookieKeys}`);
    expect(calls(log)).toContain(`compose --profile open --profile curity stop idsvr|COOKIE_KEYS=${cookieKeys}`);

    const endpoints = JSON.parse(readFileSync(join(root, '.deploy/endpoints.json'), 'utf8')) as { profile: string; external: Record<string, string> };
    expect(endpoints.profile).toBe('docker-open');
    expect(endpoints.external.mcp).toBe('https://mcp.demo.example/');
    expect(existsSync(join(root, 'certs/ca.crt'))).toBe(true);
  });

  it('deploys the curity profile with the license key and the keys kept out of the repository', () => {
    const { root, log } = deployment();
    const license = join(root, 'license.json');
    writeFileSync(license, JSON.stringify({ License: 'eyJhbGciOi.eyJ0eXAiOiJsaWNlbnNlIn0.c2lnbmF0dXJl', Company: 'Example' }));
    const result = run(join(root, 'deploy.sh'), [], { cwd: root, env: environmentWithFakeDocker(log, { extra: { LICENSE_FILE_PATH: license } }) });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('The Docker deployment is running (profile curity)');
    expect(result.stdout).toContain('https://admin.demo.example/admin');

    const licenseEnv = join(root, '.deploy/curity-license.env');
    expect(readFileSync(licenseEnv, 'utf8')).toBe('LICENSE_KEY=eyJhbGciOi.eyJ0eXAiOiJsaWNlbnNlIn0.c2lnbmF0dXJl\n');
    expect(statSync(licenseEnv).mode & 0o077).toBe(0);
    const secrets = readFileSync(join(root, '.deploy/curity-secrets.env'), 'utf8');
    expect(secrets).toMatch(/^CONFIG_ENCRYPTION_KEY=[0-9a-f]{64}$/m);
    expect(secrets).toMatch(/^TOKEN_SIGNING_KEY=fake-keystore-\d+$/m);
    expect(secrets).toContain('SYMMETRIC_KEY=fake-secret\n');
    expect(secrets).toContain('EXTERNAL_ROOT_CA=fake-ca\n');
    expect(statSync(join(root, '.deploy/curity-secrets.env')).mode & 0o077).toBe(0);
    expect(calls(log).some((call) => call.startsWith('run ') && call.includes('curity.azurecr.io/curity/idsvr:11.4.0'))).toBe(true);
    expect(result.stdout).toMatch(/Authorization server metadata +https:\/\/login\.demo\.example\/\.well-known\/oauth-authorization-server\/oauth\/v2\/oauth-anonymous\n/);
    expect(calls(log)).toContain('compose --profile curity up -d --remove-orphans|COOKIE_KEYS=');

    // A second deployment keeps the keys it made the first time.
    const again = run(join(root, 'deploy.sh'), ['--curity'], { cwd: root, env: environmentWithFakeDocker(log, { extra: { LICENSE_FILE_PATH: license } }) });
    expect(again.status).toBe(0);
    expect(readFileSync(join(root, '.deploy/curity-secrets.env'), 'utf8')).toBe(secrets);

    // A new development CA makes new values: the server must trust the CA
    // that signs the gateway's certificate.
    const later = new Date(Date.now() + 60_000);
    utimesSync(join(root, 'certs/ca.crt'), later, later);
    const renewed = run(join(root, 'deploy.sh'), ['--curity'], { cwd: root, env: environmentWithFakeDocker(log, { extra: { LICENSE_FILE_PATH: license } }) });
    expect(renewed.status).toBe(0);
    expect(readFileSync(join(root, '.deploy/curity-secrets.env'), 'utf8')).not.toBe(secrets);
  });

  it('scales with REPLICAS: MCP servers and open authorization server nodes, and waits for every replica', () => {
    const { root, log } = deployment();
    const env = environmentWithFakeDocker(log, { extra: { REPLICAS: '2', FAKE_DOCKER_CONTAINERS: '2' } });
    const result = run(join(root, 'deploy.sh'), ['--open'], { cwd: root, env });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const up = calls(log).find((call) => call.startsWith('compose --profile open up -d'));
    expect(up).toMatch(/^compose --profile open up -d --remove-orphans --scale utility-mcp-server=2 --scale authorization-server=2\|/);
    const inspected = calls(log).filter((call) => call.startsWith('inspect '));
    for (const container of ['container-kong-1', 'container-kong-2', 'container-authorization-server-1', 'container-authorization-server-2']) {
      expect(inspected.some((call) => call.includes(` ${container}|`))).toBe(true);
    }
  });

  it('scales only the MCP server in the Curity profile, and refuses a REPLICAS that is not 1 to 9', () => {
    const { root, log } = deployment();
    const license = join(root, 'license.json');
    writeFileSync(license, JSON.stringify({ License: 'eyJhbGciOi.eyJ0eXAiOiJsaWNlbnNlIn0.c2lnbmF0dXJl' }));
    const curity = run(join(root, 'deploy.sh'), ['--curity'], { cwd: root, env: environmentWithFakeDocker(log, { extra: { LICENSE_FILE_PATH: license, REPLICAS: '3' } }) });
    expect(curity.status).toBe(0);
    expect(calls(log)).toContain('compose --profile curity up -d --remove-orphans --scale utility-mcp-server=3|COOKIE_KEYS=');

    for (const replicas of ['0', '10', 'two', '']) {
      const refused = run(join(root, 'deploy.sh'), ['--open'], { cwd: root, env: environmentWithFakeDocker(log, { extra: { REPLICAS: replicas } }) });
      if (replicas === '') {
        expect(refused.status).toBe(0);
        continue;
      }
      expect(refused.status).toBe(1);
      expect(refused.stderr).toContain(`REPLICAS must be a whole number from 1 to 9 (got '${replicas}')`);
    }
  });

  it('records the endpoints the compose suite connects to', () => {
    const { root, log } = deployment();
    expect(run(join(root, 'deploy.sh'), ['--open'], { cwd: root, env: environmentWithFakeDocker(log) }).status).toBe(0);
    const endpoints = JSON.parse(readFileSync(join(root, '.deploy/endpoints.json'), 'utf8')) as { external: Record<string, string> };
    expect(endpoints.external).toEqual(DOCKER_ENDPOINTS);
  });

  it('fails with the state and logs when a service does not become healthy', () => {
    const { root, log } = deployment();
    const result = run(join(root, 'deploy.sh'), ['--open'], { cwd: root, env: environmentWithFakeDocker(log, { health: 'exited ' }) });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('kong stopped');
    expect(result.stderr).toContain('the open profile did not start');
    expect(calls(log).some((call) => call.startsWith('compose --profile open logs'))).toBe(true);
    expect(existsSync(join(root, '.deploy/endpoints.json'))).toBe(false);
  });

  it('stops both profiles with --down', () => {
    const { root, log } = deployment();
    const result = run(join(root, 'deploy.sh'), ['--down'], { cwd: root, env: environmentWithFakeDocker(log) });
    expect(result.status).toBe(0);
    expect(calls(log)).toContain('compose --profile open --profile curity down --remove-orphans|COOKIE_KEYS=');
  });
});

describe('clients/mcp-inspector/run.sh (with a stand-in npx that starts nothing)', () => {
  /** A copy of run.sh in a repository-shaped folder, and an npx that records its arguments and CA setting. */
  function inspector(files: Record<string, string> = {}) {
    const root = mkdtempSync(join(tmpdir(), 'inspector-'));
    cpSync(repoPath('clients/mcp-inspector/run.sh'), join(root, 'clients/mcp-inspector/run.sh'));
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), content);
    }
    const bin = mkdtempSync(join(tmpdir(), 'fake-npx-'));
    const log = join(bin, 'calls');
    writeFileSync(join(bin, 'npx'), `#!/bin/sh\nprintf '%s|CA=%s\\n' "$*" "\${NODE_EXTRA_CA_CERTS:-}" >> "${log}"\n`, { mode: 0o755 });
    const { NODE_EXTRA_CA_CERTS: _unset, ...inherited } = process.env;
    const start = (args: string[] = []) => {
      const result = run(join(root, 'clients/mcp-inspector/run.sh'), args, {
        env: { ...inherited, PATH: [bin, dirname(process.execPath), process.env.PATH].join(delimiter) },
      });
      const calls = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [];
      return { ...result, calls };
    };
    return { root, start };
  }

  it('connects to the local profile: external.mcp of .deploy/endpoints.json, over Streamable HTTP, without a CA', () => {
    const { start } = inspector({ '.deploy/endpoints.json': JSON.stringify({ external: { mcp: 'http://127.0.0.1:43100/' } }) });
    const { status, stderr, calls } = start();
    expect(status, stderr).toBe(0);
    expect(calls).toEqual(['--yes @modelcontextprotocol/inspector@2.12.0 --transport http --server-url http://127.0.0.1:43100/|CA=']);
    expect(stderr).toContain('OAuth scope: stocks/read');
  });

  it('falls back to the default local URL without an endpoints file', () => {
    const { calls } = inspector().start();
    expect(calls).toEqual(['--yes @modelcontextprotocol/inspector@2.12.0 --transport http --server-url http://127.0.0.1:3100/|CA=']);
  });

  it('connects to the Docker profiles with --docker, trusting the development CA by its absolute path', () => {
    const { root, start } = inspector({ 'certs/ca.crt': '-----BEGIN CERTIFICATE-----\n' });
    const { status, stderr, calls } = start(['--docker']);
    expect(status, stderr).toBe(0);
    expect(calls).toEqual([`--yes @modelcontextprotocol/inspector@2.12.0 --transport http --server-url https://mcp.demo.example/|CA=${join(root, 'certs/ca.crt')}`]);
  });

  it('refuses --docker without the development CA, saying how to make it, and starts nothing', () => {
    const { status, stderr, calls } = inspector().start(['--docker']);
    expect(status).toBe(1);
    expect(stderr).toContain('./certs/create.sh');
    expect(calls).toEqual([]);
  });

  it('refuses an unknown argument with its usage', () => {
    const { status, stderr, calls } = inspector().start(['--bogus']);
    expect(status).toBe(2);
    expect(stderr).toContain('unknown argument: --bogus');
    expect(stderr).toContain('--docker');
    expect(calls).toEqual([]);
  });
});

describe('build.sh', () => {
  it('explains its options and refuses unknown ones', () => {
    const help = run('./build.sh', ['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--no-docker');
    const bogus = run('./build.sh', ['--bogus']);
    expect(bogus.status).toBe(1);
    expect(bogus.stderr).toContain('unknown option: --bogus');
  });
});

const inGitWorkTree = commandExists('git') && run('git', ['rev-parse', '--is-inside-work-tree']).stdout.trim() === 'true';

describe('generated state', () => {
  it.skipIf(!inGitWorkTree)(`keeps deploy.sh output and certificates out of git${inGitWorkTree ? '' : ' (skipped: not a git work tree)'}`, () => {
    const ignored = run('git', ['check-ignore', '.deploy/curity-license.env', 'certs/ca.key', 'certs/tls.key', 'certs/ca.crt']);
    expect(ignored.stdout.trim().split('\n')).toEqual(['.deploy/curity-license.env', 'certs/ca.key', 'certs/tls.key', 'certs/ca.crt']);
    const kept = run('git', ['check-ignore', 'certs/create.sh', 'certs/README.md']);
    expect(kept.stdout).toBe('');
  });
});
