/**
 * `npm run bench:growth`: do retrieve and create stay as fast as the organization grows? On each engine, one
 * organization, uprof started as `npm start` starts it (default settings, log to a file), load from wrk:
 *
 *   0      a fresh database with 1,000 profiles made through the API: retrieve and create measured;
 *   50k    creates through the API until 50,000 have been made in all (GROWTH_CREATES), with no ANALYZE or
 *          VACUUM run by anyone but the database itself; retrieve and create measured again;
 *   1M     the server stopped, profiles bulk-loaded into the same organization up to 1,000,000 (GROWTH_PROFILES;
 *          bench/seed.ts), no ANALYZE; a fresh server process; retrieve and create measured again.
 *
 * Every measurement is paired with a run of the bare node:http server just before it, and compared as a ratio to
 * it, so that a busier minute on this shared machine does not pass for a slower uprof. Each phase runs
 * GROWTH_ROUNDS rounds of retrieve (medians); create runs once per phase for BENCH_CREATE_SECONDS, since its
 * own rows add to the table (the 0 figure covers the first creates, the rows it adds are counted towards 50k).
 * Peak RSS is taken per phase.
 *
 *   BENCH_SECONDS=5  BENCH_CREATE_SECONDS=2  GROWTH_ROUNDS=3  GROWTH_CREATES=50000  GROWTH_PROFILES=1000000
 *   BENCH_ENGINES=sqlite,postgres  BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test
 */
import { mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mintKey } from '../src/keys.ts';
import { openStore } from '../src/store/index.ts';
import { generate, postgresEngine, sqliteEngine, type EngineRun } from './seed.ts';
import {
  DEFAULT_POSTGRES_URL, SERVE, killChildren, median, requireWrk, rssPeak, runBench, startServer, stop, table, wrk, type Server, type WrkRequest,
} from './support.ts';

const SECONDS = Number(process.env.BENCH_SECONDS || 5);
const CREATE_SECONDS = Number(process.env.BENCH_CREATE_SECONDS || 2);
const ROUNDS = Number(process.env.GROWTH_ROUNDS || 3);
const CREATES = Number(process.env.GROWTH_CREATES || 50_000);
const PROFILES = Number(process.env.GROWTH_PROFILES || 1_000_000);
const ENGINES = (process.env.BENCH_ENGINES || 'sqlite,postgres').split(',').map((e) => e.trim()).filter(Boolean);
const POSTGRES_URL = process.env.BENCH_DATABASE_URL || DEFAULT_POSTGRES_URL;
const CONNECTIONS = 10;
const SEEDED = 1000;
const BARE = fileURLToPath(new URL('./baselines/bare-http.mjs', import.meta.url));
const CREATE_BODY = JSON.stringify({ name: 'Growth Create', external_user_details: { reference_id: 'growth' }, metadata: { plan: 'pro' } });

interface Phase {
  phase: string;
  profiles: number;
  retrieve: number;
  retrieveRatio: number;
  retrieveP99: number;
  create: number;
  createRatio: number;
  createP99: number;
  peakRssMB: number;
}

async function post(url: string, headers: Record<string, string>, body: string): Promise<string> {
  const res = await fetch(`${url}/v1/user_profiles`, { method: 'POST', headers, body });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`POST /v1/user_profiles answered ${res.status}: ${text}`);
  return text;
}

/** `count` creates through the API over CONNECTIONS concurrent callers; resolves to the bodies' ids. */
async function createMany(url: string, headers: Record<string, string>, count: number, body: (i: number) => string): Promise<string[]> {
  const ids: string[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
    for (let i = next++; i < count; i = next++) ids.push((JSON.parse(await post(url, headers, body(i))) as { id: string }).id);
  }));
  return ids;
}

async function profilesIn(databaseUrl: string, organizationId: string): Promise<number> {
  const store = await openStore({ databaseUrl });
  try {
    const row = await store.sql.get<{ n: number }>('SELECT COUNT(*) AS n FROM user_profiles WHERE organization_id = ?', [organizationId]);
    return Number(row?.n ?? 0);
  } finally {
    await store.close();
  }
}

