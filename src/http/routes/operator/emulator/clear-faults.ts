import { Type } from '@sinclair/typebox';
import { Closed } from '../../../../contract/schema.js';
import type { OperatorCall, Route } from '../../../route.js';
import { BASE } from './controls.js';

/** DELETE /v1/operator/emulator/faults: disarm every fault of the organization. */
export const clearFaults: Route<OperatorCall> = {
  method: 'DELETE',
  url: `${BASE}/faults`,
  contract: {
    id: 'emulatorClearFaults',
    summary: 'Disarm every fault (emulator only)',
    response: Closed({ type: Type.Literal('emulator_faults_cleared'), cleared: Type.Integer({ minimum: 0 }) }, { title: 'EmulatorFaultsCleared' }),
  },
  async handle({ principal, deps }) {
    return { type: 'emulator_faults_cleared', cleared: await deps.store.emulator.clearFaults(principal.organizationId) };
  },
};
