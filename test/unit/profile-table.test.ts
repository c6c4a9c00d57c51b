import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newProfile, type Profile } from '../../src/domain/profile.ts';
import { asciiFold } from '../../src/domain/text.ts';
import {
  AT, PROFILE_COLUMN_COUNT, PROFILE_COLUMNS, PROFILE_INSERT_COLUMNS, PROFILE_INSERT_TYPES, PROFILE_UPDATED_COLUMNS, profileInsertStatement,
  profileInsertValues, profileUpdateStatement, toProfile,
} from '../../src/store/profile-table.ts';

/** The user_profiles table described once: what is derived from the description agrees with itself. */

const PLATFORM = { type: 'platform' as const, id: 'apikey_01AbCdEfGhIjKlMnOpQrStUv' };

/** A profile with every field set to something other than its empty value. */
function fullProfile(): Profile {
  const profile = newProfile(
    {
      name: 'Ann Ñ Example',
      kind: { relationship: 'internal' },
      details: {
        account_status: 'suspended', country: 'DE', email_hash: 'e'.repeat(64), entity_type: 'business', name_hash: 'n'.repeat(64),
        onboarded_at: 1_700_000_000_000, reference_id: 'ref-42',
      },
      metadata: { plan: 'pro' },
    },
    'uprof_01AbCdEfGhIjKlMnOpQrStUv', 'org_01AbCdEfGhIjKlMnOpQrStUv', 1_700_000_000_001,
  );
  return {
    ...profile,
    cyber: { status: 'active', tiers: {} as never, earlierModels: true, application: null },
    efs: null,
    actions: [{
      id: 'enfact_01AbCdEfGhIjKlMnOpQrStUv', type: 'restriction' as never, reason: 'other' as never, clearable: true, checkSubmitted: false,
      openedAt: 1_700_000_000_002, expiresAt: 1_700_000_100_000,
    }],
    updatedAt: 1_700_000_000_003,
  };
}

/** The row a SELECT of PROFILE_COLUMNS would read back after the INSERT. */
function readBack(profile: Profile): unknown[] {
  const values = profileInsertValues(profile, PLATFORM);
  return PROFILE_COLUMNS.split(', ').map((column) => values[PROFILE_INSERT_COLUMNS.indexOf(column)]);
}

describe('user_profiles described once', () => {
  it('a profile written with the INSERT values reads back the same, at any offset in the row', () => {
    const profile = fullProfile();
    assert.deepEqual(toProfile(readBack(profile)), profile);
    assert.deepEqual(toProfile(['name_key first', ...readBack(profile)], 1), profile);
    const empty = newProfile({ name: null }, 'uprof_01ZyXwVuTsRqPoNmLkJiHgFe', 'org_01AbCdEfGhIjKlMnOpQrStUv', 5);
    assert.deepEqual(toProfile(readBack(empty)), empty);
  });

  it('every column the profile is read from changes what is read', () => {
    const row = readBack(fullProfile());
    const base = JSON.stringify(toProfile(row));
    for (const [column, at] of Object.entries(AT)) {
      const changed = [...row];
      const json: Record<string, string | null> = { metadata: '{"x":"y"}', cyber: null, efs: '{"status":"active"}', enforcement: '[1]' };
      // flags are 0 or 1: the other value
      const flag = column === 'internal' || column === 'billing_authorized';
      changed[at] = column in json ? json[column] : flag ? 1 - (row[at] as number) : typeof row[at] === 'number' ? (row[at] as number) + 7 : `${row[at]}x`;
      assert.notEqual(JSON.stringify(toProfile(changed)), base, column);
    }
    assert.equal(Object.keys(AT).length, PROFILE_COLUMN_COUNT);
    assert.equal(PROFILE_COLUMNS.split(', ').length, PROFILE_COLUMN_COUNT);
  });

  it('the INSERT binds one value per column, typed; the UPDATE sets the changeable ones and keeps the key and the creation record', () => {
    const profile = fullProfile();
    const insert = profileInsertStatement(profile, PLATFORM);
    assert.equal(insert.params.length, PROFILE_INSERT_COLUMNS.length);
    assert.equal(PROFILE_INSERT_TYPES.length, PROFILE_INSERT_COLUMNS.length);
    assert.equal(insert.sql.split('?').length - 1, PROFILE_INSERT_COLUMNS.length);
    const values = Object.fromEntries(PROFILE_INSERT_COLUMNS.map((c, i) => [c, insert.params[i]]));
    assert.deepEqual([values.created_by_type, values.created_by_id, values.created_name], ['platform', PLATFORM.id, 'Ann Ñ Example']);
    assert.equal(values.name_key, asciiFold('Ann Ñ Example'));
    assert.equal(values.awaiting_review, 0);
    assert.equal(values.next_expiry, 1_700_000_100_000);

    const update = profileUpdateStatement(profile);
    for (const fixed of ['organization_id', 'id', 'created_at', 'created_by_type', 'created_by_id', 'created_name', 'deleted_at']) {
      assert.ok(!PROFILE_UPDATED_COLUMNS.includes(fixed), fixed);
    }
    assert.ok(PROFILE_UPDATED_COLUMNS.includes('name_key') && PROFILE_UPDATED_COLUMNS.includes('next_expiry'));
    assert.equal(update.sql.split('?').length - 1, update.params.length);
    assert.deepEqual(update.params.slice(-2), [profile.organizationId, profile.id]);
  });

  it('an import keeps the creation record it was given, a missing one as nulls', () => {
    const profile = fullProfile();
    const of = (values: unknown[]) => Object.fromEntries(PROFILE_INSERT_COLUMNS.map((c, i) => [c, values[i]]));
    const kept = of(profileInsertValues(profile, PLATFORM, { by: { type: 'operator', id: 'apikey_x' }, name: 'Old name' }));
    assert.deepEqual([kept.created_by_type, kept.created_by_id, kept.created_name], ['operator', 'apikey_x', 'Old name']);
    const none = of(profileInsertValues(profile, PLATFORM, { by: null, name: null }));
    assert.deepEqual([none.created_by_type, none.created_by_id, none.created_name], [null, null, null]);
  });
});
