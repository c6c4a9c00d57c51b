import { formatTimestamp } from '../../../../domain/time.js';
import { describeType, readEnum } from '../../../../domain/text.js';
import { invalidRequest } from '../../../../errors.js';
import { EVERY_ROUTE, FAULT_STATUSES, type Fault, type FaultStatus } from '../../../../store/emulator.js';
import { Type, type Static } from '@sinclair/typebox';
import { Closed, Enum, Nullable, Timestamp } from '../../../../contract/schema.js';
import { routeName } from '../../../emulator.js';
import { readNumber, readObject } from '../../../readers.js';
import type { OperatorCall } from '../../../route.js';
import { userProfileRoutes } from '../../user-profiles/index.js';
import { webhookRoutes } from '../../webhooks/index.js';

export const BASE = '/v1/operator/emulator';
/** How far one call may move a clock: ten years, in seconds. */
export const MAX_ADVANCE_SECONDS = 10 * 365 * 24 * 3600;
export const MAX_FAULT_COUNT = 1000;
export const MAX_RETRY_AFTER_SECONDS = 3600;

/** The routes a fault may be armed for: every route a platform calls with its key (user profiles and organization webhooks). */
export const FAULT_ROUTES: readonly string[] = [...userProfileRoutes, ...webhookRoutes].map((r) => routeName(r.method, r.url));

/** `{seconds}`: how far to move the clock, more than 0 (milliseconds count). */
export function readAdvance(body: unknown): number {
  const { seconds } = readObject('', body, ['seconds']);
  if (seconds === undefined) throw invalidRequest('seconds: required.');
  const ms = Math.round(readNumber('seconds', seconds, 0, MAX_ADVANCE_SECONDS, false) * 1000);
  if (ms <= 0) throw invalidRequest('seconds: must be more than 0 (the clock only moves forward; a reset sets it back).');
  return ms;
}

/** `{route, status, count?, retry_after?}` */
export function readFault(body: unknown): Fault {
  const fields = readObject('', body, ['route', 'status', 'count', 'retry_after']);
  if (fields.route === undefined) throw invalidRequest('route: required.');
  if (fields.status === undefined) throw invalidRequest('status: required.');
  const route = readEnum('route', fields.route, [EVERY_ROUTE, ...FAULT_ROUTES]);
  if (typeof fields.status !== 'number' || !(FAULT_STATUSES as readonly number[]).includes(fields.status)) {
    throw invalidRequest(`status: must be one of ${FAULT_STATUSES.join(', ')} (got ${JSON.stringify(fields.status) ?? describeType(fields.status)}).`);
  }
  const status = fields.status as FaultStatus;
  const remaining = fields.count === undefined ? 1 : readNumber('count', fields.count, 1, MAX_FAULT_COUNT, true);
  if (fields.retry_after !== undefined && status !== 429) throw invalidRequest('retry_after: only a 429 carries retry-after.');
  const retryAfter = status !== 429 ? null : fields.retry_after === undefined ? 1 : readNumber('retry_after', fields.retry_after, 0, MAX_RETRY_AFTER_SECONDS, true);
  return { route, status, remaining, retryAfter };
}

export const FaultSchema = Closed(
  {
    type: Type.Literal('emulator_fault'),
    route: Type.String(),
    status: Type.Union(FAULT_STATUSES.map((s) => Type.Literal(s))),
    remaining: Type.Integer({ minimum: 1 }),
    retry_after: Nullable(Type.Integer({ minimum: 0 })),
  },
  { title: 'EmulatorFault' },
);

export const renderFault = (f: Fault): Static<typeof FaultSchema> => ({
  type: 'emulator_fault', route: f.route, status: f.status, remaining: f.remaining, retry_after: f.retryAfter,
});

export const ClockSchema = Closed(
  { type: Type.Literal('emulator_clock'), organization_id: Type.String(), now: Timestamp, offset_ms: Type.Integer({ minimum: 0 }) },
  { title: 'EmulatorClock' },
);

export async function renderClock({ principal, deps }: OperatorCall): Promise<Static<typeof ClockSchema>> {
  const organizationId = principal.organizationId;
  await deps.clock.sync(organizationId);
  const offset = deps.clock.offset(organizationId);
  return { type: 'emulator_clock', organization_id: organizationId, now: formatTimestamp(deps.clock.wall() + offset), offset_ms: offset };
}


// ---- the contract of these bodies (the readers enforce them; that a move is more than 0 ms, and that only a 429
// takes retry_after, are rules beyond the schema)

export const AdvanceBody = Closed(
  { seconds: Type.Number({ exclusiveMinimum: 0, maximum: MAX_ADVANCE_SECONDS, description: 'milliseconds count' }) },
  { title: 'EmulatorClockAdvance' },
);

export const FaultBody = Closed(
  {
    route: Enum([EVERY_ROUTE, ...FAULT_ROUTES] as string[]),
    status: Type.Union(FAULT_STATUSES.map((s) => Type.Literal(s))),
    count: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_FAULT_COUNT, default: 1 })),
    retry_after: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_RETRY_AFTER_SECONDS, description: 'a 429 only; default 1' })),
  },
  { title: 'EmulatorFaultToArm' },
);
