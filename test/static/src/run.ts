import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { REPO_ROOT } from './repo.ts';

export interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function run(command: string, args: string[], options: { env?: Record<string, string | undefined>; cwd?: string } = {}): Result {
  const result = spawnSync(command, args, {
    cwd: options.cwd ?? REPO_ROOT,
    env: options.env ?? process.env,
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

export function commandExists(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).status === 0;
}

/**
 * An environment whose `docker` answers like an installed CLI without a
 * reachable engine, so the scripts take their no-Docker paths on any machine
 * (and never start containers from a test).
 */
export function environmentWithoutDocker(extra: Record<string, string> = {}): Record<string, string | undefined> {
  const bin = mkdtempSync(join(tmpdir(), 'no-docker-'));
  const fake = join(bin, 'docker');
  writeFileSync(fake, '#!/bin/sh\necho "Cannot connect to the Docker daemon (test stand-in)" >&2\nexit 1\n');
  chmodSync(fake, 0o755);
  const { LICENSE_FILE_PATH: _ignored, ...inherited } = process.env;
  return { ...inherited, PATH: [bin, dirname(process.execPath), process.env.PATH].join(delimiter), ...extra };
}

/**
 * An environment whose `docker` stands in for a working engine with Compose:
 * it records each call (arguments, and COOKIE_KEYS as exported to it) in
 * `log`, reports every container as running and healthy (or as `health`
 * says), and prints fake protected values for `docker run`. Nothing is started.
 */
export function environmentWithFakeDocker(
  log: string,
  options: { health?: string; extra?: Record<string, string> } = {},
): Record<string, string | undefined> {
  const bin = mkdtempSync(join(tmpdir(), 'fake-docker-'));
  const fake = join(bin, 'docker');
  writeFileSync(
    fake,
    [
      '#!/usr/bin/env bash',
      'printf "%s|COOKIE_KEYS=%s\\n" "$*" "${COOKIE_KEYS:-}" >>"$FAKE_DOCKER_LOG"',
      'case "$*" in',
      '  info) exit 0 ;;',
      '  "compose version --short") echo 2.29.7 ;;',
      // One container per replica: FAKE_DOCKER_CONTAINERS of them (default 1).
      '  *" ps --quiet "*) for i in $(seq "${FAKE_DOCKER_CONTAINERS:-1}"); do echo "container-${!#}-$i"; done ;;',
      '  inspect*) echo "$FAKE_DOCKER_HEALTH" ;;',
      // The protected values the Curity image prints (idsvr-config/scripts/protect-values.sh).
      '  run*) printf "TOKEN_SIGNING_KEY=fake-keystore-%s\\nSYMMETRIC_KEY=fake-secret\\nEXTERNAL_ROOT_CA=fake-ca\\n" "$RANDOM" ;;',
      'esac',
      'exit 0',
      '',
    ].join('\n'),
  );
  chmodSync(fake, 0o755);
  const { LICENSE_FILE_PATH: _ignored, ...inherited } = process.env;
  return {
    ...inherited,
    PATH: [bin, dirname(process.execPath), process.env.PATH].join(delimiter),
    FAKE_DOCKER_LOG: log,
    FAKE_DOCKER_HEALTH: options.health ?? 'running healthy',
    ...options.extra,
  };
}
