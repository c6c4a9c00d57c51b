/**
 * `npm run bench:fair-use`: what idempotency keys and rate limits cost (issue 15; goal ≤ 10 % each).
 *
 * - create with a fresh `Idempotency-Key` on every request (claim, work, answer kept) against create without one;
 * - retrieve by a key whose limit is set but never hit (its own limit of 1,000,000 requests per second) against a
 *   key without a limit, with the buckets in the process, and on a second server with REDIS_URL, in Redis.
 *
 * Each pair runs on one server, back to back, round after round (the machine is shared and noisy: only ratios taken
 * in the same minute mean anything); figures are medians over rounds. uprof runs as `npm start` runs it, default
 * settings, log to a file. Same knobs as `npm run bench`: BENCH_SECONDS (5), BENCH_WARMUP_SECONDS (1),
 * BENCH_ROUNDS (3), BENCH_ENGINES (sqlite,postgres), BENCH_DATABASE_URL; and BENCH_REDIS_URL
 * (redis://127.0.0.1:6379; set it to `none` to skip the Redis leg).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mintKey } from '../src/keys.ts';
import { openStore } from '../src/store/index.ts';
import {
  DEFAULT_POSTGRES_URL, SERVE, freshPostgresSchema, killChildren, measure as measureRun, median, requireWrk, startServer, stop, table,
  type Measured, type Server, type WrkRequest,
} from './support.ts';

const SECONDS = Number(process.env.BENCH_SECONDS || 5);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS || 1);
const ROUNDS = Number(process.env.BENCH_ROUNDS || 3);
const ENGINES = (process.env.BENCH_ENGINES || 'sqlite,postgres').split(',').map((e) => e.trim()).filter(Boolean);
const POSTGRES_URL = process.env.BENCH_DATABASE_URL || DEFAULT_POSTGRES_URL;
const REDIS_URL = process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379';
const CONNECTIONS = 10;
const SEEDED = 500;
const measure = (server: Server, request: WrkRequest, dir: string) =>
  measureRun(server, request, { seconds: SECONDS, warmupSeconds: WARMUP_SECONDS, connections: CONNECTIONS, dir });
const CREATE_BODY = JSON.stringify({ name: 'Bench Create', external_user_details: { reference_id: 'bench_create' }, metadata: { plan: 'pro' } });


interface Comparison {
  name: string;
  /** without the feature, with it */
  pairs: [Measured, Measured][];
}

async function seed(url: string, headers: Record<string, string>): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < SEEDED; i++) {
    const res = await fetch(`${url}/v1/user_profiles`, { method: 'POST', headers, body: JSON.stringify({ name: `Bench User ${i}` }) });
    if (res.status !== 200) throw new Error(`seeding answered ${res.status}: ${await res.text()}`);
    ids.push(((await res.json()) as { id: string }).id);
  }
  return ids;
}

