import { createHash } from 'node:crypto';
import { newId, randomBase62 } from './ids.js';
import { keyCache } from './metrics.js';
import { organizationNamed } from './organizations.js';
import type { Store } from './store/index.js';
import type { ApiKeyRecord, KeyRole, ResolvedKey } from './store/tenancy.js';

const SECRET_PREFIX: Record<KeyRole, string> = {
  platform: 'sk-uprof-api01-',
  admin: 'sk-uprof-admin01-',
  operator: 'sk-uprof-op01-',
};

/** Keys carry ~285 random bits, so a plain SHA-256 is a sound one-way store (no slow hash needed). */
export const hashSecret = (secret: string) => createHash('sha256').update(secret).digest('hex');

export interface MintedKey {
  api_key: string;
  key_id: string;
  organization_id: string;
  workspace_id: string;
  role: KeyRole;
  /** true when the key may act for any workspace of its organization */
  organization_wide: boolean;
}

/**
 * Mints a key for the organization with exactly that name, creating the named workspace when missing. An
 * unknown organization is an error naming its near misses (see organizationNamed) unless
 * `createOrganization` says to create it (with its default workspace). The secret is returned once and
 * stored only as its hash.
 */
export async function mintKey(
  store: Store,
  options: {
    organization: string; createOrganization: boolean; workspace?: string; role: KeyRole; name?: string | null;
    /** the key's own rate limit in requests per second (0: none); unset follows RATE_LIMIT_RPS */
    rateLimitRps?: number | null;
  },
  now = Date.now(),
): Promise<MintedKey> {
  const { organization } = await organizationNamed(store, options.organization, { create: options.createOrganization, now });
  const workspace = options.workspace
    ? await store.tenancy.ensureWorkspace(organization.id, options.workspace, now)
    : await store.tenancy.defaultWorkspace(organization.id);
  const secret = SECRET_PREFIX[options.role] + randomBase62(48);
  const record: ApiKeyRecord = {
    id: newId('apikey', now),
    organizationId: organization.id,
    workspaceId: options.workspace ? workspace.id : null,
    role: options.role,
    hint: secret.slice(-4),
    name: options.name ?? null,
    createdAt: now,
    revokedAt: null,
    rateLimitRps: options.rateLimitRps ?? null,
  };
  await store.tenancy.insertKey(record, hashSecret(secret));
  return {
    api_key: secret,
    key_id: record.id,
    organization_id: organization.id,
    workspace_id: workspace.id,
    role: options.role,
    organization_wide: record.workspaceId === null,
  };
}

const MAX_REMEMBERED_SECRET = 128;

/**
 * Resolves presented secrets to key records, remembering answers for `ttlMs` so the hot path skips the
 * database (and the hash). Across processes that is the bound on staleness: a key revoked anywhere stops
 * working everywhere within `ttlMs`. The memory is keyed by the secret as presented, which this process
 * holds anyway while it serves the request; it never reaches the database or a log.
 */
export class KeyResolver {
  private readonly cache = new Map<string, { key: ResolvedKey | null; until: number }>();

  constructor(private readonly store: Store, private readonly ttlMs: number) {}

  async resolve(secret: string, now = Date.now()): Promise<ResolvedKey | null> {
    const cached = this.cache.get(secret);
    if (cached && cached.until > now) {
      keyCache.hits++;
      return cached.key;
    }
    keyCache.misses++;
    const key = await this.store.tenancy.keyBySecretHash(hashSecret(secret));
    // our secrets are ~65 characters; a longer one is never a key, and must not make the memory grow
    if (this.ttlMs > 0 && secret.length <= MAX_REMEMBERED_SECRET) {
      if (this.cache.size >= 10_000) this.cache.clear(); // bounded: unknown keys must not grow it forever
      this.cache.set(secret, { key, until: now + this.ttlMs });
    }
    return key;
  }
}
