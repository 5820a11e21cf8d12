import type { CallToolResult } from '@modelcontextprotocol/server';

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The API's answer as JSON text (what every client can show and every model
 * can read) and, when the answer is a JSON object, as structuredContent too.
 */
export function dataResult(data: unknown): CallToolResult {
  const result: CallToolResult = { content: [{ type: 'text', text: JSON.stringify(data, null, 2) }] };
  if (isPlainObject(data)) result.structuredContent = data;
  return result;
}

/** A failure the model should read and act on (retry later, re-authorize, give up), not a protocol error. */
export function errorResult(message: string): CallToolResult {
  return { content: [{ type: 'text', text: message }], isError: true };
}
