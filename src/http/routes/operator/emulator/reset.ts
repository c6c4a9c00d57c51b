import { Type } from '@sinclair/typebox';
import { Closed, Nullable } from '../../../../contract/schema.js';
import { readBoolean, readObject } from '../../../readers.js';
import type { OperatorCall, Route } from '../../../route.js';
import { BASE } from './controls.js';

/** `{restore_fixture?: boolean}` (default true); no body is `{}`. */
export function readReset(value: unknown): boolean {
  const body = readObject('', value, ['restore_fixture']);
  return body.restore_fixture === undefined ? true : readBoolean('restore_fixture', body.restore_fixture);
}

/** POST /v1/operator/emulator/reset: the organization back to its fixture (or empty), its clock to the real time. */
export const resetEmulator: Route<OperatorCall> = {
  method: 'POST',
  url: `${BASE}/reset`,
  contract: {
    id: 'emulatorReset',
    summary: "Reset the organization's data and clock (emulator only)",
    body: Closed({ restore_fixture: Type.Optional(Type.Boolean({ default: true })) }, { title: 'EmulatorReset' }),
    response: Closed(
      { type: Type.Literal('emulator_reset'), organization_id: Type.String(), restored_fixture: Nullable(Type.String()) },
      { title: 'EmulatorResetDone' },
    ),
  },
  async handle({ request, principal, deps }) {
    const restore = readReset(request.body);
    const organizationId = principal.organizationId;
    const now = deps.clock.wall();
    const fixture = restore ? await deps.store.fixtures.sourceOf(organizationId, now) : null;
    await deps.store.emulator.reset(organizationId, async (tx) => {
      if (fixture) await deps.store.fixtures.apply(tx, fixture, deps.secrets, now);
    });
    deps.clock.remember(organizationId, 0);
    return { type: 'emulator_reset', organization_id: organizationId, restored_fixture: fixture?.name ?? null };
  },
};
