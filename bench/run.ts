/**
 * `npm run bench`: uprof as users run it, against references measured in the same run on this machine.
 *
 * - uprof is started exactly as `npm start` starts it, with its default settings, its log (stdout and stderr)
 *   written to a file as a process manager would: the log is part of what a request costs.
 * - Load comes from wrk (Debian's package), 1 thread, 10 keep-alive connections, after a warm-up.
 * - References, each measured right before the uprof run it is compared with, round after round (the machine is
 *   shared and noisy, so only ratios taken in the same minute mean anything):
 *     SQLite: a bare node:http server answering a profile's JSON (bench/baselines/bare-http.mjs);
 *     PostgreSQL: a naive node:http + pg service on the same database, one query per request
 *       (bench/baselines/naive-pg.mjs): retrieve by key, the newest 100 of the organization, an INSERT.
 * - Each scenario runs BENCH_ROUNDS rounds; every figure printed is the median over the rounds, and each ratio
 *   is the median of the rounds' ratios (its range is printed too).
 *
 *   BENCH_SECONDS=5           measured seconds per run
 *   BENCH_WARMUP_SECONDS=1    discarded load before each run
 *   BENCH_ROUNDS=3
 *   BENCH_ENGINES=sqlite,postgres
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test   (a fresh schema is made in it, dropped after)
 *
 * A measurement, not a test: it exits 0 once it has measured, whatever the figures. bench/README.md explains it.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mintKey } from '../src/keys.ts';
import { openStore } from '../src/store/index.ts';
import {
  DEFAULT_POSTGRES_URL, SERVE, freshPostgresSchema, killChildren, machineBusyMs, measure, median, requireWrk, rssPeak, runBench, shown, startServer,
  stop, table, type Measured, type WrkRequest,
} from './support.ts';

const SECONDS = Number(process.env.BENCH_SECONDS || 5);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS || 1);
const ROUNDS = Number(process.env.BENCH_ROUNDS || 3);
const ENGINES = (process.env.BENCH_ENGINES || 'sqlite,postgres').split(',').map((e) => e.trim()).filter(Boolean);
const POSTGRES_URL = process.env.BENCH_DATABASE_URL || DEFAULT_POSTGRES_URL;
const CONNECTIONS = 10;
const SEEDED = 1000;
const BARE = fileURLToPath(new URL('./baselines/bare-http.mjs', import.meta.url));
const NAIVE_PG = fileURLToPath(new URL('./baselines/naive-pg.mjs', import.meta.url));
const measuring = (dir: string) => ({ seconds: SECONDS, warmupSeconds: WARMUP_SECONDS, connections: CONNECTIONS, dir });

type Scenario = 'retrieve' | 'create' | 'list';
const SCENARIOS: Scenario[] = ['retrieve', 'create', 'list'];

/** The targets: % of the engine's reference, p99 in ms, peak RSS in MB. */
const TARGETS: Record<string, { ratio: Record<Scenario, number>; p99: Partial<Record<Scenario, number>>; rssMB: number; reference: string }> = {
  sqlite: { ratio: { retrieve: 55, create: 30, list: 12 }, p99: { retrieve: 2, create: 10 }, rssMB: 150, reference: 'bare node:http' },
  postgres: { ratio: { retrieve: 70, create: 50, list: 50 }, p99: { retrieve: 5, create: 15 }, rssMB: 150, reference: 'naive node+pg' },
};

interface Pair {
  engine: string;
  scenario: Scenario;
  round: number;
  uprof: Measured;
  reference: Measured;
}

async function seed(url: string, headers: Record<string, string>): Promise<{ ids: string[]; sample: unknown; bytes: number }> {
  const ids: string[] = [];
  let sample: unknown, bytes = 0;
  let next = 0;
  await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
    for (let i = next++; i < SEEDED; i = next++) {
      const body = {
        name: `Bench User ${i}`,
        external_user_details: { reference_id: `user_${String(i).padStart(6, '0')}`, country: 'GB', account_status: 'active', entity_type: 'individual' },
        metadata: { plan: i % 2 ? 'pro' : 'team' },
      };
      const res = await fetch(`${url}/v1/user_profiles`, { method: 'POST', headers, body: JSON.stringify(body) });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`seeding: POST /v1/user_profiles answered ${res.status}: ${text}`);
      const profile = JSON.parse(text) as { id: string };
      ids.push(profile.id);
      sample ??= profile;
      bytes ||= Buffer.byteLength(text);
    }
  }));
  return { ids, sample, bytes };
}