async function measurePhase(phase: string, uprof: Server, bare: Server, requests: { retrieve: WrkRequest; create: WrkRequest }, dir: string, count: () => Promise<number>): Promise<Phase> {
  const options = { connections: CONNECTIONS, dir };
  const peak = rssPeak(uprof.child.pid!);
  // warm-up: the JIT and the caches, discarded
  await wrk(uprof.url, requests.retrieve, { ...options, seconds: 1 });
  const bareGet: WrkRequest = { method: 'GET', path: '/', headers: {} };
  const retrieves: { rps: number; ratio: number; p99: number }[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const reference = await wrk(bare.url, bareGet, { ...options, seconds: SECONDS });
    const own = await wrk(uprof.url, requests.retrieve, { ...options, seconds: SECONDS });
    if (own.errors) throw new Error(`${phase}: retrieve had ${own.errors} errors`);
    retrieves.push({ rps: own.rps, ratio: own.rps / reference.rps, p99: own.p99 });
  }
  const profiles = await count();
  const reference = await wrk(bare.url, bareGet, { ...options, seconds: CREATE_SECONDS });
  const create = await wrk(uprof.url, requests.create, { ...options, seconds: CREATE_SECONDS });
  if (create.errors) throw new Error(`${phase}: create had ${create.errors} errors`);
  const result: Phase = {
    phase, profiles,
    retrieve: median(retrieves.map((r) => r.rps)), retrieveRatio: median(retrieves.map((r) => r.ratio)), retrieveP99: median(retrieves.map((r) => r.p99)),
    create: create.rps, createRatio: create.rps / reference.rps, createP99: create.p99,
    peakRssMB: peak.stop(),
  };
  process.stderr.write(`  ${phase} (${profiles.toLocaleString('en')} profiles): retrieve ${result.retrieve.toFixed(0)} req/s, create ${result.create.toFixed(0)} req/s\n`);
  return result;
}

async function runEngine(run: EngineRun, dir: string, bare: Server): Promise<{ engine: string; phases: Phase[]; notes: string[] }> {
  process.stderr.write(`${run.engine}: ${run.label}\n`);
  const store = await openStore({ databaseUrl: run.url });
  const key = await mintKey(store, { organization: 'growth', createOrganization: true, role: 'platform' });
  await store.close();
  const env: NodeJS.ProcessEnv = { ...process.env, HOST: '127.0.0.1', DATABASE_URL: run.url, UPROF_MASTER_KEY_FILE: join(dir, 'master.key') };
  delete env.LOG_LEVEL;
  const logFile = join(dir, `uprof-${run.engine}.log`);
  const headers = { 'x-api-key': key.api_key, 'anthropic-version': '2023-06-01' };
  const json = { ...headers, 'content-type': 'application/json' };
  const notes: string[] = [];
  const phases: Phase[] = [];
  const count = () => profilesIn(run.url, key.organization_id);

  let uprof = await startServer(`uprof on ${run.engine}`, SERVE, env, { logFile });
  const ids = await createMany(uprof.url, json, SEEDED, (i) => JSON.stringify({ name: `Growth User ${i}`, external_user_details: { reference_id: `g${i}` } }));
  const requests = {
    retrieve: { method: 'GET', path: ids.map((id) => `/v1/user_profiles/${id}`), headers } satisfies WrkRequest,
    create: { method: 'POST', path: '/v1/user_profiles', headers: json, body: CREATE_BODY } satisfies WrkRequest,
  };
  try {
    phases.push(await measurePhase('0', uprof, bare, requests, dir, count));
    const made = await count();
    if (made < CREATES) {
      const started = performance.now();
      await createMany(uprof.url, json, CREATES - made, () => CREATE_BODY);
      notes.push(`${run.engine}: ${(CREATES - made).toLocaleString('en')} more creates through the API in ${((performance.now() - started) / 1000).toFixed(0)} s`);
    }
    phases.push(await measurePhase(`${CREATES.toLocaleString('en')} creates`, uprof, bare, requests, dir, count));
  } finally {
    await stop(uprof.child);
  }

  const have = await count();
  if (have < PROFILES) {
    const started = performance.now();
    const note = await run.bulk(async (write) => {
      await generate(key.organization_id, PROFILES - have, 0, write);
    });
    notes.push(`${run.engine}: bulk-loaded ${(PROFILES - have).toLocaleString('en')} profiles in ${((performance.now() - started) / 1000).toFixed(0)} s; ${note}`);
  }
  uprof = await startServer(`uprof on ${run.engine}`, SERVE, env, { logFile });
  try {
    phases.push(await measurePhase(`${PROFILES.toLocaleString('en')} profiles`, uprof, bare, requests, dir, count));
  } finally {
    await stop(uprof.child);
  }
  return { engine: run.engine, phases, notes };
}

