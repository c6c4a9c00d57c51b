import { readFileSync } from 'node:fs';
import { isLoopbackHost } from './webhooks/targets.js';

/** Environment → typed, validated configuration. The only place that reads process.env. */
export interface Config {
  host: string;
  port: number;
  databaseUrl: string;
  /** true when DATABASE_URL was not set (the CLI then looks for the default file from the working directory up) */
  databaseUrlIsDefault: boolean;
  /** base of the hosted URLs the API hands out (action and enrollment links) */
  publicUrl: string;
  logLevel: string;
  /** `json` (one JSON object a line) or `pretty` (short lines for people) */
  logFormat: 'json' | 'pretty';
  /** bearer token that opens GET /metrics; null: open on a loopback listener, off otherwise */
  metricsToken: string | null;
  /** on SIGTERM/SIGINT, how long in-flight requests (and webhook attempts) may take before connections are closed */
  shutdownTimeoutMs: number;
  sqliteSynchronous: 'FULL' | 'NORMAL';
  postgresPoolSize: number;
  /** how many profiles a SQLite server keeps in memory (0: none); PostgreSQL servers keep none */
  profileCacheSize: number;
  /** how long a process may keep trusting a key it has checked; bounds how long a revoked key keeps working */
  keyCacheTtlMs: number;
  /** the HTTP edge: how long a client may take, and how many connections may be open at once */
  http: {
    /** the request line and headers must arrive within this time */
    headersTimeoutMs: number;
    /** the whole request, body included, must arrive within this time */
    requestTimeoutMs: number;
    /** an idle keep-alive connection is closed after this time */
    keepAliveTimeoutMs: number;
    /** open connections at most; at the cap the longest-waiting idle or half-sent one is reclaimed */
    maxConnections: number;
  };
  /** failed authentication attempts (unknown keys, console sign-ins) each client address may make */
  authFailures: {
    /** at once; 0 turns the throttle off */
    limit: number;
    /** the budget refills at `limit` per this many ms */
    windowMs: number;
    /** addresses remembered at most */
    maxAddresses: number;
  };
  /** requests per key (API and operator keys): a token bucket; `rps` null: no limit unless a key sets its own */
  rateLimit: {
    /** tokens added per second (RATE_LIMIT_RPS); null: keys without a limit of their own are not limited */
    rps: number | null;
    /** the bucket's size: requests a key may make at once (RATE_LIMIT_BURST); null: its rate rounded up, at least 1 */
    burst: number | null;
  };
  /** REDIS_URL: where the rate-limit buckets of every process live; null: each process keeps its own */
  redisUrl: string | null;
  /** what every Redis key uprof writes starts with (several deployments, or test runs, may share one Redis) */
  redisKeyPrefix: string;
  idempotency: {
    /** how long a claimed Idempotency-Key stays "in progress" before a retry may run the request again */
    leaseMs: number;
  };
  /** base64 of 32 bytes that encrypts webhook signing secrets; null → `masterKeyFile` */
  masterKey: string | null;
  masterKeyFile: string;
  /** true when UPROF_MASTER_KEY_FILE was not set (the key file then sits in the default database's data folder) */
  masterKeyFileIsDefault: boolean;
  /** UPROF_EMULATOR=1: the emulator controls (reset, test clock, forced faults; decisions §38) */
  emulator: boolean;
  /** fixtures (names or files) a server loads before it serves (UPROF_FIXTURES, comma-separated) */
  fixtures: string[];
  webhooks: {
    /** delays before each retry, ms */
    retrySchedule: number[];
    timeoutMs: number;
    disableAfter: number;
    pollMs: number;
    /** may endpoints point at loopback, private, link-local … addresses (see src/webhooks/targets.ts) */
    allowPrivateTargets: boolean;
  };
  /** the inference gateway (`/v1/messages` and friends: src/gateway/) */
  gateway: GatewayConfig;
}

export interface GatewayConfig {
  /** an Anthropic-compatible base URL to forward to; null: the built-in stub model answers */
  upstreamUrl: string | null;
  /** sent upstream as `x-api-key` instead of the caller's uprof key; null: none */
  upstreamApiKey: string | null;
  /** the upstream must start its answer (status and headers) within this time */
  upstreamTimeoutMs: number;
  /** metered usage is written to the database at least this often (a crash loses at most this much) */
  usageFlushMs: number;
}

