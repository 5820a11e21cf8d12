/**
 * A tiny HTML template helper: every interpolated value is escaped unless it
 * is itself the result of `html` (or a list of them), so a page cannot be
 * broken or scripted by a client name, an e-mail address or an error text.
 */
const MARKUP = Symbol('markup');

export interface Markup {
  readonly [MARKUP]: string;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"'`]/g, (character) => ESCAPES[character] ?? character);
}

function isMarkup(value: unknown): value is Markup {
  return typeof value === 'object' && value !== null && MARKUP in value;
}

function fragment(value: unknown): string {
  if (value === undefined || value === null || value === false) return '';
  if (isMarkup(value)) return value[MARKUP];
  if (Array.isArray(value)) return value.map(fragment).join('');
  return escapeHtml(value);
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Markup {
  let output = strings[0] ?? '';
  values.forEach((value, index) => {
    output += fragment(value) + (strings[index + 1] ?? '');
  });
  return { [MARKUP]: output };
}

export function toHtmlString(markup: Markup): string {
  return markup[MARKUP];
}
