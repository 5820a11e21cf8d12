import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import type { OAuthClientInformationMixed, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';

/**
 * How the stored client identity came about. A dynamic registration can be
 * discarded and redone; a client ID metadata document is the client's own
 * URL and is never "registered".
 */
export type RegistrationKind = 'dynamic' | 'metadata-document';

export interface StoredTokens extends OAuthTokens {
  /** Seconds since the epoch after which the access token is no longer worth sending. */
  expires_at?: number;
}

/** Everything the client remembers about one MCP server. */
export interface ServerState {
  serverUrl: string;
  registration?: RegistrationKind;
  clientInformation?: OAuthClientInformationMixed;
  tokens?: StoredTokens;
  codeVerifier?: string;
}

export interface StateStore {
  readonly directory: string;
  /** The file that holds the state for one MCP server. */
  fileFor(serverUrl: string): string;
  load(serverUrl: string): ServerState;
  update(serverUrl: string, change: (state: ServerState) => ServerState): ServerState;
  /** Forgets everything about one server. Returns whether anything was stored. */
  remove(serverUrl: string): boolean;
}

// Stored files are read back leniently: the SDK owns the shape of client
// information and tokens, the store only insists on what it relies on.
const stateFileSchema = z.object({
  serverUrl: z.string(),
  registration: z.enum(['dynamic', 'metadata-document']).optional(),
  clientInformation: z.looseObject({ client_id: z.string() }).optional(),
  tokens: z.looseObject({ access_token: z.string(), token_type: z.string() }).optional(),
  codeVerifier: z.string().optional(),
});

/** The default state directory: $XDG_STATE_HOME/mcp-console-client, else ~/.local/state/mcp-console-client. */
export function defaultStateDirectory(env: Record<string, string | undefined> = process.env): string {
  const base = env.XDG_STATE_HOME && env.XDG_STATE_HOME.startsWith('/') ? env.XDG_STATE_HOME : join(homedir(), '.local', 'state');
  return join(base, 'mcp-console-client');
}

/** One spelling per server, so that `http://host:80` and `http://HOST/` share their state. */
export function normaliseServerUrl(serverUrl: string): string {
  return new URL(serverUrl).href;
}

function fileName(serverUrl: string): string {
  const url = new URL(normaliseServerUrl(serverUrl));
  const readable = `${url.hostname}${url.port ? `_${url.port}` : ''}`.replace(/[^A-Za-z0-9._-]/g, '_');
  const digest = createHash('sha256').update(url.href).digest('hex').slice(0, 16);
  return `${readable}-${digest}.json`;
}

const PRIVATE_DIRECTORY = 0o700;
const PRIVATE_FILE = 0o600;

/**
 * Tokens and client secrets live here, so the directory must not be readable
 * by anyone else. A directory the store creates is private; an existing one
 * that others can reach is refused rather than silently used (or silently
 * re-permissioned, which could break whatever else lives there).
 */
function ensurePrivateDirectory(directory: string): void {
  const created = mkdirSync(directory, { recursive: true, mode: PRIVATE_DIRECTORY });
  if (process.platform === 'win32') return;
  if (created !== undefined) chmodSync(directory, PRIVATE_DIRECTORY);
  const mode = statSync(directory).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new Error(
      `The state directory ${directory} is accessible by other users (mode ${mode.toString(8)}); run "chmod 700 ${directory}" or choose another --state-dir`,
    );
  }
}

function writePrivateFile(file: string, content: string): void {
  // Write-then-rename so a crash never leaves half a token file behind.
  const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(temporary, content, { mode: PRIVATE_FILE });
  chmodSync(temporary, PRIVATE_FILE);
  renameSync(temporary, file);
}

export function createStateStore(directory: string): StateStore {
  const fileFor = (serverUrl: string) => join(directory, fileName(serverUrl));

  const load = (serverUrl: string): ServerState => {
    const normalised = normaliseServerUrl(serverUrl);
    let text: string;
    try {
      text = readFileSync(fileFor(normalised), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { serverUrl: normalised };
      throw error;
    }
    let parsed: z.infer<typeof stateFileSchema>;
    try {
      parsed = stateFileSchema.parse(JSON.parse(text));
    } catch {
      // A damaged file only costs a new sign-in; it must not lock the user out.
      return { serverUrl: normalised };
    }
    if (parsed.serverUrl !== normalised) return { serverUrl: normalised };
    return parsed as ServerState;
  };

  const update = (serverUrl: string, change: (state: ServerState) => ServerState): ServerState => {
    const normalised = normaliseServerUrl(serverUrl);
    const next = { ...change(load(normalised)), serverUrl: normalised };
    ensurePrivateDirectory(directory);
    writePrivateFile(fileFor(normalised), `${JSON.stringify(next, null, 2)}\n`);
    return next;
  };

  const remove = (serverUrl: string): boolean => {
    const file = fileFor(serverUrl);
    try {
      statSync(file);
    } catch {
      return false;
    }
    rmSync(file, { force: true });
    return true;
  };

  return { directory, fileFor, load, update, remove };
}
