import {
  ACTION_REASON_WORDS, ACTION_REASONS, enforcementStatus, nextStep, sortedOpenActions,
  type EnforcementAction, type EnforcementStatus,
} from '../domain/enforcement.js';
import { compareEvidence, countryName, DOCUMENT_TYPE_WORDS, type Comparison, type IdentityEvidence } from '../domain/identity.js';
import type { Profile } from '../domain/profile.js';
import {
  CYBER_TIER_NAMES, CYBER_TIERS, EFS_FEATURE_NAMES, EFS_FEATURES, REJECTION_REASON_WORDS, REJECTION_REASONS, REQUIREMENTS,
  cyberRequirements, type CyberTier, type ProgramStatus,
} from '../domain/programs.js';
import { CHECK_NOTE_MAX } from '../review/decisions.js';
import { PROGRAM_FILTER_VALUES, type ProfileSearch } from '../review/search.js';
import { KEY_NAME_MAX } from '../review/settings.js';
import { LOGO_MAX_BYTES, LOGO_MAX_PIXELS, logoUrl } from '../pages/branding.js';
import { html, type SafeHtml } from '../pages/html.js';
import { badge, cell, csrfField, errorNotice, savedNotice, when, type Tone } from '../pages/kit.js';
import type { HistoryRecord } from '../store/profiles.js';
import type { Branding, KeyLabel } from '../store/tenancy.js';
import { cyberField, efsField } from './decisions.js';
import { actionWords, actorName, historyList, resolvedActions } from './history.js';

/** What every signed-in page knows about its viewer. Never the key itself, never the cookie. */
export interface Viewer {
  /** the CSRF token of this session's forms */
  csrf: string;
  organizationName: string;
  keyId: string;
}

export const profileUrl = (id: string) => `/console/profiles/${encodeURIComponent(id)}`;
const flag = (on: boolean, attribute: 'checked' | 'selected') => (on ? html` ${attribute}` : '');
const REQUIREMENT_NAMES: Record<string, string> = { data_retention: 'data retention', human_review: 'human review' };
const PROGRAM_TONE: Record<ProgramStatus, Tone> = { active: 'good', pending: 'waiting', rejected: 'bad' };
const ENFORCEMENT_TONE: Record<EnforcementStatus, Tone> = { unrestricted: 'good', pending: 'waiting', restricted: 'bad', banned: 'bad' };
const programBadge = (status: ProgramStatus | null, none = 'none') => (status ? badge(PROGRAM_TONE[status], status) : badge('none', none));
const enforcementBadge = (status: EnforcementStatus) => badge(ENFORCEMENT_TONE[status], status);
const tierName = (tier: CyberTier) => `${tier.toUpperCase()} (${CYBER_TIER_NAMES[tier]})`;

export function consoleHeader(viewer: Viewer): SafeHtml {
  return html`<header class="console-bar">
<strong>uprof review console</strong>
<span class="muted">${viewer.organizationName}</span>
<nav aria-label="Console"><a href="/console">Review queue</a><a href="/console/profiles">Profiles</a><a href="/console/webhooks">Webhooks</a><a href="/console/settings">Settings</a></nav>
<form method="post" action="/console/sign-out" class="inline">${csrfField(viewer.csrf)}<button class="secondary" type="submit">Sign out</button></form>
</header>`;
}

export function signInBody(csrf: string, error?: string): SafeHtml {
  return html`${errorNotice(error)}
<p>Sign in with an operator key of your organization. Create one with <code>uprof keys create --org NAME --operator --json</code>.</p>
<form method="post" action="/console/sign-in" class="card">
${csrfField(csrf)}
<label for="key">Operator key</label>
<input type="password" id="key" name="key" autocomplete="off" spellcheck="false" required>
<p><button type="submit">Sign in</button></p>
</form>`;
}

export function messageBody(message: string, link: { href: string; text: string } | null): SafeHtml {
  return html`<p class="error">${message}</p>${link ? html`<p><a href="${link.href}">${link.text}</a></p>` : ''}`;
}

const profileLink = (p: Profile) =>
  html`<a href="${profileUrl(p.id)}">${p.name ?? html`<span class="muted">(no name)</span>`}</a><br><code>${p.id}</code>`;

