/**
 * What `bench/run.ts` and `bench/scale.ts` share: child servers, the PostgreSQL schema each run gets, a table printer.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export const UPROF = fileURLToPath(new URL('../bin/uprof.js', import.meta.url));

/**
 * `node` arguments that serve uprof exactly as `npm start` does (its Node flags included), read from
 * package.json so that the benchmark measures what users run.
 */
export const SERVE: string[] = (() => {
  const { scripts } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { scripts: { start: string } };
  const words = scripts.start.split(/\s+/);
  const script = words.indexOf('bin/uprof.js');
  if (words[0] !== 'node' || script < 0) throw new Error(`npm start is not "node [flags] bin/uprof.js …": ${scripts.start}`);
  return [...words.slice(1, script), UPROF, ...words.slice(script + 1)];
})();
/**
 * bin/uprof.js runs dist/ only while it is newer than every source, and the TypeScript sources through tsx
 * otherwise: more CPU and tens of MB more memory than users get. So before the first uprof server of a run,
 * a stale or missing build is rebuilt (`npm run build`), and the bench always measures the compiled server.
 */
let built = false;
export function ensureBuilt(): void {
  if (built) return;
  const source = fileURLToPath(new URL('../src/', import.meta.url));
  const entry = fileURLToPath(new URL('../dist/cli/index.js', import.meta.url));
  const newest = (dir: string): number => readdirSync(dir, { withFileTypes: true })
    .reduce((max, e) => Math.max(max, e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs), 0);
  if (!existsSync(entry) || statSync(entry).mtimeMs < newest(source)) {
    console.log('bench: dist/ is older than src/; running npm run build so that the compiled server is measured');
    const build = spawnSync('npm', ['run', 'build'], { stdio: 'inherit', cwd: fileURLToPath(new URL('..', import.meta.url)) });
    if (build.status !== 0) throw new Error('npm run build failed');
  }
  built = true;
}

export const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------- child processes ----------

const children: ChildProcess[] = [];
export const killChildren = () => children.forEach((c) => c.exitCode === null && c.signalCode === null && c.kill('SIGKILL'));
process.on('exit', killChildren);

export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface Server { name: string; url: string; child: ChildProcess; stderr(): string }

/**
 * Spawns `node ARGS` on a free port (env PORT) and waits until it answers HTTP. With `logFile`, the server's
 * stdout and stderr go to that file, as they would under a process manager (uprof's log is measured with it);
 * without, stdout is dropped.
 */
export async function startServer(name: string, args: string[], env: NodeJS.ProcessEnv, options: { logFile?: string } = {}): Promise<Server> {
  if (args.includes(UPROF)) ensureBuilt();
  const port = await freePort();
  const log = options.logFile ? openSync(options.logFile, 'a') : null;
  const child = spawn(process.execPath, args, {
    env: { ...env, PORT: String(port) },
    stdio: log === null ? ['ignore', 'ignore', 'pipe'] : ['ignore', log, log],
  });
  if (log !== null) closeSync(log);
  children.push(child);
  let stderr = '';
  child.stderr?.on('data', (chunk) => (stderr = (stderr + chunk).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await sleep(100)) {
    if (child.exitCode !== null) break;
    if (await fetch(url).then(() => true, () => false)) return { name, url, child, stderr: () => tail() };
  }
  throw new Error(`${name} did not answer on ${url}${child.exitCode !== null ? ` (exited ${child.exitCode})` : ''}\n${tail()}`);

  function tail(): string {
    return options.logFile ? readFileSync(options.logFile, 'utf8').slice(-4000) : stderr;
  }
}

export async function stop(child: ChildProcess) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(5000)]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

// ---------- load from wrk ----------

/** wrk (Debian's package) drives the load: the cheapest generator on this machine, so the server gets the CPU. */
export function requireWrk(): void {
  const probe = spawnSync('wrk', ['--version'], { encoding: 'utf8' });
  if (probe.error) {
    console.error('bench: wrk is not installed. It is Debian\'s package: apt-get install -y wrk (or your system\'s equivalent), then run again.');
    process.exit(1);
  }
}

