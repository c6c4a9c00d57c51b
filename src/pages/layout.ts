import type { FastifyInstance, FastifyReply } from 'fastify';
import { html, type SafeHtml } from './html.js';
import { securityHeaders } from './kit.js';

export { CONTENT_SECURITY_POLICY } from './kit.js';

export interface PageOptions {
  /** the bar above the page's main content */
  header?: SafeHtml;
  /** more stylesheets of our own origin, after the shared one (an organization's theme) */
  stylesheets?: readonly string[];
}

export function sendPage(reply: FastifyReply, status: number, title: string, body: SafeHtml, options: PageOptions = {}): FastifyReply {
  return securityHeaders(reply.code(status))
    .type('text/html; charset=utf-8')
    .send(
      html`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title><link rel="stylesheet" href="/assets/uprof.css">${(options.stylesheets ?? []).map((href) => html`<link rel="stylesheet" href="${href}">`)}</head>
<body><a class="skip" href="#main">Skip to the content</a>${options.header ?? ''}<main id="main" tabindex="-1"><h1>${title}</h1>${body}</main></body>
</html>`.value,
    );
}

/**
 * One stylesheet for every page. Layouts fit from 360 px phones up: wide tables (class `stack`) become
 * labelled stacked rows below 50rem, ids and URLs wrap anywhere, inputs never exceed their container.
 * `--accent` is what an organization's theme (src/pages/branding.ts) overrides.
 */
const STYLESHEET = `
:root{color-scheme:light;--fg:#1d1d1f;--muted:#5f6368;--line:#d9d9de;--accent:#b4532a;--ok:#1e7a46;--warn:#a15c00;--bad:#b3261e;--focus:#1a5fb4;--paper:#fff;--page:#faf9f7}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--page);overflow-wrap:break-word}
.skip{position:absolute;left:.5rem;top:-3rem;background:var(--paper);padding:.4rem .8rem;border:2px solid var(--focus);border-radius:6px;z-index:1}
.skip:focus{top:.5rem}
:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
main:focus{outline:none}
header{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;padding:.75rem 1.5rem;border-bottom:1px solid var(--line);background:var(--paper)}
header nav{display:flex;flex-wrap:wrap;gap:.25rem 1rem}
header .brand{display:flex;gap:.6rem;align-items:center;min-width:0}
header .brand img{height:2.25rem;width:auto;max-width:8rem;object-fit:contain}
main{max-width:52rem;margin:2rem auto;padding:0 1.5rem}
h1{font-size:1.6rem;margin:.2rem 0 1rem;overflow-wrap:anywhere}h2{font-size:1.2rem;margin-top:2rem}h3{font-size:1.05rem;margin:1rem 0 .5rem}
a{color:var(--accent)}
code{font:14px ui-monospace,monospace;background:#f0efec;padding:.1rem .3rem;border-radius:4px;overflow-wrap:anywhere;word-break:normal}
time{white-space:nowrap}.when .ago{color:var(--muted);white-space:nowrap}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{text-align:left;padding:.4rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
form{margin:.75rem 0}fieldset{border:1px solid var(--line);border-radius:8px;padding:.75rem 1rem;margin:0 0 1rem;background:var(--paper);min-width:0}
legend{font-weight:600}label{display:block;margin:.25rem 0}
input[type=text],input[type=password],input[type=date],input[type=datetime-local],input[type=search],select,textarea{font:inherit;padding:.4rem .5rem;border:1px solid #8a8d91;border-radius:6px;min-width:min(16rem,100%);max-width:100%}
textarea{width:100%;min-height:4rem}
input[type=color]{width:4rem;height:2.4rem;padding:.1rem;border:1px solid #8a8d91;border-radius:6px}
button,.button{font:inherit;padding:.45rem 1rem;border:0;border-radius:6px;background:var(--accent);color:#fff;cursor:pointer;text-decoration:none;display:inline-block}
button.secondary,.button.secondary{background:#e9e7e3;color:var(--fg)}
button.danger{background:var(--bad)}
.buttons{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;margin:.5rem 0}.buttons form{margin:0}
.card{background:var(--paper);border:1px solid var(--line);border-radius:10px;padding:1rem 1.25rem;margin:1rem 0}
.card>h2:first-child,.card>h3:first-child{margin-top:0}
.muted{color:var(--muted)}.status{font-weight:600}
.status.good{color:var(--ok)}.status.waiting{color:var(--warn)}.status.bad{color:var(--bad)}.status.none{color:var(--muted)}
.notice{border-left:4px solid var(--accent);padding:.5rem 1rem;background:var(--paper)}.notice.success{border-left-color:var(--ok)}
.error{border-left:4px solid var(--bad);padding:.5rem 1rem;background:var(--paper)}
.notice,.error{margin:1rem 0}
.field-error{color:var(--bad);font-weight:600;margin:.15rem 0}
.inline{display:inline}
ul.plain{margin:0;padding-left:1.1rem}
label.check,label.choice{display:flex;gap:.45rem;align-items:baseline;margin:.3rem 0}
label.check{display:inline-flex;margin-right:1rem}
details{margin:.75rem 0}summary{cursor:pointer;font-weight:600}
dl.facts{display:grid;grid-template-columns:minmax(7rem,max-content) minmax(0,1fr);gap:.25rem 1rem;margin:.5rem 0}dl.facts dt{color:var(--muted)}dl.facts dd{margin:0;min-width:0}
.mismatch{color:var(--bad);font-weight:600}.match{color:var(--ok)}
ol.history{list-style:none;padding:0;margin:0}ol.history li{padding:.5rem 0;border-bottom:1px solid var(--line)}
ol.history .meta{display:block;font-size:.9rem;color:var(--muted)}
.pending-card{border-left:4px solid var(--warn)}
form.search{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:end}form.search label{margin:0}form.search fieldset{margin:0;padding:.25rem .75rem}
body:has(header.console-bar) main{max-width:76rem}
header.console-bar form{margin:0}
@media (max-width:50rem){
  header,main{padding-left:1rem;padding-right:1rem}
  main{margin-top:1.25rem}
  table.stack,table.stack tbody,table.stack tr,table.stack td,table.stack th{display:block;width:auto}
  table.stack thead{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
  table.stack tr{border:1px solid var(--line);border-radius:8px;margin:.6rem 0;padding:.35rem .75rem;background:var(--paper)}
  table.stack td,table.stack th{border:0;padding:.2rem 0}
  table.stack td[data-label]::before{content:attr(data-label);display:block;font-size:.8rem;font-weight:600;color:var(--muted)}
  dl.facts{grid-template-columns:minmax(0,1fr)}dl.facts dd{margin-bottom:.4rem}
}
`;

export function registerAssets(app: FastifyInstance): void {
  // browsers ask for it on every page; there is none, and a 404 would clutter their consoles
  app.get('/favicon.ico', async (_request, reply) => reply.code(204).header('cache-control', 'public, max-age=86400').send());
  app.get('/assets/uprof.css', async (_request, reply) =>
    reply.header('cache-control', 'public, max-age=3600').header('x-content-type-options', 'nosniff').type('text/css; charset=utf-8').send(STYLESHEET),
  );
}
