import type { FastifyInstance } from 'fastify';
import { createRequire } from 'node:module';
import type { Redis } from 'ioredis';
import type { Config } from '../config.js';
import { ApiError } from '../errors.js';
import { throttled } from '../metrics.js';
import type { ResolvedKey } from '../store/tenancy.js';

/**
 * Requests per key (API and operator keys), as a token bucket: a key may make `burst` requests at once, and
 * earns `rps` more each second. Past it: 429 `rate_limit_error` with `retry-after` and `retry-after-ms` (the SDKs
 * wait that long, then retry: decisions §34). Every answer to a limited key carries the hosted API's
 * `anthropic-ratelimit-requests-{limit,remaining,reset}` headers.
 *
 * The buckets live in Redis when REDIS_URL is set — one budget for every process, one round trip per request
 * (a Lua script, EVALSHA) — and otherwise in each process (N processes then allow N times the budget). When
 * Redis does not answer, requests are served without limits (a limit must never take the API down) and the
 * process says so once in its log, and once more when Redis answers again.
 */

export interface Bucket {
  /** tokens earned per second */
  rps: number;
  /** the bucket's size */
  burst: number;
}

/** What taking a token found. */
export interface Take {
  allowed: boolean;
  /** whole tokens left after this request */
  remaining: number;
  /** when refused: how long until a token is there */
  waitMs: number;
  /** how long until the bucket is full again */
  fullMs: number;
}

export interface BucketStore {
  /** Takes a token from the bucket `id`; null when it cannot tell (the shared store is unreachable). */
  take(id: string, bucket: Bucket): Take | null | Promise<Take | null>;
  close(): Promise<void>;
}

/** The headers of a limited key's answer, kept on the request until it is sent. */
export interface RateState {
  limit: number;
  remaining: number;
  /** epoch ms at which the bucket is full again */
  resetAt: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** set once the request's key has a limit (then its answer carries the rate-limit headers) */
    rateLimit: RateState | null;
  }
}

/** Each process its own buckets (no REDIS_URL). */
export class LocalBuckets implements BucketStore {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  take(id: string, { rps, burst }: Bucket): Take {
    const now = this.now();
    let state = this.buckets.get(id);
    if (state === undefined) {
      // bounded: one bucket per key that made a request; keys are few, but never let the map grow without end
      if (this.buckets.size >= 100_000) this.buckets.clear();
      this.buckets.set(id, (state = { tokens: burst, at: now }));
    }
    const tokens = Math.min(burst, state.tokens + (Math.max(0, now - state.at) * rps) / 1000);
    const allowed = tokens >= 1;
    state.tokens = allowed ? tokens - 1 : tokens;
    state.at = now;
    return {
      allowed,
      remaining: Math.floor(state.tokens),
      waitMs: allowed ? 0 : Math.ceil(((1 - state.tokens) * 1000) / rps),
      fullMs: Math.ceil(((burst - state.tokens) * 1000) / rps),
    };
  }

  async close(): Promise<void> {}
}

/**
 * One token bucket in a Redis hash, refilled and taken from atomically by a script on Redis's own clock (so
 * processes whose clocks differ still share one budget). Returns {allowed, remaining, wait ms, full ms}.
 */
export const TAKE_SCRIPT = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = burst
  at = now
