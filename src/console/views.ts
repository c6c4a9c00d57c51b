import {
  ACTION_REASONS, ACTION_TYPES, enforcementStatus, isOpen, nextStep, type EnforcementAction,
} from '../domain/enforcement.js';
import type { Profile } from '../domain/profile.js';
import {
  CYBER_TIER_NAMES, CYBER_TIERS, EFS_FEATURE_NAMES, EFS_FEATURES, PROGRAM_STATUSES, REQUIREMENTS,
  cyberRequirements, type ProgramStatus,
} from '../domain/programs.js';
import { formatTimestamp } from '../domain/time.js';
import type { HistoryRecord } from '../store/profiles.js';
import { html, type SafeHtml } from '../pages/html.js';
import { cyberField, efsField } from './decisions.js';

/** What every signed-in page knows about its viewer. Never the key itself, never the cookie. */
export interface Viewer {
  /** the CSRF token of this session's forms */
  csrf: string;
  organizationName: string;
  keyId: string;
}

const when = (ms: number | null) => (ms === null ? html`<span class="muted">never</span>` : html`<time>${formatTimestamp(ms)}</time>`);
const flag = (on: boolean, attribute: 'checked' | 'selected') => (on ? html` ${attribute}` : '');
const badge = (status: string) => html`<span class="status ${status}">${status}</span>`;
const csrfInput = (viewer: Viewer) => html`<input type="hidden" name="csrf" value="${viewer.csrf}">`;
const profileUrl = (id: string) => `/console/profiles/${encodeURIComponent(id)}`;
const REQUIREMENT_NAMES: Record<string, string> = { data_retention: 'data retention', human_review: 'human review' };
const notice = (error: string | undefined) => (error ? html`<p class="error" role="alert">${error}</p>` : '');

export function consoleHeader(viewer: Viewer): SafeHtml {
  return html`<header class="console-bar">
<strong>uprof review console</strong>
<span class="muted">${viewer.organizationName}</span>
<nav><a href="/console">Review queue</a><a href="/console/profiles">Profiles</a><a href="/console/webhooks">Webhooks</a></nav>
<form method="post" action="/console/sign-out" class="inline">${csrfInput(viewer)}<button class="secondary" type="submit">Sign out</button></form>
</header>`;
}

export function signInBody(csrf: string, error?: string): SafeHtml {
  return html`${notice(error)}
<p>Sign in with an operator key of your organization. Create one with <code>uprof keys create --org NAME --operator --json</code>.</p>
<form method="post" action="/console/sign-in" class="card">
<input type="hidden" name="csrf" value="${csrf}">
<label>Operator key <input type="password" name="key" autocomplete="off" spellcheck="false" required></label>
<p><button type="submit">Sign in</button></p>
</form>`;
}

export function messageBody(message: string, link: { href: string; text: string } | null): SafeHtml {
  return html`<p class="error">${message}</p>${link ? html`<p><a href="${link.href}">${link.text}</a></p>` : ''}`;
}

const profileLink = (p: Profile) =>
  html`<a href="${profileUrl(p.id)}">${p.name ?? html`<span class="muted">(no name)</span>`}</a><br><code>${p.id}</code>`;

/** What in a profile awaits the provider, in words. */
function pendingList(p: Profile): SafeHtml[] {
  const items: SafeHtml[] = [];
  if (p.cyber?.application) {
    const tiers = p.cyber.application.tiers.map((t) => `${t.toUpperCase()} (${CYBER_TIER_NAMES[t]})`).join(', ');
    items.push(html`<li>Cyber application: ${tiers || 'no tiers named'} <span class="muted">since ${when(p.cyber.application.submittedAt)}</span></li>`);
  }
  if (p.efs?.application) {
    const features = p.efs.application.features.map((f) => EFS_FEATURE_NAMES[f]).join(', ');
    items.push(html`<li>EFS application: ${features || 'no features named'} <span class="muted">since ${when(p.efs.application.submittedAt)}</span></li>`);
  }
  for (const a of p.actions) {
    if (a.checkSubmitted) items.push(html`<li>Identity check on ${a.type} <code>${a.id}</code> (${a.reason})</li>`);
  }
  return items;
}

