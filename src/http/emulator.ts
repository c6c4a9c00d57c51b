import { ApiError, type ErrorType } from '../errors.js';
import { EVERY_ROUTE, type Fault, type FaultStatus } from '../store/emulator.js';
import type { Deps } from './route.js';

/** How a route is named for forced faults: `METHOD /path/{param}`, as the README's endpoint tables write it. */
export const routeName = (method: string, url: string) => `${method} ${url.replace(/:(\w+)/g, '{$1}')}`;

const FAULT_TYPES: Record<FaultStatus, ErrorType> = { 429: 'rate_limit_error', 500: 'api_error', 503: 'api_error', 529: 'overloaded_error' };
const FAULT_TEXT: Record<FaultStatus, string> = {
  429: 'Rate limited.',
  500: 'Internal server error.',
  503: 'Service unavailable.',
  529: 'Overloaded.',
};

/**
 * A forced fault's answer, in the envelope like any error. Unlike uprof's own 5xx (decisions §34) it invites the
 * retry it is there to test: `x-should-retry: true`, and `retry-after` with a 429.
 */
export function faultError(fault: Fault): ApiError {
  const scope = fault.route === EVERY_ROUTE ? 'every route' : fault.route;
  const headers: Record<string, string> = fault.status === 429 ? { 'retry-after': String(fault.retryAfter ?? 1) } : { 'x-should-retry': 'true' };
  return new ApiError(
    fault.status,
    FAULT_TYPES[fault.status],
    `${FAULT_TEXT[fault.status]} (A fault forced by the uprof emulator for ${scope}; ${fault.remaining - 1} more armed.)`,
    undefined,
    headers,
  );
}

/**
 * Under the emulator (UPROF_EMULATOR=1), before a route of an organization runs: its clock offset is read
 * (so this process answers on the organization's time), and, for a platform route (`route` named), an
 * armed fault answers instead of the route. One read when no fault is armed.
 */
export async function emulate(deps: Pick<Deps, 'clock' | 'store'>, organizationId: string, route: string | null): Promise<void> {
  const { offset, faultsArmed } = await deps.store.emulator.requestState(organizationId);
  deps.clock.remember(organizationId, offset);
  if (!faultsArmed || route === null) return;
  const fault = await deps.store.emulator.takeFault(organizationId, route);
  if (fault) throw faultError(fault);
}