export interface WrkRequest {
  method: 'GET' | 'POST';
  /** one path, or (for GET) several taken in turn, one per request */
  path: string | string[];
  headers: Record<string, string>;
  body?: string;
  /** a header whose value differs on every request: this name, its value `prefix` + a run id + a counter (Idempotency-Key) */
  counted?: { name: string; prefix: string };
}

export interface WrkResult {
  /** 2xx answers per second */
  rps: number;
  requests: number;
  /** answers that were not 2xx/3xx, and socket errors */
  errors: number;
  seconds: number;
  /** latency in ms */
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

const luaString = (text: string) => `"${text.replace(/[\\"]/g, (c) => `\\${c}`).replace(/\n/g, '\\n')}"`;

/** The Lua script wrk runs: the request (paths in turn) and a done() that prints the figures as one JSON line. */
function wrkScript(dir: string, request: WrkRequest): string {
  const paths = Array.isArray(request.path) ? request.path : [request.path];
  const pathsFile = join(dir, `paths-${randomBytes(4).toString('hex')}.txt`);
  writeFileSync(pathsFile, paths.join('\n') + '\n');
  const script = join(dir, `wrk-${randomBytes(4).toString('hex')}.lua`);
  const headers = Object.entries(request.headers).map(([k, v]) => `wrk.headers[${luaString(k)}] = ${luaString(v)}`).join('\n');
  // a fresh prefix per wrk run: a warm-up and the run after it must not share values
  const counted = request.counted
    ? `wrk.headers[${luaString(request.counted.name)}] = ${luaString(`${request.counted.prefix}${randomBytes(6).toString('hex')}-`)} .. turn`
    : '';
  writeFileSync(script, `
wrk.method = ${luaString(request.method)}
${request.body === undefined ? '' : `wrk.body = ${luaString(request.body)}`}
${headers}
local paths = {}
for line in io.lines(${luaString(pathsFile)}) do paths[#paths + 1] = line end
local turn = 0
request = function()
  turn = turn + 1
  ${counted}
  return wrk.format(nil, paths[(turn % #paths) + 1])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRK_RESULT {"requests":%d,"duration_us":%d,"status":%d,"socket":%d,"p50":%d,"p90":%d,"p99":%d,"max":%d}\\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
`);
  return script;
}

/** Runs wrk (1 thread, `connections` connections, keep-alive) for `seconds` against `url`. */
export function wrk(url: string, request: WrkRequest, options: { seconds: number; connections: number; dir: string }): Promise<WrkResult> {
  const script = wrkScript(options.dir, request);
  const args = ['-t1', `-c${options.connections}`, `-d${options.seconds}s`, '--timeout', '10s', '-s', script, url];
  return new Promise((resolve, reject) => {
    execFile('wrk', args, { encoding: 'utf8' }, (error, stdout, stderr) => {
      const line = /WRK_RESULT (\{.*\})/.exec(stdout);
      if (error || !line) return reject(new Error(`wrk ${args.join(' ')} failed: ${error?.message ?? ''}\\n${stdout}\\n${stderr}`));
      const r = JSON.parse(line[1]) as { requests: number; duration_us: number; status: number; socket: number; p50: number; p90: number; p99: number; max: number };
      const seconds = r.duration_us / 1e6;
      const errors = r.status + r.socket;
      resolve({
        rps: (r.requests - r.status) / seconds, requests: r.requests, errors, seconds,
        p50: r.p50 / 1000, p90: r.p90 / 1000, p99: r.p99 / 1000, max: r.max / 1000,
      });
    });
  });
}

export interface Measured extends WrkResult {
  /** the server process's CPU time (user + system) over the run, per answered request */
  cpuPerRequestUs: number;
}

/**
 * One measured wrk run against `server`: a discarded warm-up of `warmupSeconds` first, then `seconds` with the
 * server's CPU time sampled around it. Throws when the server died meanwhile (its figures would be wrk's errors).
 */
export async function measure(
  server: Server, request: WrkRequest, options: { seconds: number; warmupSeconds: number; connections: number; dir: string },
): Promise<Measured> {
  const { seconds, warmupSeconds, connections, dir } = options;
  if (warmupSeconds > 0) await wrk(server.url, request, { seconds: warmupSeconds, connections, dir });
  const before = procSample(server.child.pid!).cpuMs;
  const result = await wrk(server.url, request, { seconds, connections, dir });
  if (server.child.exitCode !== null || server.child.signalCode !== null) throw new Error(`${server.name} exited:\n${server.stderr()}`);
  const cpuMs = procSample(server.child.pid!).cpuMs - before;
  const answered = result.requests - result.errors;
  return { ...result, cpuPerRequestUs: answered > 0 ? (cpuMs * 1000) / answered : NaN };
}

/** CPU time (ms, user + system) and resident memory (KiB) of a process, from /proc. */
export function procSample(pid: number): { cpuMs: number; rssKiB: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from #3 (state) on
  const ticks = Number(fields[11]) + Number(fields[12]); // #14 utime, #15 stime, in 1/100 s
  const rss = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { cpuMs: ticks * 10, rssKiB: rss ? Number(rss[1]) : 0 };
}

/** CPU time (ms) every process on the machine has spent busy, from /proc/stat: how noisy the machine was. */
export function machineBusyMs(): number {
  const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = ticks;
  return (user + nice + system + irq + softirq + steal) * 10;
}

/** Samples a process's RSS every 100 ms until stopped; returns the peak in MB. */
export function rssPeak(pid: number): { stop(): number } {
  let peak = 0;
  const take = () => {
    try { peak = Math.max(peak, procSample(pid).rssKiB); } catch { /* exited: the caller notices */ }
  };
  take();
  const timer = setInterval(take, 100);
  return { stop: () => { clearInterval(timer); take(); return (peak * 1024) / 1e6; } };
}

// ---------- PostgreSQL ----------

export interface PostgresSchema { url: string; schema: string; drop(): Promise<void> }

async function withClient<T>(base: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: base, connectionTimeoutMillis: 3000 });
  await client.connect();
  try { return await work(client); } finally { await client.end(); }
}

