/**
 * `npm run bench`: uprof's throughput, latency and memory against a bare node:http server answering the same
 * profile JSON, in one run on this machine, on each storage engine in turn: SQLite (a fresh file), then
 * PostgreSQL (a fresh schema, dropped afterwards; skipped with a line saying so when it cannot be reached).
 * A measurement, not a test: it always exits 0 once it has measured.
 *
 *   BENCH_SECONDS=5           measured seconds per run (each run is preceded by a discarded warm-up)
 *   BENCH_WARMUP_SECONDS=1
 *   BENCH_ENGINES=sqlite,postgres   which engines to run, in that order
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test   the PostgreSQL server (a schema is made in it)
 *
 * Load: autocannon in this process, 10 connections, keep-alive. One baseline server serves every engine, and
 * baseline runs are interleaved with the uprof runs (the machine is shared and noisy): every ratio, on either
 * engine, is taken against the median of all of them. Only one uprof server runs at a time. Latency percentiles
 * come from our own sub-millisecond timings of each 2xx response, since autocannon's histogram keeps whole ms.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_POSTGRES_URL, SERVE, UPROF, freshPostgresSchema, killChildren, median, percentile, shown, startServer, stop, table,
  type Server,
} from './support.ts';

const SECONDS = Number(process.env.BENCH_SECONDS || 5);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS || 1);
const ENGINES = (process.env.BENCH_ENGINES || 'sqlite,postgres').split(',').map((e) => e.trim()).filter(Boolean);
const POSTGRES_URL = process.env.BENCH_DATABASE_URL || DEFAULT_POSTGRES_URL;
const CONNECTIONS = 10;
const SEEDED = 1000;
const TARGET = { retrieve: 50, create: 25, list: 10, retrieveP99: 2, createP99: 10, rssMB: 150 };

// autocannon ships no types; this is the part of its API used here.
interface AcResult {
  duration: number; non2xx: number; errors: number; timeouts: number; '2xx': number;
  latency: { p99: number }; statusCodeStats: Record<string, { count: number }>;
}
interface AcInstance extends PromiseLike<AcResult> {
  on(event: 'response', fn: (client: unknown, status: number, bytes: number, ms: number) => void): void;
}
type AcRequest = { method?: string; path?: string; body?: string; headers?: Record<string, string>; setupRequest?: (req: AcRequest) => AcRequest };
const autocannon = createRequire(import.meta.url)('autocannon') as (opts: {
  url: string; connections: number; duration: number; headers?: Record<string, string>; requests: AcRequest[];
}) => AcInstance;

/** CPU time (ms, user + system) and resident memory (KiB) of a process, from /proc. */
function procSample(pid: number): { cpuMs: number; rssKiB: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from #3 (state) on
  const ticks = Number(fields[11]) + Number(fields[12]); // #14 utime, #15 stime, in 1/100 s
  const rss = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { cpuMs: ticks * 10, rssKiB: rss ? Number(rss[1]) : 0 };
}

/** CPU time (ms) every process on the machine has spent busy (not idle, not waiting on I/O), from /proc/stat. */
function machineBusyMs(): number {
  const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = ticks;
  return (user + nice + system + irq + softirq + steal) * 10;
}

// ---------- load ----------

interface Run {
  engine: string; scenario: string; rps: number; p50: number; p99: number; acP99: number; peakRssMB: number;
  errors: number; statuses: string; serverCpu: number; loadCpu: number; otherCpu: number;
}

async function load(engine: string, scenario: string, server: Server, request: AcRequest, headers: Record<string, string>): Promise<Run> {
  const opts = { url: server.url, connections: CONNECTIONS, headers, requests: [request] };
  if (WARMUP_SECONDS > 0) await autocannon({ ...opts, duration: WARMUP_SECONDS });

  const latencies: number[] = [];
  let peakRssKiB = 0;
  const sample = () => {
    if (server.child.exitCode !== null || server.child.signalCode !== null) {
      throw new Error(`${server.name} exited during ${scenario} (${server.child.exitCode ?? server.child.signalCode}):\n${server.stderr()}`);
    }
    return procSample(server.child.pid!);
  };
  let died: unknown;
  const sampler = setInterval(() => {
    try { peakRssKiB = Math.max(peakRssKiB, sample().rssKiB); } catch (error) { died ??= error; }
  }, 100);
  const server0 = sample().cpuMs;
  const self0 = process.cpuUsage();
  const machine0 = machineBusyMs();
  const instance = autocannon({ ...opts, duration: SECONDS });
  instance.on('response', (_client, status, _bytes, ms) => status >= 200 && status < 300 && latencies.push(ms));
  const result = await instance;
  clearInterval(sampler);
  if (died) throw died;
  const { cpuMs: server1, rssKiB } = sample();
  const self = process.cpuUsage(self0);
  const machineMs = machineBusyMs() - machine0;
  peakRssKiB = Math.max(peakRssKiB, rssKiB);

  const pct = (p: number) => percentile(latencies, p);
  const wallMs = result.duration * 1000;
  const statuses = Object.entries(result.statusCodeStats).filter(([code]) => !code.startsWith('2'))
    .map(([code, { count }]) => `${count}×${code}`).join(' ');
  return {
    engine, scenario, rps: result['2xx'] / result.duration, p50: pct(50), p99: pct(99), acP99: result.latency.p99,
    peakRssMB: (peakRssKiB * 1024) / 1e6, errors: result.non2xx + result.errors + result.timeouts,
    statuses: [statuses, result.errors && `${result.errors} socket errors`, result.timeouts && `${result.timeouts} timeouts`].filter(Boolean).join(', '),
    serverCpu: (100 * (server1 - server0)) / wallMs, loadCpu: (100 * (self.user + self.system) / 1000) / wallMs,
    otherCpu: Math.max(0, (100 * (machineMs - (server1 - server0) - (self.user + self.system) / 1000)) / wallMs),
  };
}

