import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { engines, POSTGRES_URL } from '../support/engines.ts';
import { callProcess, mintKeyWithCli, range, startServerProcess, type ServerProcess } from '../support/processes.ts';
import { PrivateRedis, REDIS_SKIPPED, REDIS_URL } from '../support/redis.ts';
import type { RawResponse } from '../support/server.ts';

/**
 * Issue 15 across real `uprof serve` processes: one idempotency answer and one rate-limit budget for every
 * process on a shared PostgreSQL (and Redis); serving on when Redis goes away, and limits back when it returns.
 */

const postgres = (await engines()).find((engine) => engine.name === 'postgres');
const PG_SKIPPED = postgres ? null : `PostgreSQL is not reachable at ${POSTGRES_URL}: several processes need a shared database server`;
if (PG_SKIPPED) console.log(`fair-use process tests on PostgreSQL SKIPPED: ${PG_SKIPPED}`);

const limitHeader = (answer: RawResponse) => answer.headers.get('anthropic-ratelimit-requests-limit');

describe('Idempotency-Key on two processes sharing PostgreSQL', { skip: PG_SKIPPED ?? undefined }, () => {
  let database: { url: string; drop(): Promise<void> };
  let procs: ServerProcess[] = [];

  before(async () => {
    database = await postgres!.createDatabase();
    procs = [await startServerProcess(database.url)];
    procs.push(await startServerProcess(database.url));
  });
  after(async () => {
    await Promise.all(procs.map((proc) => proc.stop()));
    await database?.drop();
  });

  it('many concurrent requests with one key, on both processes, run it exactly once', async () => {
    const { api_key } = await mintKeyWithCli(database.url, `race-${randomUUID()}`);
    for (let round = 0; round < 3; round++) {
      const key = `race-${randomUUID()}`;
      const body = { name: `Raced ${round}` };
      const send = (i: number) => callProcess(procs[i % 2], 'POST', '/v1/user_profiles', { key: api_key, body, headers: { 'Idempotency-Key': key } });
      const answers = await Promise.all(range(30).map(send));
      for (const answer of answers) assert.ok(answer.status === 200 || answer.status === 409, `${answer.status} ${answer.text}`);
      const ran = answers.filter((a) => a.status === 200 && a.headers.get('idempotent-replayed') === null);
      assert.equal(ran.length, 1, `round ${round}: exactly one request ran`);
      for (const answer of answers.filter((a) => a.status === 200)) assert.equal(answer.text, ran[0].text);
      // the 409s' retries (on either process) land on the kept answer
      for (const i of [0, 1]) {
        const retry = await send(i);
        assert.equal(retry.status, 200);
        assert.equal(retry.headers.get('idempotent-replayed'), 'true');
        assert.equal(retry.text, ran[0].text);
      }
    }
    const listed = await callProcess(procs[0], 'GET', '/v1/user_profiles?limit=100', { key: api_key });
    assert.equal(listed.json.data.length, 3, 'three rounds, three profiles');
  });
});

describe('rate limits on two processes sharing PostgreSQL', { skip: PG_SKIPPED ?? REDIS_SKIPPED ?? undefined }, () => {
  let database: { url: string; drop(): Promise<void> };
  const procs: Record<'shared' | 'own', ServerProcess[]> = { shared: [], own: [] };
  const BURST = 5;

  before(async () => {
    database = await postgres!.createDatabase();
    // a rate so slow that no token comes back during the test: the budget is the burst
    const limits = { RATE_LIMIT_RPS: '0.001', RATE_LIMIT_BURST: String(BURST) };
    const redis = { REDIS_URL, REDIS_KEY_PREFIX: `uprof-test-${randomBytes(6).toString('hex')}:` };
    procs.shared = [await startServerProcess(database.url, { ...limits, ...redis }), await startServerProcess(database.url, { ...limits, ...redis })];
    procs.own = [await startServerProcess(database.url, limits), await startServerProcess(database.url, limits)];
  });
  after(async () => {
    await Promise.all([...procs.shared, ...procs.own].map((proc) => proc.stop()));
    await database?.drop();
  });

  it('with REDIS_URL, one budget across processes; without, each process its own', async () => {
    for (const [mode, expected] of [['shared', BURST], ['own', 2 * BURST]] as const) {
      const { api_key } = await mintKeyWithCli(database.url, `limits-${mode}-${randomUUID()}`);
      const statuses: number[] = [];
      for (let i = 0; i < 4 * BURST; i++) statuses.push((await callProcess(procs[mode][i % 2], 'GET', '/v1/user_profiles', { key: api_key })).status);
      assert.equal(statuses.filter((s) => s === 200).length, expected, `${mode}: ${statuses.join(' ')}`);
      assert.equal(statuses.filter((s) => s === 429).length, 4 * BURST - expected);
    }
  });
});

describe('when Redis goes away', { skip: PrivateRedis.available ? undefined : 'redis-server is not installed' }, () => {
  let redis: PrivateRedis;
  let proc: ServerProcess;
  let dir: string;
  let databaseUrl: string;

  before(async () => {
    redis = await PrivateRedis.start();
    dir = mkdtempSync(join(tmpdir(), 'uprof-redis-outage-'));
    databaseUrl = `sqlite:${join(dir, 'uprof.db')}`;
    proc = await startServerProcess(databaseUrl, {
      REDIS_URL: redis.url, RATE_LIMIT_RPS: '0.001', RATE_LIMIT_BURST: '2', LOG_LEVEL: 'info', UPROF_MASTER_KEY_FILE: join(dir, 'master.key'),
    });
  });
  after(async () => {
    await proc?.stop();
    await redis?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves without limits, says so once in its log, and limits again once Redis is back', async () => {
    const { api_key } = await mintKeyWithCli(databaseUrl, 'Outage');
    const get = () => callProcess(proc, 'GET', '/v1/user_profiles', { key: api_key });
    assert.deepEqual([(await get()).status, (await get()).status, (await get()).status], [200, 200, 429], 'limited while Redis answers');

    await redis.stop();
    for (let i = 0; i < 10; i++) {
      const answer = await get();
      assert.equal(answer.status, 200, 'served, unlimited');
      assert.equal(limitHeader(answer), null, 'no limit headers while no limit applies');
    }
    const off = (proc.log.match(/rate limits are OFF/g) ?? []).length;
    assert.equal(off, 1, `said once:\n${proc.log.slice(-3000)}`);

    await redis.restart();
    let limited: RawResponse | null = null;
    for (const deadline = Date.now() + 20_000; Date.now() < deadline && limited === null; await sleep(100)) {
      const answer = await get();
      if (limitHeader(answer) !== null) limited = answer;
    }
    assert.ok(limited, 'limits came back on their own');
    // Redis came back empty: a fresh bucket of 2, one of which the answer above spent
    assert.deepEqual([(await get()).status, (await get()).status], [200, 429]);
    assert.equal((proc.log.match(/rate limits are OFF/g) ?? []).length, 1, 'still said once');
    assert.equal((proc.log.match(/rate limits are back ON/g) ?? []).length, 1);
  });
});
