import { Type } from '@sinclair/typebox';
import { Closed } from '../../../../contract/schema.js';
import type { OperatorCall, Route } from '../../../route.js';
import { BASE, FaultSchema, renderFault } from './controls.js';

/** GET /v1/operator/emulator/faults: the faults still armed. */
export const listFaults: Route<OperatorCall> = {
  method: 'GET',
  url: `${BASE}/faults`,
  contract: {
    id: 'emulatorListFaults',
    summary: 'The armed faults (emulator only)',
    response: Closed({ data: Type.Array(FaultSchema) }, { title: 'EmulatorFaultList' }),
  },
  async handle({ principal, deps }) {
    return { data: (await deps.store.emulator.faults(principal.organizationId)).map(renderFault) };
  },
};