// ---------- the run ----------

interface Database { engine: string; url: string; label: string; drop(): Promise<void> }

/** The engines to run, in order; an engine that cannot be set up is reported and left out. */
async function databases(dir: string): Promise<{ dbs: Database[]; skipped: string[] }> {
  const dbs: Database[] = [];
  const skipped: string[] = [];
  for (const engine of ENGINES) {
    if (engine === 'sqlite') {
      dbs.push({
        engine, url: `sqlite:${join(dir, 'bench.db')}`, drop: async () => {},
        label: `SQLite (fresh file, SQLITE_SYNCHRONOUS=${process.env.SQLITE_SYNCHRONOUS || 'NORMAL, the default'})`,
      });
    } else if (engine === 'postgres') {
      const schema = await freshPostgresSchema(POSTGRES_URL, 'uprof_bench');
      if ('unreachable' in schema) skipped.push(`postgres: SKIPPED, PostgreSQL unreachable at ${shown(POSTGRES_URL)} (${schema.unreachable})`);
      else dbs.push({ engine, url: schema.url, label: `PostgreSQL (fresh schema ${schema.schema})`, drop: schema.drop });
    } else skipped.push(`${engine}: SKIPPED, unknown engine (BENCH_ENGINES takes sqlite and postgres)`);
  }
  return { dbs, skipped };
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

const BASELINE_SERVER = `
const http = require('node:http');
const profile = JSON.parse(process.env.BENCH_PROFILE);
http.createServer((req, res) => {
  const body = JSON.stringify(profile);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}).listen(Number(process.env.PORT), '127.0.0.1');`;

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'uprof-bench-'));
  const { dbs, skipped } = await databases(dir);
  console.log(`${CONNECTIONS} connections, ${SECONDS} s per run after ${WARMUP_SECONDS} s warm-up; ${SEEDED} profiles seeded per engine; node ${process.version}`);
  skipped.forEach((line) => console.log(line));
  const runs: Run[] = [];
  const notes: string[] = [];
  let bare: Server | null = null;
  try {
    const baseline = async () => {
      const run = await load('-', 'baseline', bare!, { method: 'GET', path: '/' }, {});
      runs.push(run);
      process.stderr.write(`  baseline ${run.rps.toFixed(0)} req/s\n`);
    };
    for (const db of dbs) {
      const env = { ...process.env, HOST: '127.0.0.1', LOG_LEVEL: 'warn', DATABASE_URL: db.url };
      const key = JSON.parse(execFileSync(process.execPath, [UPROF, 'keys', 'create', '--org', 'bench', '--create-org', '--json'], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim().split('\n').pop()!);
      const uprof = await startServer(`uprof on ${db.engine}`, SERVE, env);
      const headers = { 'x-api-key': key.api_key, 'anthropic-version': '2023-06-01' };
      const json = { 'content-type': 'application/json' };
      const { ids, sample, bytes } = await seed(uprof.url, { ...headers, ...json });
      notes.push(`${db.engine}: uprof on ${db.label}; profile JSON ${bytes} bytes`);
      if (!bare) {
        bare = await startServer('baseline', ['-e', BASELINE_SERVER], { ...process.env, BENCH_PROFILE: JSON.stringify(sample) });
        await baseline();
      }
      process.stderr.write(`${db.engine}:\n`);

      let turn = 0;
      const createBody = JSON.stringify({ name: 'Bench Create', external_user_details: { reference_id: 'bench_create' } });
      const scenarios: Record<string, AcRequest> = {
        retrieve: { method: 'GET', setupRequest: (req) => ({ ...req, path: `/v1/user_profiles/${ids[turn++ % ids.length]}` }) },
        list: { method: 'GET', path: '/v1/user_profiles?limit=100' },
        create: { method: 'POST', path: '/v1/user_profiles', headers: json, body: createBody },
      };
      for (const [name, request] of Object.entries(scenarios)) {
        const run = await load(db.engine, name, uprof, request, headers);
        runs.push(run);
        process.stderr.write(`  ${name} ${run.rps.toFixed(0)} req/s\n`);
        await baseline();
      }
      await stop(uprof.child);
    }
    if (bare) await stop(bare.child);
    if (runs.length) report(runs, notes);
    skipped.forEach((line) => console.log(line));
  } finally {
    killChildren();
    for (const db of dbs) await db.drop().catch((e: Error) => console.error(`could not drop the ${db.engine} database: ${e.message}`));
    rmSync(dir, { recursive: true, force: true });
  }
}