/** What in a profile awaits the provider, in words. */
function pendingList(p: Profile, now: number): SafeHtml[] {
  const items: SafeHtml[] = [];
  if (p.cyber?.application) {
    const tiers = p.cyber.application.tiers.map(tierName).join(', ');
    items.push(html`<li>Cyber application: ${tiers || 'no tiers named'} <span class="muted">submitted ${when(p.cyber.application.submittedAt, now)}</span></li>`);
  }
  if (p.efs?.application) {
    const features = p.efs.application.features.map((f) => EFS_FEATURE_NAMES[f]).join(', ');
    items.push(html`<li>EFS application: ${features || 'no features named'} <span class="muted">submitted ${when(p.efs.application.submittedAt, now)}</span></li>`);
  }
  for (const a of p.actions) {
    if (a.checkSubmitted) items.push(html`<li>Identity check on the ${actionWords(a.type, a.reason)}</li>`);
  }
  return items;
}

/** The queue; when empty, says which organization it shows, so a key of another one is noticed. */
export function queueBody(profiles: Profile[], now: number, viewer: Viewer, organizationHasProfiles: boolean): SafeHtml {
  if (profiles.length === 0) {
    return html`<p class="notice">Nothing awaits review in <strong>${viewer.organizationName}</strong>.</p>
${organizationHasProfiles
    ? ''
    : html`<div class="card"><p><strong>${viewer.organizationName} has no profiles yet.</strong> The console shows only the organization of the
operator key you signed in with. If you expected profiles here, they may belong to another organization: sign in with an operator key of that
organization (<code>uprof keys create --org NAME --operator</code>).</p></div>`}`;
  }
  return html`<p class="muted">${profiles.length} profile${profiles.length === 1 ? '' : 's'} awaiting review in ${viewer.organizationName}, oldest change first.</p>
<table class="stack"><thead><tr><th scope="col">Profile</th><th scope="col">Awaiting review</th><th scope="col">Last change</th></tr></thead><tbody>
${profiles.map((p) => html`<tr>${cell('Profile', profileLink(p))}${cell('Awaiting review', html`<ul class="plain">${pendingList(p, now)}</ul>`)}${cell('Last change', when(p.updatedAt, now))}</tr>`)}
</tbody></table>`;
}

function filterBoxes(name: string, legend: string, values: readonly string[], chosen: readonly string[] | null): SafeHtml {
  return html`<fieldset><legend>${legend}</legend>${values.map(
    (v) => html`<label class="check"><input type="checkbox" name="${name}" value="${v}"${flag(chosen?.includes(v) ?? false, 'checked')}> ${v}</label>`,
  )}</fieldset>`;
}

export function profilesBody(
  search: ProfileSearch, profiles: Profile[], now: number, next: string | null,
): SafeHtml {
  const filtered = search.namePrefix !== null || search.referenceId !== null || search.enforcement || search.cyber || search.efs;
  return html`<form method="get" action="/console/profiles" class="card search" role="search" aria-label="Find profiles">
<label>Name starts with <input type="search" name="name_prefix" value="${search.namePrefix ?? ''}" maxlength="255"></label>
<label>Reference id <input type="text" name="reference_id" value="${search.referenceId ?? ''}" maxlength="255" spellcheck="false"></label>
${filterBoxes('enforcement_status', 'Enforcement', ['unrestricted', 'pending', 'restricted', 'banned'], search.enforcement)}
${filterBoxes('cyber_status', 'Cyber', PROGRAM_FILTER_VALUES, search.cyber)}
${filterBoxes('efs_status', 'EFS', PROGRAM_FILTER_VALUES, search.efs)}
<button type="submit">Search</button>${filtered ? html` <a href="/console/profiles">Clear</a>` : ''}
</form>
<form method="get" action="/console/profiles" class="search">
<label>Go to profile id <input type="text" name="id" placeholder="uprof_01…" spellcheck="false" required></label>
<button type="submit" class="secondary">Open</button>
</form>
<h2>${filtered ? 'Profiles found' : 'Recent profiles'}</h2>
<p class="muted">${search.namePrefix !== null && search.referenceId === null ? 'In name order.' : 'Newest first.'}</p>
${profiles.length === 0
    ? html`<p class="muted">${next ? 'None among the profiles looked at so far; there are more to look at.' : 'No profiles here.'}</p>`
    : html`<table class="stack"><thead><tr><th scope="col">Profile</th><th scope="col">Reference id</th><th scope="col">Enforcement</th><th scope="col">Cyber</th><th scope="col">EFS</th><th scope="col">Created</th></tr></thead><tbody>
${profiles.map(
  (p) => html`<tr>${cell('Profile', profileLink(p))}${cell('Reference id', p.details.reference_id ? html`<code>${p.details.reference_id}</code>` : html`<span class="muted">none</span>`)}
${cell('Enforcement', enforcementBadge(enforcementStatus(p.actions, now)))}${cell('Cyber', programBadge(p.cyber?.status ?? null))}
${cell('EFS', programBadge(p.efs?.status ?? null))}${cell('Created', when(p.createdAt, now))}</tr>`,
)}
</tbody></table>`}
${next ? html`<p><a href="${next}" rel="next">Next page →</a></p>` : ''}`;
}

