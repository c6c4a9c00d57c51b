/**
 * `npm run bench:gateway`: what the inference gateway adds to a Messages request, against the same upstream called
 * directly, in the same run (bench/README.md explains the method).
 *
 * - The upstream is a fake in plain node:http (bench/baselines/fake-upstream.mjs) that answers at once: a fixed
 *   message, or a stream whose first event comes at once and the rest STREAM_GAP_MS later. Answering at once is the
 *   worst case for the gateway's share: with a real model behind it, the model's time would dwarf what uprof adds.
 * - uprof is started as `npm start` starts it, with the default settings plus UPSTREAM_URL and UPSTREAM_API_KEY, on a
 *   fresh SQLite file, its log written to a file. Every request names a profile (`anthropic-user-profile-id`), so it
 *   takes the whole path: key, profile and standing, budget lookup, forwarding, usage read off the answer, metering.
 * - Throughput and latency: wrk, 1 thread, 10 keep-alive connections, POST /v1/messages (JSON), after a warm-up; the
 *   fake called directly, then through uprof, round after round. At 10 connections both sides run flat out, so their
 *   p50 is mostly queueing (connections / throughput); the p50 at one connection is printed too: the time uprof adds
 *   to a request that waits for nothing.
 * - Time to the first streamed byte: one client, one request at a time on a kept-alive connection, `stream: true`,
 *   time from sending the request to the first byte of the answer's body; BENCH_TTFB_SAMPLES per side and round,
 *   the two sides interleaved.
 * Figures are medians over BENCH_ROUNDS rounds; a ratio is the median of the rounds' ratios (range printed).
 *
 *   BENCH_SECONDS=5  BENCH_WARMUP_SECONDS=1  BENCH_ROUNDS=3  BENCH_TTFB_SAMPLES=300
 *
 * A measurement, not a test: it exits 0 once it has measured, whatever the figures.
 */
import { request as httpRequest, Agent } from 'node:http';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mintKey } from '../src/keys.ts';
import { openStore } from '../src/store/index.ts';
import {
  killChildren, machineBusyMs, measure as measureRun, median, percentile, requireWrk, runBench, SERVE, startServer, stop, table,
  type Measured, type Server, type WrkRequest,
} from './support.ts';

const SECONDS = Number(process.env.BENCH_SECONDS || 5);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS || 1);
const ROUNDS = Number(process.env.BENCH_ROUNDS || 3);
const TTFB_SAMPLES = Number(process.env.BENCH_TTFB_SAMPLES || 300);
const CONNECTIONS = 10;
/** a measured wrk run (bench/support.ts), at 10 connections or at `connections` */
const measure = (server: Server, request: WrkRequest, dir: string, connections = CONNECTIONS) =>
  measureRun(server, request, { seconds: SECONDS, warmupSeconds: WARMUP_SECONDS, connections, dir });
const FAKE = fileURLToPath(new URL('./baselines/fake-upstream.mjs', import.meta.url));
/** the targets */
const TARGETS = { ratio: 70, addedP50Ms: 0.5, addedTtfbMs: 1 };

const MESSAGE = { model: 'claude-bench', max_tokens: 256, messages: [{ role: 'user', content: 'Summarise the benchmark method in one sentence.' }] };


