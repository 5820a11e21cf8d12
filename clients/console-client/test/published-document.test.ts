import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, listen, type RunningServer } from '@mcp-demo/service-kit';
import { unusedPort } from '@mcp-demo/testing';
import { createApp } from '../../client-metadata/src/app.ts';
import { loadDocuments } from '../../client-metadata/src/documents.ts';
import { checkDocument, publishedDocumentFor } from '../src/oauth/published-document.ts';
import { parseCommandLine } from '../src/args.ts';

/**
 * The console client's default client ID metadata document: the one the
 * deployment publishes (the real client-metadata service here), found
 * through the local launcher's endpoints file, and used only when it answers
 * and names itself.
 */
const TEMPLATES = resolve(import.meta.dirname, '../../client-metadata/data/client-metadata.json');
let host: RunningServer;
let hostUrl: string;
let workDir: string;

async function serveDocuments(publicBaseUrl: string, port: number): Promise<RunningServer> {
  const documents = loadDocuments(TEMPLATES, publicBaseUrl);
  return listen(createApp({ documents, logger: createLogger('client-metadata', 'silent'), cacheMaxAgeSeconds: 10 }), port, '127.0.0.1');
}

function endpointsFile(deployDir: string, mcp: string, consoleClient: string): void {
  mkdirSync(join(workDir, deployDir), { recursive: true });
  writeFileSync(join(workDir, deployDir, 'endpoints.json'), JSON.stringify({ external: { mcp }, clientMetadataDocuments: { consoleClient, mcpInspector: `${hostUrl}/mcp-inspector.json` } }));
}

beforeAll(async () => {
  const port = await unusedPort();
  hostUrl = `http://127.0.0.1:${port}`;
  host = await serveDocuments(hostUrl, port);
  workDir = mkdtempSync(join(tmpdir(), 'console-published-'));
});

afterAll(async () => {
  await host?.close();
  rmSync(workDir, { recursive: true, force: true });
});

describe('the published client ID metadata document', () => {
  it("is the local launcher's document for the MCP URL its endpoints file names, in $DEPLOY_DIR or .deploy", () => {
    endpointsFile('.deploy', 'http://127.0.0.1:3100/', `${hostUrl}/console-client.json`);
    expect(publishedDocumentFor('http://127.0.0.1:3100/', {}, workDir)).toBe(`${hostUrl}/console-client.json`);
    endpointsFile('run-2', 'http://127.0.0.1:41000/', `${hostUrl}/console-client.json`);
    expect(publishedDocumentFor('http://127.0.0.1:41000/', { DEPLOY_DIR: 'run-2' }, workDir)).toBe(`${hostUrl}/console-client.json`);
    expect(publishedDocumentFor('http://127.0.0.1:41000/', { DEPLOY_DIR: join(workDir, 'run-2') }, '/nowhere')).toBe(`${hostUrl}/console-client.json`);
  });

  it('is none for an MCP server that no known deployment serves', () => {
    endpointsFile('.deploy', 'http://127.0.0.1:3100/', `${hostUrl}/console-client.json`);
    expect(publishedDocumentFor('http://127.0.0.1:3999/', {}, workDir)).toBeUndefined();
    expect(publishedDocumentFor('https://mcp.other.example/', {}, workDir)).toBeUndefined();
    expect(publishedDocumentFor('http://127.0.0.1:3100/', { DEPLOY_DIR: 'missing' }, workDir)).toBeUndefined();
  });

  it("is www.client.example's for the Docker profiles' MCP host", () => {
    expect(publishedDocumentFor('https://mcp.demo.example/', {}, workDir)).toBe('https://www.client.example/console-client.json');
  });

  it('is used when it answers with a document naming itself', async () => {
    expect(await checkDocument(`${hostUrl}/console-client.json`)).toEqual({ ok: true });
  });

  it('is not used when it is missing, unreachable or names another client', async () => {
    expect(await checkDocument(`${hostUrl}/missing.json`)).toEqual({ ok: false, reason: expect.stringMatching(/answered 404/) });
    const closedPort = await unusedPort();
    expect(await checkDocument(`http://127.0.0.1:${closedPort}/console-client.json`)).toEqual({ ok: false, reason: expect.stringMatching(/cannot be fetched/) });
    // A host configured with another public URL serves documents that name that URL, which an authorization server would refuse.
    const port = await unusedPort();
    const misconfigured = await serveDocuments('http://127.0.0.1:1', port);
    try {
      expect(await checkDocument(`http://127.0.0.1:${port}/console-client.json`)).toEqual({ ok: false, reason: expect.stringMatching(/names another client_id/) });
    } finally {
      await misconfigured.close();
    }
  });

  it('is looked for by default, and not with --client-metadata-url or --no-client-metadata', () => {
    const run = (argv: string[]) => {
      const parsed = parseCommandLine(argv, {});
      if (parsed.kind !== 'run') throw new Error(parsed.kind);
      return { url: parsed.options.clientMetadataUrl, published: parsed.options.publishedClientMetadata };
    };
    expect(run(['http://127.0.0.1:3100/'])).toEqual({ url: undefined, published: true });
    expect(run(['http://127.0.0.1:3100/', '--no-client-metadata'])).toEqual({ url: undefined, published: false });
    expect(run(['http://127.0.0.1:3100/', '--client-metadata-url', 'https://www.client.example/console-client.json'])).toEqual({
      url: 'https://www.client.example/console-client.json',
      published: false,
    });
    expect(() => run(['http://127.0.0.1:3100/', '--no-client-metadata', '--client-metadata-url', 'https://www.client.example/c.json'])).toThrow(/cannot be combined/);
  });
});
