import type { CallToolResult, Tool } from '@modelcontextprotocol/client';

/** Text that is JSON comes back indented; anything else unchanged. */
export function prettyIfJson(text: string): string {
  const trimmed = text.trim();
  if (!/^[[{]/.test(trimmed)) return text;
  try {
    return JSON.stringify(JSON.parse(trimmed), null, 2);
  } catch {
    return text;
  }
}

function isJson(text: string): boolean {
  const trimmed = text.trim();
  if (!/^[[{]/.test(trimmed)) return false;
  try {
    JSON.parse(trimmed);
    return true;
  } catch {
    return false;
  }
}

interface SchemaProperty {
  type?: unknown;
  description?: unknown;
}

function describeArguments(tool: Tool): string[] {
  const properties = (tool.inputSchema.properties ?? {}) as Record<string, SchemaProperty>;
  const required = new Set(tool.inputSchema.required ?? []);
  return Object.entries(properties).map(([name, property]) => {
    const type = typeof property.type === 'string' ? property.type : 'any';
    const description = typeof property.description === 'string' ? ` - ${property.description}` : '';
    return `      ${name} (${type}${required.has(name) ? ', required' : ''})${description}`;
  });
}

export function formatTools(tools: Tool[]): string {
  if (tools.length === 0) return 'The server offers no tools.';
  return tools
    .map((tool) => {
      const lines = [`  ${tool.name}${tool.title && tool.title !== tool.name ? ` (${tool.title})` : ''}`];
      if (tool.description) lines.push(`      ${tool.description}`);
      const args = describeArguments(tool);
      if (args.length > 0) lines.push('    arguments:', ...args);
      return lines.join('\n');
    })
    .join('\n');
}

/**
 * A tool result as a person (or a script) wants to read it: structured
 * content as indented JSON, text as text (indented when it is JSON), other
 * content as a one-line description. A text item that merely repeats the
 * structured content as JSON is not printed twice.
 */
export function formatToolResult(result: CallToolResult): string {
  const parts: string[] = [];
  const hasStructured = result.structuredContent !== undefined;
  if (hasStructured) parts.push(JSON.stringify(result.structuredContent, null, 2));
  for (const item of result.content ?? []) {
    switch (item.type) {
      case 'text':
        if (hasStructured && isJson(item.text)) break;
        parts.push(prettyIfJson(item.text));
        break;
      case 'image':
      case 'audio':
        parts.push(`[${item.type} ${item.mimeType}, ${Math.floor((item.data.length * 3) / 4)} bytes]`);
        break;
      case 'resource_link':
        parts.push(`[resource link ${item.uri}${item.name ? ` (${item.name})` : ''}]`);
        break;
      case 'resource':
        parts.push('text' in item.resource && typeof item.resource.text === 'string' ? prettyIfJson(item.resource.text) : `[resource ${item.resource.uri}]`);
        break;
      default:
        parts.push(`[${(item as { type: string }).type} content]`);
    }
  }
  return parts.join('\n');
}
