import { ACTION_REASON_WORDS, type ActionReason, type ActionType } from '../domain/enforcement.js';
import type { Actor } from '../domain/history.js';
import {
  CYBER_TIER_NAMES, EFS_FEATURE_NAMES, REJECTION_REASON_WORDS, type CyberTier, type EfsFeature, type RejectionReason,
} from '../domain/programs.js';
import { html, type SafeHtml } from '../pages/html.js';
import { shortTime, when } from '../pages/kit.js';
import type { HistoryRecord } from '../store/profiles.js';
import type { KeyLabel } from '../store/tenancy.js';

/**
 * A profile's history as a reviewer reads it: one sentence per record, its actor named (the key's name,
 * else its last characters), reasons and tiers in words, and resolved enforcement actions put together
 * from their opening and resolution.
 */

/** The key ids a list of records names, to look their labels up in one go. */
export const actorKeyIds = (records: readonly HistoryRecord[]) =>
  records.filter((r) => (r.actor.type === 'platform' || r.actor.type === 'operator') && r.actor.id).map((r) => r.actor.id!);

/** `Alice (operator key …abcd)`, `Platform key …wxyz`, `The end customer, through an action link`, `uprof`. */
export function actorName(actor: Actor, labels: ReadonlyMap<string, KeyLabel>): string {
  if (actor.type === 'end_customer') return `The end customer, through ${actor.id === 'enrollment_url' ? 'an enrollment' : 'an action'} link`;
  if (actor.type === 'system') return 'uprof';
  const kind = actor.type === 'operator' ? 'operator key' : 'platform key';
  const label = actor.id ? labels.get(actor.id) : undefined;
  if (!label) return `A ${kind}${actor.id ? ` (${actor.id})` : ''}`;
  return label.name ? `${label.name} (${kind} …${label.hint})` : `${kind[0].toUpperCase()}${kind.slice(1)} …${label.hint}`;
}

const FIELD_WORDS: Record<string, string> = {
  name: 'the name', access_type: 'the access type', metadata: 'the metadata',
  'external_user_details.account_status': 'the account status', 'external_user_details.country': 'the country',
  'external_user_details.email_hash': 'the email hash', 'external_user_details.entity_type': 'the entity type',
  'external_user_details.name_hash': 'the name hash', 'external_user_details.onboarded_at': 'the onboarding time',
  'external_user_details.reference_id': 'the reference id',
};

