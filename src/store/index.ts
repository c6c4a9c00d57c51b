import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ConsoleSessionRepository } from './console-sessions.js';
import { IdempotencyRepository } from './idempotency.js';
import { IdentityCheckRepository } from './identity-checks.js';
import { EmulatorRepository } from './emulator.js';
import { FixtureRepository } from './fixtures.js';
import { GatewaySettingsRepository } from './gateway-settings.js';
import { MessageBatchRepository } from './message-batches.js';
import { UsageRepository } from './usage.js';
import { migrate } from './migrations.js';
import { ProfileCache } from './profile-cache.js';
import { ProfileRepository } from './profiles.js';
import { ServerLock } from './server-lock.js';
import { Subscriptions } from './subscriptions.js';
import { openPostgres, SqliteSql, type Sql } from './sql.js';
import { TenancyRepository } from './tenancy.js';
import { timed } from './timed.js';
import { UrlTokenRepository } from './url-tokens.js';
import { WebhookRepository } from './webhooks.js';

export interface Store {
  readonly sql: Sql;
  readonly profiles: ProfileRepository;
  readonly tenancy: TenancyRepository;
  readonly urlTokens: UrlTokenRepository;
  readonly webhooks: WebhookRepository;
  readonly consoleSessions: ConsoleSessionRepository;
  readonly identityChecks: IdentityCheckRepository;
  readonly idempotency: IdempotencyRepository;
  readonly fixtures: FixtureRepository;
  readonly emulator: EmulatorRepository;
  /** the inference gateway's: settings and budgets, metered usage, Message Batches */
  readonly gatewaySettings: GatewaySettingsRepository;
  readonly usage: UsageRepository;
  readonly messageBatches: MessageBatchRepository;
  /** the secret every process on this database signs cursors and link tokens with */
  serverSecret(): Promise<Buffer>;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** `sqlite:PATH` (or `sqlite::memory:`) or `postgres://…` */
  databaseUrl: string;
  sqliteSynchronous?: 'FULL' | 'NORMAL';
  postgresPoolSize?: number;
  /**
   * Open it to serve: on SQLite, take the file's server lock (one server per file) and, holding it, keep
   * up to `profileCacheSize` profiles in memory. Other users of the database (the CLI) leave this unset.
   */
  serve?: { profileCacheSize: number };
}

export function openSql(options: StoreOptions): Sql {
  const url = options.databaseUrl;
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    return openPostgres(url, { poolSize: options.postgresPoolSize ?? 10 });
  }
  const path = sqlitePath(url);
  if (path !== null) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    // a server checkpoints the WAL on a thread of its own (wal-checkpoints.ts); short-lived CLI connections leave it to SQLite
    return SqliteSql.open(path, { synchronous: options.sqliteSynchronous ?? 'NORMAL', backgroundCheckpoints: options.serve !== undefined });
  }
  throw new Error(`DATABASE_URL must start with sqlite: or postgres:// (got ${JSON.stringify(url)})`);
}

function sqlitePath(url: string): string | null {
  return url.startsWith('sqlite:') ? url.slice('sqlite:'.length) : null;
}

/** Opens the database and brings its schema up to date. */
export async function openStore(options: StoreOptions): Promise<Store> {
  const path = sqlitePath(options.databaseUrl);
  const sql = timed(openSql(options));
  let lock: ServerLock | null = null;
  try {
    if (options.serve && path !== null && path !== ':memory:') lock = ServerLock.acquire(path);
    await migrate(sql);
  } catch (error) {
    lock?.release();
    await sql.close();
    throw error;
  }
  // only a process that is its database's one writer (a SQLite server) may trust its memory of it
  const serving = path !== null ? options.serve : undefined;
  const cache = serving ? new ProfileCache(serving.profileCacheSize) : null;
  const subscriptions = serving ? new Subscriptions(sql) : null;
  let secret: Promise<Buffer> | null = null;
  return {
    sql,
    profiles: new ProfileRepository(sql, cache, subscriptions),
    tenancy: new TenancyRepository(sql),
    urlTokens: new UrlTokenRepository(sql),
    webhooks: new WebhookRepository(sql, subscriptions),
    consoleSessions: new ConsoleSessionRepository(sql),
    identityChecks: new IdentityCheckRepository(sql),
    idempotency: new IdempotencyRepository(sql),
    fixtures: new FixtureRepository(sql, cache, subscriptions),
    emulator: new EmulatorRepository(sql, cache, subscriptions),
    gatewaySettings: new GatewaySettingsRepository(sql),
    usage: new UsageRepository(sql),
    messageBatches: new MessageBatchRepository(sql),
    serverSecret: () => (secret ??= loadServerSecret(sql)),
    close: async () => {
      try {
        await sql.close();
      } finally {
        lock?.release();
      }
    },
  };
}

async function loadServerSecret(sql: Sql): Promise<Buffer> {
  await sql.run("INSERT INTO settings (key, value) VALUES ('server_secret', ?) ON CONFLICT (key) DO NOTHING", [
    randomBytes(32).toString('base64'),
  ]);
  const row = await sql.get<{ value: string }>("SELECT value FROM settings WHERE key = 'server_secret'");
  return Buffer.from(row!.value, 'base64');
}