/**
 * A fresh schema on the server at `base`, and `base` with `?options=-c search_path=<schema>` so that uprof
 * (and anything else given that URL) works inside it. Resolves to a reason instead when PostgreSQL is unreachable.
 */
export async function freshPostgresSchema(base: string, prefix: string): Promise<PostgresSchema | { unreachable: string }> {
  const schema = `${prefix}_${randomBytes(4).toString('hex')}`;
  try {
    await withClient(base, (client) => client.query(`CREATE SCHEMA ${schema}`));
  } catch (error) {
    return { unreachable: `${(error as Error).message || (error as { code?: string }).code || String(error)}` };
  }
  const url = new URL(base);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return { url: url.toString(), schema, drop: () => withClient(base, (client) => client.query(`DROP SCHEMA ${schema} CASCADE`)).then(() => {}) };
}

/** The URL with any password masked, for printing. */
export const shown = (url: string) => url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');

// ---------- output ----------

/** A plain-text table: columns listed in `left` are left-aligned, the rest right-aligned. */
export function table(head: string[], rows: string[][], left: number[] = [0]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (left.includes(i) ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** The p-th percentile (nearest rank) of unsorted samples. */
export function percentile(samples: ArrayLike<number>, p: number): number {
  const sorted = Float64Array.from(samples).sort();
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] : NaN;
}

// ---------- entry ----------

/**
 * Runs a bench's `main` and exits: 0 once it has measured (whatever the figures), 1 when it could not run at all
 * (the child servers are killed on the way out: see `killChildren`).
 */
export function runBench(name: string, main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(`${name} could not run: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      process.exit(1);
    },
  );
}
