/**
 * `npm run bench:scale`: does a list page cost the same deep in a walk as on top? One organization holding
 * 1,000,000 profiles, on each engine in turn (SQLite, then PostgreSQL when reachable):
 *
 *   1. seed (bench/seed.ts): the schema is made by openStore (the app's own migrations) and a key minted with mintKey; the
 *      profiles are then written straight into the database in bulk (not through HTTP), each row built by the
 *      app's own newProfile, asciiFold and newId exactly as ProfileRepository.insert stores it. ~10 % have no
 *      name, so name order also crosses the nameless part. (The history and outbox rows an API create would
 *      also write are left out: nothing measured here reads them.)
 *   2. serve: the real server (started as `npm start` starts it) on that database, then over HTTP with keep-alive:
 *      - a walk from the top, following next_page, SCALE_DEPTH rows deep, for order_by=created_at and
 *        order_by=name (limit=100, default order desc; timed: a throughput figure too);
 *      - list first page, and the page at that depth with the cursor the walk ended on;
 *      - name order, a page in the middle of the nameless part (~950k deep): reaching it by walking would take
 *        twice as long, so that cursor is made with the server's own secret and CursorCodec (see mintedCursor);
 *      - retrieve by random ids.
 *      Each is measured SEQUENTIAL requests one at a time, the scenarios taken in turn (the latencies the
 *      summary compares), then CONCURRENT requests over CONNECTIONS connections (throughput, latency under
 *      load), after a discarded warm-up.
 *   3. clean up: the SQLite file is deleted, the PostgreSQL schema dropped.
 *
 *   SCALE_PROFILES=1000000   profiles seeded (200,000 when the disk holding the SQLite file has < 5 GB free)
 *   SCALE_DEPTH=500000       rows walked before the deep page
 *   SCALE_ENGINES=sqlite,postgres
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test
 *   SCALE_DIR=<tmpdir>       where the SQLite file goes
 */
import { mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CursorCodec } from '../src/domain/cursor.ts';
import { asciiFold } from '../src/domain/text.ts';
import { mintKey } from '../src/keys.ts';
import { openStore } from '../src/store/index.ts';
import { Tokens } from '../src/tokens.ts';
import { BATCH, generate, mulberry32, postgresEngine, sqliteEngine, type EngineRun, type Seeded } from './seed.ts';
import {
  DEFAULT_POSTGRES_URL, SERVE, killChildren, percentile, runBench, startServer, stop, table, type Server,
} from './support.ts';

const WANTED = Number(process.env.SCALE_PROFILES || 1_000_000);
const FALLBACK = 200_000;
const MIN_FREE_BYTES = 5e9;
const DEPTH_WANTED = Number(process.env.SCALE_DEPTH || 500_000);
const ENGINES = (process.env.SCALE_ENGINES || 'sqlite,postgres').split(',').map((e) => e.trim()).filter(Boolean);
const POSTGRES_URL = process.env.BENCH_DATABASE_URL || DEFAULT_POSTGRES_URL;
const DIR_BASE = process.env.SCALE_DIR || tmpdir();
const LIMIT = 100;
const WARMUP = 20;
const SEQUENTIAL = 300;
const CONCURRENT = 500;
const CONNECTIONS = 10;
const loadAtStart = loadavg().map((l) => l.toFixed(1)).join(' ');

// ---------- HTTP ----------

const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });

function get(base: string, path: string, headers: Record<string, string>): Promise<{ status: number; body: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(`${base}${path}`, { agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - started }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

interface Measured {
  scenario: string; depth: string; seqP50: number; seqP99: number; rps: number; concP50: number; concP99: number; errors: string;
}

interface Scenario { scenario: string; depth: string; path: () => string }

/**
 * After WARMUP discarded requests each: SEQUENTIAL requests of every scenario one at a time, taking the scenarios
 * in turn (so that the machine's noise falls on all of them alike), then CONCURRENT requests of each scenario
 * over CONNECTIONS connections.
 */
async function measureAll(base: string, headers: Record<string, string>, scenarios: Scenario[]): Promise<Measured[]> {
  const bad = scenarios.map(() => new Map<number, number>());
  const once = async (s: number, into?: number[]) => {
    const res = await get(base, scenarios[s].path(), headers);
    if (res.status !== 200) bad[s].set(res.status, (bad[s].get(res.status) ?? 0) + 1);
    else into?.push(res.ms);
  };
  for (let i = 0; i < WARMUP; i++) for (let s = 0; s < scenarios.length; s++) await once(s);
  bad.forEach((m) => m.clear());
  const seq = scenarios.map(() => [] as number[]);
  for (let i = 0; i < SEQUENTIAL; i++) for (let s = 0; s < scenarios.length; s++) await once(s, seq[s]);
  const results: Measured[] = [];
  for (let s = 0; s < scenarios.length; s++) {
    const conc: number[] = [];
    let left = CONCURRENT;
    const started = performance.now();
    await Promise.all(Array.from({ length: CONNECTIONS }, async () => { while (left-- > 0) await once(s, conc); }));
    const seconds = (performance.now() - started) / 1000;
    const { scenario, depth } = scenarios[s];
    process.stderr.write(`    ${scenario} (${depth}): sequential p50 ${percentile(seq[s], 50).toFixed(2)} ms\n`);
    results.push({
      scenario, depth, seqP50: percentile(seq[s], 50), seqP99: percentile(seq[s], 99), rps: conc.length / seconds,
      concP50: percentile(conc, 50), concP99: percentile(conc, 99),
      errors: [...bad[s]].map(([status, n]) => `${n}×${status}`).join(' ') || '0',
    });
  }
  return results;
}

interface Page { data: { id: string; name: string | null; created_at: string }[]; next_page: string | null }

/**
 * Follows next_page from the top for `depth` rows; checks every page is full and in order. Returns the cursor
 * that opens the page after them, and how long the walk took.
 */
async function walk(base: string, headers: Record<string, string>, query: string, depth: number, orderBy: 'created_at' | 'name') {
  const pages = depth / LIMIT;
  let cursor: string | null = null;
  let previous: [number | string, string] | null = null; // sort key of the last row seen
  const started = performance.now();
  for (let n = 0; n < pages; n++) {
    const res = await get(base, `/v1/user_profiles?${query}${cursor ? `&page=${cursor}` : ''}`, headers);
    if (res.status !== 200) throw new Error(`walk ${query}, page ${n + 1}: ${res.status} ${res.body}`);
    const page = JSON.parse(res.body) as Page;
    if (page.data.length !== LIMIT || !page.next_page) throw new Error(`walk ${query}, page ${n + 1}: ${page.data.length} rows, next_page ${page.next_page}`);
    for (const p of page.data) {
      const key: [number | string, string] = [orderBy === 'created_at' ? Date.parse(p.created_at) : asciiFold(p.name ?? ''), p.id];
      // desc: each row sorts before the previous one (the seeded names are all in the BMP, where JS's UTF-16
      // comparison agrees with the databases' code-point order)
      if (previous && !(key[0] < previous[0] || (key[0] === previous[0] && key[1] < previous[1]))) {
        throw new Error(`walk ${query}, page ${n + 1}: ${p.id} is out of order after ${previous[1]}`);
      }
      previous = key;
    }
    cursor = page.next_page;
  }
  return { cursor: cursor!, seconds: (performance.now() - started) / 1000, pages };
}

/** A name-order cursor positioned on a nameless profile, signed as the server signs cursors. */
function mintedCursor(secret: Buffer, id: string): string {
  return new CursorCodec(new Tokens(secret)).encode({ order: 'desc', orderBy: 'name', filter: '' }, { by: 'name', name: null, id });
}

// ---------- the run ----------

interface EngineResult {
  engine: string; seedLine: string; walks: string[]; results: Measured[]; notes: string[];
}

async function runEngine(run: EngineRun, count: number, depth: number): Promise<EngineResult> {
  process.stderr.write(`${run.engine}: ${run.label}\n`);
  const store = await openStore({ databaseUrl: run.url, postgresPoolSize: 2 });
  const key = await mintKey(store, { organization: 'scale', createOrganization: true, role: 'platform' });
  const secret = await store.serverSecret();
  await store.close();

  const started = performance.now();
  let seeded!: Seeded;
  const after = await run.bulk(async (write) => {
    seeded = await generate(key.organization_id, count, depth, write);
  });
  const seedSeconds = (performance.now() - started) / 1000;
  const bytes = await run.size();
  const seedLine = `${run.engine}: seeded ${count.toLocaleString('en')} profiles (${seeded.named.toLocaleString('en')} named, ` +
    `${(count - seeded.named).toLocaleString('en')} nameless) in ${seedSeconds.toFixed(1)} s = ${Math.round(count / seedSeconds).toLocaleString('en')} rows/s, ` +
    `of which ${seeded.generatingSeconds.toFixed(1)} s building rows in node; batches of ${BATCH.toLocaleString('en')} rows per transaction; ` +
    `then ${after}; ${run.engine === 'sqlite' ? 'database file' : 'user_profiles with its indexes'} ${(bytes / 1e6).toFixed(0)} MB`;
  process.stderr.write(`  ${seedLine}\n`);

  const env = { ...process.env, HOST: '127.0.0.1', LOG_LEVEL: 'warn', DATABASE_URL: run.url };
  const server: Server = await startServer(`uprof on ${run.engine}`, SERVE, env);
  const headers = { 'x-api-key': key.api_key, 'anthropic-version': '2023-06-01' };
  const results: Measured[] = [];
  const walks: string[] = [];
  const notes: string[] = [];
  try {
    // the walks come first: they also warm the server up (JIT, caches) for every measurement after them
    const depthLabel = `${(depth / 1000).toFixed(0)}k`;
    const scenarios: Scenario[] = [];
    for (const orderBy of ['created_at', 'name'] as const) {
      const query = `limit=${LIMIT}&order_by=${orderBy}`;
      const w = await walk(server.url, headers, query, depth, orderBy);
      const walked = `${run.engine}: walk order_by=${orderBy}: ${w.pages.toLocaleString('en')} pages × ${LIMIT} = ${depth.toLocaleString('en')} rows ` +
        `in ${w.seconds.toFixed(1)} s = ${(w.pages / w.seconds).toFixed(0)} pages/s, ${Math.round(depth / w.seconds).toLocaleString('en')} rows/s (one client, sequential)`;
      walks.push(walked);
      process.stderr.write(`  ${walked}\n`);
      if (orderBy === 'created_at') {
        const res = await get(server.url, `/v1/user_profiles?${query}&page=${w.cursor}`, headers);
        const first = (JSON.parse(res.body) as Page).data[0]?.id;
        if (first !== seeded.rowAtDepth.id) throw new Error(`the deep page should start with ${seeded.rowAtDepth.id}, the row ${depth} deep; it starts with ${first}`);
        notes.push(`${run.engine}: the created_at deep page starts with the row seeded ${depth.toLocaleString('en')} rows from the newest, as it should`);
      }
      scenarios.push(
        { scenario: `list ${orderBy}, first page`, depth: '0', path: () => `/v1/user_profiles?${query}` },
        { scenario: `list ${orderBy}, deep page`, depth: depthLabel, path: () => `/v1/user_profiles?${query}&page=${w.cursor}` },
      );
    }
    const nameless = mintedCursor(secret, seeded.midNameless.id);
    const namelessPath = `/v1/user_profiles?limit=${LIMIT}&order_by=name&page=${nameless}`;
    const probe = await get(server.url, namelessPath, headers);
    const probePage = probe.status === 200 ? (JSON.parse(probe.body) as Page) : null;
    if (!probePage) notes.push(`${run.engine}: the minted nameless-part cursor was refused (${probe.status}); scenario skipped`);
    else {
      if (probePage.data.length !== LIMIT || probePage.data.some((p) => p.name !== null)) throw new Error('the nameless-part page should hold 100 nameless profiles');
      scenarios.push({ scenario: 'list name, nameless part', depth: `${(seeded.midNameless.depth / 1000).toFixed(0)}k`, path: () => namelessPath });
    }
    let turn = 0;
    const shuffled = [...seeded.sampleIds];
    const random = mulberry32(7);
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
    }
    scenarios.push({ scenario: 'retrieve, random ids', depth: '-', path: () => `/v1/user_profiles/${shuffled[turn++ % shuffled.length]}` });
    results.push(...(await measureAll(server.url, headers, scenarios)));
  } finally {
    await stop(server.child);
  }
  return { engine: run.engine, seedLine, walks, results, notes };
}

function report(all: EngineResult[], count: number, depth: number) {
  const ms = (x: number) => x.toFixed(2);
  console.log(`\nmachine: ${cpus().length} CPUs, load average over the run ${loadAtStart} → ${loadavg().map((l) => l.toFixed(1)).join(' ')} (1, 5, 15 min; other work shares this machine)`);
  console.log(`${count.toLocaleString('en')} profiles in one organization; limit=${LIMIT}; default order (desc); ` +
    `${SEQUENTIAL} sequential requests each (scenarios in turn), then ${CONCURRENT} over ${CONNECTIONS} connections, after ${WARMUP} discarded; node ${process.version}\n`);
  all.forEach((r) => console.log(r.seedLine));
  all.forEach((r) => r.walks.forEach((w) => console.log(w)));
  all.forEach((r) => r.notes.forEach((n) => console.log(n)));
  console.log();
  console.log(table(
    ['engine', 'scenario', 'depth', 'seq p50 ms', 'seq p99 ms', 'conc req/s', 'conc p50 ms', 'conc p99 ms', 'non-200'],
    all.flatMap((r) => r.results.map((m) => [r.engine, m.scenario, m.depth, ms(m.seqP50), ms(m.seqP99), m.rps.toFixed(0), ms(m.concP50), ms(m.concP99), m.errors])),
    [0, 1, 8],
  ));
  console.log(`\nsummary (sequential latencies; deep = ${depth.toLocaleString('en')} rows into the walk):\n`);
  const rows: string[][] = [];
  for (const r of all) {
    const find = (s: string) => r.results.find((m) => m.scenario === s);
    for (const orderBy of ['created_at', 'name']) {
      const first = find(`list ${orderBy}, first page`)!, deep = find(`list ${orderBy}, deep page`)!;
      rows.push([r.engine, `list ${orderBy}`, ms(first.seqP50), ms(first.seqP99), ms(deep.seqP50), ms(deep.seqP99),
        (deep.seqP50 / first.seqP50).toFixed(2), (deep.seqP99 / first.seqP99).toFixed(2)]);
    }
    const nameless = find('list name, nameless part');
    const nameFirst = find('list name, first page')!;
    if (nameless) {
      rows.push([r.engine, `list name, nameless (${nameless.depth})`, ms(nameFirst.seqP50), ms(nameFirst.seqP99), ms(nameless.seqP50), ms(nameless.seqP99),
        (nameless.seqP50 / nameFirst.seqP50).toFixed(2), (nameless.seqP99 / nameFirst.seqP99).toFixed(2)]);
    }
    const retrieve = find('retrieve, random ids')!;
    rows.push([r.engine, 'retrieve (p50 / p99)', '', '', ms(retrieve.seqP50), ms(retrieve.seqP99), '', '']);
  }
  console.log(table(['engine', 'what', 'first p50', 'first p99', 'deep p50', 'deep p99', 'deep/first p50', 'deep/first p99'], rows, [0, 1]));
  console.log();
}

async function main() {
  const dir = mkdtempSync(join(DIR_BASE, 'uprof-scale-'));
  const free = statfsSync(dir).bavail * statfsSync(dir).bsize;
  let count = WANTED;
  let diskNote = `${(free / 1e9).toFixed(0)} GB free where the SQLite file goes (${dir})`;
  if (free < MIN_FREE_BYTES && count > FALLBACK) {
    count = FALLBACK;
    diskNote += `: under ${MIN_FREE_BYTES / 1e9} GB, so seeding ${FALLBACK.toLocaleString('en')} profiles instead of ${WANTED.toLocaleString('en')}`;
  }
  const depth = Math.min(DEPTH_WANTED, Math.floor(count / 2 / LIMIT) * LIMIT);
  console.log(diskNote);

  const skipped: string[] = [];
  const results: EngineResult[] = [];
  const started = performance.now();
  try {
    for (const engine of ENGINES) {
      const run = engine === 'sqlite' ? sqliteEngine(dir) : engine === 'postgres' ? await postgresEngine(POSTGRES_URL, 'uprof_scale', { analyze: true }) : `${engine}: SKIPPED, unknown engine`;
      if (typeof run === 'string') {
        console.log(run);
        skipped.push(run);
        continue;
      }
      try {
        results.push(await runEngine(run, count, depth));
      } finally {
        await run.cleanup().catch((e: Error) => console.error(`${run.engine}: could not clean up: ${e.message}`));
      }
    }
  } finally {
    killChildren();
    rmSync(dir, { recursive: true, force: true });
  }
  if (results.length) report(results, count, depth);
  skipped.forEach((line) => console.log(line));
  console.log(`total ${((performance.now() - started) / 60_000).toFixed(1)} min; SQLite file deleted, PostgreSQL schema dropped`);
}

runBench('bench:scale', main);
