import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import Anthropic from '@anthropic-ai/sdk';
import type { MintedKey } from '../../src/keys.ts';
import { call, type RawResponse, type TestServer } from './server.ts';

/**
 * uprof as real child processes (`node bin/uprof.js …`), the way an operator runs it: several stateless
 * servers on one database, killed and restarted at will.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/uprof.js', import.meta.url));

/** every child still running; killed when the test process exits, so a failed test leaves no orphan */
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** A port nothing listens on right now (listen on 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The environment of a child: ours, minus anything that would change how uprof runs, plus `extra`. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of [
    'NODE_TEST_CONTEXT', 'NODE_OPTIONS', 'PORT', 'HOST', 'DATABASE_URL', 'PUBLIC_URL', 'LOG_LEVEL',
    'SQLITE_SYNCHRONOUS', 'PG_POOL_SIZE', 'KEY_CACHE_TTL_MS',
  ]) {
    delete env[name];
  }
  return { ...env, ...extra };
}

type Exit = { code: number | null; signal: NodeJS.Signals | null };

function track(child: ChildProcess): { exited: Promise<Exit>; output: () => string } {
  children.add(child);
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000); // the tail is enough to explain a failure
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<Exit>((resolve) =>
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    }),
  );
  return { exited, output: () => output };
}

/** One `uprof serve` child process. */
export class ServerProcess {
  readonly baseURL: string;
  readonly exited: Promise<Exit>;
  private readonly output: () => string;

  constructor(readonly child: ChildProcess, readonly port: number) {
    this.baseURL = `http://127.0.0.1:${port}`;
    ({ exited: this.exited, output: this.output } = track(child));
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** what the process printed (its tail) */
  get log(): string {
    return this.output();
  }

  /** Sends `signal` (SIGKILL unless told) to this process only, and waits until it is gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<Exit> {
    if (this.running) this.child.kill(signal);
    return this.exited;
  }

  /** SIGTERM (uprof's graceful shutdown), then SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 5000): Promise<Exit> {
    if (!this.running) return this.exited;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** the shape call() needs: raw HTTP against this process */
  get asServer(): TestServer {
    return { baseURL: this.baseURL } as TestServer;
  }
}

/** Resolves once `baseURL` answers HTTP at all (any status); fails when the child exits or time runs out. */
async function waitUntilAnswering(server: ServerProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!server.running) throw new Error(`uprof serve exited before answering (${JSON.stringify(await server.exited)}):\n${server.log}`);
    try {
      await fetch(`${server.baseURL}/v1/user_profiles`, { signal: AbortSignal.timeout(1000) });
      return;
    } catch {
      await sleep(50);
    }
  }
  await server.kill();
  throw new Error(`uprof serve did not answer on ${server.baseURL} within ${timeoutMs} ms:\n${server.log}`);
}

/**
 * Starts `node bin/uprof.js serve` on a free loopback port against `databaseUrl` and waits until it
 * answers. `env` adds to (or overrides) PORT, HOST, LOG_LEVEL=warn, DATABASE_URL and KEY_CACHE_TTL_MS.
 * SQLITE_SYNCHRONOUS is left unset unless `env` sets it, so SQLite runs with the server's default (FULL).
 */
export async function startServerProcess(
  databaseUrl: string,
  env: Record<string, string> = {},
  options: { timeoutMs?: number } = {},
): Promise<ServerProcess> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const child = spawn(process.execPath, [BIN, 'serve'], {
      cwd: ROOT,
      env: childEnv({ PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', DATABASE_URL: databaseUrl, KEY_CACHE_TTL_MS: '1000', ...env }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const server = new ServerProcess(child, port);
    try {
      await waitUntilAnswering(server, options.timeoutMs ?? 30_000);
      return server;
    } catch (error) {
      // someone else took the port between our probe and the child's listen: try another one
      if (attempt < 3 && server.log.includes('EADDRINUSE')) continue;
      throw error;
    }
  }
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node bin/uprof.js ARGS` against `databaseUrl` and waits for it to exit. */
export async function uprofCli(args: string[], databaseUrl: string, env: Record<string, string> = {}): Promise<CliResult> {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: childEnv({ DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn', ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (exitCode) => resolve(exitCode));
  });
  children.delete(child);
  return { code, stdout, stderr };
}

/** `uprof keys create --org NAME --json`: a platform key for a (new) organization, minted by the CLI. */
export async function mintKeyWithCli(databaseUrl: string, organization: string): Promise<MintedKey> {
  const result = await uprofCli(['keys', 'create', '--org', organization, '--create-org', '--json'], databaseUrl);
  if (result.code !== 0) throw new Error(`uprof keys create exited ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').pop()!);
}

/** The current official SDK pointed at one process (no retries, so every answer is the server's own). */
export function sdkFor(server: ServerProcess, apiKey: string): Anthropic {
  return new Anthropic({ apiKey, baseURL: server.baseURL, maxRetries: 0, timeout: 20_000 });
}

/** Raw HTTP against one process (see call() in server.ts). */
export function callProcess(server: ServerProcess, method: string, path: string, options: Parameters<typeof call>[3] = {}): Promise<RawResponse> {
  return call(server.asServer, method, path, options);
}

/**
 * The answer to one SDK call, without throwing: `status` is the HTTP status (200 for success), or
 * undefined when no HTTP answer came at all (connection refused or reset).
 */
export type Outcome<T> =
  | { ok: true; status: 200; value: T }
  | { ok: false; status: number | undefined; type: string | undefined; error: unknown };

export async function outcome<T>(promise: PromiseLike<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, status: 200, value: await promise };
  } catch (error) {
    if (error instanceof Anthropic.APIError) {
      return { ok: false, status: error.status, type: (error.error as any)?.error?.type, error };
    }
    return { ok: false, status: undefined, type: undefined, error };
  }
}

/** a short description of a failed outcome, for assertion messages */
export function describeOutcome(result: Outcome<unknown>): string {
  if (result.ok) return '200';
  return `${result.status ?? 'no answer'} ${result.type ?? ''} ${(result.error as Error)?.message ?? String(result.error)}`.trim();
}

export const range = (n: number) => Array.from({ length: n }, (_, i) => i);