export function queueBody(profiles: Profile[]): SafeHtml {
  if (profiles.length === 0) return html`<p class="notice">Nothing awaits review.</p>`;
  return html`<p class="muted">${profiles.length} profile${profiles.length === 1 ? '' : 's'} awaiting review, oldest change first.</p>
<table class="queue"><thead><tr><th>Profile</th><th>Awaiting review</th><th>Last change</th></tr></thead><tbody>
${profiles.map((p) => html`<tr><td>${profileLink(p)}</td><td><ul class="plain">${pendingList(p)}</ul></td><td>${when(p.updatedAt)}</td></tr>`)}
</tbody></table>`;
}

export function profilesBody(profiles: Profile[], now: number, next: string | null, error?: string): SafeHtml {
  return html`${notice(error)}
<form method="get" action="/console/profiles" class="card go">
<label>Go to profile id <input type="text" name="id" placeholder="uprof_01…" spellcheck="false" required></label>
<button type="submit">Open</button>
</form>
<h2>Recent profiles</h2>
${profiles.length === 0
    ? html`<p class="muted">No profiles here.</p>`
    : html`<table><thead><tr><th>Profile</th><th>Enforcement</th><th>Cyber</th><th>EFS</th><th>Created</th></tr></thead><tbody>
${profiles.map(
  (p) => html`<tr><td>${profileLink(p)}</td><td>${badge(enforcementStatus(p.actions, now))}</td>
<td>${p.cyber ? badge(p.cyber.status) : html`<span class="muted">none</span>`}</td>
<td>${p.efs ? badge(p.efs.status) : html`<span class="muted">none</span>`}</td><td>${when(p.createdAt)}</td></tr>`,
)}
</tbody></table>`}
${next ? html`<p><a href="${next}" rel="next">Next page →</a></p>` : ''}`;
}

function statusSelect(current: ProgramStatus | null): SafeHtml {
  return html`<label>Status <select name="status">${PROGRAM_STATUSES.map(
    (s) => html`<option value="${s}"${flag(s === (current ?? 'pending'), 'selected')}>${s}</option>`,
  )}</select></label>`;
}

const checkbox = (name: string, on: boolean, label: string) =>
  html`<label class="check"><input type="checkbox" name="${name}"${flag(on, 'checked')}> ${label}</label>`;