const checkbox = (name: string, on: boolean, label: string) =>
  html`<label class="check"><input type="checkbox" name="${name}"${flag(on, 'checked')}> ${label}</label>`;

/** The reasons a rejection can give, as a required choice. */
function reasonSelect(id: string): SafeHtml {
  return html`<label for="${id}">Reason the end customer will read</label>
<select id="${id}" name="reason" required><option value="">Choose a reason</option>${REJECTION_REASONS.map(
    (r) => html`<option value="${r}">${REJECTION_REASON_WORDS[r]}</option>`,
  )}</select>`;
}

const decisionHead = (viewer: Viewer, decision: 'approve' | 'reject') =>
  html`${csrfField(viewer.csrf)}<input type="hidden" name="decision" value="${decision}">`;

/** The tiers, with their requirements and waivers, as the approve form sets them (what is unticked is off). */
function cyberGrantForm(p: Profile, viewer: Viewer, button: string, preTicked: readonly CyberTier[]): SafeHtml {
  const cyber = p.cyber;
  const rows = CYBER_TIERS.map((tier) => {
    const state = cyber?.tiers[tier];
    const upper = tier.toUpperCase();
    return html`<tr><th scope="row">${tierName(tier)}</th>
${cell('Grant', checkbox(cyberField.active(tier), Boolean(state?.active) || preTicked.includes(tier), `Grant ${upper}`))}
${REQUIREMENTS.map((r) => cell(`Requires ${REQUIREMENT_NAMES[r]}`, checkbox(cyberField.requires(tier, r), Boolean(state?.requires[r]), `${upper} requires ${REQUIREMENT_NAMES[r]}`)))}
${REQUIREMENTS.map((r) => cell(`Waive ${REQUIREMENT_NAMES[r]}`, checkbox(cyberField.waives(tier, r), Boolean(state?.waived[r]), `Waive ${REQUIREMENT_NAMES[r]} for ${upper}`)))}</tr>`;
  });
  return html`<form method="post" action="${profileUrl(p.id)}/cyber">${decisionHead(viewer, 'approve')}
<table class="stack"><thead><tr><th scope="col">Tier</th><th scope="col">Grant</th>${REQUIREMENTS.map((r) => html`<th scope="col">Requires ${REQUIREMENT_NAMES[r]}</th>`)}${REQUIREMENTS.map(
    (r) => html`<th scope="col">Waive ${REQUIREMENT_NAMES[r]}</th>`,
  )}</tr></thead><tbody>${rows}</tbody></table>
${checkbox('earlier_models', Boolean(cyber?.earlierModels), 'Access to earlier models')}
<p><button type="submit">${button}</button></p></form>`;
}

function efsGrantForm(p: Profile, viewer: Viewer, button: string, preTicked: readonly string[]): SafeHtml {
  return html`<form method="post" action="${profileUrl(p.id)}/efs">${decisionHead(viewer, 'approve')}
<fieldset><legend>Features to approve</legend>${EFS_FEATURES.map((f) => checkbox(efsField(f), Boolean(p.efs?.features[f]) || preTicked.includes(f), EFS_FEATURE_NAMES[f]))}</fieldset>
<p><button type="submit">${button}</button></p></form>`;
}

function rejectForm(p: Profile, viewer: Viewer, program: 'cyber' | 'efs', button: string): SafeHtml {
  return html`<form method="post" action="${profileUrl(p.id)}/${program}">${decisionHead(viewer, 'reject')}
${reasonSelect(`${program}-reason`)}
<p><button type="submit" class="danger">${button}</button></p></form>`;
}