const CREATE_BODY = JSON.stringify({ name: 'Bench Create', external_user_details: { reference_id: 'bench_create' }, metadata: { plan: 'pro' } });

interface EngineRun {
  engine: string;
  pairs: Pair[];
  peakRssMB: number;
  notes: string[];
}

async function runEngine(engine: string, databaseUrl: string, label: string, dir: string): Promise<EngineRun> {
  const store = await openStore({ databaseUrl });
  const key = await mintKey(store, { organization: 'bench', createOrganization: true, role: 'platform' });
  await store.close();

  const logFile = join(dir, `uprof-${engine}.log`);
  // default settings: only what says where to listen and what database to use (and a master key file that is not the project's)
  const env: NodeJS.ProcessEnv = { ...process.env, HOST: '127.0.0.1', DATABASE_URL: databaseUrl, UPROF_MASTER_KEY_FILE: join(dir, 'master.key') };
  delete env.LOG_LEVEL;
  const uprof = await startServer(`uprof on ${engine}`, SERVE, env, { logFile });
  const headers = { 'x-api-key': key.api_key, 'anthropic-version': '2023-06-01' };
  const json = { 'content-type': 'application/json' };
  const { ids, sample, bytes } = await seed(uprof.url, { ...headers, ...json });
  const notes = [`${engine}: uprof on ${label}, log to ${logFile}; profile JSON ${bytes} bytes; ${SEEDED} profiles seeded`];

  const reference = engine === 'sqlite'
    ? await startServer('bare node:http', [BARE], { ...process.env, BENCH_PROFILE: JSON.stringify(sample) })
    : await startServer('naive node+pg', [NAIVE_PG], { ...process.env, DATABASE_URL: databaseUrl, BENCH_ORG: key.organization_id });

  const uprofRequests: Record<Scenario, WrkRequest> = {
    retrieve: { method: 'GET', path: ids.map((id) => `/v1/user_profiles/${id}`), headers },
    create: { method: 'POST', path: '/v1/user_profiles', headers: { ...headers, ...json }, body: CREATE_BODY },
    list: { method: 'GET', path: '/v1/user_profiles?limit=100', headers },
  };
  const referenceRequests: Record<Scenario, WrkRequest> = engine === 'sqlite'
    ? { retrieve: { method: 'GET', path: '/', headers: {} }, create: { method: 'GET', path: '/', headers: {} }, list: { method: 'GET', path: '/', headers: {} } }
    : {
        retrieve: { method: 'GET', path: ids.map((id) => `/profiles/${id}`), headers: {} },
        create: { method: 'POST', path: '/profiles', headers: json, body: CREATE_BODY },
        list: { method: 'GET', path: '/profiles', headers: {} },
      };

  const pairs: Pair[] = [];
  const peak = rssPeak(uprof.child.pid!);
  const logBefore = statSync(logFile).size;
  let answered = 0;
  const busy0 = machineBusyMs();
  const started = performance.now();
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      for (const scenario of SCENARIOS) {
        const ref = await measure(reference, referenceRequests[scenario], measuring(dir));
        const own = await measure(uprof, uprofRequests[scenario], measuring(dir));
        answered += own.requests;
        pairs.push({ engine, scenario, round, uprof: own, reference: ref });
        process.stderr.write(`  ${engine} round ${round} ${scenario}: uprof ${own.rps.toFixed(0)} req/s, ${reference.name} ${ref.rps.toFixed(0)} req/s\n`);
      }
    }
  } finally {
    await stop(reference.child);
  }
  const peakRssMB = peak.stop();
  await stop(uprof.child);
  const wallMs = performance.now() - started;
  const logBytes = statSync(logFile).size - logBefore;
  const logLines = readFileSync(logFile, 'utf8').split('\n').length;
  notes.push(`${engine}: uprof's log grew ${(logBytes / 1e6).toFixed(1)} MB over ${answered.toLocaleString('en')} measured requests ` +
    `(${(logBytes / Math.max(1, answered)).toFixed(0)} bytes per request; ${logLines.toLocaleString('en')} lines in all)`);
  notes.push(`${engine}: the machine was ${((100 * (machineBusyMs() - busy0)) / wallMs).toFixed(0)} % busy over the runs (200 % = both cores), load generator and references included`);
  return { engine, pairs, peakRssMB, notes };
}

