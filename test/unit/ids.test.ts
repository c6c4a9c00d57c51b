import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isWellFormedEventId, isWellFormedId, newEventId, newId, randomBase62 } from '../../src/ids.ts';

const PROFILE_ID = /^uprof_01[0-9A-Za-z]{22}$/;

describe('newId', () => {
  it('has the documented shape for every prefix', () => {
    assert.match(newId('uprof'), PROFILE_ID);
    for (const prefix of ['uprof', 'wrkspc', 'org', 'req', 'enac', 'apikey', 'whep', 'msg', 'msgbatch'] as const) {
      assert.match(newId(prefix), new RegExp(`^${prefix}_01[0-9A-Za-z]{22}$`));
    }
  });

  it('keeps the shape at the ends of its time range', () => {
    assert.match(newId('uprof', 0), PROFILE_ID);
    assert.match(newId('uprof', 62 ** 8 - 1), PROFILE_ID); // the last millisecond 8 base62 characters hold (year ~8889)
    assert.equal(newId('uprof', 0).slice(0, 16), 'uprof_0100000000');
    assert.equal(newId('uprof', 62 ** 8 - 1).slice(0, 16), 'uprof_01zzzzzzzz');
  });

  it('sorts by creation time', () => {
    const base = Date.UTC(2026, 8, 1);
    const times = [0, 1, 61, 62, 3_843, 3_844, base, base + 1, base + 62, base + 1_000, base + 86_400_000, Date.UTC(2100, 0, 1)];
    const ids = times.map((t) => newId('uprof', t));
    const sorted = [...ids].sort(); // plain code-unit order, as a B-tree on text (C collation) sees it
    assert.deepEqual(sorted, ids);
    for (let i = 1; i < ids.length; i++) assert.ok(ids[i - 1] < ids[i], `${ids[i - 1]} < ${ids[i]}`);
  });

  it('encodes the same millisecond identically and randomises the rest', () => {
    const a = newId('uprof', 1_773_568_800_123);
    const b = newId('uprof', 1_773_568_800_123);
    assert.equal(a.slice(0, 'uprof_01'.length + 8), b.slice(0, 'uprof_01'.length + 8));
    assert.notEqual(a, b);
  });

  it('is unique over 10 000 ids made in the same millisecond', () => {
    const now = Date.now();
    const ids = new Set(Array.from({ length: 10_000 }, () => newId('uprof', now)));
    assert.equal(ids.size, 10_000);
  });
});

describe('randomBase62', () => {
  it('returns exactly the asked length in base62', () => {
    for (const length of [1, 14, 100]) assert.match(randomBase62(length), new RegExp(`^[0-9A-Za-z]{${length}}$`));
  });

  it('uses the whole alphabet', () => {
    assert.equal(new Set(randomBase62(5_000)).size, 62);
  });
});

describe('isWellFormedId', () => {
  const good = newId('uprof');

  it('accepts what newId mints', () => {
    assert.equal(isWellFormedId('uprof', good), true);
    assert.equal(isWellFormedId('org', newId('org')), true);
    assert.equal(isWellFormedId('uprof', 'uprof_011CZkZCu8hGbp5mYRQgUmz9'), true); // the vendor's documented example
  });

  it('refuses other prefixes, lengths, versions and characters', () => {
    const body = good.slice('uprof_'.length);
    const refused = [
      '',
      'uprof_',
      body,
      `org_${body}`,
      `uprofx_${body}`,
      `Uprof_${body}`,
      `uprof-${body}`,
      `${good}a`, // 23 characters after 01
      good.slice(0, -1), // 21
      `uprof_02${body.slice(2)}`,
      `uprof_01${body.slice(2, -1)}-`,
      `uprof_01${body.slice(2, -1)}é`,
      ` ${good}`,
      `${good}\n`,
      'uprof_011CZkZCu8hGbp5mYRQgUmz9/../x',
    ];
    for (const value of refused) assert.equal(isWellFormedId('uprof', value), false, JSON.stringify(value));
  });

  it('checks the prefix it is asked about', () => {
    assert.equal(isWellFormedId('org', good), false);
    assert.equal(isWellFormedId('uprof', newId('org')), false);
  });
});

describe('newEventId', () => {
  it('is whe_ and 32 lower-case hex digits, unique', () => {
    const ids = Array.from({ length: 1_000 }, () => newEventId());
    for (const id of ids) assert.match(id, /^whe_[0-9a-f]{32}$/);
    assert.equal(new Set(ids).size, ids.length);
    assert.ok(ids.every(isWellFormedEventId));
  });

  it('isWellFormedEventId: exactly 32 lower-case hex digits after whe_', () => {
    const hex = 'a'.repeat(32);
    assert.equal(isWellFormedEventId(`whe_${hex}`), true);
    for (const bad of [`whe_${'a'.repeat(31)}`, `whe_${'a'.repeat(33)}`, `whe_${'A'.repeat(32)}`, `whe_${'g'.repeat(32)}`, `wh_${hex}`, `whe_${hex}\n`, '']) {
      assert.equal(isWellFormedEventId(bad), false, JSON.stringify(bad));
    }
  });
});

describe("the hosted API's example ids (contract §13)", () => {
  it('are well-formed ids here too: a path naming one is looked up, not refused as malformed', () => {
    assert.ok(isWellFormedId('uprof', 'uprof_011CZkZCu8hGbp5mYRQgUmz9'));
    assert.ok(isWellFormedId('wrkspc', 'wrkspc_011CZkZaBF1tNoB5wlCeusgy'));
    assert.ok(isWellFormedId('req', 'req_011Cd2GEE5ML2Vi5RQy7kocP'));
    assert.ok(!isWellFormedId('uprof', 'uprof_011CZkZCu8hGbp5mYRQgUmz'), 'one character short');
    assert.ok(!isWellFormedId('uprof', 'uprof_011CZkZCu8hGbp5mYRQgUm-9'), 'not base62');
  });
});
