export { startTestIssuer, type MintOptions, type TestIssuer, type TestIssuerOptions } from './token-issuer.ts';
export { listMessages, startTestInbox, waitForOneTimeCode, type InboxMessage, type TestInbox, type WaitForCodeOptions } from './inbox.ts';
export { portInUse, readRequestBody, tamperSignature, unusedPort } from './tokens-and-ports.ts';
export { processRunning, startServiceProcess, type ServiceExit, type ServiceProcess } from './service-process.ts';
export { PHANTOM_TOKEN_VECTORS_FILE, readPhantomTokenVectors, type PhantomTokenVectors, type VectorIntrospectionAnswer, type VectorStep } from './phantom-token-vectors.ts';
export { findPostgresBinDir, startPostgres, type StartPostgresOptions, type TestPostgres } from './postgres.ts';
