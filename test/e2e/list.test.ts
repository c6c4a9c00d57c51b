import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { newProfile } from '../../src/domain/profile.ts';
import { newId } from '../../src/ids.ts';
import type { MintedKey } from '../../src/keys.ts';
import { describeEachEngine } from '../support/suite.ts';
import { call, currentSdk, oldSdk, type RawResponse, type TestServer } from '../support/server.ts';
import { assertApiError } from './profile-api.ts';

/** List semantics: decisions §16–18, api-contract.md §8, api-contract-2.md §1.6. */

type Order = 'asc' | 'desc';
type OrderBy = 'created_at' | 'name';
const ORDERS: Order[] = ['asc', 'desc'];
const ORDER_BYS: OrderBy[] = ['created_at', 'name'];
const SORTS = ORDERS.flatMap((order) => ORDER_BYS.map((order_by) => ({ order, order_by })));
const BETAS = ['user-profiles-2026-03-24', 'user-profiles-2026-08-18', 'user-profiles-2026-09-04'];

interface Listed {
  id: string;
  name: string | null;
  created_at: string;
}


function assertPage(res: RawResponse): { data: Listed[]; next_page: string | null } {
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(Object.keys(res.json).sort(), ['data', 'next_page']);
  assert.ok(Array.isArray(res.json.data));
  assert.ok(res.json.next_page === null || typeof res.json.next_page === 'string');
  return res.json;
}

const qs = (params: Record<string, string | number | undefined>) => {
  const entries = Object.entries(params).filter(([, v]) => v !== undefined) as [string, string][];
  return entries.length ? `?${new URLSearchParams(entries.map(([k, v]): [string, string] => [k, String(v)]))}` : '';
};

const list = (server: TestServer, key: string, query = '', headers: Record<string, string> = {}) =>
  call(server, 'GET', `/v1/user_profiles${query}`, { key, headers });

/** Follows next_page to the end with raw HTTP; returns every item in the order served. */
async function walk(server: TestServer, key: string, params: Record<string, string | number | undefined>, maxPages = 1000) {
  const seen: Listed[] = [];
  let page = params.page as string | undefined;
  for (let n = 0; n < maxPages; n++) {
    const body = assertPage(await list(server, key, qs({ ...params, page })));
    seen.push(...body.data);
    if (body.next_page === null) return seen;
    page = body.next_page;
  }
  throw new Error(`walk did not end within ${maxPages} pages`);
}

/** The documented order, written independently of the server: ASCII folded, code points, nameless last. */
const fold = (name: string) => name.replace(/[A-Z]/g, (c) => c.toLowerCase());
function byCodePoint(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i].codePointAt(0)! - y[i].codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}
function listOrder(order: Order, orderBy: OrderBy) {
  const dir = order === 'asc' ? 1 : -1;
  return (a: Listed, b: Listed): number => {
    const byId = dir * byCodePoint(a.id, b.id);
    if (orderBy === 'created_at') return dir * (Date.parse(a.created_at) - Date.parse(b.created_at)) || byId;
    if (a.name === null || b.name === null) return a.name === b.name ? byId : a.name === null ? 1 : -1;
    return dir * byCodePoint(fold(a.name), fold(b.name)) || byId;
  };
}
function assertSorted(items: Listed[], order: Order, orderBy: OrderBy) {
  const cmp = listOrder(order, orderBy);
  for (let i = 1; i < items.length; i++) {
    assert.ok(cmp(items[i - 1], items[i]) < 0, `out of ${order} ${orderBy} order at ${i}: ${JSON.stringify([items[i - 1], items[i]])}`);
  }
}

function assertNoDuplicates(ids: string[]) {
  const dupes = ids.filter((id, i) => ids.indexOf(id) !== i);
  assert.deepEqual(dupes, [], 'a profile was listed twice');
}