function cyberSection(p: Profile, viewer: Viewer, now: number): SafeHtml {
  const cyber = p.cyber;
  const requirements = cyber ? cyberRequirements(cyber) : null;
  const application = cyber?.application;
  const tierRows = CYBER_TIERS.map((tier) => {
    const state = cyber?.tiers[tier];
    const listed = (flags: Record<string, boolean> | undefined) =>
      REQUIREMENTS.filter((r) => flags?.[r]).map((r) => REQUIREMENT_NAMES[r]).join(', ') || '—';
    return html`<tr><th scope="row">${tierName(tier)}</th>
${cell('Status', html`${badge(state?.active ? 'good' : 'none', state?.active ? 'active' : 'inactive')}${application?.tiers.includes(tier) ? html` ${badge('waiting', 'asked for')}` : ''}`)}
${cell('Requires', listed(state?.requires))}${cell('Waived', listed(state?.waived))}</tr>`;
  });
  let decide: SafeHtml;
  if (application) {
    decide = html`<div class="card pending-card"><h3>Application to decide</h3>
<p>Asked for ${application.tiers.map(tierName).join(', ')}, submitted ${when(application.submittedAt, now)}.</p>
<h4>Approve</h4><p class="muted">The tiers asked for come ticked; untick what you do not grant, add requirements or waivers.</p>
${cyberGrantForm(p, viewer, 'Approve', application.tiers)}
<h4>Reject</h4>${rejectForm(p, viewer, 'cyber', 'Reject the application')}</div>`;
  } else if (cyber?.status === 'active') {
    decide = html`<details><summary>Change the tiers</summary>${cyberGrantForm(p, viewer, 'Save the tiers', [])}</details>
<details><summary>Withdraw the program</summary><p class="muted">Every tier is withdrawn; the end customer reads the reason.</p>${rejectForm(p, viewer, 'cyber', 'Withdraw the program')}</details>`;
  } else {
    decide = html`<details><summary>Grant tiers without an application</summary>${cyberGrantForm(p, viewer, 'Grant', [])}</details>`;
  }
  return html`<section id="cyber" aria-labelledby="cyber-heading"><h2 id="cyber-heading">Cyber Verification Program</h2>
<p>Status: ${programBadge(cyber?.status ?? null, 'not enrolled')}
${cyber ? html` · earlier models: ${cyber.earlierModels ? 'yes' : 'no'}` : ''}
${requirements ? html` · requests must allow: ${REQUIREMENTS.filter((r) => requirements[r]).map((r) => REQUIREMENT_NAMES[r]).join(', ') || 'nothing'}` : ''}
${cyber?.status === 'rejected' && cyber.rejectionReason ? html`<br>Rejected: ${REJECTION_REASON_WORDS[cyber.rejectionReason]}` : ''}</p>
<table class="stack"><thead><tr><th scope="col">Tier</th><th scope="col">Status</th><th scope="col">Requires</th><th scope="col">Waived</th></tr></thead><tbody>${tierRows}</tbody></table>
${decide}</section>`;
}

function efsSection(p: Profile, viewer: Viewer, now: number): SafeHtml {
  const efs = p.efs;
  const application = efs?.application;
  const rows = EFS_FEATURES.map(
    (f) => html`<tr><th scope="row">${EFS_FEATURE_NAMES[f]}</th>${cell('Status', html`${badge(efs?.features[f] ? 'good' : 'none', efs?.features[f] ? 'active' : 'inactive')}${
      application?.features.includes(f) ? html` ${badge('waiting', 'asked for')}` : ''
    }`)}</tr>`,
  );
  let decide: SafeHtml;
  if (application) {
    decide = html`<div class="card pending-card"><h3>Application to decide</h3>
<p>Asked for ${application.features.map((f) => EFS_FEATURE_NAMES[f]).join(', ')}, submitted ${when(application.submittedAt, now)}.</p>
<h4>Approve</h4>${efsGrantForm(p, viewer, 'Approve', application.features)}
<h4>Reject</h4>${rejectForm(p, viewer, 'efs', 'Reject the application')}</div>`;
  } else if (efs?.status === 'active') {
    decide = html`<details><summary>Change the features</summary>${efsGrantForm(p, viewer, 'Save the features', [])}</details>
<details><summary>Withdraw the program</summary>${rejectForm(p, viewer, 'efs', 'Withdraw the program')}</details>`;
  } else {
    decide = html`<details><summary>Approve features without an application</summary>${efsGrantForm(p, viewer, 'Approve', [])}</details>`;
  }
  return html`<section id="efs" aria-labelledby="efs-heading"><h2 id="efs-heading">Enterprise Frontier Safeguards</h2>
<p>Status: ${programBadge(efs?.status ?? null, 'not enrolled')}${efs?.status === 'rejected' && efs.rejectionReason ? html`<br>Rejected: ${REJECTION_REASON_WORDS[efs.rejectionReason]}` : ''}</p>
<table class="stack"><thead><tr><th scope="col">Feature</th><th scope="col">Status</th></tr></thead><tbody>${rows}</tbody></table>
${decide}</section>`;
}