async function runEngine(engine: string, databaseUrl: string, dir: string): Promise<Comparison[]> {
  const store = await openStore({ databaseUrl });
  const plain = await mintKey(store, { organization: 'bench', createOrganization: true, role: 'platform' });
  const limited = await mintKey(store, { organization: 'bench', createOrganization: false, role: 'platform', rateLimitRps: 1_000_000 });
  await store.close();
  const headersOf = (apiKey: string) => ({ 'x-api-key': apiKey, 'anthropic-version': '2023-06-01' });
  const json = { 'content-type': 'application/json' };

  const servers: { label: string; env: NodeJS.ProcessEnv }[] = [{ label: 'buckets in the process', env: {} }];
  if (REDIS_URL !== 'none') servers.push({ label: 'buckets in Redis', env: { REDIS_URL, REDIS_KEY_PREFIX: `uprof-bench-${randomBytes(4).toString('hex')}:` } });
  const comparisons: Comparison[] = [];
  for (const [n, { label, env: extra }] of servers.entries()) {
    const env: NodeJS.ProcessEnv = { ...process.env, HOST: '127.0.0.1', DATABASE_URL: databaseUrl, UPROF_MASTER_KEY_FILE: join(dir, 'master.key'), ...extra };
    delete env.LOG_LEVEL;
    const uprof = await startServer(`uprof on ${engine}`, SERVE, env, { logFile: join(dir, `uprof-${engine}-${n}.log`) });
    try {
      const ids = await seed(uprof.url, { ...headersOf(plain.api_key), ...json });
      const paths = ids.map((id) => `/v1/user_profiles/${id}`);
      const limits: Comparison = { name: `${engine}: retrieve, limit set but not hit (${label})`, pairs: [] };
      const keys: Comparison = { name: `${engine}: create with Idempotency-Key`, pairs: [] };
      for (let round = 1; round <= ROUNDS; round++) {
        const free = await measure(uprof, { method: 'GET', path: paths, headers: headersOf(plain.api_key) }, dir);
        const bounded = await measure(uprof, { method: 'GET', path: paths, headers: headersOf(limited.api_key) }, dir);
        limits.pairs.push([free, bounded]);
        process.stderr.write(`  ${limits.name} round ${round}: ${free.rps.toFixed(0)} → ${bounded.rps.toFixed(0)} req/s\n`);
        if (n > 0) continue; // idempotency does not depend on where the buckets are
        const create = { method: 'POST' as const, path: '/v1/user_profiles', headers: { ...headersOf(plain.api_key), ...json }, body: CREATE_BODY };
        const bare = await measure(uprof, create, dir);
        const keyed = await measure(uprof, { ...create, counted: { name: 'Idempotency-Key', prefix: 'bench-' } }, dir);
        keys.pairs.push([bare, keyed]);
        process.stderr.write(`  ${keys.name} round ${round}: ${bare.rps.toFixed(0)} → ${keyed.rps.toFixed(0)} req/s\n`);
      }
      comparisons.push(limits);
      if (keys.pairs.length > 0) comparisons.push(keys);
    } finally {
      await stop(uprof.child);
    }
  }
  return comparisons;
}

function report(comparisons: Comparison[]): void {
  const rows = comparisons.map(({ name, pairs }) => {
    const throughput = pairs.map(([a, b]) => 100 * (1 - b.rps / a.rps));
    const cpu = pairs.map(([a, b]) => 100 * (b.cpuPerRequestUs / a.cpuPerRequestUs - 1));
    const errors = pairs.reduce((sum, [a, b]) => sum + a.errors + b.errors, 0);
    return [
      name,
      `${median(pairs.map(([a]) => a.rps)).toFixed(0)} → ${median(pairs.map(([, b]) => b.rps)).toFixed(0)}`,
      `${median(throughput).toFixed(1)} % (${Math.min(...throughput).toFixed(1)}…${Math.max(...throughput).toFixed(1)})`,
      `${median(pairs.map(([a]) => a.cpuPerRequestUs)).toFixed(0)} → ${median(pairs.map(([, b]) => b.cpuPerRequestUs)).toFixed(0)} (${median(cpu).toFixed(1)} %)`,
      `${median(pairs.map(([a]) => a.p99)).toFixed(2)} → ${median(pairs.map(([, b]) => b.p99)).toFixed(2)}`,
      errors > 0 ? `INVALID: ${errors} errors` : '',
    ];
  });
  console.log();
  console.log(table(['comparison', 'req/s without → with', 'throughput cost (range)', 'CPU µs/request (cost)', 'p99 ms', ''], rows, [0, 5]));
  console.log(`\n${ROUNDS} rounds of ${SECONDS} s, ${CONNECTIONS} connections; goal: each cost ≤ 10 %.`);
}

requireWrk();
const dir = mkdtempSync(join(tmpdir(), 'uprof-bench-fair-use-'));
const comparisons: Comparison[] = [];
try {
  for (const engine of ENGINES) {
    if (engine === 'sqlite') {
      comparisons.push(...(await runEngine('sqlite', `sqlite:${join(dir, 'bench.db')}`, dir)));
    } else {
      const schema = await freshPostgresSchema(POSTGRES_URL, 'uprof_bench_fair_use');
      if ('unreachable' in schema) {
        console.error(`bench: PostgreSQL leg skipped: ${schema.unreachable}`);
        continue;
      }
      try {
        comparisons.push(...(await runEngine('postgres', schema.url, dir)));
      } finally {
        await schema.drop();
      }
    }
  }
  report(comparisons);
} finally {
  killChildren();
  rmSync(dir, { recursive: true, force: true });
}
