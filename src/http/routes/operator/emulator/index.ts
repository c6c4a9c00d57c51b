import type { OperatorCall, Route } from '../../../route.js';
import { advanceClock } from './advance-clock.js';
import { armFault } from './arm-fault.js';
import { clearFaults } from './clear-faults.js';
import { retrieveClock } from './clock.js';
import { listFaults } from './list-faults.js';
import { resetEmulator } from './reset.js';

/**
 * The emulator's controls (decisions §38): they exist only when the server runs with UPROF_EMULATOR=1 (see
 * server.ts), take operator keys only, and act on that key's organization.
 */
export const emulatorRoutes: readonly Route<OperatorCall>[] = [resetEmulator, retrieveClock, advanceClock, listFaults, armFault, clearFaults];