/** An identity check in review, as the reviewer needs it: the evidence beside what the platform stated. */
export interface CheckInReview {
  action: EnforcementAction;
  submittedAt: number | null;
  /** null when the evidence cannot be read (none kept, or sealed under another master key) */
  evidence: IdentityEvidence | null;
}

const COMPARISON: Record<Comparison, (what: string) => SafeHtml> = {
  match: () => html`<span class="match">matches</span>`,
  mismatch: (what) => html`<span class="mismatch">does not match ${what}</span>`,
  not_stated: () => html`<span class="muted">not stated by the platform</span>`,
};

function checkCard(p: Profile, check: CheckInReview, viewer: Viewer, now: number): SafeHtml {
  const { action, evidence } = check;
  const base = `${profileUrl(p.id)}/actions/${encodeURIComponent(action.id)}/identity-check`;
  const compared = evidence ? compareEvidence(evidence, p) : null;
  const evidenceTable = evidence && compared
    ? html`<table class="stack evidence"><thead><tr><th scope="col">Field</th><th scope="col">Submitted</th><th scope="col">The platform states</th><th scope="col">Comparison</th></tr></thead><tbody>
<tr><th scope="row">Legal name</th>${cell('Submitted', evidence.legalName)}${cell('The platform states', p.name ?? html`<span class="muted">—</span>`)}${cell('Comparison', COMPARISON[compared.name]('the profile name'))}</tr>
<tr><th scope="row">Country</th>${cell('Submitted', `${countryName(evidence.country)} (${evidence.country})`)}${cell('The platform states', p.details.country ? `${countryName(p.details.country)} (${p.details.country})` : html`<span class="muted">—</span>`)}${cell('Comparison', COMPARISON[compared.country]('the profile country'))}</tr>
<tr><th scope="row">Date of birth</th>${cell('Submitted', evidence.dateOfBirth)}${cell('The platform states', html`<span class="muted">—</span>`)}${cell('Comparison', COMPARISON.not_stated(''))}</tr>
<tr><th scope="row">Document</th>${cell('Submitted', html`${DOCUMENT_TYPE_WORDS[evidence.documentType]} <code>${evidence.documentNumber}</code>`)}${cell('The platform states', html`<span class="muted">—</span>`)}${cell('Comparison', COMPARISON.not_stated(''))}</tr>
</tbody></table>`
    : html`<p class="error">The evidence of this check cannot be shown: none was kept, or it was sealed with another master key.</p>`;
  const noteId = `note-${action.id}`;
  return html`<div class="card pending-card" id="check-${action.id}"><h3>Identity check on the ${actionWords(action.type, action.reason)}</h3>
<p>Submitted ${when(check.submittedAt, now, 'at an unknown time')}. Passing it resolves the restriction; failing it lets the end customer try again.</p>
${evidenceTable}
<form method="post" action="${base}">${csrfField(viewer.csrf)}
<label for="${noteId}">Note for the history (optional)</label>
<textarea id="${noteId}" name="note" maxlength="${CHECK_NOTE_MAX}" rows="2"></textarea>
<div class="buttons"><button type="submit" name="result" value="passed">Pass the check</button><button type="submit" name="result" value="failed" class="danger">Fail the check</button></div>
</form></div>`;
}

