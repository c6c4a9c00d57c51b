/**
 * `npm run bench:compare -- BEFORE [AFTER]`: two builds of uprof in one run, on SQLite: did a change make
 * retrieve, create or list slower? BEFORE and AFTER are checkouts of this repository (AFTER defaults to this
 * one), e.g. `git worktree add /tmp/before <commit>` with its own `npm ci` or a `node_modules` link, then
 * `npm run build` in it.
 *
 * Each build serves from its own fresh SQLite file, started as `npm start` starts it (default settings, log to
 * a file), seeded alike through its own API. Then every scenario runs round after round, the two builds back
 * to back, the one that goes first alternating, so a slow minute of the machine falls on both. The machine is
 * shared and noisy: single runs swing by 10–20 % either way, so use 8 rounds or more before concluding; the
 * median of the rounds' ratios is printed with its range.
 *
 *   BENCH_SECONDS=5  BENCH_WARMUP_SECONDS=1  BENCH_ROUNDS=8  BENCH_SCENARIOS=retrieve,create,list
 *
 * A measurement, not a test: it exits 0 once it has measured.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measure, median, requireWrk, runBench, startServer, stop, table, type Measured, type Server, type WrkRequest } from './support.ts';

const SECONDS = Number(process.env.BENCH_SECONDS || 5);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS || 1);
const ROUNDS = Number(process.env.BENCH_ROUNDS || 8);
const SCENARIOS = (process.env.BENCH_SCENARIOS || 'retrieve,create,list').split(',').map((s) => s.trim()).filter(Boolean);
const CONNECTIONS = 10;
const SEEDED = 1000;
const CREATE_BODY = JSON.stringify({ name: 'Bench Create', external_user_details: { reference_id: 'bench_create' }, metadata: { plan: 'pro' } });

interface Build { label: string; bin: string; server?: Server; requests?: Record<string, WrkRequest> }

function buildAt(label: string, checkout: string): Build {
  const bin = join(resolve(checkout), 'bin/uprof.js');
  if (!existsSync(bin) || !existsSync(join(resolve(checkout), 'dist/cli/index.js'))) {
    console.error(`bench:compare: ${checkout} is not a built checkout of uprof (no bin/uprof.js or dist/): run npm ci and npm run build in it`);
    process.exit(2);
  }
  return { label, bin };
}

async function start(build: Build, dir: string): Promise<void> {
  const env: NodeJS.ProcessEnv = {
    ...process.env, HOST: '127.0.0.1', DATABASE_URL: `sqlite:${join(dir, `${build.label}.sqlite`)}`, UPROF_MASTER_KEY_FILE: join(dir, `${build.label}.key`),
  };
  delete env.LOG_LEVEL;
  // each build mints its key on its own database with its own CLI (their schemas may differ)
  const minted = spawnSync(process.execPath, [build.bin, 'keys', 'create', '--org', 'bench', '--create-org', '--json'], { env, encoding: 'utf8' });
  if (minted.status !== 0) throw new Error(`${build.label}: keys create failed:\n${minted.stderr}`);
  const headers = { 'x-api-key': (JSON.parse(minted.stdout) as { api_key: string }).api_key, 'anthropic-version': '2023-06-01' };
  build.server = await startServer(build.label, [build.bin, 'serve'], env, { logFile: join(dir, `${build.label}.log`) });
  const json = { ...headers, 'content-type': 'application/json' };
  const ids: string[] = [];
  for (let i = 0; i < SEEDED; i++) {
    const body = { name: `Bench User ${i}`, external_user_details: { reference_id: `user_${i}`, country: 'GB' }, metadata: { plan: i % 2 ? 'pro' : 'team' } };
    const res = await fetch(`${build.server.url}/v1/user_profiles`, { method: 'POST', headers: json, body: JSON.stringify(body) });
    if (res.status !== 200) throw new Error(`${build.label}: seeding answered ${res.status}: ${await res.text()}`);
    ids.push(((await res.json()) as { id: string }).id);
  }
  build.requests = {
    retrieve: { method: 'GET', path: ids.map((id) => `/v1/user_profiles/${id}`), headers },
    create: { method: 'POST', path: '/v1/user_profiles', headers: json, body: CREATE_BODY },
    list: { method: 'GET', path: '/v1/user_profiles?limit=100', headers },
  };
}

/** One measured run of `scenario` against a build (bench/support.ts: warm-up, then CPU sampled around wrk). */
const measureBuild = (build: Build, scenario: string, dir: string) =>
  measure(build.server!, build.requests![scenario], { seconds: SECONDS, warmupSeconds: WARMUP_SECONDS, connections: CONNECTIONS, dir });

async function main() {
  const [beforeDir, afterDir = fileURLToPath(new URL('..', import.meta.url))] = process.argv.slice(2);
  if (!beforeDir || SCENARIOS.some((s) => !['retrieve', 'create', 'list'].includes(s))) {
    console.error('usage: npm run bench:compare -- BEFORE_CHECKOUT [AFTER_CHECKOUT]   (BENCH_SCENARIOS from retrieve,create,list)');
    process.exit(2);
  }
  requireWrk();
  const builds = [buildAt('before', beforeDir), buildAt('after', afterDir)];
  const dir = mkdtempSync(join(tmpdir(), 'uprof-compare-'));
  try {
    for (const build of builds) await start(build, dir);
    const runs: Record<string, { before: number[]; after: number[]; ratios: number[]; cpuBefore: number[]; cpuAfter: number[] }> = {};
    for (let round = 1; round <= ROUNDS; round++) {
      for (const scenario of SCENARIOS) {
        const order = round % 2 ? builds : [...builds].reverse();
        const got: Record<string, Measured> = {};
        for (const build of order) got[build.label] = await measureBuild(build, scenario, dir);
        const run = (runs[scenario] ??= { before: [], after: [], ratios: [], cpuBefore: [], cpuAfter: [] });
        run.before.push(got.before.rps);
        run.after.push(got.after.rps);
        run.ratios.push(got.after.rps / got.before.rps);
        run.cpuBefore.push(got.before.cpuPerRequestUs);
        run.cpuAfter.push(got.after.cpuPerRequestUs);
        process.stderr.write(`  round ${round} ${scenario}: before ${got.before.rps.toFixed(0)} req/s, after ${got.after.rps.toFixed(0)} req/s\n`);
      }
    }
    console.log(`\nbefore: ${resolve(beforeDir)}\nafter:  ${resolve(afterDir)}\nSQLite, wrk 1 thread, ${CONNECTIONS} connections, ${ROUNDS} rounds of ${SECONDS} s, medians`);
    console.log(table(
      ['scenario', 'before req/s', 'after req/s', 'after ÷ before', 'range', 'before CPU µs/req', 'after CPU µs/req'],
      SCENARIOS.map((scenario) => {
        const r = runs[scenario];
        const pct = (x: number) => `${(100 * x).toFixed(0)} %`;
        return [scenario, median(r.before).toFixed(0), median(r.after).toFixed(0), pct(median(r.ratios)),
          `${pct(Math.min(...r.ratios))}–${pct(Math.max(...r.ratios))}`, median(r.cpuBefore).toFixed(0), median(r.cpuAfter).toFixed(0)];
      }),
    ));
  } finally {
    for (const build of builds) if (build.server) await stop(build.server.child);
    rmSync(dir, { recursive: true, force: true });
  }
}

runBench('bench:compare', main);
