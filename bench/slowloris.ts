/**
 * `npm run bench:slowloris`: a normal client's latency while an attacker holds many slow connections open
 * (issue: a header sent at one byte a second held its connection for minutes, and 1,100 of them at a
 * 1,024-descriptor limit locked every other client out). A measurement, not a test: it exits 0 once it has
 * measured, and prints what it saw.
 *
 *   SLOWLORIS_CONNECTIONS=1000   slow connections the attacker keeps open (it reopens every one the server cuts)
 *   BENCH_SECONDS=20             how long the normal client is measured under attack (and, first, without it)
 *   SLOWLORIS_ULIMIT=1024        the server's open-file limit in the second scenario (`ulimit -n`), as in the issue
 *
 * Each scenario starts `uprof serve` (SQLite, a fresh file) as a child process, mints a key, creates a profile,
 * then: the normal client retrieves it back to back for BENCH_SECONDS alone (the baseline), the attacker opens
 * its connections — each sends a request line and then one header byte a second, never finishing — and once
 * they are all open the normal client measures again. A normal request that fails (its idle connection was
 * reclaimed, or it was refused at the cap) is retried once, as the official SDKs do, and counted.
 * Scenarios: the server with its defaults on this machine; the server under `ulimit -n SLOWLORIS_ULIMIT` with
 * 1.1 × the connections (more slow sockets than descriptors), where the connection cap must reclaim slow ones.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Agent, get } from 'node:http';
import { SERVE, UPROF, ensureBuilt, freePort, killChildren, percentile, sleep, stop, table } from './support.ts';

const SLOW = Number(process.env.SLOWLORIS_CONNECTIONS || 1000);
const SECONDS = Number(process.env.BENCH_SECONDS || 20);
const ULIMIT = Number(process.env.SLOWLORIS_ULIMIT || 1024);

interface Scenario {
  name: string;
  slow: number;
  ulimit: number | null;
}

interface Latencies {
  samples: number[];
  failedOnce: number;
  failedTwice: number;
}

/** Starts `uprof serve` (optionally under `ulimit -n`) and waits until it answers. */
async function serve(databaseUrl: string, dataDir: string, ulimit: number | null): Promise<{ url: string; child: ChildProcess; stderr: () => string }> {
  ensureBuilt();
  const port = await freePort();
  const env = { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn', UPROF_MASTER_KEY_FILE: join(dataDir, 'master.key') };
  const child = ulimit === null
    ? spawn(process.execPath, SERVE, { env, stdio: ['ignore', 'ignore', 'pipe'] })
    : spawn('/bin/sh', ['-c', `ulimit -n ${ulimit} && exec "$0" "$@"`, process.execPath, ...SERVE], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr = (stderr + chunk).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await sleep(100)) {
    if (child.exitCode !== null) break;
    if (await fetch(url).then(() => true, () => false)) return { url, child, stderr: () => stderr };
  }
  throw new Error(`uprof did not answer on ${url}\n${stderr}`);
}

/** The attacker: `count` connections that each send a request line, then one header byte a second, forever. */
class Slowloris {
  private readonly sockets = new Set<Socket>();
  private running = true;
  private readonly ticker: NodeJS.Timeout;
  /** how long each connection the server cut had been held, ms */
  readonly heldMs: number[] = [];
  answered = 0;

  constructor(private readonly port: number, count: number) {
    this.ticker = setInterval(() => {
      for (const socket of this.sockets) socket.write('a');
    }, 1000);
    for (let i = 0; i < count; i++) this.open();
  }

  get open(): () => void {
    return () => {
      if (!this.running) return;
      const started = performance.now();
      const socket = connect(this.port, '127.0.0.1', () => socket.write('GET /v1/user_profiles HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: '));
      socket.setNoDelay(true);
      this.sockets.add(socket);
      socket.on('data', () => this.answered++);
      socket.on('error', () => {});
      socket.on('close', () => {
        this.sockets.delete(socket);
        if (!this.running) return;
        this.heldMs.push(performance.now() - started);
        setTimeout(this.open, 50); // the attacker comes back
      });
    };
  }

  get held(): number {
    return this.sockets.size;
  }

  stop(): void {
    this.running = false;
    clearInterval(this.ticker);
    for (const socket of this.sockets) socket.destroy();
  }
}

/** The normal client: retrieve after retrieve on a keep-alive connection for `seconds`, one retry on failure. */
async function measure(url: string, key: string, id: string, seconds: number): Promise<Latencies> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const result: Latencies = { samples: [], failedOnce: 0, failedTwice: 0 };
  const headers = { 'x-api-key': key, 'anthropic-version': '2023-06-01' };
  const once = () =>
    new Promise<void>((resolve, reject) => {
      const request = get(`${url}/v1/user_profiles/${id}`, { headers, agent, timeout: 30_000 }, (response) => {
        response.resume();
        response.on('end', () => (response.statusCode === 200 ? resolve() : reject(new Error(`status ${response.statusCode}`))));
        response.on('error', reject);
      });
      request.on('timeout', () => request.destroy(new Error('timeout')));
      request.on('error', reject);
    });
  for (const end = performance.now() + seconds * 1000; performance.now() < end;) {
    const started = performance.now();
    try {
      await once();
    } catch {
      result.failedOnce++;
      try {
        await once();
      } catch {
        result.failedTwice++;
        continue;
      }
    }
    result.samples.push(performance.now() - started);
  }
  agent.destroy();
  return result;
}

