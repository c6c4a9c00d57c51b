import type { OperatorCall, Route } from '../../../route.js';
import { BASE, ClockSchema, renderClock } from './controls.js';

/** GET /v1/operator/emulator/clock: the organization's time. */
export const retrieveClock: Route<OperatorCall> = {
  method: 'GET',
  url: `${BASE}/clock`,
  contract: { id: 'emulatorClock', summary: "The organization's test clock (emulator only)", response: ClockSchema },
  handle: renderClock,
};