export const DEFAULT_DATABASE_URL = 'sqlite:./data/uprof.db';
export const DEFAULT_MASTER_KEY_FILE = './data/master.key';
/** decisions §27: retries after 5 s, 30 s, 2 min, 10 min, 1 h, 6 h */
export const DEFAULT_RETRY_SCHEDULE = '5,30,120,600,3600,21600';

function durations(env: NodeJS.ProcessEnv, name: string, fallback: string): number[] {
  const raw = env[name] || fallback;
  const seconds = raw.split(',').map((part) => Number(part.trim()));
  if (seconds.length === 0 || seconds.some((s) => !Number.isFinite(s) || s < 0)) {
    throw new Error(`${name} must be a comma-separated list of seconds (got ${JSON.stringify(raw)})`);
  }
  return seconds.map((s) => Math.round(s * 1000));
}

function httpLimits(env: NodeJS.ProcessEnv): Config['http'] {
  const requestTimeoutMs = integer(env, 'HTTP_REQUEST_TIMEOUT_MS', 30_000, 100, 3_600_000);
  const headersTimeoutMs = integer(env, 'HTTP_HEADERS_TIMEOUT_MS', Math.min(10_000, requestTimeoutMs), 100, 3_600_000);
  if (headersTimeoutMs > requestTimeoutMs) {
    throw new Error(`HTTP_HEADERS_TIMEOUT_MS (${headersTimeoutMs}) must not exceed HTTP_REQUEST_TIMEOUT_MS (${requestTimeoutMs})`);
  }
  return {
    headersTimeoutMs,
    requestTimeoutMs,
    keepAliveTimeoutMs: integer(env, 'HTTP_KEEP_ALIVE_TIMEOUT_MS', 72_000, 100, 3_600_000),
    maxConnections: integer(env, 'HTTP_MAX_CONNECTIONS', defaultMaxConnections(), 1, 1_000_000),
  };
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer from ${min} to ${max} (got ${JSON.stringify(raw)})`);
  }
  return value;
}

/** The process's soft limit on open files (`ulimit -n`), where the system tells it; null elsewhere. */
export function openFileLimit(): number | null {
  try {
    const match = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

/**
 * Connections at most, by default: what the open-file limit leaves after 256 descriptors for the database,
 * logs and files (so a flood of connections can never starve those), at most 10,000.
 */
export function defaultMaxConnections(limit = openFileLimit()): number {
  return Math.max(16, Math.min(10_000, (limit ?? 1024) - 256));
}

/** `true`/`false`; unset: whether the server listens on loopback only (local development) */
function allowPrivateTargets(env: NodeJS.ProcessEnv, host: string): boolean {
  const raw = (env.WEBHOOK_ALLOW_PRIVATE_TARGETS ?? '').trim().toLowerCase();
  if (raw === '') return isLoopbackHost(host);
  if (raw === 'true' || raw === 'false') return raw === 'true';
  throw new Error(`WEBHOOK_ALLOW_PRIVATE_TARGETS must be true or false (got ${JSON.stringify(env.WEBHOOK_ALLOW_PRIVATE_TARGETS)})`);
}

/** A positive number of requests per second, or null when unset. */
function rate(env: NodeJS.ProcessEnv, name: string): number | null {
  const raw = (env[name] ?? '').trim();
  if (raw === '') return null;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || value > 1_000_000) {
    throw new Error(`${name} must be a number of requests per second above 0 (got ${JSON.stringify(env[name])})`);
  }
  return value;
}

function flag(env: NodeJS.ProcessEnv, name: string): boolean {
  const raw = (env[name] ?? '').trim().toLowerCase();
  if (raw === '' || raw === '0' || raw === 'false') return false;
  if (raw === '1' || raw === 'true') return true;
  throw new Error(`${name} must be 1 or 0 (got ${JSON.stringify(env[name])})`);
}

function gatewayConfig(env: NodeJS.ProcessEnv): GatewayConfig {
  const upstreamUrl = env.UPSTREAM_URL ? env.UPSTREAM_URL.replace(/\/+$/, '') : null;
  if (upstreamUrl !== null) {
    let protocol = '';
    try {
      protocol = new URL(upstreamUrl).protocol;
    } catch {
      // reported below
    }
    if (protocol !== 'http:' && protocol !== 'https:') {
      throw new Error(`UPSTREAM_URL must be an absolute http:// or https:// URL (got ${JSON.stringify(env.UPSTREAM_URL)})`);
    }
  }
  return {
    upstreamUrl,
    upstreamApiKey: env.UPSTREAM_API_KEY || null,
    upstreamTimeoutMs: integer(env, 'UPSTREAM_TIMEOUT_MS', 600_000, 100, 3_600_000),
    usageFlushMs: integer(env, 'USAGE_FLUSH_MS', 1000, 10, 60_000),
  };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const host = env.HOST || '127.0.0.1';
  const port = integer(env, 'PORT', 8080, 0, 65535);
  const synchronous = (env.SQLITE_SYNCHRONOUS || 'NORMAL').toUpperCase();
  if (synchronous !== 'FULL' && synchronous !== 'NORMAL') throw new Error('SQLITE_SYNCHRONOUS must be FULL or NORMAL');
  const logFormat = (env.LOG_FORMAT || 'json').toLowerCase();
  if (logFormat !== 'json' && logFormat !== 'pretty') throw new Error(`LOG_FORMAT must be json or pretty (got ${JSON.stringify(env.LOG_FORMAT)})`);
  const publicUrl = (env.PUBLIC_URL || `http://${host.includes(':') ? `[${host}]` : host}:${port}`).replace(/\/+$/, '');
  try {
    new URL(publicUrl);
  } catch {
    throw new Error(`PUBLIC_URL must be an absolute URL (got ${JSON.stringify(publicUrl)})`);
  }
  return {
    host,
    port,
    databaseUrl: env.DATABASE_URL || DEFAULT_DATABASE_URL,
    databaseUrlIsDefault: !env.DATABASE_URL,
    publicUrl,
    logLevel: env.LOG_LEVEL || 'info',
    logFormat,
    metricsToken: env.METRICS_TOKEN || null,
    shutdownTimeoutMs: integer(env, 'SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
    sqliteSynchronous: synchronous,
    postgresPoolSize: integer(env, 'PG_POOL_SIZE', 10, 1, 1000),
    profileCacheSize: integer(env, 'PROFILE_CACHE_SIZE', 10_000, 0, 10_000_000),
    keyCacheTtlMs: integer(env, 'KEY_CACHE_TTL_MS', 2000, 0, 600_000),
    http: httpLimits(env),
    authFailures: {
      limit: integer(env, 'AUTH_FAILURE_LIMIT', 30, 0, 1_000_000),
      windowMs: integer(env, 'AUTH_FAILURE_WINDOW_MS', 60_000, 1000, 86_400_000),
      maxAddresses: integer(env, 'AUTH_FAILURE_ADDRESSES', 10_000, 1, 10_000_000),
    },
    rateLimit: {
      rps: rate(env, 'RATE_LIMIT_RPS'),
      burst: env.RATE_LIMIT_BURST ? integer(env, 'RATE_LIMIT_BURST', 1, 1, 1_000_000) : null,
    },
    redisUrl: env.REDIS_URL || null,
    redisKeyPrefix: env.REDIS_KEY_PREFIX ?? 'uprof:',
    idempotency: {
      leaseMs: integer(env, 'IDEMPOTENCY_LEASE_MS', 30_000, 100, 3_600_000),
    },
    masterKey: env.UPROF_MASTER_KEY || null,
    masterKeyFile: env.UPROF_MASTER_KEY_FILE || DEFAULT_MASTER_KEY_FILE,
    masterKeyFileIsDefault: !env.UPROF_MASTER_KEY_FILE,
    emulator: flag(env, 'UPROF_EMULATOR'),
    fixtures: (env.UPROF_FIXTURES ?? '').split(',').map((item) => item.trim()).filter((item) => item !== ''),
    webhooks: {
      retrySchedule: durations(env, 'WEBHOOK_RETRY_SCHEDULE', DEFAULT_RETRY_SCHEDULE),
      timeoutMs: integer(env, 'WEBHOOK_TIMEOUT_MS', 15_000, 1, 600_000),
      disableAfter: integer(env, 'WEBHOOK_DISABLE_AFTER', 20, 1, 1_000_000),
      pollMs: integer(env, 'WEBHOOK_POLL_MS', 500, 10, 600_000),
      allowPrivateTargets: allowPrivateTargets(env, host),
    },
    gateway: gatewayConfig(env),
  };
}
