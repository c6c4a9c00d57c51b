import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newAction } from '../../src/domain/enforcement.ts';
import { ga } from '../../src/dialects/ga.ts';
import { newProfile, updatedProfile, withStanding } from '../../src/domain/profile.ts';
import { pageJson, profileJson } from '../../src/http/rendered.ts';
import { ProfileCache } from '../../src/store/profile-cache.ts';

const NOW = Date.UTC(2026, 10, 1, 12, 0, 0);
const ORG = 'org_01AbCdEfGhIjKlMnOpQrStUv';
const OTHER_ORG = 'org_01ZzZzZzZzZzZzZzZzZzZzZz';
const id = (n: number) => `uprof_01AbCdEfGhIjKlMnOpQr${String(n).padStart(4, '0')}`;
const profile = (n: number, name = `P${n}`) => newProfile({ name }, id(n), ORG, NOW);

describe('ProfileCache', () => {
  it('a miss is undefined; a filled profile comes back, and is null for another organization (not found there)', () => {
    const cache = new ProfileCache(10);
    assert.equal(cache.get(ORG, id(1)), undefined);
    const p = cache.fill(profile(1), cache.epoch);
    assert.equal(cache.get(ORG, id(1)), p);
    assert.equal(cache.get(OTHER_ORG, id(1)), null);
  });

  it('a write drops the entry; a fill that raced a write is dropped too: a read that began before it cannot put back what it replaced', () => {
    const cache = new ProfileCache(10);
    cache.fill(profile(1, 'old'), cache.epoch);
    const epoch = cache.epoch; // a read begins (it will find 'old' in the database)
    cache.forget(id(1)); // a write ends meanwhile
    assert.equal(cache.get(ORG, id(1)), undefined);
    cache.fill(profile(1, 'old'), epoch); // the read ends
    assert.equal(cache.get(ORG, id(1)), undefined, 'the stale read is not remembered');

    // with no write in between, the fill is kept
    cache.fill(profile(1, 'new'), cache.epoch);
    assert.equal(cache.get(ORG, id(1))?.name, 'new');
  });

  it('entries are frozen, deeply: a caller cannot change a profile other readers share', () => {
    const cache = new ProfileCache(10);
    const p = cache.fill(newProfile({ name: 'Ann', metadata: { plan: 'pro' }, details: { country: 'DE' } }, id(1), ORG, NOW), cache.epoch);
    assert.throws(() => ((p as { name: string | null }).name = 'Bob'), TypeError);
    assert.throws(() => ((p.metadata as Record<string, string>).plan = 'free'), TypeError);
    assert.throws(() => ((p.details as { country: string | null }).country = 'FR'), TypeError);
    // a change makes a new value, which is what gets written
    const next = updatedProfile(p, { name: 'Bob' }, NOW + 1);
    assert.equal(next.name, 'Bob');
    assert.equal(p.name, 'Ann');
  });

  it('keeps at most `capacity` entries; an entry read since it last came round stays one more round', () => {
    const cache = new ProfileCache(3);
    for (const n of [1, 2, 3]) cache.fill(profile(n), cache.epoch);
    cache.get(ORG, id(1)); // 1 was read: it gets a second chance
    cache.fill(profile(4), cache.epoch); // over capacity: 1 (oldest, read) goes round again, 2 (oldest unread) goes
    assert.equal(cache.size, 3);
    assert.equal(cache.get(ORG, id(2)), undefined);
    for (const n of [1, 3, 4]) assert.equal(cache.get(ORG, id(n))?.id, id(n));
  });

  it('capacity 0 keeps nothing', () => {
    const cache = new ProfileCache(0);
    cache.fill(profile(1), cache.epoch);
    cache.fill(profile(2), cache.epoch);
    assert.equal(cache.size, 0);
    assert.equal(cache.get(ORG, id(1)), undefined);
  });
});

describe('profileJson: a shared profile keeps its rendering while it holds', () => {
  it('a restriction that lapses changes the rendering at its expiry, and not before', () => {
    const restricted = withStanding(profile(1), {
      actions: [newAction({ id: 'enfact_01AbCdEfGhIjKlMnOpQrStUv', type: 'restriction', reason: 'fraud_or_abuse', clearable: false, expiresAt: NOW + 60_000 }, NOW)],
    }, NOW);
    const shared = new ProfileCache(10).fill(restricted, 0);
    const at = (time: number) => JSON.parse(profileJson(shared, ga, 'full', time).toString());
    assert.equal(at(NOW).enforcement_status, 'restricted');
    assert.equal(at(NOW + 59_999).enforcement_status, 'restricted');
    assert.equal(at(NOW + 60_000).enforcement_status, 'unrestricted');
    assert.deepEqual(at(NOW + 60_000).enforcement_actions, []);
    // a clock that went back before the kept rendering is rendered afresh too
    assert.equal(at(NOW - 1).enforcement_status, 'restricted');
  });

  it('renders exactly what the dialect renders, for a shared profile and for a private one', () => {
    const p = profile(2, 'Zoë');
    const shared = new ProfileCache(10).fill(profile(2, 'Zoë'), 0);
    for (const view of ['full', 'list'] as const) {
      const expected = JSON.stringify(ga.render(p, view, NOW));
      assert.equal(profileJson(p, ga, view, NOW).toString(), expected);
      assert.equal(profileJson(shared, ga, view, NOW).toString(), expected);
      assert.equal(profileJson(shared, ga, view, NOW), profileJson(shared, ga, view, NOW), 'kept: the same bytes');
      assert.equal(profileJson(shared, ga, view, NOW).toString(), expected, 'kept');
    }
  });
});

describe('pageJson: a list page from its items’ JSON', () => {
  it('is the JSON of {data, next_page} for no, one and several items, with and without a next page', () => {
    const items = [profile(1), profile(2, 'Zoë'), profile(3)].map((p) => ga.render(p, 'list', NOW));
    for (const count of [0, 1, 3]) {
      for (const nextPage of [null, 'page_abc"\\']) {
        const data = items.slice(0, count);
        const body = pageJson(data.map((item) => Buffer.from(JSON.stringify(item))), nextPage);
        assert.deepEqual(JSON.parse(body.bytes.toString()), { data, next_page: nextPage });
      }
    }
  });
});