/** `a, b and c` */
export function wordList(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

const PROGRAM_NAMES = { cyber: 'the Cyber Verification Program', efs: 'Enterprise Frontier Safeguards' } as const;
const tierWords = (tiers: readonly string[]) => wordList(tiers.map((t) => `${t.toUpperCase()} (${CYBER_TIER_NAMES[t as CyberTier] ?? t})`));
const featureWords = (features: readonly string[]) => wordList(features.map((f) => EFS_FEATURE_NAMES[f as EfsFeature] ?? f));
const itemWords = (program: 'cyber' | 'efs', items: readonly string[]) => (program === 'cyber' ? `tiers ${tierWords(items)}` : featureWords(items));

/** What an enforcement action is, in words: `restriction (Fraud or abuse)`. */
export const actionWords = (type: string, reason: string | undefined) =>
  `${type === 'ban' ? 'ban' : 'restriction'}${reason ? ` (${ACTION_REASON_WORDS[reason as ActionReason] ?? reason})` : ''}`;

type Detail = Record<string, any>;

/** What happened, after the actor's name. */
function sentence(record: HistoryRecord, actions: ReadonlyMap<string, { type: string; reason?: string }>, now: number): SafeHtml {
  const d = record.detail as Detail;
  const action = (id: string) => {
    const known = actions.get(id);
    return actionWords(known?.type ?? d.type ?? 'restriction', known?.reason);
  };
  const note = d.note ? html` <q>${d.note}</q>` : '';
  const [program, what] = record.event.split('.') as ['cyber' | 'efs', string];
  switch (record.event) {
    case 'profile.created':
      return d.name ? html`created the profile as <q>${d.name}</q>.` : html`created the profile (without a name).`;
    case 'profile.updated':
      return html`changed ${wordList((d.fields as string[] ?? []).map((f) => FIELD_WORDS[f] ?? f))}.`;
    case 'profile.deleted':
      return html`deleted the profile.`;
    case 'enforcement.opened':
      return d.type === 'ban'
        ? html`banned the profile: ${action(d.id)}.`
        : html`opened a ${action(d.id)}${d.clearable ? ', which an identity check can clear' : ''}${d.expires_at ? html`, lapsing ${shortTime(Date.parse(d.expires_at))}` : ''}.`;
    case 'enforcement.resolved':
      return record.actor.type === 'system' ? html`ended the ${action(d.id)}: it lapsed.` : html`resolved the ${action(d.id)}.`;
    case 'identity_check.submitted':
      return html`submitted an identity check on the ${action(d.id)}.`;
    case 'identity_check.passed':
      return html`passed the identity check on the ${action(d.id)}.${note}`;
    case 'identity_check.failed':
      return html`failed the identity check on the ${action(d.id)}; the end customer may try again.${note}`;
  }
  if (program === 'cyber' || program === 'efs') {
    switch (what) {
      case 'application_submitted':
        return html`applied to ${PROGRAM_NAMES[program]} for ${itemWords(program, d.requested ?? [])}.`;
      case 'application_reviewed':
        return html`closed the application to ${PROGRAM_NAMES[program]}.`;
      case 'status_changed': {
        const reason = d.reason ? html` Reason given: ${REJECTION_REASON_WORDS[d.reason as RejectionReason] ?? d.reason}` : '';
        return html`set ${PROGRAM_NAMES[program]} to ${d.to}${d.from ? ` (it was ${d.from})` : ''}.${reason}`;
      }
      case 'grants_changed':
        return (d.active ?? []).length === 0
          ? html`withdrew every ${program === 'cyber' ? 'tier' : 'feature'} of ${PROGRAM_NAMES[program]}.`
          : html`set the active ${program === 'cyber' ? 'tiers' : 'features'} of ${PROGRAM_NAMES[program]} to ${itemWords(program, d.active)}.`;
    }
  }
  return html`recorded <code>${record.event}</code>.`;
}

/** The type and reason of every action the records open, by id. */
function openedActions(records: readonly HistoryRecord[]): Map<string, { type: string; reason?: string }> {
  const actions = new Map<string, { type: string; reason?: string }>();
  for (const r of records) if (r.event === 'enforcement.opened') actions.set(r.detail.id as string, { type: r.detail.type as string, reason: r.detail.reason as string });
  return actions;
}

export function historyList(records: readonly HistoryRecord[], labels: ReadonlyMap<string, KeyLabel>, now: number): SafeHtml {
  if (records.length === 0) return html`<p class="muted">No history.</p>`;
  const actions = openedActions(records);
  return html`<ol class="history">${records.map(
    (r) => html`<li><strong>${actorName(r.actor, labels)}</strong> ${sentence(r, actions, now)}<span class="meta">${when(r.at, now)}</span></li>`,
  )}</ol>`;
}

/** An enforcement action that is no longer open, as its history tells it. */
export interface ResolvedAction {
  id: string;
  type: ActionType;
  reason: ActionReason;
  openedAt: number;
  openedBy: Actor;
  resolvedAt: number;
  resolvedBy: Actor;
  /** how it ended: resolved by someone, cleared by a passed identity check, or lapsed */
  how: 'resolved' | 'check_passed' | 'lapsed';
  note: string | null;
}

/**
 * The profile's resolved actions, newest resolution first, from its history (the profile row keeps only
 * open actions, and the wire shows only those: contract-2 §1.5).
 */
export function resolvedActions(records: readonly HistoryRecord[]): ResolvedAction[] {
  const opened = new Map(records.filter((r) => r.event === 'enforcement.opened').map((r) => [r.detail.id as string, r]));
  const passed = new Map(records.filter((r) => r.event === 'identity_check.passed').map((r) => [r.detail.id as string, r]));
  const resolved: ResolvedAction[] = [];
  for (const r of records) {
    if (r.event !== 'enforcement.resolved') continue;
    const id = r.detail.id as string;
    const open = opened.get(id);
    if (!open) continue; // opened before the history the page read
    const check = passed.get(id);
    resolved.push({
      id, type: open.detail.type as ActionType, reason: open.detail.reason as ActionReason, openedAt: open.at, openedBy: open.actor,
      resolvedAt: r.at, resolvedBy: r.actor, how: check ? 'check_passed' : r.actor.type === 'system' ? 'lapsed' : 'resolved',
      note: (check?.detail.note as string | null | undefined) ?? null,
    });
  }
  return resolved;
}
