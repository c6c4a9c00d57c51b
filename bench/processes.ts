/**
 * `npm run bench:processes`: one uprof process against two, on one PostgreSQL database, on this machine.
 * Each process is started as `npm start` starts it (default settings, log to a file). Load from wrk: with one
 * process, one wrk on 10 connections; with two, one wrk per process on 5 connections each at the same time
 * (10 in all), their throughputs summed. Retrieve (1,000 seeded profiles, by id) and create, BENCH_ROUNDS
 * rounds each, 1 and 2 processes interleaved; medians.
 *
 * What limits the second process is read from where the CPU went during each run: the uprof processes, the
 * PostgreSQL backends, wrk, and everything else (from /proc; 100 % = one core; this machine has os.cpus()).
 *
 *   BENCH_SECONDS=5  BENCH_ROUNDS=3  BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test
 */
import { readdirSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { mintKey } from '../src/keys.ts';
import { openStore } from '../src/store/index.ts';
import {
  DEFAULT_POSTGRES_URL, SERVE, freshPostgresSchema, killChildren, machineBusyMs, median, procSample, requireWrk, runBench, shown, startServer,
  stop, table, wrk, type Server, type WrkRequest,
} from './support.ts';

const SECONDS = Number(process.env.BENCH_SECONDS || 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS || 3);
const POSTGRES_URL = process.env.BENCH_DATABASE_URL || DEFAULT_POSTGRES_URL;
const CONNECTIONS = 10;
const SEEDED = 1000;

/** CPU ms of every process whose command name is `name` (PostgreSQL's backends are all `postgres`). */
function cpuOfProcessesNamed(name: string): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) !== name) continue;
      total += procSample(Number(entry)).cpuMs;
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

interface Run { processes: number; scenario: string; rps: number; p99: number; uprofCpu: number; postgresCpu: number; otherCpu: number; errors: number }

async function measure(servers: Server[], scenario: string, request: WrkRequest, dir: string): Promise<Run> {
  const connections = CONNECTIONS / servers.length;
  await Promise.all(servers.map((s) => wrk(s.url, request, { seconds: 1, connections, dir })));
  const uprof0 = servers.map((s) => procSample(s.child.pid!).cpuMs);
  const pg0 = cpuOfProcessesNamed('postgres');
  const busy0 = machineBusyMs();
  const started = performance.now();
  const results = await Promise.all(servers.map((s) => wrk(s.url, request, { seconds: SECONDS, connections, dir })));
  const wall = performance.now() - started;
  const uprofMs = servers.reduce((n, s, i) => n + procSample(s.child.pid!).cpuMs - uprof0[i], 0);
  const pgMs = cpuOfProcessesNamed('postgres') - pg0;
  const busyMs = machineBusyMs() - busy0;
  return {
    processes: servers.length, scenario,
    rps: results.reduce((n, r) => n + r.rps, 0),
    p99: Math.max(...results.map((r) => r.p99)),
    uprofCpu: (100 * uprofMs) / wall, postgresCpu: (100 * pgMs) / wall, otherCpu: (100 * (busyMs - uprofMs - pgMs)) / wall,
    errors: results.reduce((n, r) => n + r.errors, 0),
  };
}

async function main() {
  requireWrk();
  const schema = await freshPostgresSchema(POSTGRES_URL, 'uprof_procs');
  if ('unreachable' in schema) {
    console.log(`PostgreSQL unreachable at ${shown(POSTGRES_URL)} (${schema.unreachable}); nothing measured`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'uprof-procs-'));
  try {
    const store = await openStore({ databaseUrl: schema.url });
    const key = await mintKey(store, { organization: 'processes', createOrganization: true, role: 'platform' });
    await store.close();
    // every process on a database shares the master key (README): one key file for both
    const env: NodeJS.ProcessEnv = { ...process.env, HOST: '127.0.0.1', DATABASE_URL: schema.url, UPROF_MASTER_KEY_FILE: join(dir, 'master.key') };
    delete env.LOG_LEVEL;
    const first = await startServer('uprof 1', SERVE, env, { logFile: join(dir, 'uprof-1.log') });
    const second = await startServer('uprof 2', SERVE, env, { logFile: join(dir, 'uprof-2.log') });
    const headers = { 'x-api-key': key.api_key, 'anthropic-version': '2023-06-01' };
    const json = { ...headers, 'content-type': 'application/json' };
    const ids: string[] = [];
    let next = 0;
    await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
      for (let i = next++; i < SEEDED; i = next++) {
        const res = await fetch(`${first.url}/v1/user_profiles`, { method: 'POST', headers: json, body: JSON.stringify({ name: `Process User ${i}` }) });
        ids.push(((await res.json()) as { id: string }).id);
      }
    }));
    const requests: Record<string, WrkRequest> = {
      retrieve: { method: 'GET', path: ids.map((id) => `/v1/user_profiles/${id}`), headers },
      create: { method: 'POST', path: '/v1/user_profiles', headers: json, body: JSON.stringify({ name: 'Process Create', metadata: { plan: 'pro' } }) },
    };
    const runs: Run[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      for (const [scenario, request] of Object.entries(requests)) {
        for (const servers of [[first], [first, second]]) {
          const run = await measure(servers, scenario, request, dir);
          runs.push(run);
          process.stderr.write(`  round ${round} ${scenario}, ${servers.length} process(es): ${run.rps.toFixed(0)} req/s\n`);
        }
      }
    }
    await stop(first.child);
    await stop(second.child);

    console.log(`\nPostgreSQL ${schema.schema}; ${cpus().length} CPUs; wrk 1 thread per process, ${CONNECTIONS} connections in all; ${SECONDS} s × ${ROUNDS} rounds, medians`);
    const rows: string[][] = [];
    for (const scenario of Object.keys(requests)) {
      const one = runs.filter((r) => r.scenario === scenario && r.processes === 1);
      const two = runs.filter((r) => r.scenario === scenario && r.processes === 2);
      for (const [label, set] of [['1', one], ['2', two]] as const) {
        rows.push([scenario, label, median(set.map((r) => r.rps)).toFixed(0), median(set.map((r) => r.p99)).toFixed(2),
          median(set.map((r) => r.uprofCpu)).toFixed(0), median(set.map((r) => r.postgresCpu)).toFixed(0), median(set.map((r) => r.otherCpu)).toFixed(0),
          String(set.reduce((n, r) => n + r.errors, 0))]);
      }
      const gain = median(two.map((r) => r.rps)) / median(one.map((r) => r.rps));
      rows.push([scenario, '2 ÷ 1', `${gain.toFixed(2)}×`, '', '', '', '', '']);
    }
    console.log(table(['scenario', 'processes', 'req/s', 'p99 ms', 'uprof CPU %', 'postgres CPU %', 'other CPU %', 'errors'], rows, [0, 1]));
    console.log('CPU % = CPU time / wall time (100 % = one core); "other" is wrk and everything else on the machine.');
  } finally {
    killChildren();
    await schema.drop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}

runBench('bench:processes', main);