/** Seeds profiles straight into the store (fast, and lets tests pick created_at exactly). */
async function seed(server: TestServer, key: MintedKey, specs: { name?: string | null; createdAt: number }[]) {
  const ids: string[] = [];
  const actor = { type: 'platform' as const, id: key.key_id };
  for (let i = 0; i < specs.length; i += 25) {
    const batch = specs.slice(i, i + 25).map((spec) => newProfile({ name: spec.name ?? null }, newId('uprof', spec.createdAt), key.organization_id, spec.createdAt));
    await Promise.all(batch.map((p) => server.store.profiles.insert(p, actor)));
    ids.push(...batch.map((p) => p.id));
  }
  return ids;
}

const many = (n: number, at: (i: number) => number, name: (i: number) => string | null = () => null) =>
  Array.from({ length: n }, (_, i) => ({ createdAt: at(i), name: name(i) }));

describeEachEngine('list', (server) => {
  describe('query parameters', () => {
    it('limit defaults to 20; 1 and 100 are accepted', async () => {
      const key = await server().newKey();
      const now = server().clock.now();
      await seed(server(), key, many(101, (i) => now - 1000 - i));
      const byDefault = assertPage(await list(server(), key.api_key));
      assert.equal(byDefault.data.length, 20);
      assert.notEqual(byDefault.next_page, null);
      const one = assertPage(await list(server(), key.api_key, '?limit=1'));
      assert.equal(one.data.length, 1);
      assert.notEqual(one.next_page, null);
      const hundred = assertPage(await list(server(), key.api_key, '?limit=100'));
      assert.equal(hundred.data.length, 100);
      assert.notEqual(hundred.next_page, null);
      const rest = assertPage(await list(server(), key.api_key, `?limit=100&page=${hundred.next_page}`));
      assert.equal(rest.data.length, 1);
      assert.equal(rest.next_page, null);
    });

    for (const bad of ['0', '101', 'abc', '1.5', '-1']) {
      it(`limit=${bad} → 400 invalid_request_error`, async () => {
        const key = await server().newKey();
        await currentSdk(server(), key.api_key).userProfiles.create({});
        assertApiError(await list(server(), key.api_key, qs({ limit: bad })), 400, 'invalid_request_error', /limit/);
      });
    }

    it('order accepts asc and desc; order_by accepts created_at and name; anything else → 400', async () => {
      const key = await server().newKey();
      await currentSdk(server(), key.api_key).userProfiles.create({ name: 'x' });
      for (const { order, order_by } of SORTS) {
        assert.equal(assertPage(await list(server(), key.api_key, qs({ order, order_by }))).data.length, 1);
      }
      for (const order of ['sideways', 'ascending', 'DESC']) {
        assertApiError(await list(server(), key.api_key, qs({ order })), 400, 'invalid_request_error', /order/);
      }
      for (const order_by of ['updated_at', 'id', 'NAME']) {
        assertApiError(await list(server(), key.api_key, qs({ order_by })), 400, 'invalid_request_error', /order_by/);
      }
    });

    it('the envelope is exactly {data, next_page}; the last page has next_page null', async () => {
      const key = await server().newKey();
      const client = currentSdk(server(), key.api_key);
      for (let i = 0; i < 3; i++) await client.userProfiles.create({ name: `p${i}` });
      const first = assertPage(await list(server(), key.api_key, '?limit=2'));
      assert.equal(first.data.length, 2);
      assert.equal(typeof first.next_page, 'string');
      assert.ok(first.data.every((p: any) => p.type === 'user_profile'));
      const last = assertPage(await list(server(), key.api_key, `?limit=2&page=${first.next_page}`));
      assert.equal(last.data.length, 1);
      assert.equal(last.next_page, null);
      // exactly as many as the limit, nothing beyond: also the last page
      const exact = assertPage(await list(server(), key.api_key, '?limit=3'));
      assert.equal(exact.data.length, 3);
      assert.equal(exact.next_page, null);
      // an organization with no profiles
      const empty = assertPage(await list(server(), (await server().newKey()).api_key));
      assert.deepEqual(empty, { data: [], next_page: null });
    });
  });

  describe('order_by=created_at', () => {
    it('lists newest first by default, oldest first with order=asc', async () => {
      const key = await server().newKey();
      const client = currentSdk(server(), key.api_key);
      const ids: string[] = [];
      for (let i = 0; i < 4; i++) {
        ids.push((await client.userProfiles.create({ name: `n${i}` })).id);
        await sleep(3);
      }
      assert.deepEqual(assertPage(await list(server(), key.api_key)).data.map((p) => p.id), [...ids].reverse());
      assert.deepEqual(assertPage(await list(server(), key.api_key, '?order=desc&order_by=created_at')).data.map((p) => p.id), [...ids].reverse());
      assert.deepEqual(assertPage(await list(server(), key.api_key, '?order=asc')).data.map((p) => p.id), ids);
    });

    it('breaks ties on created_at by id, in the same direction, also across page boundaries', async () => {
      const key = await server().newKey();
      const t = server().clock.now() - 10_000;
      const [older] = await seed(server(), key, [{ createdAt: t - 1 }]);
      const tied = await seed(server(), key, many(7, () => t));
      const [newer] = await seed(server(), key, [{ createdAt: t + 1 }]);
      const asc = [older, ...[...tied].sort(), newer];
      for (const order of ORDERS) {
        const expected = order === 'asc' ? asc : [...asc].reverse();
        for (const limit of [2, 3, 100]) {
          const seen = await walk(server(), key.api_key, { order, limit });
          assert.deepEqual(seen.map((p) => p.id), expected, `order=${order} limit=${limit}`);
        }
      }
    });
  });

  describe('order_by=name', () => {
    const NAMES = ['carol', 'émile', 'Bob', 'zed', '𝒜', 'Alice', 'Émile', null, 'ｚ', 'alice', null, 'Zed'];
    // folded ASCII only; 'É' (U+C9) < 'é' (U+E9) < 'ｚ' (U+FF5A) < '𝒜' (U+1D49C) by code point, all after 'zed'
    const ASC_GROUPS: (string | null)[][] = [['Alice', 'alice'], ['Bob'], ['carol'], ['zed', 'Zed'], ['Émile'], ['émile'], ['ｚ'], ['𝒜'], [null, null]];

    async function namedOrg() {
      const key = await server().newKey();
      const client = currentSdk(server(), key.api_key);
      const created: Listed[] = [];
      for (const name of NAMES) created.push(await client.userProfiles.create(name === null ? {} : { name }));
      return { key, created };
    }

    /** groups in order; within a group (equal folded names, or nameless) by id in the walk's direction */
    function expectedIds(created: Listed[], order: Order): string[] {
      const groups = order === 'asc' ? ASC_GROUPS : [...ASC_GROUPS.slice(0, -1)].reverse().concat([ASC_GROUPS.at(-1)!]);
      return groups.flatMap((names) => {
        const ids = created.filter((p) => names.includes(p.name)).map((p) => p.id).sort();
        return order === 'asc' ? ids : ids.reverse();
      });
    }

    for (const order of ORDERS) {
      it(`order=${order}: ASCII case folded only, code points beyond ASCII, nameless last, ties by id`, async () => {
        const { key, created } = await namedOrg();
        const expected = expectedIds(created, order);
        assert.equal(expected.length, NAMES.length);
        for (const limit of [1, 2, 5, 100]) {
          const seen = await walk(server(), key.api_key, { order, order_by: 'name', limit });
          assert.deepEqual(seen.map((p) => p.id), expected, `limit=${limit}`);
          assertSorted(seen, order, 'name');
        }
        const names = (await walk(server(), key.api_key, { order, order_by: 'name' })).map((p) => p.name);
        // spot checks of the documented rule, independent of ids
        assert.ok(names.indexOf('Bob') > names.indexOf('alice') === (order === 'asc'));
        assert.ok(names.indexOf('carol') > names.indexOf('Bob') === (order === 'asc'));
        assert.ok(names.indexOf('Émile') > names.indexOf('zed') === (order === 'asc'));
        assert.deepEqual(names.slice(-2), [null, null]);
      });
    }
  });

  describe('SDK auto-pagination', () => {
    async function tenProfiles() {
      const key = await server().newKey();
      const client = currentSdk(server(), key.api_key);
      const ids: string[] = [];
      for (const name of ['b', 'A', null, 'c', 'a', null, 'Ω', 'B', 'd', null]) {
        ids.push((await client.userProfiles.create(name === null ? {} : { name })).id);
      }
      return { key, ids };
    }

    const surfaces = {
      'GA (SDK 1.14)': (s: TestServer, k: string) => currentSdk(s, k).userProfiles,
      'beta (SDK 1.14)': (s: TestServer, k: string) => currentSdk(s, k).beta.userProfiles,
      'beta 2026-03-24 (SDK 0.107)': (s: TestServer, k: string) => oldSdk(s, k).beta.userProfiles,
    };

    for (const [surface, resource] of Object.entries(surfaces)) {
      it(`${surface}: for await visits every profile once, in every order`, async () => {
        const { key, ids } = await tenProfiles();
        for (const { order, order_by } of SORTS) {
          const reference = (await walk(server(), key.api_key, { order, order_by, limit: 100 })).map((p) => p.id);
          const seen: string[] = [];
          for await (const profile of (resource(server(), key.api_key) as any).list({ limit: 3, order, order_by })) seen.push(profile.id);
          assertNoDuplicates(seen);
          assert.deepEqual([...seen].sort(), [...ids].sort(), `${order} ${order_by}`);
          assert.deepEqual(seen, reference, `${order} ${order_by}: same order as one big page`);
        }
      });
    }
  });

  describe('cursor', () => {
    async function orgWithCursor(n = 5) {
      const key = await server().newKey();
      const client = currentSdk(server(), key.api_key);
      for (let i = 0; i < n; i++) await client.userProfiles.create({ name: `c${i}` });
      return key;
    }

    it('is bound to order and order_by: reusing it with other ones → 400', async () => {
      const key = await orgWithCursor();
      for (const made of SORTS) {
        const first = assertPage(await list(server(), key.api_key, qs({ ...made, limit: 2 })));
        assert.ok(first.next_page);
        // the same query goes on
        assert.equal(assertPage(await list(server(), key.api_key, qs({ ...made, limit: 2, page: first.next_page }))).data.length, 2);
        // a different limit is fine: the cursor names a position, not a page size
        assert.equal(assertPage(await list(server(), key.api_key, qs({ ...made, limit: 10, page: first.next_page }))).data.length, 3);
        for (const other of SORTS.filter((s) => s.order !== made.order || s.order_by !== made.order_by)) {
          const res = await list(server(), key.api_key, qs({ ...other, limit: 2, page: first.next_page }));
          assertApiError(res, 400, 'invalid_request_error', /page|cursor/);
        }
        // defaults are desc / created_at: omitting them is the same as naming them
        const omitted = await list(server(), key.api_key, qs({ limit: 2, page: first.next_page }));
        if (made.order === 'desc' && made.order_by === 'created_at') assertPage(omitted);
        else assertApiError(omitted, 400, 'invalid_request_error');
      }
    });

    it('a tampered cursor (any one character changed) → 400', async () => {
      const key = await orgWithCursor();
      const { next_page } = assertPage(await list(server(), key.api_key, '?limit=2'));
      assert.ok(next_page);
      for (let i = 0; i < next_page.length; i++) {
        const swapped = next_page[i] === 'A' ? 'B' : 'A';
        const tampered = next_page.slice(0, i) + swapped + next_page.slice(i + 1);
        assertApiError(await list(server(), key.api_key, qs({ limit: 2, page: tampered })), 400, 'invalid_request_error');
      }
    });

    it('a garbage cursor → 400', async () => {
      const key = await orgWithCursor();
      const forged = `page_${Buffer.from(JSON.stringify([1, 'desc', 'created_at', '', [0, 'uprof_x']])).toString('base64url')}`;
      for (const page of ['abc', 'page_', 'page_!!!', 'page_MjAyNS0wNS0xNFQwMDowMDowMFo=', forged, 'x'.repeat(5000)]) {
        assertApiError(await list(server(), key.api_key, qs({ page })), 400, 'invalid_request_error', /page/);
      }
    });

    it("another organization's cursor never lists that organization's profiles", async () => {
      const alice = await orgWithCursor(6);
      const bob = await server().newKey();
      const bobClient = currentSdk(server(), bob.api_key);
      const bobIds: string[] = [];
      for (let i = 0; i < 4; i++) bobIds.push((await bobClient.userProfiles.create({ name: `b${i}` })).id);
      const aliceIds = (await walk(server(), alice.api_key, { limit: 100 })).map((p) => p.id);
      for (const sort of SORTS) {
        const { next_page } = assertPage(await list(server(), alice.api_key, qs({ ...sort, limit: 2 })));
        assert.ok(next_page);
        let page: string | null = next_page;
        while (page) {
          const body = assertPage(await list(server(), bob.api_key, qs({ ...sort, limit: 2, page })));
          for (const p of body.data) {
            assert.ok(!aliceIds.includes(p.id), 'leaked another organization’s profile');
            assert.ok(bobIds.includes(p.id));
          }
          page = body.next_page;
        }
      }
    });
  });

  describe('visibility', () => {
    it('never lists deleted profiles', async () => {
      const key = await server().newKey();
      const client = currentSdk(server(), key.api_key);
      const ids: string[] = [];
      for (let i = 0; i < 6; i++) {
        ids.push((await client.userProfiles.create(i % 2 ? { name: `d${i}` } : {})).id);
        await sleep(3);
      }
      // a cursor taken before the deletes
      const before = assertPage(await list(server(), key.api_key, '?limit=1&order=asc'));
      const deleted = [ids[1], ids[2], ids[5]];
      for (const id of deleted) await client.userProfiles.delete(id);
      const live = ids.filter((id) => !deleted.includes(id));
      for (const sort of SORTS) {
        for (const limit of [1, 100]) {
          const seen = (await walk(server(), key.api_key, { ...sort, limit })).map((p) => p.id);
          assert.deepEqual([...seen].sort(), [...live].sort(), `${sort.order} ${sort.order_by} limit=${limit}`);
        }
      }
      const after = (await walk(server(), key.api_key, { order: 'asc', limit: 1, page: before.next_page! })).map((p) => p.id);
      assert.deepEqual(after, live.slice(1));
    });

    it('never lists profiles of other organizations', async () => {
      const a = await server().newKey();
      const b = await server().newKey();
      const aIds = [(await currentSdk(server(), a.api_key).userProfiles.create({ name: 'same' })).id];
      const bIds = [(await currentSdk(server(), b.api_key).userProfiles.create({ name: 'same' })).id];
      aIds.push((await currentSdk(server(), a.api_key).userProfiles.create({})).id);
      for (const sort of SORTS) {
        assert.deepEqual((await walk(server(), a.api_key, sort)).map((p) => p.id).sort(), [...aIds].sort());
        assert.deepEqual((await walk(server(), b.api_key, sort)).map((p) => p.id), bIds);
      }
    });
  });

  describe('GA filter enforcement_status', () => {
    async function fiveProfiles() {
      const key = await server().newKey();
      const client = currentSdk(server(), key.api_key);
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await client.userProfiles.create({ name: `e${i}` })).id);
      return { key, ids: ids.sort() };
    }

    it('is accepted as enforcement_status[]=…, repeated, and comma-joined; unrestricted lists all, banned none', async () => {
      const { key, ids } = await fiveProfiles();
      const all = [
        '?enforcement_status[]=unrestricted',
        '?enforcement_status%5B%5D=unrestricted',
        '?enforcement_status[]=banned&enforcement_status[]=unrestricted',
        '?enforcement_status=unrestricted',
        '?enforcement_status=restricted&enforcement_status=unrestricted',
        '?enforcement_status=banned,unrestricted',
        '?enforcement_status=banned,pending&enforcement_status[]=unrestricted',
      ];
      for (const query of all) {
        const body = assertPage(await list(server(), key.api_key, query));
        assert.deepEqual(body.data.map((p) => p.id).sort(), ids, query);
        assert.equal(body.next_page, null, query);
      }
      const none = ['?enforcement_status[]=banned', '?enforcement_status=banned&enforcement_status=restricted', '?enforcement_status=pending,restricted,banned'];
      for (const query of none) assert.deepEqual(assertPage(await list(server(), key.api_key, query)), { data: [], next_page: null }, query);
      // through the SDK, which sends the bracket form
      const client = currentSdk(server(), key.api_key);
      const seen: string[] = [];
      for await (const p of client.userProfiles.list({ enforcement_status: ['unrestricted'], limit: 2 })) seen.push(p.id);
      assert.deepEqual(seen.sort(), ids);
      const banned: string[] = [];
      for await (const p of client.userProfiles.list({ enforcement_status: ['banned', 'restricted'] })) banned.push(p.id);
      assert.deepEqual(banned, []);
    });

    it('pages a filtered list with limit and binds the cursor to the filter', async () => {
      const { key, ids } = await fiveProfiles();
      const seen = await walk(server(), key.api_key, { 'enforcement_status[]': 'unrestricted', limit: 2 });
      assert.deepEqual(seen.map((p) => p.id).sort(), ids);
      const first = assertPage(await list(server(), key.api_key, '?enforcement_status[]=unrestricted&limit=2'));
      assert.ok(first.next_page);
      assertApiError(await list(server(), key.api_key, `?limit=2&page=${first.next_page}`), 400, 'invalid_request_error');
      const unfiltered = assertPage(await list(server(), key.api_key, '?limit=2'));
      assertApiError(await list(server(), key.api_key, `?enforcement_status[]=unrestricted&limit=2&page=${unfiltered.next_page}`), 400, 'invalid_request_error');
    });

    it('refuses unknown values', async () => {
      const { key } = await fiveProfiles();
      for (const query of ['?enforcement_status[]=bogus', '?enforcement_status=Banned', '?enforcement_status=banned,bogus', '?enforcement_status[]=unrestricted&enforcement_status[]=active']) {
        assertApiError(await list(server(), key.api_key, query), 400, 'invalid_request_error', /enforcement_status/);
      }
    });

    for (const beta of BETAS) {
      it(`is refused under ${beta}`, async () => {
        const { key, ids } = await fiveProfiles();
        const headers = { 'anthropic-beta': beta };
        for (const query of ['?enforcement_status[]=unrestricted', '?enforcement_status=banned']) {
          assertApiError(await list(server(), key.api_key, query, headers), 400, 'invalid_request_error', /enforcement_status/);
        }
        // the same list without the filter is fine under that beta
        assert.deepEqual(assertPage(await list(server(), key.api_key, '', headers)).data.map((p) => p.id).sort(), ids);
      });
    }

    it('with more than 500 profiles and no match, serves empty pages that carry next_page until the scan is done', async () => {
      const key = await server().newKey();
      const now = server().clock.now();
      const seeded = await seed(server(), key, many(520, (i) => now - 100_000 + i, (i) => (i % 4 ? `s${i}` : null)));
      for (const sort of SORTS) {
        const first = assertPage(await list(server(), key.api_key, qs({ ...sort, 'enforcement_status[]': 'banned', limit: 100 })));
        assert.deepEqual(first.data, []);
        assert.ok(first.next_page, `${sort.order} ${sort.order_by}: an empty page before the scan is done still has next_page`);
        let page: string | null = first.next_page;
        let pages = 1;
        while (page) {
          const body = assertPage(await list(server(), key.api_key, qs({ ...sort, 'enforcement_status[]': 'banned', limit: 100, page })));
          assert.deepEqual(body.data, []);
          page = body.next_page;
          assert.ok(++pages <= 10, 'the filtered scan must make progress');
        }
        // the matching filter pages through everything exactly once
        const all = await walk(server(), key.api_key, { ...sort, 'enforcement_status[]': 'unrestricted', limit: 100 });
        assertNoDuplicates(all.map((p) => p.id));
        assert.equal(all.length, seeded.length);
        assertSorted(all, sort.order, sort.order_by);
      }
      // the SDK keeps paging through the empty page and ends
      const found: string[] = [];
      for await (const p of currentSdk(server(), key.api_key).userProfiles.list({ enforcement_status: ['banned'], limit: 50 })) found.push(p.id);
      assert.deepEqual(found, []);
    });
  });

  describe('a walk under concurrent writes', () => {
    const POOL = ['ann', 'Ann', 'bob', 'BOB', 'Émile', 'zoë', 'Zed', 'carl', 'dora', 'eve', 'ｚ', '𝒜'];
    const pick = <T>(xs: T[]) => xs[Math.floor(Math.random() * xs.length)];
    const randomName = () => (Math.random() < 0.2 ? null : pick(POOL) + (Math.random() < 0.5 ? '' : String(Math.floor(Math.random() * 5))));

    /** Keeps creating and deleting other profiles (and some doomed seeded ones) until told to stop; bounded. */
    async function churn(key: string, doomed: string[], walking: () => boolean, churned: Set<string>) {
      const client = currentSdk(server(), key);
      const mine: string[] = [];
      let writesDuringWalk = 0;
      for (let i = 0; i < 400 && walking(); i++) {
        const name = randomName();
        const p = await client.userProfiles.create(name === null ? {} : { name });
        churned.add(p.id);
        mine.push(p.id);
        if (i % 2 === 1) await client.userProfiles.delete(mine.splice(Math.floor(Math.random() * mine.length), 1)[0]);
        if (i % 3 === 0 && doomed.length) await client.userProfiles.delete(doomed.pop()!);
        if (walking()) writesDuringWalk++;
      }
      return writesDuringWalk;
    }

    for (const { order, order_by } of SORTS) {
      it(`order=${order} order_by=${order_by}: no profile twice, none that lived throughout skipped`, async () => {
        const key = await server().newKey();
        const now = server().clock.now();
        // triples share a created_at, names repeat: ties on every sort key
        const seeded = await seed(server(), key, many(150, (i) => now - 60_000 + Math.floor(i / 3) * 7, () => randomName()));
        const doomed = seeded.filter((_, i) => i % 6 === 0);
        const stable = seeded.filter((id) => !doomed.includes(id));
        const churned = new Set<string>();

        let walking = true;
        const churners = [0, 1, 2].map(() => churn(key.api_key, doomed, () => walking, churned));
        let seen: Listed[];
        try {
          seen = await walk(server(), key.api_key, { order, order_by, limit: 7 });
        } finally {
          walking = false;
        }
        const writes = (await Promise.all(churners)).reduce((a, b) => a + b, 0);
        assert.ok(writes > 0, 'the walk ran while others were writing');

        const ids = seen.map((p) => p.id);
        assertNoDuplicates(ids);
        const missing = stable.filter((id) => !ids.includes(id));
        assert.deepEqual(missing, [], 'a profile that existed for the whole walk was skipped');
        assert.ok(ids.every((id) => seeded.includes(id) || churned.has(id)));
        assertSorted(seen, order, order_by);
      });
    }
  });
});
