/** Environment → typed, validated configuration. The only place that reads process.env. */
export interface Config {
  host: string;
  port: number;
  databaseUrl: string;
  /** base of the hosted URLs the API hands out (action and enrollment links) */
  publicUrl: string;
  logLevel: string;
  sqliteSynchronous: 'FULL' | 'NORMAL';
  postgresPoolSize: number;
  /** how many profiles a SQLite server keeps in memory (0: none); PostgreSQL servers keep none */
  profileCacheSize: number;
  /** how long a process may keep trusting a key it has checked; bounds how long a revoked key keeps working */
  keyCacheTtlMs: number;
  /** base64 of 32 bytes that encrypts webhook signing secrets; null → `masterKeyFile` */
  masterKey: string | null;
  masterKeyFile: string;
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
  };
}

export const DEFAULT_DATABASE_URL = 'sqlite:./data/uprof.db';
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

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer from ${min} to ${max} (got ${JSON.stringify(raw)})`);
  }
  return value;
}

function flag(env: NodeJS.ProcessEnv, name: string): boolean {
  const raw = (env[name] ?? '').trim().toLowerCase();
  if (raw === '' || raw === '0' || raw === 'false') return false;
  if (raw === '1' || raw === 'true') return true;
  throw new Error(`${name} must be 1 or 0 (got ${JSON.stringify(env[name])})`);
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const host = env.HOST || '127.0.0.1';
  const port = integer(env, 'PORT', 8080, 0, 65535);
  const synchronous = (env.SQLITE_SYNCHRONOUS || 'NORMAL').toUpperCase();
  if (synchronous !== 'FULL' && synchronous !== 'NORMAL') throw new Error('SQLITE_SYNCHRONOUS must be FULL or NORMAL');
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
    publicUrl,
    logLevel: env.LOG_LEVEL || 'info',
    sqliteSynchronous: synchronous,
    postgresPoolSize: integer(env, 'PG_POOL_SIZE', 10, 1, 1000),
    profileCacheSize: integer(env, 'PROFILE_CACHE_SIZE', 10_000, 0, 10_000_000),
    keyCacheTtlMs: integer(env, 'KEY_CACHE_TTL_MS', 2000, 0, 600_000),
    masterKey: env.UPROF_MASTER_KEY || null,
    masterKeyFile: env.UPROF_MASTER_KEY_FILE || './data/master.key',
    emulator: flag(env, 'UPROF_EMULATOR'),
    fixtures: (env.UPROF_FIXTURES ?? '').split(',').map((item) => item.trim()).filter((item) => item !== ''),
    webhooks: {
      retrySchedule: durations(env, 'WEBHOOK_RETRY_SCHEDULE', DEFAULT_RETRY_SCHEDULE),
      timeoutMs: integer(env, 'WEBHOOK_TIMEOUT_MS', 15_000, 1, 600_000),
      disableAfter: integer(env, 'WEBHOOK_DISABLE_AFTER', 20, 1, 1_000_000),
      pollMs: integer(env, 'WEBHOOK_POLL_MS', 500, 10, 600_000),
    },
  };
}
