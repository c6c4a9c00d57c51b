import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeEachEngine } from '../support/suite.ts';
import { currentSdk, oldSdk } from '../support/server.ts';

describeEachEngine('smoke', (server) => {
  it('creates and retrieves through both SDKs', async () => {
    const key = await server().newKey();
    const client = currentSdk(server(), key.api_key);
    const created = await client.userProfiles.create({ name: 'Ann', metadata: { plan: 'pro' } });
    assert.equal(created.type, 'user_profile');
    const fetched = await client.userProfiles.retrieve(created.id);
    assert.deepEqual(fetched, created);
    const old = oldSdk(server(), key.api_key);
    const legacy = await old.beta.userProfiles.retrieve(created.id);
    assert.equal((legacy as any).relationship, 'external');
  });
});
