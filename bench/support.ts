/**
 * What `bench/run.ts` and `bench/scale.ts` share: child servers, the PostgreSQL schema each run gets, a table printer.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
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

/** Spawns `node ARGS` on a free port (env PORT) and waits until it answers HTTP. */
export async function startServer(name: string, args: string[], env: NodeJS.ProcessEnv): Promise<Server> {
  const port = await freePort();
  const child = spawn(process.execPath, args, { env: { ...env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr = (stderr + chunk).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await sleep(100)) {
    if (child.exitCode !== null) break;
    if (await fetch(url).then(() => true, () => false)) return { name, url, child, stderr: () => stderr };
  }
  throw new Error(`${name} did not answer on ${url}${child.exitCode !== null ? ` (exited ${child.exitCode})` : ''}\n${stderr}`);
}

export async function stop(child: ChildProcess) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(5000)]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
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
