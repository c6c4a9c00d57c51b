/**
 * The inference gateway on a profile's console page: its metered usage over the last days, its budget, and
 * whether the end customer lets the platform bill them; with the forms that change the last two, read by the
 * operator API's own readers (src/review/gateway.ts), so both surfaces accept the same.
 */
import type { Profile } from '../domain/profile.js';
import { invalidRequest } from '../errors.js';
import { readBudget } from '../review/gateway.js';
import { html, type SafeHtml } from '../pages/html.js';
import { formValue, type FormFields } from '../pages/forms.js';
import type { Budget } from '../store/gateway-settings.js';
import type { renderReport } from '../gateway/usage-report.js';
import { budgetWindow, DAY_MS } from '../gateway/usage.js';
import type { Deps } from '../http/route.js';
import { badge, cell, csrfField, when } from '../pages/kit.js';
import { profileUrl, type Viewer } from './views.js';

/** the days of usage a profile page shows */
export const USAGE_DAYS = 14;

type Report = ReturnType<typeof renderReport>;
type Counts = Report['totals'];

const number = (n: number) => n.toLocaleString('en-US');
const refusals = (c: Counts) => {
  const entries = Object.entries(c.refusals);
  return entries.length === 0 ? html`<span class="muted">—</span>` : entries.map(([reason, n]) => html`<div><code>${reason}</code> ${number(n)}</div>`);
};
/** one day (or the total) as a row that stacks into labelled lines on a phone (the page kit's `cell`) */
const row = (label: SafeHtml | string, c: Counts) =>
  html`<tr>${cell('Day (UTC)', label)}${cell('Messages', number(c.messages))}${cell('Token counts', number(c.count_tokens))}
${cell('Batch requests', number(c.batch_requests))}${cell('Input tokens', number(c.input_tokens))}${cell('Output tokens', number(c.output_tokens))}
${cell('Cache writes', number(c.cache_creation_input_tokens))}${cell('Cache reads', number(c.cache_read_input_tokens))}${cell('Refused', refusals(c))}</tr>`;

export interface BudgetState {
  budget: Budget | null;
  /** flushed tokens in the current window */
  used: number;
  window: { start: number; end: number } | null;
}

/** What the section shows: the last USAGE_DAYS days by UTC day, and the budget with its current window. */
export async function usageOf(deps: Deps, organizationId: string, profileId: string): Promise<[Report, BudgetState]> {
  const now = deps.gateway.clock(organizationId);
  const from = now - (now % DAY_MS) - (USAGE_DAYS - 1) * DAY_MS;
  const report = await deps.gateway.report({ organizationId, profileId }, { granularity: 'day', bucketMs: DAY_MS, from, to: now });
  const budget = await deps.store.gatewaySettings.budget(organizationId, profileId);
  if (!budget) return [report, { budget: null, used: 0, window: null }];
  const window = budgetWindow(budget.period, now);
  return [report, { budget, used: await deps.store.usage.tokensSince(organizationId, profileId, window.start), window }];
}

export function usageSection(p: Profile, report: Report, budget: BudgetState, viewer: Viewer, now: number): SafeHtml {
  const days = [...report.data].reverse();
  const b = budget.budget;
  return html`<section id="usage"><h2>Inference usage</h2>
<p class="muted">Requests through the gateway attributed to this profile, by UTC day (the last ${USAGE_DAYS}), as written by the meter
(a second or so behind).</p>
<table class="stack usage"><thead><tr><th scope="col">Day (UTC)</th><th scope="col">Messages</th><th scope="col">Token counts</th><th scope="col">Batch requests</th><th scope="col">Input tokens</th>
<th scope="col">Output tokens</th><th scope="col">Cache writes</th><th scope="col">Cache reads</th><th scope="col">Refused</th></tr></thead>
<tbody>${days.map((d) => row(d.starting_at.slice(0, 10), d))}${row(html`<strong>Total</strong>`, report.totals)}</tbody></table>
${report.api_keys.length > 0
    ? html`<p class="muted">By API key: ${report.api_keys.map((k, i) => html`${i > 0 ? ', ' : ''}<code>${k.api_key_id}</code> ${number(k.requests)} requests`)}</p>`
    : ''}
<h3>Budget</h3>
${b && budget.window
    ? html`<p>${number(b.tokens)} tokens per UTC ${b.period}: ${number(budget.used)} used in the window that ends ${when(budget.window.end, now)}
${b.notifyAt === null ? '' : html` · <code>user_profile.usage_threshold_reached</code> at ${Math.round(b.notifyAt * 100)} %`}</p>`
    : html`<p class="muted">No budget: requests are not limited.</p>`}
<form method="post" action="${profileUrl(p.id)}/budget"><fieldset><legend>Set the budget</legend>${csrfField(viewer.csrf)}
<label>Tokens <input type="number" name="tokens" min="1" step="1" value="${b ? String(b.tokens) : ''}" required></label>
<label>Per <select name="period"><option value="day"${b?.period === 'month' ? '' : html` selected`}>UTC day</option><option value="month"${b?.period === 'month' ? html` selected` : ''}>UTC month</option></select></label>
<label>Notify at (fraction, blank for never) <input type="text" name="notify_at" inputmode="decimal" value="${b?.notifyAt === null || !b ? '' : String(b.notifyAt)}" placeholder="0.8"></label>
<button type="submit">Save budget</button></fieldset></form>
${b ? html`<form method="post" action="${profileUrl(p.id)}/budget" class="inline">${csrfField(viewer.csrf)}<input type="hidden" name="remove" value="yes"><button type="submit" class="secondary">Remove the budget</button></form>` : ''}
<h3>Billing</h3>
<p>${p.billingAuthorized
    ? html`${badge('good', 'authorized')} The end customer lets the platform bill them (<code>billing_policy.bill_to: "user_profile"</code>).`
    : html`${badge('none', 'not authorized')} Requests that bill this profile are refused.`}</p>
<form method="post" action="${profileUrl(p.id)}/billing" class="inline">${csrfField(viewer.csrf)}
<input type="hidden" name="authorized" value="${p.billingAuthorized ? 'no' : 'yes'}">
<button type="submit"${p.billingAuthorized ? html` class="secondary"` : ''}>${p.billingAuthorized ? 'Revoke billing authorization' : 'Record billing authorization'}</button></form>
</section>`;
}

/** The budget form, as the operator API's body (`null`: remove the budget). */
export function budgetFromForm(fields: FormFields, now: number): Budget | null {
  if (formValue(fields, 'remove') === 'yes') return null;
  const tokensText = (formValue(fields, 'tokens') ?? '').trim();
  const notifyText = (formValue(fields, 'notify_at') ?? '').trim();
  return readBudget({
    period: formValue(fields, 'period'),
    tokens: /^\d+$/.test(tokensText) ? Number(tokensText) : tokensText,
    notify_at: notifyText === '' ? null : /^\d*\.?\d+$/.test(notifyText) ? Number(notifyText) : notifyText,
  }, now);
}

/** The billing form: `authorized=yes|no`. */
export function billingFromForm(fields: FormFields): boolean {
  const value = formValue(fields, 'authorized');
  if (value !== 'yes' && value !== 'no') throw invalidRequest('authorized: must be yes or no.');
  return value === 'yes';
}
