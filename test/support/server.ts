import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import Anthropic from '@anthropic-ai/sdk';
import Anthropic0107 from 'sdk0107';
import { loadConfig } from '../../src/config.ts';
import { mintKey, type MintedKey } from '../../src/keys.ts';
import { buildApp } from '../../src/server.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import type { KeyRole } from '../../src/store/tenancy.ts';
import type { Engine } from './engines.ts';
import { sealEvidence, type IdentityEvidence } from '../../src/domain/identity.ts';
import { loadMasterKey, SecretBox } from '../../src/webhooks/secrets.ts';
import { ResponseGuard } from './contract-guard.ts';

/** A clock the test moves by hand; it starts at the real time. */
export class TestClock {
  private offset = 0;
  now = () => Date.now() + this.offset;
  advance(ms: number) {
    this.offset += ms;
  }
}

/** A real uprof server listening on a loopback port, in this process, on a fresh database. */
export interface TestServer {
  engine: Engine['name'];
  baseURL: string;
  /** the database it serves (for CLI commands run beside it) */
  databaseUrl: string;
  store: Store;
  app: FastifyInstance;
  clock: TestClock;
  /** the server's master-key box (what seals webhook secrets and identity-check evidence) */
  secrets: SecretBox;
  /** identity-check evidence sealed as the portal seals it */
  sealedEvidence(evidence?: Partial<IdentityEvidence>): string;
  /** a key for a new, isolated organization (unless `organization` names one) */
  newKey(options?: { organization?: string; workspace?: string; role?: KeyRole; name?: string; rateLimitRps?: number | null }): Promise<MintedKey>;
  close(): Promise<void>;
}

let organizations = 0;

/** One guard for the test process: its validators are compiled once and serve every server. */
const guard = new ResponseGuard();

export async function startServer(engine: Engine, env: Record<string, string> = {}): Promise<TestServer> {
  const database = await engine.createDatabase();
  const config = loadConfig({
    DATABASE_URL: database.url,
    PORT: '0',
    LOG_LEVEL: 'silent',
    KEY_CACHE_TTL_MS: '0',
    UPROF_MASTER_KEY: randomBytes(32).toString('base64'),
    WEBHOOK_POLL_MS: '50',
    // suites send hundreds of wrong keys on purpose, all from 127.0.0.1; the throttle has its own tests
    AUTH_FAILURE_LIMIT: '1000000',
    ...env,
  });
  const store = await openStore({
    databaseUrl: config.databaseUrl,
    sqliteSynchronous: 'NORMAL',
    serve: { profileCacheSize: config.profileCacheSize },
  });
  const clock = new TestClock();
  const secrets = new SecretBox(loadMasterKey(config.masterKey, config.masterKeyFile));
  const app = await buildApp(config, store, { now: clock.now });
  // every JSON answer this server sends is checked against its route's contract (contract-guard.ts)
  const broken: string[] = [];
  guard.install(app, broken);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const baseURL = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  // links must point at this very server
  config.publicUrl = baseURL;
  return {
    engine: engine.name,
    baseURL,
    databaseUrl: database.url,
    store,
    app,
    clock,
    secrets,
    sealedEvidence: (evidence = {}) =>
      sealEvidence(secrets, {
        legalName: 'Ann Example', dateOfBirth: '1990-04-23', country: 'DE', documentType: 'passport', documentNumber: 'C01X00T47', ...evidence,
      }),
    newKey: (options = {}) =>
      mintKey(store, {
        organization: options.organization ?? `org-${process.pid}-${++organizations}-${Date.now()}`,
        createOrganization: true,
        workspace: options.workspace,
        role: options.role ?? 'platform',
        name: options.name,
        rateLimitRps: options.rateLimitRps,
      }),
    async close() {
      await app.close();
      await store.close();
      await database.drop();
      if (broken.length > 0) throw new Error(`Answers that broke their route's contract:\n${broken.join('\n')}`);
    },
  };
}

/** The current official SDK (speaks GA and the beta surface with `user-profiles-2026-08-18` by default). */
export function currentSdk(server: TestServer, apiKey: string, options: { workspaceId?: string } = {}) {
  return new Anthropic({
    apiKey,
    baseURL: server.baseURL,
    maxRetries: 0,
    ...(options.workspaceId ? { defaultHeaders: { 'anthropic-workspace-id': options.workspaceId } } : {}),
  });
}

/** SDK 0.107.0: `user-profiles-2026-03-24`, `x-api-key`, `anthropic-version: 2023-06-01`, `?beta=true`. */
export function oldSdk(server: TestServer, apiKey: string) {
  return new Anthropic0107({ apiKey, baseURL: server.baseURL, maxRetries: 0 });
}

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  /** the parsed body, or undefined when it is not JSON */
  json: any;
}

/**
 * A plain HTTP call, for headers and envelopes. `key` is sent as x-api-key; `anthropic-version` defaults to
 * 2023-06-01 unless `headers` sets it (pass `null` to omit a header).
 */
export async function call(
  server: TestServer,
  method: string,
  path: string,
  options: { key?: string; headers?: Record<string, string | null>; body?: unknown; rawBody?: string } = {},
): Promise<RawResponse> {
  const headers: Record<string, string> = { 'anthropic-version': '2023-06-01' };
  if (options.key) headers['x-api-key'] = options.key;
  if (options.body !== undefined || options.rawBody !== undefined) headers['content-type'] = 'application/json';
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    if (value === null) delete headers[name];
    else headers[name] = value;
  }
  const response = await fetch(server.baseURL + path, {
    method,
    headers,
    body: options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}
