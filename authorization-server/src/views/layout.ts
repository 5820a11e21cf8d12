import { STYLESHEET_PATH } from '../provider/paths.ts';
import { html, toHtmlString, type Markup } from './html.ts';

export function page(title: string, body: Markup): string {
  return `<!DOCTYPE html>\n${toHtmlString(html`<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="referrer" content="no-referrer">
  <title>${title}</title>
  <link rel="stylesheet" href="${STYLESHEET_PATH}">
</head>
<body>
  <main class="card">
${body}
  </main>
</body>
</html>
`)}`;
}

/** Hidden field carrying the form's CSRF token. */
export function csrfField(token: string): Markup {
  return html`<input type="hidden" name="csrf" value="${token}">`;
}

/** The error line of a form page (browser tests find it by its id). */
export function notice(message: string | undefined): Markup {
  if (!message) return html``;
  return html`<p class="notice error" id="error" role="alert">${message}</p>`;
}

export const STYLESHEET = `
:root { color-scheme: light; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
body { margin: 0; min-height: 100vh; display: grid; place-items: center; background: #f3f5f8; color: #1d2430; }
.card { width: min(26rem, calc(100vw - 2rem)); background: #fff; border-radius: 10px; box-shadow: 0 2px 10px rgba(20, 30, 50, .12); padding: 2rem; }
h1 { font-size: 1.35rem; margin: 0 0 1rem; }
p { line-height: 1.5; }
label { display: block; font-weight: 600; margin: 1rem 0 .35rem; }
input[type=email], input[type=text] { box-sizing: border-box; width: 100%; font-size: 1rem; padding: .6rem .7rem; border: 1px solid #b8c0cc; border-radius: 6px; }
input:focus { outline: 2px solid #2f6fed; outline-offset: 1px; }
button { font-size: 1rem; padding: .6rem 1.2rem; border-radius: 6px; border: 1px solid #2f6fed; background: #2f6fed; color: #fff; cursor: pointer; margin-top: 1.2rem; }
button.secondary { background: #fff; color: #2f6fed; }
.actions { display: flex; gap: .75rem; }
.requesting { background: #eef3fd; border-radius: 6px; padding: .6rem .8rem; }
.notice { border-radius: 6px; padding: .6rem .8rem; }
.notice.error { background: #fdecec; color: #8a1c1c; }
ul.permissions { padding-left: 1.2rem; }
.muted { color: #5a6474; font-size: .9rem; }
`;