end
tokens = math.min(burst, tokens + math.max(0, now - at) * rate / 1000)
local allowed = 0
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  wait = math.ceil((1 - tokens) * 1000 / rate)
end
local full = math.ceil((burst - tokens) * 1000 / rate)
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], full + 1000)
return { allowed, math.floor(tokens), wait, full }
`;

/** After a failed call, requests skip Redis this long (so a Redis that hangs costs one timeout, not one per request). */
const PAUSE_AFTER_FAILURE_MS = 1000;

type Log = { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };

/** The buckets of every process, in Redis (REDIS_URL). */
export class RedisBuckets implements BucketStore {
  private readonly redis: Redis & { uprofTake(key: string, rps: number, burst: number): Promise<[number, number, number, number]> };
  /** false from the first failure until Redis answers again; each change is logged once */
  private reachable = true;
  private pausedUntil = 0;
  /** the log, once the app exists (registerRateLimits) */
  log: Log | null = null;

  constructor(url: string, private readonly prefix: string, options: { commandTimeoutMs?: number } = {}) {
    // loaded here, only when REDIS_URL is set: a server without it does not carry ioredis (with pg deferred
    // too, a SQLite server's idle RSS went from ~110 to ~97 MB)
    const { Redis: RedisClient } = createRequire(import.meta.url)('ioredis') as typeof import('ioredis');
    this.redis = new RedisClient(url, {
      // a command while disconnected fails at once, and is never queued to run later (served unlimited instead)
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.commandTimeoutMs ?? 500,
      connectTimeout: 2000,
      // reconnect for ever, at most a second apart: limits come back on their own when Redis does
      retryStrategy: (times) => Math.min(times * 100, 1000),
    }) as RedisBuckets['redis'];
    this.redis.defineCommand('uprofTake', { numberOfKeys: 1, lua: TAKE_SCRIPT });
    this.redis.on('error', (error: Error) => this.down(error));
    this.redis.on('ready', () => this.up());
  }

  async take(id: string, { rps, burst }: Bucket): Promise<Take | null> {
    if (!this.reachable && (this.redis.status !== 'ready' || Date.now() < this.pausedUntil)) return null;
    try {
      const [allowed, remaining, waitMs, fullMs] = await this.redis.uprofTake(`${this.prefix}ratelimit:${id}`, rps, burst);
      this.up();
      return { allowed: allowed === 1, remaining, waitMs, fullMs };
    } catch (error) {
      this.down(error as Error);
      return null;
    }
  }

  private down(error: Error): void {
    this.pausedUntil = Date.now() + PAUSE_AFTER_FAILURE_MS;
    if (!this.reachable) return;
    this.reachable = false;
    this.log?.warn({ err: { message: error.message } }, 'rate limits are OFF: Redis (REDIS_URL) does not answer; serving every request without limits until it does');
  }

  private up(): void {
    if (this.reachable) return;
    this.reachable = true;
    this.log?.info({}, 'rate limits are back ON: Redis (REDIS_URL) answers again');
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}

/** RFC 3339, to the second (rounded up: the bucket is full by then); the last one made is reused within its second. */
let lastReset = { second: 0, text: '' };
function resetTime(ms: number): string {
  const second = Math.ceil(ms / 1000);
  if (second !== lastReset.second) lastReset = { second, text: new Date(second * 1000).toISOString().replace('.000Z', 'Z') };
  return lastReset.text;
}

export class RateLimiter {
  constructor(
    private readonly policy: Config['rateLimit'],
    readonly buckets: BucketStore,
    private readonly now: () => number = Date.now,
  ) {}

  /** A key's bucket: its own rate when it has one (0: none), else RATE_LIMIT_RPS; null when it is not limited. */
  bucketFor(key: Pick<ResolvedKey, 'rateLimitRps'>): Bucket | null {
    const rps = key.rateLimitRps ?? this.policy.rps;
    if (rps === null || rps <= 0) return null;
    return { rps, burst: this.policy.burst ?? Math.max(1, Math.ceil(rps)) };
  }

  /**
   * Spends one of the key's requests, once the key is known (every API that takes keys calls this from its
   * admission). Nothing to wait for when the key is not limited (undefined); otherwise resolves, or rejects with
   * the 429, when the bucket has answered.
   */
  admit(request: { rateLimit: RateState | null }, key: ResolvedKey): Promise<void> | void {
    const bucket = this.bucketFor(key);
    if (bucket === null) return;
    const taken = this.buckets.take(key.id, bucket);
    if (taken instanceof Promise) return taken.then((take) => this.settle(request, bucket, take));
    this.settle(request, bucket, taken);
  }

  private settle(request: { rateLimit: RateState | null }, bucket: Bucket, take: Take | null): void {
    if (take === null) return; // Redis is unreachable: unlimited (logged once by RedisBuckets)
    request.rateLimit = { limit: bucket.burst, remaining: take.remaining, resetAt: this.now() + take.fullMs };
    if (take.allowed) return;
    throttled.inc({ reason: 'rate_limit' });
    const seconds = Math.max(1, Math.ceil(take.waitMs / 1000));
    throw new ApiError(
      429,
      'rate_limit_error',
      `Rate limit exceeded: this API key may make ${bucket.rps} requests per second (${bucket.burst} at once); retry in ${take.waitMs} ms.`,
      undefined,
      { 'retry-after': String(seconds), 'retry-after-ms': String(take.waitMs) },
    );
  }
}

/** The rate-limit headers on every answer to a limited key; the buckets close with the app. */
export function registerRateLimits(app: FastifyInstance, limiter: RateLimiter): void {
  app.decorateRequest('rateLimit', null);
  if (limiter.buckets instanceof RedisBuckets) limiter.buckets.log = app.log;
  app.addHook('onSend', (request, reply, payload, done) => {
    const state = request.rateLimit;
    if (state !== null) {
      reply.header('anthropic-ratelimit-requests-limit', String(state.limit));
      reply.header('anthropic-ratelimit-requests-remaining', String(state.remaining));
      reply.header('anthropic-ratelimit-requests-reset', resetTime(state.resetAt));
    }
    done(null, payload);
  });
  app.addHook('onClose', async () => limiter.buckets.close());
}

/** The bucket store the configuration asks for. */
export function bucketStore(config: Config, now: () => number): BucketStore {
  return config.redisUrl ? new RedisBuckets(config.redisUrl, config.redisKeyPrefix) : new LocalBuckets(now);
}
