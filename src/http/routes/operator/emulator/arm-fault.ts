import type { OperatorCall, Route } from '../../../route.js';
import { BASE, FaultBody, FaultSchema, readFault, renderFault } from './controls.js';

/** POST /v1/operator/emulator/faults: arm a fault that answers instead of a platform route. */
export const armFault: Route<OperatorCall> = {
  method: 'POST',
  url: `${BASE}/faults`,
  contract: { id: 'emulatorArmFault', summary: 'Arm a fault (emulator only)', body: FaultBody, bodyRequired: true, response: FaultSchema },
  async handle({ request, principal, deps }) {
    const fault = readFault(request.body);
    await deps.store.emulator.armFault(principal.organizationId, fault, deps.clock.now(principal.organizationId));
    return renderFault(fault);
  },
};