function report(runs: EngineRun[]) {
  const ms = (x: number) => x.toFixed(2);
  for (const run of runs) {
    const target = TARGETS[run.engine];
    console.log();
    run.notes.forEach((note) => console.log(note));
    const rows: string[][] = [];
    const verdicts: string[] = [];
    for (const scenario of SCENARIOS) {
      const pairs = run.pairs.filter((p) => p.scenario === scenario);
      const ratios = pairs.map((p) => (100 * p.uprof.rps) / p.reference.rps);
      const ratio = median(ratios);
      const p99 = median(pairs.map((p) => p.uprof.p99));
      const errors = pairs.reduce((n, p) => n + p.uprof.errors + p.reference.errors, 0);
      rows.push([
        scenario,
        median(pairs.map((p) => p.uprof.rps)).toFixed(0),
        median(pairs.map((p) => p.reference.rps)).toFixed(0),
        `${ratio.toFixed(0)} %`,
        `${Math.min(...ratios).toFixed(0)}–${Math.max(...ratios).toFixed(0)} %`,
        `≥ ${target.ratio[scenario]} %`,
        ms(median(pairs.map((p) => p.uprof.p50))),
        ms(p99),
        target.p99[scenario] === undefined ? '' : `≤ ${target.p99[scenario]} ms`,
        median(pairs.map((p) => p.uprof.cpuPerRequestUs)).toFixed(0),
        median(pairs.map((p) => p.reference.cpuPerRequestUs)).toFixed(0),
        String(errors),
      ]);
      verdicts.push(`${scenario}: ${ratio.toFixed(0)} % of ${target.reference} (target ≥ ${target.ratio[scenario]} %) ${ratio >= target.ratio[scenario] ? 'MET' : 'MISS'}`);
      const p99Target = target.p99[scenario];
      if (p99Target !== undefined) verdicts.push(`${scenario} p99: ${ms(p99)} ms (target ≤ ${p99Target} ms) ${p99 <= p99Target ? 'MET' : 'MISS'}`);
    }
    verdicts.push(`peak RSS: ${run.peakRssMB.toFixed(0)} MB (target ≤ ${target.rssMB} MB) ${run.peakRssMB <= target.rssMB ? 'MET' : 'MISS'}`);
    console.log(`\n${run.engine}: uprof against ${target.reference}, medians of ${ROUNDS} rounds`);
    console.log(table(
      ['scenario', 'uprof req/s', 'ref req/s', 'ratio', 'ratio range', 'target', 'p50 ms', 'p99 ms', 'p99 target', 'uprof CPU µs/req', 'ref CPU µs/req', 'errors'],
      rows, [0],
    ));
    console.log(verdicts.map((v) => `  ${v}`).join('\n'));
    const bad = run.pairs.filter((p) => p.uprof.errors + p.reference.errors > 0);
    if (bad.length) {
      console.log(`  INVALID: ${bad.length} runs had non-2xx answers or socket errors; a benchmark with errors measures the error path.`);
    }
  }
}

async function main() {
  requireWrk();
  const dir = mkdtempSync(join(tmpdir(), 'uprof-bench-'));
  console.log(`wrk, 1 thread, ${CONNECTIONS} connections, ${SECONDS} s per run after ${WARMUP_SECONDS} s warm-up, ${ROUNDS} rounds; node ${process.version}`);
  const runs: EngineRun[] = [];
  const skipped: string[] = [];
  try {
    for (const engine of ENGINES) {
      if (engine === 'sqlite') {
        runs.push(await runEngine(engine, `sqlite:${join(dir, 'bench.db')}`, `SQLite (a fresh file, SQLITE_SYNCHRONOUS=${process.env.SQLITE_SYNCHRONOUS || 'NORMAL, the default'})`, dir));
      } else if (engine === 'postgres') {
        const schema = await freshPostgresSchema(POSTGRES_URL, 'uprof_bench');
        if ('unreachable' in schema) {
          skipped.push(`postgres: SKIPPED, PostgreSQL unreachable at ${shown(POSTGRES_URL)} (${schema.unreachable})`);
          continue;
        }
        try {
          runs.push(await runEngine(engine, schema.url, `PostgreSQL (a fresh schema ${schema.schema})`, dir));
        } finally {
          await schema.drop().catch((e: Error) => console.error(`could not drop ${schema.schema}: ${e.message}`));
        }
      } else skipped.push(`${engine}: SKIPPED, unknown engine (BENCH_ENGINES takes sqlite and postgres)`);
    }
    report(runs);
    skipped.forEach((line) => console.log(line));
  } finally {
    killChildren();
    rmSync(dir, { recursive: true, force: true });
  }
}

runBench('bench', main);