function actionRow(p: Profile, a: EnforcementAction, viewer: Viewer, now: number): SafeHtml {
  const state = a.checkSubmitted
    ? badge('waiting', 'identity check in review')
    : html`${badge('bad', 'open')}${nextStep(a) === 'verify' ? html` <span class="muted">(identity check offered)</span>` : ''}`;
  const resolve = html`<form method="post" action="${profileUrl(p.id)}/actions/${encodeURIComponent(a.id)}/resolve">${csrfField(viewer.csrf)}<button type="submit" class="secondary">Resolve…</button></form>`;
  return html`<tr>${cell('Action', html`${actionWords(a.type, a.reason)}<br><code>${a.id}</code>`)}
${cell('Clearable', a.clearable ? 'by an identity check' : 'no')}${cell('Opened', when(a.openedAt, now))}${cell('Lapses', when(a.expiresAt, now))}
${cell('State', state)}${cell('', resolve)}</tr>`;
}

function enforcementSection(p: Profile, checks: CheckInReview[], history: HistoryRecord[], labels: ReadonlyMap<string, KeyLabel>, viewer: Viewer, now: number): SafeHtml {
  const open = sortedOpenActions(p.actions, now);
  const resolved = resolvedActions(history);
  const how = { resolved: 'resolved', check_passed: 'identity check passed', lapsed: 'lapsed' } as const;
  return html`<section id="enforcement" aria-labelledby="enforcement-heading"><h2 id="enforcement-heading">Enforcement</h2>
<p>Status: ${enforcementBadge(enforcementStatus(p.actions, now))}</p>
${checks.map((c) => checkCard(p, c, viewer, now))}
${open.length === 0
    ? html`<p class="muted">No open enforcement actions.</p>`
    : html`<table class="stack"><thead><tr><th scope="col">Action</th><th scope="col">Clearable</th><th scope="col">Opened</th><th scope="col">Lapses</th><th scope="col">State</th><th scope="col"><span class="muted">Controls</span></th></tr></thead>
<tbody>${open.map((a) => actionRow(p, a, viewer, now))}</tbody></table>`}
${resolved.length === 0
    ? ''
    : html`<details id="resolved-actions"><summary>Resolved actions (${resolved.length})</summary><ul class="plain">${resolved.map(
      (r) => html`<li><strong>${actionWords(r.type, r.reason)}</strong>: ${how[r.how]} by ${actorName(r.resolvedBy, labels)}, ${when(r.resolvedAt, now)}${r.note ? html` — <q>${r.note}</q>` : ''}.
<span class="muted">Opened by ${actorName(r.openedBy, labels)}, ${when(r.openedAt, now)}.</span></li>`,
    )}</ul></details>`}
<form method="post" action="${profileUrl(p.id)}/actions"><fieldset><legend>Open a restriction or ban</legend>${csrfField(viewer.csrf)}
<label for="action-type">Type</label><select id="action-type" name="type"><option value="restriction">Restriction</option><option value="ban">Ban</option></select>
<label for="action-reason">Reason</label><select id="action-reason" name="reason">${ACTION_REASONS.map((r) => html`<option value="${r}">${ACTION_REASON_WORDS[r]}</option>`)}</select>
<label for="action-expires">Lapses at (UTC; blank for never)</label><input type="datetime-local" id="action-expires" name="expires_at" step="60">
${checkbox('clearable', false, 'An identity check can clear it (restrictions only)')}
<p class="muted">Bans and account-compromise restrictions never lapse. A ban asks for confirmation.</p>
<button type="submit">Open the action</button></fieldset></form></section>`;
}

export interface ProfilePage {
  profile: Profile;
  history: HistoryRecord[];
  labels: ReadonlyMap<string, KeyLabel>;
  checks: CheckInReview[];
  now: number;
  viewer: Viewer;
  messages?: { error?: string; saved?: string };
  /** the inference gateway's section: usage over time, budget, billing authorization (console/usage.ts) */
  usage?: SafeHtml;
}