function cyberSection(p: Profile, viewer: Viewer): SafeHtml {
  const cyber = p.cyber;
  const requested = new Set(cyber?.application?.tiers ?? []);
  const requirements = cyber ? cyberRequirements(cyber) : null;
  const tierRows = CYBER_TIERS.map((tier) => {
    const state = cyber?.tiers[tier];
    const listed = (flags: Record<string, boolean> | undefined) =>
      REQUIREMENTS.filter((r) => flags?.[r]).map((r) => REQUIREMENT_NAMES[r]).join(', ') || '—';
    return html`<tr><th scope="row">${tier.toUpperCase()} <span class="muted">${CYBER_TIER_NAMES[tier]}</span></th>
<td>${badge(state?.active ? 'active' : 'inactive')}${requested.has(tier) ? html` <span class="status pending">requested</span>` : ''}</td>
<td>${listed(state?.requires)}</td><td>${listed(state?.waived)}</td></tr>`;
  });
  const formRows = CYBER_TIERS.map((tier) => {
    const state = cyber?.tiers[tier];
    return html`<tr><th scope="row">${tier.toUpperCase()}</th>
<td>${checkbox(cyberField.active(tier), Boolean(state?.active) || requested.has(tier), 'active')}</td>
${REQUIREMENTS.map((r) => html`<td>${checkbox(cyberField.requires(tier, r), Boolean(state?.requires[r]), 'required')}</td>`)}
${REQUIREMENTS.map((r) => html`<td>${checkbox(cyberField.waives(tier, r), Boolean(state?.waived[r]), 'waived')}</td>`)}</tr>`;
  });
  return html`<section id="cyber"><h2>Cyber Verification Program</h2>
<p>Status: ${cyber ? badge(cyber.status) : html`<span class="muted">not enrolled</span>`}
${cyber ? html` · earlier models: ${cyber.earlierModels ? 'yes' : 'no'}` : ''}
${requirements ? html` · requests must allow: ${REQUIREMENTS.filter((r) => requirements[r]).map((r) => REQUIREMENT_NAMES[r]).join(', ') || 'nothing'}` : ''}</p>
<table><thead><tr><th>Tier</th><th>Status</th><th>Requirements</th><th>Waivers</th></tr></thead><tbody>${tierRows}</tbody></table>
<form method="post" action="${profileUrl(p.id)}/cyber"><fieldset><legend>Decide cyber</legend>${csrfInput(viewer)}
${statusSelect(cyber?.status ?? null)}
<table class="grid"><thead><tr><th>Tier</th><th>Grant</th>${REQUIREMENTS.map((r) => html`<th>Requires ${REQUIREMENT_NAMES[r]}</th>`)}${REQUIREMENTS.map(
    (r) => html`<th>Waive ${REQUIREMENT_NAMES[r]}</th>`,
  )}</tr></thead><tbody>${formRows}</tbody></table>
${checkbox('earlier_models', Boolean(cyber?.earlierModels), 'Access to earlier models')}
<p class="muted">Only an active program keeps active tiers; rejecting or setting pending withdraws them.</p>
<button type="submit">Save cyber decision</button></fieldset></form></section>`;
}

function efsSection(p: Profile, viewer: Viewer): SafeHtml {
  const efs = p.efs;
  const requested = new Set(efs?.application?.features ?? []);
  return html`<section id="efs"><h2>Enterprise Frontier Safeguards</h2>
<p>Status: ${efs ? badge(efs.status) : html`<span class="muted">not enrolled</span>`}</p>
<table><thead><tr><th>Feature</th><th>Status</th></tr></thead><tbody>${EFS_FEATURES.map(
    (f) => html`<tr><td>${EFS_FEATURE_NAMES[f]} <code>${f}</code></td><td>${badge(efs?.features[f] ? 'active' : 'inactive')}${
      requested.has(f) ? html` <span class="status pending">requested</span>` : ''
    }</td></tr>`,
  )}</tbody></table>
<form method="post" action="${profileUrl(p.id)}/efs"><fieldset><legend>Decide EFS</legend>${csrfInput(viewer)}
${statusSelect(efs?.status ?? null)}
${EFS_FEATURES.map((f) => checkbox(efsField(f), Boolean(efs?.features[f]) || requested.has(f), EFS_FEATURE_NAMES[f]))}
<button type="submit">Save EFS decision</button></fieldset></form></section>`;
}

function actionRow(p: Profile, a: EnforcementAction, now: number, viewer: Viewer): SafeHtml {
  const open = isOpen(a, now);
  const base = `${profileUrl(p.id)}/actions/${encodeURIComponent(a.id)}`;
  const state = !open
    ? html`<span class="status expired">expired</span>`
    : a.checkSubmitted
      ? html`<span class="status pending">identity check in review</span>`
      : html`<span class="status restricted">open</span>${nextStep(a) === 'verify' ? html` <span class="muted">(verify offered)</span>` : ''}`;
  const controls: SafeHtml[] = [];
  if (open && a.checkSubmitted) {
    controls.push(html`<form method="post" action="${base}/identity-check" class="inline">${csrfInput(viewer)}<input type="hidden" name="result" value="passed"><button type="submit">Pass check</button></form>
<form method="post" action="${base}/identity-check" class="inline">${csrfInput(viewer)}<input type="hidden" name="result" value="failed"><button type="submit" class="secondary">Fail check</button></form>`);
  }
  if (open) {
    controls.push(html`<form method="post" action="${base}/resolve" class="inline">${csrfInput(viewer)}<button type="submit" class="secondary">Resolve</button></form>`);
  }
  return html`<tr class="${open ? 'open' : 'expired'}"><td><code>${a.id}</code></td><td>${a.type}</td><td>${a.reason}</td>
<td>${a.clearable ? 'yes' : 'no'}</td><td>${when(a.openedAt)}</td><td>${when(a.expiresAt)}</td><td>${state}</td><td class="controls">${controls}</td></tr>`;
}

