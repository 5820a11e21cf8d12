// Runs scripts/create-crypto-env.sh without a Docker engine or a Curity
// image. A stand-in `docker` runs the piped in-container script
// (protect-values.sh) on this machine, with stand-ins for the two image tools
// it calls; each stand-in only records, in its output, what it was given:
//
//   convertks  ->  converted:<the --in-keystore value>
//   java       ->  encrypted(<converter class>.<method>|<encryptionKey>|<value>)
//
// So a test can read from the printed environment which tool turned which
// input into each value, with which key.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CREATE_CRYPTO_ENV = fileURLToPath(new URL('../../scripts/create-crypto-env.sh', import.meta.url));

const FAKE_DOCKER = `#!/usr/bin/env bash
# docker run --rm -i -e NAME=value ... IMAGE bash -s
set -euo pipefail
[ "$1" = run ] || { echo "unexpected docker call: $*" >&2; exit 1; }
shift
env_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --rm | -i) shift ;;
    -e) env_args+=("$2"); shift 2 ;;
    -*) echo "unexpected docker option: $1" >&2; exit 1 ;;
    *) break ;;
  esac
done
printf '%s\\n' "$1" >>"$FAKE_IMAGE_LOG"
shift
[ "$*" = "bash -s" ] || { echo "unexpected container command: $*" >&2; exit 1; }
exec env -i PATH="$FAKE_IMAGE_PATH" IDSVR_HOME="$FAKE_IDSVR_HOME" "\${env_args[@]}" bash -s
`;

const FAKE_CONVERTKS = `#!/usr/bin/env bash
while [ $# -gt 0 ]; do
  if [ "$1" = --in-keystore ]; then printf 'converted:%s\\n' "$2"; exit 0; fi
  shift
done
echo "convertks: no --in-keystore" >&2
exit 1
`;

const FAKE_JAVA = `#!/usr/bin/env bash
xsl='' in='' key=''
while [ $# -gt 0 ]; do
  case "$1" in
    -xsl) xsl="$2"; shift 2 ;;
    -in) in="$2"; shift 2 ;;
    -param) [ "$2" = encryptionKey ] && key="$3"; shift 3 ;;
    *) shift ;;
  esac
done
class=$(grep -o 'xalan://se\\.curity\\.identityserver\\.crypto\\.[A-Za-z]*' "$xsl" | sed 's/.*\\.//')
method=$(grep -o 'converter:[A-Za-z]*(' "$xsl" | sed 's/converter:\\(.*\\)(/\\1/')
value=$(sed -n 's:.*<value>\\(.*\\)</value>.*:\\1:p' "$in")
printf 'encrypted(%s.%s|%s|%s)' "$class" "$method" "$key" "$value"
`;

export interface CryptoEnvRun {
  status: number | null;
  stdout: string;
  stderr: string;
  /** The NAME=value lines of the output. */
  values: Map<string, string>;
  /** The images the stand-in docker was asked to run. */
  images: string[];
}

function executable(path: string, text: string): void {
  writeFileSync(path, text);
  chmodSync(path, 0o755);
}

export function runCreateCryptoEnv(args: string[], env: Record<string, string> = { CURITY_IMAGE: 'curity.azurecr.io/curity/idsvr:test' }): CryptoEnvRun {
  const root = mkdtempSync(join(tmpdir(), 'curity-image-'));
  const hostBin = join(root, 'host-bin');
  const imageBin = join(root, 'image-bin');
  const idsvrHome = join(root, 'opt-idsvr');
  for (const folder of [hostBin, imageBin, join(idsvrHome, 'bin')]) mkdirSync(folder, { recursive: true });
  executable(join(hostBin, 'docker'), FAKE_DOCKER);
  executable(join(imageBin, 'java'), FAKE_JAVA);
  executable(join(idsvrHome, 'bin', 'convertks'), FAKE_CONVERTKS);
  const imageLog = join(root, 'images.log');
  writeFileSync(imageLog, '');

  const result = spawnSync(CREATE_CRYPTO_ENV, args, {
    encoding: 'utf8',
    env: {
      PATH: `${hostBin}:/usr/bin:/bin`,
      FAKE_IMAGE_LOG: imageLog,
      FAKE_IMAGE_PATH: `${imageBin}:/usr/bin:/bin`,
      FAKE_IDSVR_HOME: idsvrHome,
      ...env,
    },
  });
  const values = new Map<string, string>();
  for (const line of result.stdout.split('\n')) {
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (match) values.set(match[1] as string, match[2] as string);
  }
  const images = readFileSync(imageLog, 'utf8').split('\n').filter(Boolean);
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, values, images };
}

/** The names of the values create-crypto-env.sh prints, as it prints them. */
export function generatedParameterNames(): string[] {
  const folder = mkdtempSync(join(tmpdir(), 'ca-'));
  const caFile = join(folder, 'ca.crt');
  // Any file will do: the stand-in tools only pass its base64 along.
  writeFileSync(caFile, 'a stand-in for the development CA');
  const run = runCreateCryptoEnv([caFile]);
  if (run.status !== 0) throw new Error(`create-crypto-env.sh failed: ${run.stderr}`);
  return [...run.values.keys()];
}
