import { formatTimestamp } from '../../../domain/time.js';
import { describeType, readEnum } from '../../../domain/text.js';
import { invalidRequest } from '../../../errors.js';
import { EVERY_ROUTE, FAULT_STATUSES, type Fault, type FaultStatus } from '../../../store/emulator.js';
import { routeName } from '../../emulator.js';
import type { OperatorCall, OperatorRoute } from '../../operator.js';
import { userProfileRoutes } from '../user-profiles/index.js';
import { webhookRoutes } from '../webhooks/index.js';
import { readBoolean, readObject } from './bodies.js';

const BASE = '/v1/operator/emulator';
/** How far one call may move a clock: ten years, in seconds. */
export const MAX_ADVANCE_SECONDS = 10 * 365 * 24 * 3600;
export const MAX_FAULT_COUNT = 1000;
export const MAX_RETRY_AFTER_SECONDS = 3600;

/** The routes a fault may be armed for: every route a platform calls with its key (user profiles and organization webhooks). */
export const FAULT_ROUTES: readonly string[] = [...userProfileRoutes, ...webhookRoutes].map((r) => routeName(r.method, r.url));

function readNumber(field: string, value: unknown, min: number, max: number, integer: boolean): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min || value > max) {
    const got = typeof value === 'number' ? String(value) : describeType(value);
    throw invalidRequest(`${field}: must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max} (got ${got}).`);
  }
  return value;
}

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

const renderFault = (f: Fault) => ({ type: 'emulator_fault', route: f.route, status: f.status, remaining: f.remaining, retry_after: f.retryAfter });

async function renderClock({ principal, deps }: OperatorCall) {
  const organizationId = principal.organizationId;
  await deps.clock.sync(organizationId);
  const offset = deps.clock.offset(organizationId);
  return { type: 'emulator_clock', organization_id: organizationId, now: formatTimestamp(deps.clock.wall() + offset), offset_ms: offset };
}

/**
 * The emulator's controls (decisions §38): they exist only when the server runs with UPROF_EMULATOR=1 (see
 * server.ts), take operator keys only, and act on that key's organization.
 */
export const emulatorRoutes: readonly OperatorRoute[] = [
  {
    method: 'POST',
    url: `${BASE}/reset`,
    async handle({ request, principal, deps }) {
      const body = readObject('', request.body ?? {}, ['restore_fixture']);
      const restore = body.restore_fixture === undefined ? true : readBoolean('restore_fixture', body.restore_fixture);
      const organizationId = principal.organizationId;
      const now = deps.clock.wall();
      const fixture = restore ? await deps.store.fixtures.sourceOf(organizationId, now) : null;
      await deps.store.emulator.reset(organizationId, async (tx) => {
        if (fixture) await deps.store.fixtures.apply(tx, fixture, deps.secrets, now);
      });
      deps.clock.remember(organizationId, 0);
      return { type: 'emulator_reset', organization_id: organizationId, restored_fixture: fixture?.name ?? null };
    },
  },
  {
    method: 'GET',
    url: `${BASE}/clock`,
    handle: renderClock,
  },
  {
    method: 'POST',
    url: `${BASE}/clock/advance`,
    async handle(call) {
      const ms = readAdvance(call.request.body);
      const offset = await call.deps.store.emulator.advanceClock(call.principal.organizationId, ms);
      call.deps.clock.remember(call.principal.organizationId, offset);
      return renderClock(call);
    },
  },
  {
    method: 'GET',
    url: `${BASE}/faults`,
    async handle({ principal, deps }) {
      return { data: (await deps.store.emulator.faults(principal.organizationId)).map(renderFault) };
    },
  },
  {
    method: 'POST',
    url: `${BASE}/faults`,
    async handle({ request, principal, deps }) {
      const fault = readFault(request.body);
      await deps.store.emulator.armFault(principal.organizationId, fault, deps.clock.now(principal.organizationId));
      return renderFault(fault);
    },
  },
  {
    method: 'DELETE',
    url: `${BASE}/faults`,
    async handle({ principal, deps }) {
      return { type: 'emulator_faults_cleared', cleared: await deps.store.emulator.clearFaults(principal.organizationId) };
    },
  },
];
