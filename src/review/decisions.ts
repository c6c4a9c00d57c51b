import { Type } from '@sinclair/typebox';
import { Closed, Enum, Nullable, TimestampIn } from '../contract/schema.js';
import { ACTION_REASONS, ACTION_TYPES, type ActionReason, type ActionType } from '../domain/enforcement.js';
import {
  CYBER_TIERS, EFS_FEATURES, PROGRAM_STATUSES, REJECTION_REASONS, REQUIREMENTS,
  type CyberDecision, type CyberTierState, type EfsDecision, type RejectionReason, type RequirementFlags,
} from '../domain/programs.js';
import { codePointLength, describeType, readEnum, requireStorableText } from '../domain/text.js';
import { readTimestamp } from '../domain/time.js';
import { invalidRequest } from '../errors.js';
import { readBoolean, readObject } from '../http/readers.js';

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

// ---- the contract of these bodies (the readers above enforce them, with the rules JSON Schema does not say:
// a reason only with a rejection, no clearable ban, no expiry for bans and account_compromise, the timestamp's
// date and its bound, a note's length after trimming)

const Flags = Closed(Object.fromEntries(REQUIREMENTS.map((r) => [r, Type.Optional(Type.Boolean())])));
const ActiveOrNot = Enum(['active', 'inactive'] as const);
const Reason = Type.Optional(Nullable(Enum(REJECTION_REASONS, { description: 'only with status "rejected"' })));

export const CyberDecisionBody = Closed(
  {
    status: Enum(PROGRAM_STATUSES),
    tiers: Type.Optional(
      Closed(
        Object.fromEntries(
          CYBER_TIERS.map((tier) => [
            tier,
            Type.Optional(Closed({ status: Type.Optional(ActiveOrNot), requirements: Type.Optional(Flags), waivers: Type.Optional(Flags) })),
          ]),
        ),
      ),
    ),
    earlier_models: Type.Optional(Type.Boolean()),
    reason: Reason,
  },
  { title: 'CyberDecision' },
);

export const EfsDecisionBody = Closed(
  {
    status: Enum(PROGRAM_STATUSES),
    features: Type.Optional(Closed(Object.fromEntries(EFS_FEATURES.map((f) => [f, Type.Optional(ActiveOrNot)])))),
    reason: Reason,
  },
  { title: 'EfsDecision' },
);

export const NewActionBody = Closed(
  {
    type: Enum(ACTION_TYPES),
    reason: Enum(ACTION_REASONS),
    clearable: Type.Optional(Type.Boolean({ description: 'restrictions only: an identity check can clear it' })),
    expires_at: Type.Optional(Nullable(TimestampIn('restrictions only, and not for account_compromise'))),
  },
  { title: 'NewEnforcementAction' },
);

export const CheckResultBody = Closed(
  {
    result: Enum(['passed', 'failed'] as const),
    note: Type.Optional(Nullable(Type.String({ description: `at most ${CHECK_NOTE_MAX} characters once trimmed` }))),
  },
  { title: 'IdentityCheckResult' },
);