function enforcementSection(p: Profile, now: number, viewer: Viewer): SafeHtml {
  const actions = [...p.actions].sort((x, y) => x.openedAt - y.openedAt || (x.id < y.id ? -1 : 1));
  return html`<section id="enforcement"><h2>Enforcement</h2>
<p>Status: ${badge(enforcementStatus(p.actions, now))}</p>
${actions.length === 0
    ? html`<p class="muted">No enforcement actions.</p>`
    : html`<table><thead><tr><th>Action</th><th>Type</th><th>Reason</th><th>Clearable</th><th>Opened</th><th>Expires</th><th>State</th><th></th></tr></thead>
<tbody>${actions.map((a) => actionRow(p, a, now, viewer))}</tbody></table>`}
<form method="post" action="${profileUrl(p.id)}/actions"><fieldset><legend>Open a restriction or ban</legend>${csrfInput(viewer)}
<label>Type <select name="type">${ACTION_TYPES.map((t) => html`<option value="${t}">${t}</option>`)}</select></label>
<label>Reason <select name="reason">${ACTION_REASONS.map((r) => html`<option value="${r}">${r}</option>`)}</select></label>
<label>Expires (UTC, blank for never) <input type="datetime-local" name="expires_at" step="60"></label>
${checkbox('clearable', false, 'Clearable by an identity check (restrictions only)')}
<p class="muted">Bans and account_compromise restrictions never expire.</p>
<button type="submit">Open action</button></fieldset></form></section>`;
}

/** A history entry's detail as compact JSON (its times are already RFC 3339). */
const detailText = (detail: Record<string, unknown>) => JSON.stringify(detail);

function historySection(records: HistoryRecord[]): SafeHtml {
  return html`<section id="history"><h2>History</h2>
${records.length === 0
    ? html`<p class="muted">No history.</p>`
    : html`<table class="history"><thead><tr><th>Time (UTC)</th><th>Actor</th><th>Event</th><th>Detail</th></tr></thead><tbody>
${records.map(
  (r) => html`<tr><td>${when(r.at)}</td><td>${r.actor.type}${r.actor.id ? html`<br><code>${r.actor.id}</code>` : ''}</td>
<td><code>${r.event}</code></td><td><code class="detail">${detailText(r.detail)}</code></td></tr>`,
)}</tbody></table>`}</section>`;
}

export function profileBody(
  p: Profile, history: HistoryRecord[], now: number, viewer: Viewer, messages: { error?: string; saved?: string } = {}, usage: SafeHtml | '' = '',
): SafeHtml {
  const pending = pendingList(p);
  return html`${notice(messages.error)}${messages.saved ? html`<p class="notice" role="status">${messages.saved}</p>` : ''}
<p class="muted"><code>${p.id}</code> · ${p.accessType}${p.internal ? ' (internal)' : ''} · created ${when(p.createdAt)} · updated ${when(p.updatedAt)}</p>
${pending.length > 0 ? html`<div class="card pending"><h2>Awaiting review</h2><ul class="plain">${pending}</ul></div>` : ''}
${cyberSection(p, viewer)}
${efsSection(p, viewer)}
${enforcementSection(p, now, viewer)}
${usage}
${historySection(history)}`;
}
