import type { FastifyReply } from 'fastify';
import { html, type SafeHtml } from './html.js';

/**
 * A strict policy: no scripts at all, styles only from our own stylesheet, forms only to ourselves,
 * never framed. The pages work without JavaScript.
 */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export function sendPage(reply: FastifyReply, status: number, title: string, body: SafeHtml, options: { header?: SafeHtml } = {}): FastifyReply {
  return reply
    .code(status)
    .header('content-security-policy', CONTENT_SECURITY_POLICY)
    .header('x-frame-options', 'DENY')
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('cache-control', 'no-store')
    .type('text/html; charset=utf-8')
    .send(
      html`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title><link rel="stylesheet" href="/assets/uprof.css"></head>
<body>${options.header ?? ''}<main><h1>${title}</h1>${body}</main></body>
</html>`.value,
    );
}

const STYLESHEET = `
:root{color-scheme:light;--fg:#1d1d1f;--muted:#5f6368;--line:#d9d9de;--accent:#b4532a;--ok:#1e7a46;--warn:#a15c00;--bad:#b3261e}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:#faf9f7}
header{display:flex;gap:1rem;align-items:center;padding:.75rem 1.5rem;border-bottom:1px solid var(--line);background:#fff}
header nav a{margin-right:1rem}
main{max-width:52rem;margin:2rem auto;padding:0 1.5rem}
h1{font-size:1.6rem;margin:.2rem 0 1rem}h2{font-size:1.2rem;margin-top:2rem}
a{color:var(--accent)}
code{font:14px ui-monospace,monospace;background:#f0efec;padding:.1rem .3rem;border-radius:4px}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{text-align:left;padding:.4rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
form{margin:.75rem 0}fieldset{border:1px solid var(--line);border-radius:8px;padding:.75rem 1rem;margin:0 0 1rem;background:#fff}
legend{font-weight:600}label{display:block;margin:.25rem 0}
input[type=text],input[type=password],input[type=datetime-local],select{font:inherit;padding:.4rem .5rem;border:1px solid var(--line);border-radius:6px;min-width:16rem}
button{font:inherit;padding:.45rem 1rem;border:0;border-radius:6px;background:var(--accent);color:#fff;cursor:pointer}
button.secondary{background:#e9e7e3;color:var(--fg)}
.card{background:#fff;border:1px solid var(--line);border-radius:10px;padding:1rem 1.25rem;margin:1rem 0}
.muted{color:var(--muted)}.status{font-weight:600}.status.active,.status.unrestricted{color:var(--ok)}
.status.pending{color:var(--warn)}.status.rejected,.status.restricted,.status.banned{color:var(--bad)}
.notice{border-left:4px solid var(--accent);padding:.5rem 1rem;background:#fff}
.error{border-left:4px solid var(--bad);padding:.5rem 1rem;background:#fff}
.inline{display:inline}
.card>h2:first-child{margin-top:0}.status.none{color:var(--muted)}.notice.success{border-left-color:var(--ok)}
/* review console */
body:has(header.console-bar) main{max-width:76rem}
header.console-bar{flex-wrap:wrap}header.console-bar nav{flex:1}header.console-bar form{margin:0}
ul.plain{margin:0;padding-left:1.1rem}
label.check{display:inline-flex;gap:.35rem;align-items:center;margin:.15rem .9rem .15rem 0}
table.grid{width:auto}table.grid th,table.grid td{padding:.3rem .6rem}
td.controls{white-space:nowrap}td.controls form{margin:.15rem .25rem .15rem 0}
.status.inactive,.status.expired{color:var(--muted)}tr.expired td{color:var(--muted)}
code.detail{white-space:pre-wrap;word-break:break-word;font-size:13px}
table.history td:first-child{white-space:nowrap}
form.go{display:flex;gap:.75rem;align-items:end;flex-wrap:wrap}form.go label{margin:0}
.card.pending{border-left:4px solid var(--warn)}.card.pending h2{margin-top:0}
.notice,.error{margin:1rem 0}
`;

export function registerAssets(app: import('fastify').FastifyInstance): void {
  // browsers ask for it on every page; there is none, and a 404 would clutter their consoles
  app.get('/favicon.ico', async (_request, reply) => reply.code(204).header('cache-control', 'public, max-age=86400').send());
  app.get('/assets/uprof.css', async (_request, reply) =>
    reply.header('cache-control', 'public, max-age=3600').header('x-content-type-options', 'nosniff').type('text/css; charset=utf-8').send(STYLESHEET),
  );
}
