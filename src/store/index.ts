import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import { migrate } from './migrations.js';
import { ProfileRepository } from './profiles.js';
import { openPostgres, SqliteSql, type Sql } from './sql.js';
import { TenancyRepository } from './tenancy.js';
import { UrlTokenRepository } from './url-tokens.js';
import { WebhookRepository } from './webhooks.js';

export interface Store {
  readonly sql: Sql;
  readonly profiles: ProfileRepository;
  readonly tenancy: TenancyRepository;
  readonly urlTokens: UrlTokenRepository;
  readonly webhooks: WebhookRepository;
  /** the secret every process on this database signs cursors and link tokens with */
  serverSecret(): Promise<Buffer>;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** `sqlite:PATH` (or `sqlite::memory:`) or `postgres://…` */
  databaseUrl: string;
  sqliteSynchronous?: 'FULL' | 'NORMAL';
  postgresPoolSize?: number;
}

export function openSql(options: StoreOptions): Sql {
  const url = options.databaseUrl;
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    return openPostgres(url, { poolSize: options.postgresPoolSize ?? 10 });
  }
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length);
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    return SqliteSql.open(path, { synchronous: options.sqliteSynchronous ?? 'NORMAL' });
  }
  throw new Error(`DATABASE_URL must start with sqlite: or postgres:// (got ${JSON.stringify(url)})`);
}

/** Opens the database and brings its schema up to date. */
export async function openStore(options: StoreOptions): Promise<Store> {
  const sql = openSql(options);
  await migrate(sql);
  let secret: Promise<Buffer> | null = null;
  return {
    sql,
    profiles: new ProfileRepository(sql),
    tenancy: new TenancyRepository(sql),
    urlTokens: new UrlTokenRepository(sql),
    webhooks: new WebhookRepository(sql),
    serverSecret: () => (secret ??= loadServerSecret(sql)),
    close: () => sql.close(),
  };
}

async function loadServerSecret(sql: Sql): Promise<Buffer> {
  await sql.run("INSERT INTO settings (key, value) VALUES ('server_secret', ?) ON CONFLICT (key) DO NOTHING", [
    randomBytes(32).toString('base64'),
  ]);
  const row = await sql.get<{ value: string }>("SELECT value FROM settings WHERE key = 'server_secret'");
  return Buffer.from(row!.value, 'base64');
}