async function main() {
  requireWrk();
  const dir = mkdtempSync(join(tmpdir(), 'uprof-growth-'));
  const free = statfsSync(dir).bavail * statfsSync(dir).bsize;
  console.log(`wrk, 1 thread, ${CONNECTIONS} connections; retrieve ${ROUNDS} × ${SECONDS} s, create ${CREATE_SECONDS} s per phase; ` +
    `${(free / 1e9).toFixed(0)} GB free in ${dir}; node ${process.version}`);
  const results: { engine: string; phases: Phase[]; notes: string[] }[] = [];
  let bare: Server | null = null;
  try {
    for (const engine of ENGINES) {
      const run = engine === 'sqlite' ? sqliteEngine(dir, join(dir, 'growth.db'))
        : engine === 'postgres' ? await postgresEngine(POSTGRES_URL, 'uprof_growth', { analyze: false })
        : `${engine}: SKIPPED, unknown engine`;
      if (typeof run === 'string') {
        console.log(run);
        continue;
      }
      if (!bare) {
        const sample = JSON.stringify({ id: 'uprof_01', type: 'user_profile', name: 'Growth User', metadata: {}, padding: 'x'.repeat(380) });
        bare = await startServer('bare node:http', [BARE], { ...process.env, BENCH_PROFILE: sample });
      }
      try {
        results.push(await runEngine(run, dir, bare));
      } finally {
        if (run.engine === 'postgres') await run.cleanup().catch((e: Error) => console.error(`could not drop the schema: ${e.message}`));
      }
    }
  } finally {
    if (bare) await stop(bare.child);
    killChildren();
    rmSync(dir, { recursive: true, force: true });
  }

  for (const { engine, phases, notes } of results) {
    console.log();
    notes.forEach((n) => console.log(n));
    const first = phases[0];
    const pct = (x: number, base: number) => `${((100 * x) / base).toFixed(0)} %`;
    console.log(table(
      ['engine', 'phase', 'profiles', 'retrieve req/s', '÷ bare', 'vs 0', 'p99 ms', 'create req/s', '÷ bare', 'vs 0', 'p99 ms', 'peak RSS MB'],
      phases.map((p) => [
        engine, p.phase, p.profiles.toLocaleString('en'),
        p.retrieve.toFixed(0), p.retrieveRatio.toFixed(2), pct(p.retrieveRatio, first.retrieveRatio), p.retrieveP99.toFixed(2),
        p.create.toFixed(0), p.createRatio.toFixed(2), pct(p.createRatio, first.createRatio), p.createP99.toFixed(2),
        p.peakRssMB.toFixed(0),
      ]),
      [0, 1],
    ));
    const at50k = phases[1], at1M = phases[2];
    const verdict = (ok: boolean) => (ok ? 'MET' : 'MISS');
    const r50 = at50k.retrieveRatio / first.retrieveRatio, c50 = at50k.createRatio / first.createRatio, c1M = at1M.createRatio / first.createRatio;
    console.log(`  retrieve after ${CREATES.toLocaleString('en')} creates: ${(100 * r50).toFixed(0)} % of its rate at 0 (target within 10 %) ${verdict(r50 >= 0.9)}`);
    console.log(`  create after ${CREATES.toLocaleString('en')} creates: ${(100 * c50).toFixed(0)} % of its rate at 0 (target within 10 %) ${verdict(c50 >= 0.9)}`);
    console.log(`  create with ${at1M.profiles.toLocaleString('en')} profiles: ${(100 * c1M).toFixed(0)} % of create at 0 (target ≥ 90 %) ${verdict(c1M >= 0.9)}`);
    console.log(`  peak RSS: ${phases.map((p) => `${p.peakRssMB.toFixed(0)} MB at ${p.phase}`).join(', ')}`);
  }
}

runBench('bench:growth', main);
