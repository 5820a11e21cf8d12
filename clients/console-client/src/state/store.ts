import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import type { OAuthClientInformationMixed, OAuthTokens } from '@modelcontextprotocol/client';

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

/** What the client remembers about one MCP server: its tokens and the sign-in in progress. */
export interface ServerState {
  serverUrl: string;
  /** The issuer the tokens came from. */
  issuer?: string;
  tokens?: StoredTokens;
  codeVerifier?: string;
}

/**
 * The client's identity at one authorization server. A client id is only
 * meaningful to the server that issued it (RFC 6749 section 2.2), so
 * registrations are kept per issuer: two MCP servers behind one
 * authorization server share one, and an MCP server that moves to another
 * authorization server gets a new one there without losing the old.
 */
export interface ClientState {
  issuer: string;
  registration?: RegistrationKind;
  clientInformation?: OAuthClientInformationMixed;
}

export interface StateStore {
  readonly directory: string;
  /** The file that holds the state for one MCP server. */
  fileFor(serverUrl: string): string;
  load(serverUrl: string): ServerState;
  update(serverUrl: string, change: (state: ServerState) => ServerState): ServerState;
  /** Forgets everything about one server, and the registration at its authorization server. Returns whether anything was stored. */
  remove(serverUrl: string): boolean;
  /** The file that holds the registration at one authorization server. */
  clientFileFor(issuer: string): string;
  loadClient(issuer: string): ClientState;
  updateClient(issuer: string, change: (state: ClientState) => ClientState): ClientState;
  /** Forgets the registration at one authorization server. Returns whether one was stored. */
  removeClient(issuer: string): boolean;
}

// Stored files are read back leniently: the SDK owns the shape of client
// information and tokens, the store only insists on what it relies on.
const stateFileSchema = z.object({
  serverUrl: z.string(),
  issuer: z.string().optional(),
  tokens: z.looseObject({ access_token: z.string(), token_type: z.string() }).optional(),
  codeVerifier: z.string().optional(),
});

const clientFileSchema = z.object({
  issuer: z.string(),
  registration: z.enum(['dynamic', 'metadata-document']).optional(),
  clientInformation: z.looseObject({ client_id: z.string() }).optional(),
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

/** A readable, collision-free file name for a URL; `prefix` keeps servers and issuers apart. */
function fileName(urlText: string, prefix = ''): string {
  const url = new URL(urlText);
  const readable = `${prefix}${url.hostname}${url.port ? `_${url.port}` : ''}`.replace(/[^A-Za-z0-9._-]/g, '_');
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

/** The file's content, or undefined when there is none or it is damaged (which only costs a new sign-in). */
function readJson<T>(file: string, schema: z.ZodType<T>): T | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return schema.parse(JSON.parse(text));
  } catch {
    return undefined;
  }
}

function removeFile(file: string): boolean {
  try {
    statSync(file);
  } catch {
    return false;
  }
  rmSync(file, { force: true });
  return true;
}

export function createStateStore(directory: string): StateStore {
  const fileFor = (serverUrl: string) => join(directory, fileName(normaliseServerUrl(serverUrl)));
  const clientFileFor = (issuer: string) => join(directory, fileName(issuer, 'issuer-'));

  const write = (file: string, value: unknown) => {
    ensurePrivateDirectory(directory);
    writePrivateFile(file, `${JSON.stringify(value, null, 2)}\n`);
  };

  const load = (serverUrl: string): ServerState => {
    const normalised = normaliseServerUrl(serverUrl);
    const parsed = readJson(fileFor(normalised), stateFileSchema);
    if (!parsed || parsed.serverUrl !== normalised) return { serverUrl: normalised };
    return parsed as ServerState;
  };

  const update = (serverUrl: string, change: (state: ServerState) => ServerState): ServerState => {
    const normalised = normaliseServerUrl(serverUrl);
    const next = { ...change(load(normalised)), serverUrl: normalised };
    write(fileFor(normalised), next);
    return next;
  };

  // Issuers are compared exactly as RFC 8414 section 3.3 compares them: no normalisation.
  const loadClient = (issuer: string): ClientState => {
    const parsed = readJson(clientFileFor(issuer), clientFileSchema);
    if (!parsed || parsed.issuer !== issuer) return { issuer };
    return parsed as ClientState;
  };

  const updateClient = (issuer: string, change: (state: ClientState) => ClientState): ClientState => {
    const next = { ...change(loadClient(issuer)), issuer };
    write(clientFileFor(issuer), next);
    return next;
  };

  return {
    directory,
    fileFor,
    load,
    update,
    remove: (serverUrl) => {
      const { issuer } = load(serverUrl);
      const removedClient = issuer !== undefined && removeFile(clientFileFor(issuer));
      return removeFile(fileFor(serverUrl)) || removedClient;
    },
    clientFileFor,
    loadClient,
    updateClient,
    removeClient: (issuer) => removeFile(clientFileFor(issuer)),
  };
}
