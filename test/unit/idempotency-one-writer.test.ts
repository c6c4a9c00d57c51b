import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openStore, type Store } from '../../src/store/index.ts';
import type { ClaimRequest } from '../../src/store/idempotency.ts';

const ORG = 'org_01AbCdEfGhIjKlMnOpQrStUv';
const NOW = Date.UTC(2026, 10, 1, 12, 0, 0);
const LEASE_MS = 30_000;
const TTL_MS = 24 * 3600_000;
const ANSWER = { status: 200, headers: { 'content-type': 'application/json' }, body: '{"id":"uprof_1"}' };

const claimOf = (key: string, owner: string, extra: Partial<ClaimRequest> = {}): ClaimRequest => ({
  organizationId: ORG, key, fingerprint: 'fp-1', owner, now: NOW, leaseMs: LEASE_MS, ttlMs: TTL_MS, ...extra,
});

/**
 * A SQLite server is its database's one writer: its idempotency claims are held in memory and a key's row is
 * written once, with its answer (src/store/idempotency.ts). What other clients see must not change.
 */
describe('idempotency keys on a SQLite server (the one writer)', () => {
  let dir: string;
  let store: Store;
  const rows = (key: string) =>
    store.sql.all<{ owner: string; status: number | null }>(
      'SELECT owner, status FROM idempotency_keys WHERE organization_id = ? AND idempotency_key = ?', [ORG, key]);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'uprof-idem-'));
    store = await openStore({ databaseUrl: `sqlite:${join(dir, 'db.sqlite')}`, serve: { profileCacheSize: 10 } });
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a claim writes nothing; a second claim while it runs is in progress (or a mismatch for another request)', async () => {
    assert.equal((await store.idempotency.claim(claimOf('a', 'req_1'))).kind, 'claimed');
    assert.deepEqual(await rows('a'), [], 'no row until the answer');
    assert.equal((await store.idempotency.claim(claimOf('a', 'req_2'))).kind, 'in_progress');
    assert.equal((await store.idempotency.claim(claimOf('a', 'req_3', { fingerprint: 'fp-2' }))).kind, 'mismatch');
  });

  it('the answer is written once, as one row; later claims replay it, and it outlives the process', async () => {
    assert.equal(await store.idempotency.complete(ORG, 'a', 'req_1', ANSWER), true);
    assert.deepEqual(await rows('a'), [{ owner: 'req_1', status: 200 }]);
    const replay = await store.idempotency.claim(claimOf('a', 'req_4'));
    assert.deepEqual(replay, { kind: 'answered', answer: { ...ANSWER, requestId: 'req_1' } });
    assert.equal((await store.idempotency.claim(claimOf('a', 'req_5', { fingerprint: 'fp-2' }))).kind, 'mismatch');

    await store.close();
    store = await openStore({ databaseUrl: `sqlite:${join(dir, 'db.sqlite')}`, serve: { profileCacheSize: 10 } });
    assert.equal((await store.idempotency.claim(claimOf('a', 'req_6'))).kind, 'answered', 'kept across a restart');
  });

  it('a claim past its lease is taken over; the old owner can then neither complete nor release it', async () => {
    assert.equal((await store.idempotency.claim(claimOf('b', 'req_slow'))).kind, 'claimed');
    assert.equal((await store.idempotency.claim(claimOf('b', 'req_retry', { now: NOW + LEASE_MS - 1 }))).kind, 'in_progress');
    assert.equal((await store.idempotency.claim(claimOf('b', 'req_retry', { now: NOW + LEASE_MS }))).kind, 'claimed');
    assert.equal(await store.idempotency.complete(ORG, 'b', 'req_slow', ANSWER), false);
    await store.idempotency.release(ORG, 'b', 'req_slow');
    assert.equal((await store.idempotency.claim(claimOf('b', 'req_other', { now: NOW + LEASE_MS }))).kind, 'in_progress', 'still held by the retry');
    assert.equal(await store.idempotency.complete(ORG, 'b', 'req_retry', ANSWER), true);
    assert.deepEqual(await rows('b'), [{ owner: 'req_retry', status: 200 }]);
  });

  it('a released claim (a 5xx) leaves nothing: the next request runs', async () => {
    assert.equal((await store.idempotency.claim(claimOf('c', 'req_1'))).kind, 'claimed');
    await store.idempotency.release(ORG, 'c', 'req_1');
    assert.deepEqual(await rows('c'), []);
    assert.equal((await store.idempotency.claim(claimOf('c', 'req_2'))).kind, 'claimed');
    await store.idempotency.release(ORG, 'c', 'req_2');
  });

  it('an unanswered row left by an earlier process, and an expired answer, are as good as absent; the new answer replaces them', async () => {
    await store.sql.run(
      `INSERT INTO idempotency_keys (organization_id, idempotency_key, fingerprint, owner, lease_until, created_at, expires_at)
       VALUES (?, 'd', 'fp-old', 'req_dead', ?, ?, ?)`, [ORG, NOW + LEASE_MS, NOW, NOW + TTL_MS]);
    assert.equal((await store.idempotency.claim(claimOf('d', 'req_1'))).kind, 'claimed');
    assert.equal(await store.idempotency.complete(ORG, 'd', 'req_1', ANSWER), true);
    assert.deepEqual(await rows('d'), [{ owner: 'req_1', status: 200 }]);

    const later = NOW + TTL_MS;
    assert.equal((await store.idempotency.claim(claimOf('d', 'req_2', { now: later, fingerprint: 'fp-2' }))).kind, 'claimed', 'expired: free again');
    assert.equal(await store.idempotency.complete(ORG, 'd', 'req_2', { ...ANSWER, status: 400 }), true);
    assert.deepEqual(await rows('d'), [{ owner: 'req_2', status: 400 }]);
  });

  it('many claims of one key in one tick: exactly one runs', async () => {
    const claims = await Promise.all(Array.from({ length: 50 }, (_, i) => store.idempotency.claim(claimOf('e', `req_${i}`))));
    assert.equal(claims.filter((c) => c.kind === 'claimed').length, 1);
    assert.equal(claims.filter((c) => c.kind === 'in_progress').length, 49);
  });
});
