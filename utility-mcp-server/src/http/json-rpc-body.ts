import express, { type RequestHandler } from 'express';
import { JSON_RPC_PARSE_ERROR, JSON_RPC_SERVER_ERROR, sendJsonRpcError } from './json-rpc-error.ts';

/** MCP requests are small; the largest ordinary one is an initialize with its capabilities. */
export const MAX_REQUEST_BODY = '100kb';

/**
 * Parses a JSON body and answers what cannot be parsed in JSON-RPC terms,
 * so a client gets a -32700 it understands instead of an HTML error page.
 * Bodies of another media type are left for the transport, which answers 415.
 */
export function jsonRpcBody(): RequestHandler {
  const parse = express.json({ limit: MAX_REQUEST_BODY });
  return (req, res, next) => {
    parse(req, res, (error?: unknown) => {
      if (!error) {
        next();
        return;
      }
      const type = (error as { type?: unknown }).type;
      if (type === 'entity.too.large') {
        sendJsonRpcError(res, 413, JSON_RPC_SERVER_ERROR, `Request body exceeds ${MAX_REQUEST_BODY}`);
      } else if (type === 'encoding.unsupported' || type === 'charset.unsupported') {
        sendJsonRpcError(res, 415, JSON_RPC_SERVER_ERROR, 'Unsupported request body encoding');
      } else {
        sendJsonRpcError(res, 400, JSON_RPC_PARSE_ERROR, 'Parse error: the request body is not valid JSON');
      }
    });
  };
}
