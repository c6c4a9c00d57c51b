import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Clock } from '../../src/clock.ts';
import { openStore, type Store } from '../../src/store/index.ts';

describe('Clock', () => {
  const real = () => 1_000_000;
  let store: Store;
  before(async () => {
    store = await openStore({ databaseUrl: 'sqlite::memory:' });
  });
  after(async () => {
    await store.close();
  });

  it('without the emulator, is the real time for every organization and never reads offsets', async () => {
    await store.emulator.advanceClock('org_never_read', 3_600_000);
    const clock = new Clock(real);
    assert.equal(clock.emulated, false);
    await clock.sync('org_never_read');
    assert.deepEqual(await clock.syncAll(), []);
    assert.equal(clock.now('org_never_read'), 1_000_000);
    assert.equal(clock.wall(), 1_000_000);
    assert.equal(clock.offset('org_never_read'), 0);
  });

  it("under the emulator, answers each organization's time once its offset has been read", async () => {
    const clock = new Clock(real, store.emulator);
    assert.equal(clock.emulated, true);
    assert.equal(await store.emulator.advanceClock('org_a', 3_600_000), 3_600_000);
    assert.equal(clock.now('org_a'), 1_000_000, 'not read yet: the real time');
    await clock.sync('org_a');
    assert.equal(clock.now('org_a'), 4_600_000);
    assert.equal(clock.offset('org_a'), 3_600_000);
    assert.equal(await store.emulator.advanceClock('org_a', 1), 3_600_001, 'advances add up in the database');
    assert.equal(clock.now('org_b'), 1_000_000, 'another organization keeps the real time');
    assert.equal(clock.wall(), 1_000_000, 'the wall clock never moves with an organization');
    clock.remember('org_a', 0);
    assert.equal(clock.now('org_a'), 1_000_000);
  });

  it('syncAll reads every offset, forgets those gone (a reset), and names the organizations ahead', async () => {
    const clock = new Clock(real, store.emulator);
    await store.emulator.advanceClock('org_c', 20);
    assert.ok((await clock.syncAll()).includes('org_c'));
    assert.equal(clock.now('org_c'), 1_000_020);
    await store.emulator.reset('org_c', async () => {});
    assert.ok(!(await clock.syncAll()).includes('org_c'));
    assert.equal(clock.now('org_c'), 1_000_000);
  });
});
