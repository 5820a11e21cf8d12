// Reads the configuration as the server would: every XML file of config/,
// merged, with #{NAME} placeholders resolved from env/curity.env. Queries
// walk element paths across all files, so a profile split over two files
// (token-service.xml and clients.xml) reads as one.
import { readdirSync, readFileSync } from 'node:fs';
import { XMLParser, XMLValidator } from 'fast-xml-parser';

export const folder = new URL('../../', import.meta.url);

/** A parsed element: child elements by name (always lists), attributes as '@_name', text as '#text'. */
export interface XmlElement {
  [name: string]: XmlElement[] | string | undefined;
}

export interface ConfigFile {
  name: string;
  text: string;
  root: XmlElement;
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  parseAttributeValue: false,
  alwaysCreateTextNode: true,
  isArray: (_name, _path, _isLeaf, isAttribute) => !isAttribute,
});

export function readText(relativePath: string): string {
  return readFileSync(new URL(relativePath, folder), 'utf8');
}

export function configFileNames(): string[] {
  return readdirSync(new URL('config/', folder))
    .filter((name) => name.endsWith('.xml'))
    .sort();
}

/** Whether the file is well-formed XML: true, or the parser's description of the first error. */
export function wellFormed(text: string): true | string {
  const verdict = XMLValidator.validate(text);
  return verdict === true ? true : `${verdict.err.msg} (line ${verdict.err.line})`;
}

export function loadConfigFiles(): ConfigFile[] {
  return configFileNames().map((name) => {
    const text = readText(`config/${name}`);
    const document = parser.parse(text) as XmlElement;
    const root = children(document, 'config')[0];
    if (!root) {
      throw new Error(`config/${name} has no <config> root element`);
    }
    return { name, text, root };
  });
}

export function children(element: XmlElement, name: string): XmlElement[] {
  const value = element[name];
  return Array.isArray(value) ? value : [];
}

/** All elements at a slash-separated path below the given elements. */
export function select(elements: XmlElement[], path: string): XmlElement[] {
  return path.split('/').reduce<XmlElement[]>(
    (current, name) => current.flatMap((element) => children(element, name)),
    elements,
  );
}

export function text(element: XmlElement | undefined): string | undefined {
  const value = element?.['#text'];
  return typeof value === 'string' ? value : undefined;
}

/** The texts of all elements at a path. */
export function texts(elements: XmlElement[], path: string): string[] {
  return select(elements, path).map((element) => text(element) ?? '');
}

/** The single text at a path, failing when there is none or more than one. */
export function single(elements: XmlElement[], path: string): string {
  const found = texts(elements, path);
  if (found.length !== 1) {
    throw new Error(`expected one value at ${path}, found ${found.length}`);
  }
  return found[0] as string;
}

/** List entries (elements with an <id> or <name> key) whose key equals the given value. */
export function withKey(elements: XmlElement[], key: string): XmlElement[] {
  return elements.filter((element) => text(children(element, 'id')[0]) === key || text(children(element, 'name')[0]) === key);
}

export function attribute(element: XmlElement | undefined, name: string): string | undefined {
  const value = element?.[`@_${name}`];
  return typeof value === 'string' ? value : undefined;
}

/** The variables of env/curity.env. */
export function environment(): Map<string, string> {
  const variables = new Map<string, string>();
  for (const line of readText('env/curity.env').split('\n')) {
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (match) {
      variables.set(match[1] as string, match[2] as string);
    }
  }
  return variables;
}

/**
 * Every #{...} parameter of a file, comments included: the server's
 * pre-processor stops on an undefined parameter, and whether it skips
 * comments is not documented, so a file may not mention one anywhere it
 * does not mean it.
 */
export function placeholders(configText: string): string[] {
  return [...configText.matchAll(/#\{([^}]*)\}/g)].map((match) => match[1] as string);
}

/** A configuration value with its #{NAME} placeholders filled from env/curity.env. */
export function resolve(value: string, variables: Map<string, string> = environment()): string {
  return value.replace(/#\{([A-Za-z0-9_]+)\}/g, (_whole, name: string) => {
    const resolved = variables.get(name);
    if (resolved === undefined) {
      throw new Error(`#{${name}} has no value in env/curity.env`);
    }
    return resolved;
  });
}

export interface Mount {
  source: string;
  target: string;
}

export function mounts(): Mount[] {
  const parsed = JSON.parse(readText('mounts.json')) as { curity: Mount[] };
  return parsed.curity;
}
