import { ACTION_REASONS, ACTION_TYPES, type ActionReason, type ActionType } from '../../../domain/enforcement.js';
import {
  CYBER_TIERS, EFS_FEATURES, PROGRAM_STATUSES, REJECTION_REASONS, REQUIREMENTS,
  type CyberDecision, type CyberTierState, type EfsDecision, type RejectionReason, type RequirementFlags,
} from '../../../domain/programs.js';
import { codePointLength, describeType, readEnum, requireStorableText } from '../../../domain/text.js';
import { readTimestamp } from '../../../domain/time.js';
import { invalidRequest } from '../../../errors.js';

/** An object with only the named keys; anything else is a 400 naming it. No body at all reads as `{}` (decisions §35). */
export function readObject(field: string, value: unknown, keys: readonly string[]): Record<string, unknown> {
  if (field === '' && value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidRequest(`${field || 'body'}: expected an object, got ${describeType(value)}.`);
  }
  for (const key of Object.keys(value)) {
    if (!keys.includes(key)) throw invalidRequest(`${field ? `${field}.` : ''}${key}: unknown field.`);
  }
  return value as Record<string, unknown>;
}

export function readBoolean(field: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw invalidRequest(`${field}: expected true or false, got ${describeType(value)}.`);
  return value;
}

const readActive = (field: string, value: unknown) => readEnum(field, value, ['active', 'inactive'] as const) === 'active';

function readFlags(field: string, value: unknown): Partial<RequirementFlags> {
  const body = readObject(field, value, REQUIREMENTS);
  return Object.fromEntries(Object.entries(body).map(([k, v]) => [k, readBoolean(`${field}.${k}`, v)]));
}

/** `reason`: only with `status: "rejected"`, one of REJECTION_REASONS (the end customer reads it in the portal). */
function readRejectionReason(body: Record<string, unknown>, status: string): RejectionReason | undefined {
  if (body.reason === undefined || body.reason === null) return undefined;
  if (status !== 'rejected') throw invalidRequest('reason: only a rejection takes a reason.');
  return readEnum('reason', body.reason, REJECTION_REASONS);
}

/** `{status, tiers?: {a?: {status?, requirements?, waivers?}}, earlier_models?, reason?}` */
export function readCyberDecision(value: unknown): CyberDecision {
  const body = readObject('', value, ['status', 'tiers', 'earlier_models', 'reason']);
  const decision: CyberDecision = { status: readEnum('status', body.status, PROGRAM_STATUSES) };
  const reason = readRejectionReason(body, decision.status);
  if (reason) decision.reason = reason;
  if (body.tiers !== undefined) {
    const tiers = readObject('tiers', body.tiers, CYBER_TIERS);
    decision.tiers = {};
    for (const [tier, raw] of Object.entries(tiers)) {
      const field = `tiers.${tier}`;
      const t = readObject(field, raw, ['status', 'requirements', 'waivers']);
      const patch: Partial<CyberTierState> = {};
      if (t.status !== undefined) patch.active = readActive(`${field}.status`, t.status);
      if (t.requirements !== undefined) patch.requires = readFlags(`${field}.requirements`, t.requirements) as RequirementFlags;
      if (t.waivers !== undefined) patch.waived = readFlags(`${field}.waivers`, t.waivers) as RequirementFlags;
      decision.tiers[tier as (typeof CYBER_TIERS)[number]] = patch;
    }
  }
  if (body.earlier_models !== undefined) decision.earlierModels = readBoolean('earlier_models', body.earlier_models);
  return decision;
}

/** `{status, features?: {cmek?: 'active'|'inactive', …}, reason?}` */
export function readEfsDecision(value: unknown): EfsDecision {
  const body = readObject('', value, ['status', 'features', 'reason']);
  const decision: EfsDecision = { status: readEnum('status', body.status, PROGRAM_STATUSES) };
  const reason = readRejectionReason(body, decision.status);
  if (reason) decision.reason = reason;
  if (body.features !== undefined) {
    const features = readObject('features', body.features, EFS_FEATURES);
    decision.features = Object.fromEntries(Object.entries(features).map(([f, v]) => [f, readActive(`features.${f}`, v)]));
  }
  return decision;
}

/** `{type, reason, clearable?, expires_at?}` */
export function readNewAction(value: unknown): { type: ActionType; reason: ActionReason; clearable: boolean; expiresAt: number | null } {
  const body = readObject('', value, ['type', 'reason', 'clearable', 'expires_at']);
  const type = readEnum('type', body.type, ACTION_TYPES);
  const clearable = body.clearable === undefined ? false : readBoolean('clearable', body.clearable);
  if (type === 'ban' && clearable) throw invalidRequest('clearable: a ban cannot be cleared by an identity check.');
  const expiresAt = body.expires_at === undefined || body.expires_at === null ? null : readTimestamp('expires_at', body.expires_at, Infinity);
  const reason = readEnum('reason', body.reason, ACTION_REASONS);
  if (expiresAt !== null && (type === 'ban' || reason === 'account_compromise')) {
    throw invalidRequest('expires_at: bans and account_compromise restrictions never expire; leave it out.');
  }
  return { type, reason, clearable, expiresAt };
}

/** The longest reviewer's note on an identity check, in code points. */
export const CHECK_NOTE_MAX = 1000;

/** `{result: 'passed' | 'failed', note?: string | null}`; a blank note is no note. */
export function readCheckResult(value: unknown): { passed: boolean; note: string | null } {
  const body = readObject('', value, ['result', 'note']);
  const passed = readEnum('result', body.result, ['passed', 'failed'] as const) === 'passed';
  if (body.note === undefined || body.note === null) return { passed, note: null };
  if (typeof body.note !== 'string') throw invalidRequest(`note: expected a string, got ${describeType(body.note)}.`);
  const note = body.note.trim();
  if (codePointLength(note) > CHECK_NOTE_MAX) throw invalidRequest(`note: must be at most ${CHECK_NOTE_MAX} characters (got ${codePointLength(note)}).`);
  requireStorableText('note', note);
  return { passed, note: note === '' ? null : note };
}
