import { render } from 'velocityjs';
import { readText } from './curity-config.ts';

/**
 * Renders one of the customised Velocity templates with a Velocity engine
 * (velocityjs), so tests read the page a user gets instead of the template's
 * text. What Curity provides around a template is stood in for with the
 * Java behaviour the templates rely on:
 *
 * - `#message("key")`: the text from the messages files added here, found
 *   by the key's prefix (the folder path of the file); Curity's own keys,
 *   which this repository does not hold, render as `[key]`;
 * - `#parse("layouts/default")`: the layout renders the `$_body` the page
 *   defined;
 * - strings and maps as Java has them: `contains`, `startsWith`,
 *   `replaceAll` with a regular expression, `Map.get` and `entrySet`;
 * - `$_tr.encodeHtml` / `encodeHtmlAttribute`: HTML escaping.
 */

/** Where each message key prefix is defined: the folder path of a messages file becomes the key's prefix. */
export const MESSAGE_FILES: Array<[prefix: string, file: string]> = [
  ['authenticator.email.', 'templates/messages/overrides/en/authenticator/email/messages'],
  ['views.oauth.', 'templates/messages/template-areas/mcp-client/en/views/oauth/messages'],
];

export function messageKeys(file: string): Map<string, string> {
  const keys = new Map<string, string>();
  for (const line of readText(file).split('\n')) {
    const match = /^([A-Za-z0-9_.-]+)=(.+)$/.exec(line);
    if (match) keys.set(match[1] as string, match[2] as string);
  }
  return keys;
}

function message(key: string): string {
  const file = MESSAGE_FILES.find(([prefix]) => key.startsWith(prefix));
  const text = file ? messageKeys(file[1]).get(key.slice(file[0].length)) : undefined;
  return text ?? `[${key}]`;
}

export function escapeHtml(value: unknown): string {
  return String(value).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** A java.lang.String as the templates use it. */
export interface JavaString {
  toString(): string;
  contains(part: string): boolean;
  startsWith(prefix: string): boolean;
  replaceAll(regex: string, replacement: string): string;
}

export function javaString(value: string): JavaString {
  return {
    toString: () => value,
    contains: (part) => value.includes(part),
    startsWith: (prefix) => value.startsWith(prefix),
    // Java's replaceAll takes a regular expression; `$1` refers to a group in both languages.
    replaceAll: (regex, replacement) => value.replace(new RegExp(regex, 'g'), replacement),
  };
}

/** A java.util.Map of consent entries: `entrySet()` yields `{ key, value }` in order. */
export function javaMap<V>(entries: Array<[string, V]>): { get(key: string): V | undefined; entrySet(): Array<{ key: JavaString; value: V }> } {
  return {
    get: (key) => entries.find(([name]) => name === key)?.[1],
    entrySet: () => entries.map(([key, value]) => ({ key: javaString(key), value })),
  };
}

export function renderTemplate(path: string, context: Record<string, unknown>): string {
  const template = readText(path).replace('#parse("layouts/default")', '$!_body');
  return render(template, { _tr: { encodeHtml: escapeHtml, encodeHtmlAttribute: escapeHtml }, ...context }, { message });
}