const SCENARIOS = ['retrieve', 'create', 'list'] as const;

function report(runs: Run[], notes: string[]) {
  const bareRps = median(runs.filter((r) => r.scenario === 'baseline').map((r) => r.rps));
  const targets: Record<string, string> = {
    retrieve: `≥ ${TARGET.retrieve} %, p99 ≤ ${TARGET.retrieveP99} ms`, create: `≥ ${TARGET.create} %, p99 ≤ ${TARGET.createP99} ms`,
    list: `≥ ${TARGET.list} %`,
  };
  const head = ['engine', 'scenario', 'req/s', 'p50 ms', 'p99 ms', 'ac p99', '% bare', 'target', 'peak RSS MB', 'srv CPU %', 'gen CPU %', 'other CPU %', 'errors'];
  const rows = runs.map((r) => [
    r.engine, r.scenario, r.rps.toFixed(0), r.p50.toFixed(2), r.p99.toFixed(2), String(r.acP99),
    `${((100 * r.rps) / bareRps).toFixed(0)} %`, targets[r.scenario] ?? '', r.peakRssMB.toFixed(0),
    r.serverCpu.toFixed(0), r.loadCpu.toFixed(0), r.otherCpu.toFixed(0), r.errors ? `${r.errors} (${r.statuses})` : '0',
  ]);
  console.log();
  notes.forEach((note) => console.log(note));
  console.log();
  console.log(table(head, rows, [0, 1, 7, 12]));
  console.log(`\nbaseline: median of ${runs.filter((r) => r.scenario === 'baseline').length} runs = ${bareRps.toFixed(0)} req/s, shared by every engine. ` +
    `p50/p99 from per-response timings (sub-ms); "ac p99" is autocannon's own, in whole ms. ` +
    `CPU % is CPU time / wall time (200 % = both cores): srv = the server child, gen = this process (autocannon), other = every other process on the machine (PostgreSQL's included).\n`);
  const busiest = Math.max(...runs.filter((r) => r.engine !== 'postgres').map((r) => r.otherCpu));
  if (busiest > 25) console.log(`NOISY: other processes used up to ${busiest.toFixed(0)} % CPU during a baseline or SQLite run; the numbers above are depressed and unstable.\n`);

  const verdict = (ok: boolean) => (ok ? 'MET' : 'MISS');
  for (const engine of [...new Set(runs.map((r) => r.engine))].filter((e) => e !== '-')) {
    const get = (name: string) => runs.find((r) => r.engine === engine && r.scenario === name)!;
    const lines: string[] = [];
    for (const name of SCENARIOS) {
      const pct = (100 * get(name).rps) / bareRps;
      lines.push(`${name}: ${pct.toFixed(0)} % of bare (target ≥ ${TARGET[name]} %) ${verdict(pct >= TARGET[name])}`);
    }
    for (const name of ['retrieve', 'create'] as const) {
      const target = TARGET[`${name}P99`];
      lines.push(`${name} p99: ${get(name).p99.toFixed(2)} ms (target ≤ ${target} ms) ${verdict(get(name).p99 <= target)}`);
    }
    const peak = Math.max(...SCENARIOS.map((name) => get(name).peakRssMB));
    lines.push(`uprof peak RSS: ${peak.toFixed(0)} MB (target ≤ ${TARGET.rssMB} MB) ${verdict(peak <= TARGET.rssMB)}`);
    console.log(`${engine}:\n${lines.map((l) => `  ${l}`).join('\n')}`);
  }

  const failed = runs.filter((r) => r.errors > 0);
  if (failed.length) {
    console.log(`\nINVALID: ${failed.map((r) => `${r.engine} ${r.scenario} had ${r.errors} errors (${r.statuses})`).join('; ')}. ` +
      'A benchmark with errors measures the error path: fix the cause and run again.');
  } else console.log('\nno errors: every response was 2xx.');
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    console.error(`bench could not run: ${error.stack ?? error.message}`);
    process.exit(1);
  },
);