const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(2) : '—');

async function run(scenario: Scenario): Promise<string[][]> {
  const dir = mkdtempSync(join(tmpdir(), 'uprof-slowloris-'));
  const databaseUrl = `sqlite:${join(dir, 'uprof.db')}`;
  const server = await serve(databaseUrl, dir, scenario.ulimit);
  try {
    const minted = JSON.parse(execFileSync(process.execPath, [UPROF, 'keys', 'create', '--org', 'slowloris', '--json'], {
      env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' }, encoding: 'utf8',
    }).trim().split('\n').pop()!);
    const created = await fetch(`${server.url}/v1/user_profiles`, {
      method: 'POST',
      headers: { 'x-api-key': minted.api_key, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Normal client' }),
    }).then((r) => r.json() as Promise<{ id: string }>);

    const alone = await measure(server.url, minted.api_key, created.id, Math.min(SECONDS, 10));
    const attacker = new Slowloris(Number(new URL(server.url).port), scenario.slow);
    for (const deadline = Date.now() + 30_000; attacker.held < Math.min(scenario.slow, 0.95 * scenario.slow) && Date.now() < deadline;) await sleep(100);
    const heldAtStart = attacker.held;
    const attacked = await measure(server.url, minted.api_key, created.id, SECONDS);
    const heldAtEnd = attacker.held;
    attacker.stop();
    const after = await measure(server.url, minted.api_key, created.id, 2);
    const alive = server.child.exitCode === null && after.samples.length > 0;
    const held = attacker.heldMs;
    return [
      [scenario.name, 'alone', String(alone.samples.length), ms(percentile(alone.samples, 50)), ms(percentile(alone.samples, 99)), ms(percentile(alone.samples, 100)), `${alone.failedOnce}/${alone.failedTwice}`, '', '', ''],
      [
        scenario.name, `${scenario.slow} slow held`, String(attacked.samples.length), ms(percentile(attacked.samples, 50)), ms(percentile(attacked.samples, 99)),
        ms(percentile(attacked.samples, 100)), `${attacked.failedOnce}/${attacked.failedTwice}`, `${heldAtStart}→${heldAtEnd}`,
        `${held.length} (${held.length ? (percentile(held, 50) / 1000).toFixed(1) : '—'} s)`, alive ? 'yes' : `NO ${server.stderr().slice(-300)}`,
      ],
    ];
  } finally {
    await stop(server.child);
    rmSync(dir, { recursive: true, force: true });
  }
}

const scenarios: Scenario[] = [
  { name: 'defaults', slow: SLOW, ulimit: null },
  { name: `ulimit -n ${ULIMIT}`, slow: Math.round(SLOW * 1.1), ulimit: ULIMIT },
];
console.log(`slowloris: ${SLOW} slow connections (1 header byte/s, reopened when cut); normal client measured ${SECONDS} s; this shell's ulimit -n: ${execFileSync('/bin/sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim()}`);
const rows: string[][] = [];
try {
  for (const scenario of scenarios) rows.push(...(await run(scenario)));
} finally {
  killChildren();
}
console.log(table(
  ['server', 'while', 'requests', 'p50 ms', 'p99 ms', 'max ms', 'failed once/twice', 'slow open', 'slow cut (median held)', 'served after'],
  rows, [0, 1],
));