export function profileBody(page: ProfilePage): SafeHtml {
  const { profile: p, now, viewer } = page;
  const d = p.details;
  const pending = pendingList(p, now);
  return html`${errorNotice(page.messages?.error)}${savedNotice(page.messages?.saved)}
<dl class="facts card">
<dt>Profile id</dt><dd><code>${p.id}</code></dd>
<dt>Reference id</dt><dd>${d.reference_id ? html`<code>${d.reference_id}</code>` : html`<span class="muted">none</span>`}</dd>
<dt>Access</dt><dd>${p.accessType}${p.internal ? ' (internal)' : ''}</dd>
<dt>Country</dt><dd>${d.country ? `${countryName(d.country)} (${d.country})` : html`<span class="muted">not stated</span>`}</dd>
<dt>Entity type</dt><dd>${d.entity_type ?? html`<span class="muted">not stated</span>`}</dd>
<dt>Created</dt><dd>${when(p.createdAt, now)}</dd>
<dt>Updated</dt><dd>${when(p.updatedAt, now)}</dd>
</dl>
${pending.length > 0 ? html`<div class="card pending-card"><h2>Awaiting review</h2><ul class="plain">${pending}</ul></div>` : ''}
${cyberSection(p, viewer, now)}
${efsSection(p, viewer, now)}
${enforcementSection(p, page.checks, page.history, page.labels, viewer, now)}
${page.usage ?? ''}
<section id="history" aria-labelledby="history-heading"><h2 id="history-heading">History</h2>${historyList(page.history, page.labels, now)}</section>`;
}

/**
 * A step that asks before something hard to undo (resolving an action, banning): the form's fields again,
 * with `confirm=yes`, and a way back. No JavaScript needed.
 */
export function confirmBody(options: {
  question: SafeHtml;
  action: string;
  fields: Record<string, string>;
  button: string;
  back: string;
  viewer: Viewer;
}): SafeHtml {
  return html`<div class="card"><p>${options.question}</p>
<form method="post" action="${options.action}">${csrfField(options.viewer.csrf)}
${Object.entries(options.fields).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}
<input type="hidden" name="confirm" value="yes">
<div class="buttons"><button type="submit" class="danger">${options.button}</button><a class="button secondary" href="${options.back}">Cancel</a></div>
</form></div>`;
}

export function settingsBody(
  organizationId: string, branding: Branding, key: KeyLabel | null, viewer: Viewer, messages: { error?: string; saved?: string },
): SafeHtml {
  return html`${errorNotice(messages.error)}${savedNotice(messages.saved)}
<section class="card" id="branding" aria-labelledby="branding-heading"><h2 id="branding-heading">How the portal looks</h2>
<p>End customers see ${viewer.organizationName}'s name on every portal page; add a logo and an accent colour if you like.</p>
<h3>Accent colour</h3>
<p>Now: ${branding.accentColor ? html`<code>${branding.accentColor}</code>` : 'the default'}.
<span class="muted">It must be dark enough for white text on it (contrast of at least 4.5:1).</span></p>
<form method="post" action="/console/settings/accent">${csrfField(viewer.csrf)}
<label for="accent_color">Colour</label><input type="color" id="accent_color" name="accent_color" value="${branding.accentColor ?? '#b4532a'}">
<div class="buttons"><button type="submit">Save the colour</button>${branding.accentColor ? html`<button type="submit" name="reset" value="yes" class="secondary">Use the default</button>` : ''}</div>
</form>
<h3>Logo</h3>
${branding.logoSha256 ? html`<p><img src="${logoUrl(organizationId, branding.logoSha256)}" alt="The current logo" class="logo-preview"></p>` : html`<p class="muted">No logo.</p>`}
<form method="post" action="/console/settings/logo" enctype="multipart/form-data">${csrfField(viewer.csrf)}
<label for="logo">PNG image, at most ${LOGO_MAX_BYTES / 1024} KiB and ${LOGO_MAX_PIXELS}×${LOGO_MAX_PIXELS} pixels</label>
<input type="file" id="logo" name="logo" accept="image/png">
<div class="buttons"><button type="submit">Upload the logo</button>${branding.logoSha256 ? html`<button type="submit" name="remove" value="yes" class="secondary">Remove the logo</button>` : ''}</div>
</form></section>
<section class="card" id="key-name" aria-labelledby="key-name-heading"><h2 id="key-name-heading">Your name in history</h2>
<p>History names the key each change was made with. This key is ${key?.name ? html`<strong>${key.name}</strong>` : 'unnamed'} (…${key?.hint ?? ''}).</p>
<form method="post" action="/console/settings/key-name">${csrfField(viewer.csrf)}
<label for="key_name">Name</label><input type="text" id="key_name" name="name" maxlength="${KEY_NAME_MAX}" value="${key?.name ?? ''}">
<p><button type="submit">Save the name</button></p></form></section>`;
}