/** Time (ms) from sending one streamed request to the first byte of its answer's body, one request at a time. */
function firstByte(url: string, headers: Record<string, string>, body: string, agent: Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let at = NaN;
    const outgoing = httpRequest(`${url}/v1/messages`, { method: 'POST', agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (answer) => {
      if (answer.statusCode !== 200) reject(new Error(`${url}: streamed request answered ${answer.statusCode}`));
      answer.on('data', () => {
        if (Number.isNaN(at)) at = performance.now() - started;
      });
      answer.on('end', () => resolve(at));
      answer.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/** The two sides' first-byte times, interleaved request by request so that the machine's noise falls on both. */
async function firstBytes(sides: { url: string; headers: Record<string, string> }[], body: string): Promise<number[][]> {
  const agents = sides.map(() => new Agent({ keepAlive: true, maxSockets: 1 }));
  const samples: number[][] = sides.map(() => []);
  for (let i = 0; i < 20; i++) for (const [s, side] of sides.entries()) await firstByte(side.url, side.headers, body, agents[s]); // warm-up
  for (let i = 0; i < TTFB_SAMPLES; i++) {
    for (const [s, side] of sides.entries()) samples[s].push(await firstByte(side.url, side.headers, body, agents[s]));
  }
  agents.forEach((a) => a.destroy());
  return samples;
}

async function main() {
  requireWrk();
  const dir = mkdtempSync(join(tmpdir(), 'uprof-bench-gateway-'));
  console.log(`wrk, 1 thread, ${CONNECTIONS} connections, ${SECONDS} s per run after ${WARMUP_SECONDS} s warm-up, ${ROUNDS} rounds; ` +
    `${TTFB_SAMPLES} first-byte samples per side and round; node ${process.version}`);
  try {
    const fake = await startServer('fake upstream', [FAKE], { ...process.env });
    const databaseUrl = `sqlite:${join(dir, 'bench.db')}`;
    const store = await openStore({ databaseUrl });
    const key = await mintKey(store, { organization: 'bench', createOrganization: true, role: 'platform' });
    await store.close();
    const logFile = join(dir, 'uprof.log');
    const env: NodeJS.ProcessEnv = {
      ...process.env, HOST: '127.0.0.1', DATABASE_URL: databaseUrl, UPROF_MASTER_KEY_FILE: join(dir, 'master.key'),
      UPSTREAM_URL: fake.url, UPSTREAM_API_KEY: 'sk-bench-upstream',
    };
    delete env.LOG_LEVEL;
    const uprof = await startServer('uprof', SERVE, env, { logFile });
    const platform = { 'x-api-key': key.api_key, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' };
    const created = await fetch(`${uprof.url}/v1/user_profiles`, { method: 'POST', headers: platform, body: JSON.stringify({ name: 'Bench customer' }) });
    const profile = ((await created.json()) as { id: string }).id;
    const throughUprof = { ...platform, 'anthropic-user-profile-id': profile };
    const direct = { 'anthropic-version': '2023-06-01', 'content-type': 'application/json', 'x-api-key': 'sk-bench-upstream' };

    const body = JSON.stringify(MESSAGE);
    const streamed = JSON.stringify({ ...MESSAGE, stream: true });
    const rounds: { fake: Measured; uprof: Measured; fakeOne: Measured; uprofOne: Measured; ttfbFake: number; ttfbUprof: number }[] = [];
    const logBefore = statSync(logFile).size;
    const busy0 = machineBusyMs();
    const started = performance.now();
    let answered = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      const own = await measure(fake, { method: 'POST', path: '/v1/messages', headers: direct, body }, dir);
      const through = await measure(uprof, { method: 'POST', path: '/v1/messages', headers: throughUprof, body }, dir);
      // one connection: the latency a request meets when nothing queues
      const fakeOne = await measure(fake, { method: 'POST', path: '/v1/messages', headers: direct, body }, dir, 1);
      const uprofOne = await measure(uprof, { method: 'POST', path: '/v1/messages', headers: throughUprof, body }, dir, 1);
      answered += through.requests + uprofOne.requests;
      const [ttfbFake, ttfbUprof] = await firstBytes([{ url: fake.url, headers: direct }, { url: uprof.url, headers: throughUprof }], streamed);
      rounds.push({ fake: own, uprof: through, fakeOne, uprofOne, ttfbFake: median(ttfbFake), ttfbUprof: median(ttfbUprof) });
      process.stderr.write(`  round ${round}: fake ${own.rps.toFixed(0)} req/s, through uprof ${through.rps.toFixed(0)} req/s; ` +
        `first byte ${median(ttfbFake).toFixed(3)} / ${median(ttfbUprof).toFixed(3)} ms (p90 ${percentile(ttfbFake, 90).toFixed(3)} / ${percentile(ttfbUprof, 90).toFixed(3)})\n`);
    }
    const wallMs = performance.now() - started;
    const busy = (100 * (machineBusyMs() - busy0)) / wallMs;
    await stop(uprof.child);
    await stop(fake.child);
    const logBytes = statSync(logFile).size - logBefore;

    const ratios = rounds.map((r) => (100 * r.uprof.rps) / r.fake.rps);
    const addedP50 = rounds.map((r) => r.uprof.p50 - r.fake.p50);
    const addedTtfb = rounds.map((r) => r.ttfbUprof - r.ttfbFake);
    const addedP50One = rounds.map((r) => r.uprofOne.p50 - r.fakeOne.p50);
    const ms = (x: number) => x.toFixed(3);
    const range = (xs: number[], f: (x: number) => string) => `${f(Math.min(...xs))}–${f(Math.max(...xs))}`;
    console.log();
    console.log(`uprof (SQLite, defaults, log to a file) forwarding to a fake upstream that answers at once; every request attributed to a profile`);
    console.log(table(
      ['', 'fake direct', 'through uprof', 'uprof vs direct', 'range over rounds', 'target'],
      [
        ['throughput req/s', median(rounds.map((r) => r.fake.rps)).toFixed(0), median(rounds.map((r) => r.uprof.rps)).toFixed(0), `${median(ratios).toFixed(0)} %`, range(ratios, (x) => `${x.toFixed(0)} %`), `≥ ${TARGETS.ratio} %`],
        ['p50 ms', ms(median(rounds.map((r) => r.fake.p50))), ms(median(rounds.map((r) => r.uprof.p50))), `+${ms(median(addedP50))}`, range(addedP50, ms), `≤ +${TARGETS.addedP50Ms}`],
        ['p99 ms', ms(median(rounds.map((r) => r.fake.p99))), ms(median(rounds.map((r) => r.uprof.p99))), '', '', ''],
        ['p50 ms, 1 connection', ms(median(rounds.map((r) => r.fakeOne.p50))), ms(median(rounds.map((r) => r.uprofOne.p50))), `+${ms(median(addedP50One))}`, range(addedP50One, ms), ''],
        ['first streamed byte ms', ms(median(rounds.map((r) => r.ttfbFake))), ms(median(rounds.map((r) => r.ttfbUprof))), `+${ms(median(addedTtfb))}`, range(addedTtfb, ms), `≤ +${TARGETS.addedTtfbMs}`],
        ['server CPU µs/req', median(rounds.map((r) => r.fake.cpuPerRequestUs)).toFixed(0), median(rounds.map((r) => r.uprof.cpuPerRequestUs)).toFixed(0), '', '', ''],
      ],
      [0],
    ));
    const verdict = (name: string, ok: boolean) => `  ${name}: ${ok ? 'MET' : 'MISS'}`;
    console.log(verdict(`throughput ${median(ratios).toFixed(0)} % of direct (≥ ${TARGETS.ratio} %)`, median(ratios) >= TARGETS.ratio));
    console.log(verdict(`added p50 ${ms(median(addedP50))} ms (≤ ${TARGETS.addedP50Ms} ms)`, median(addedP50) <= TARGETS.addedP50Ms));
    console.log(verdict(`added time to the first streamed byte ${ms(median(addedTtfb))} ms (≤ ${TARGETS.addedTtfbMs} ms)`, median(addedTtfb) <= TARGETS.addedTtfbMs));
    console.log(`uprof's log grew ${logBytes} bytes over ${answered.toLocaleString('en')} measured requests; the machine was ${busy.toFixed(0)} % busy (200 % = both cores), load generator and fake included`);
    const errors = rounds.reduce((n, r) => n + r.fake.errors + r.uprof.errors + r.fakeOne.errors + r.uprofOne.errors, 0);
    if (errors > 0) console.log(`  INVALID: ${errors} non-2xx answers or socket errors; a benchmark with errors measures the error path.`);
  } finally {
    killChildren();
    rmSync(dir, { recursive: true, force: true });
  }
}

runBench('bench:gateway', main);
