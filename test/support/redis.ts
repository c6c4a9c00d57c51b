import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './processes.ts';

/**
 * Redis for the rate-limit tests: the machine's own on 127.0.0.1:6379 (`.ci/run` starts it) unless TEST_REDIS_URL
 * points elsewhere. Tests give every server a key prefix of its own, so parallel runs never share buckets.
 */
export const REDIS_URL = process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379';

/** Whether something answers PING at `url` (within 2 s). */
export function redisAnswers(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port || 6379) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

const reachable = await redisAnswers(REDIS_URL);
if (!reachable && process.env.CI) throw new Error(`Redis is not reachable at ${REDIS_URL}; CI never skips the Redis leg.`);
if (!reachable) console.log(`# Redis leg SKIPPED: nothing answers at ${REDIS_URL} (set TEST_REDIS_URL to point elsewhere)`);
/** null when the Redis leg runs; otherwise why it is skipped */
export const REDIS_SKIPPED = reachable ? null : `Redis is not reachable at ${REDIS_URL}`;

const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0;

/** A Redis of a test's own (`redis-server` on a free port), which the test may stop and start again on that port. */
export class PrivateRedis {
  private child: ChildProcess | null = null;
  private readonly dir = mkdtempSync(join(tmpdir(), 'uprof-redis-'));

  private constructor(readonly port: number) {}

  static readonly available = hasRedisServer;

  static async start(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort());
    await redis.restart();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async restart(): Promise<void> {
    this.child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir], {
      stdio: 'ignore',
    });
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; await sleep(50)) {
      if (await redisAnswers(this.url)) return;
    }
    throw new Error(`redis-server did not start on port ${this.port}`);
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  async close(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
