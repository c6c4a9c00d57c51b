import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newId } from '../../src/ids.ts';
import { hashSecret, KeyResolver } from '../../src/keys.ts';
import { openStore } from '../../src/store/index.ts';

describe('KeyResolver memory', () => {
  it('remembers answers (a missing key too) for secrets up to 128 characters, never for longer ones', async () => {
    const store = await openStore({ databaseUrl: 'sqlite::memory:' });
    const { organization } = await store.tenancy.ensureOrganization('keys-test', Date.now());
    const resolver = new KeyResolver(store, 60_000);
    /** a key with exactly this secret appears in the database */
    const insert = (secret: string) =>
      store.tenancy.insertKey(
        { id: newId('apikey'), organizationId: organization.id, workspaceId: null, role: 'platform', name: null, hint: secret.slice(-4), createdAt: Date.now(), revokedAt: null },
        hashSecret(secret),
      );

    for (const [length, remembered] of [[128, true], [129, false]] as const) {
      const secret = 'sk-uprof-api01-'.padEnd(length, 'x');
      assert.equal(await resolver.resolve(secret), null, 'unknown at first');
      await insert(secret);
      const again = await resolver.resolve(secret);
      if (remembered) assert.equal(again, null, `${length} characters: the missing answer is remembered for the TTL`);
      else assert.equal(again?.organizationId, organization.id, `${length} characters: looked up afresh every time`);
    }
    await store.close();
  });
});
