import type { Response } from 'express';

/** JSON-RPC error codes the transport layer answers with (JSON-RPC 2.0 section 5.1 and the MCP SDK's choice of -32000). */
export const JSON_RPC_PARSE_ERROR = -32700;
export const JSON_RPC_INTERNAL_ERROR = -32603;
export const JSON_RPC_SERVER_ERROR = -32000;

/**
 * Errors about the HTTP request as a whole carry id null: they happen before
 * (or instead of) reading a JSON-RPC request id.
 */
export function sendJsonRpcError(res: Response, status: number, code: number, message: string, headers: Record<string, string> = {}): void {
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.status(status).json({ jsonrpc: '2.0', error: { code, message }, id: null });
}
