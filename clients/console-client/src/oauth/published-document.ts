import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * The client ID metadata document this deployment publishes for the console
 * client (clients/client-metadata), found for the MCP server being used:
 *
 * - local profile: the launcher's endpoints file names the MCP entry point
 *   and the document, whichever ports this run got (`$DEPLOY_DIR`, default
 *   `.deploy`, relative to the repository root like the launcher's);
 * - Docker profiles: the seed's host names, fixed by kong/kong.yml.
 *
 * It is only a default, so it is used only when it answers: a document that
 * cannot be fetched, or that does not name itself, leaves the client on
 * dynamic registration (with the reason in the verbose output).
 */

const REPO_ROOT = resolve(import.meta.dirname, '..', '..', '..', '..');
const DOCUMENT_TIMEOUT_MS = 3_000;

/** The Docker profiles' MCP entry point and the document www.client.example serves. */
const DOCKER_DOCUMENTS: Record<string, string> = {
  'https://mcp.demo.example/': 'https://www.client.example/console-client.json',
};

interface EndpointsFile {
  external?: { mcp?: unknown };
  clientMetadataDocuments?: { consoleClient?: unknown };
}

/** Where the deployment that serves `serverUrl` publishes the console client's document, if this machine knows. */
export function publishedDocumentFor(serverUrl: string, env: Record<string, string | undefined> = process.env, repoRoot = REPO_ROOT): string | undefined {
  const endpointsFile = resolve(repoRoot, env.DEPLOY_DIR?.trim() || '.deploy', 'endpoints.json');
  let endpoints: EndpointsFile | undefined;
  try {
    endpoints = JSON.parse(readFileSync(endpointsFile, 'utf8')) as EndpointsFile;
  } catch {
    endpoints = undefined; // no local deployment started from this checkout
  }
  const document = endpoints?.clientMetadataDocuments?.consoleClient;
  if (endpoints?.external?.mcp === serverUrl && typeof document === 'string') return document;
  return DOCKER_DOCUMENTS[serverUrl];
}

export type DocumentCheck = { ok: true } | { ok: false; reason: string };

/** Whether `url` serves a client ID metadata document that names itself, as an authorization server will check. */
export async function checkDocument(url: string, fetchDocument: typeof fetch = fetch): Promise<DocumentCheck> {
  let response: Response;
  try {
    response = await fetchDocument(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(DOCUMENT_TIMEOUT_MS) });
  } catch (error) {
    return { ok: false, reason: `${url} cannot be fetched (${error instanceof Error ? error.message : String(error)})` };
  }
  if (response.status !== 200) return { ok: false, reason: `${url} answered ${response.status}` };
  let document: unknown;
  try {
    document = await response.json();
  } catch {
    return { ok: false, reason: `${url} is not JSON` };
  }
  const clientId = (document as { client_id?: unknown } | null)?.client_id;
  if (clientId !== url) return { ok: false, reason: `${url} names another client_id (${String(clientId)})` };
  return { ok: true };
}
