import type { OperatorCall, Route } from '../../../route.js';
import { AdvanceBody, BASE, ClockSchema, readAdvance, renderClock } from './controls.js';

/** POST /v1/operator/emulator/clock/advance: move the organization's clock forward. */
export const advanceClock: Route<OperatorCall> = {
  method: 'POST',
  url: `${BASE}/clock/advance`,
  contract: {
    id: 'emulatorAdvanceClock',
    summary: "Move the organization's test clock forward (emulator only)",
    body: AdvanceBody,
    bodyRequired: true,
    response: ClockSchema,
  },
  async handle(call) {
    const ms = readAdvance(call.request.body);
    const offset = await call.deps.store.emulator.advanceClock(call.principal.organizationId, ms);
    call.deps.clock.remember(call.principal.organizationId, offset);
    return renderClock(call);
  },
};
