import { ACTION_REASONS, ACTION_TYPES, type ActionReason, type ActionType } from '../../../domain/enforcement.js';
import {
  CYBER_TIERS, EFS_FEATURES, PROGRAM_STATUSES, REQUIREMENTS,
  type CyberDecision, type CyberTierState, type EfsDecision, type RequirementFlags,
} from '../../../domain/programs.js';
import { describeType, readEnum } from '../../../domain/text.js';
import { readTimestamp } from '../../../domain/time.js';
import { invalidRequest } from '../../../errors.js';

/** An object with only the named keys; anything else is a 400 naming it. */
export function readObject(field: string, value: unknown, keys: readonly string[]): Record<string, unknown> {
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

/** `{status, tiers?: {a?: {status?, requirements?, waivers?}}, earlier_models?}` */
export function readCyberDecision(value: unknown): CyberDecision {
  const body = readObject('', value, ['status', 'tiers', 'earlier_models']);
  const decision: CyberDecision = { status: readEnum('status', body.status, PROGRAM_STATUSES) };
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

/** `{status, features?: {cmek?: 'active'|'inactive', …}}` */
export function readEfsDecision(value: unknown): EfsDecision {
  const body = readObject('', value, ['status', 'features']);
  const decision: EfsDecision = { status: readEnum('status', body.status, PROGRAM_STATUSES) };
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

/** `{result: 'passed' | 'failed'}` */
export function readCheckResult(value: unknown): boolean {
  const body = readObject('', value, ['result']);
  return readEnum('result', body.result, ['passed', 'failed'] as const) === 'passed';
}
