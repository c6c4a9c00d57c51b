import type { Actor } from '../domain/history.js';
import type { Profile } from '../domain/profile.js';
import { FixtureError, readFixture, type Fixture, type FixtureOrganization } from '../fixtures/read.js';
import { newId } from '../ids.js';
import { hashSecret } from '../keys.js';
import { newSigningSecret, type SecretBox } from '../webhooks/secrets.js';
import type { ProfileCache } from './profile-cache.js';
import { putProfileStatements, storedProfile } from './profiles.js';
import type { Sql } from './sql.js';
import type { Subscriptions } from './subscriptions.js';
import { subscriptionStatements } from './webhooks.js';
import { ENDPOINT_COLUMNS, endpointInsertStatement, endpointUpdateStatement, toEndpoint, type EndpointRow } from './endpoint-table.js';
import { DEFAULT_WORKSPACE_NAME, TenancyRepository } from './tenancy.js';

/** Fixture writes are recorded in a profile's history as the server's, naming the fixture. */
const fixtureActor = (name: string): Actor => ({ type: 'system', id: `fixture:${name}` });

/** Webhook endpoints an organization may hold (contract-2 §2.4); a fixture may not pass it either. */
const ENDPOINT_CAP = 32;
const FIXTURE_LOCK = 7_411_029_115; // names the lock fixture loads take (see Sql.lockNamed); not the webhook leases' 7_411_029_114

export interface Tally {
  created: number;
  updated: number;
  unchanged: number;
}

export interface OrganizationReport {
  organization_id: string;
  name: string;
  created: boolean;
  workspaces: Tally;
  keys: Tally;
  profiles: Tally;
  webhooks: Tally;
}

const tally = (): Tally => ({ created: 0, updated: 0, unchanged: 0 });

/**
 * Loads fixtures: each item the fixture names is brought to the state it states — created when missing,
 * overwritten when different, left alone when equal — so loading twice changes nothing. Items it does not
 * name are left as they are. All in one transaction: a fixture that conflicts with what the database holds
 * (a key secret or a profile id of another organization, say) is refused whole, naming the item.
 */
export class FixtureRepository {
  /** `cache` and `subscriptions` only where this process is the database's one writer (see ProfileCache) */
  constructor(
    private readonly sql: Sql,
    private readonly cache: ProfileCache | null = null,
    private readonly subscriptions: Subscriptions | null = null,
  ) {}

  async load(fixture: Fixture, secrets: SecretBox, now: number): Promise<OrganizationReport[]> {
    const reports = await this.afterWrite(fixture, this.sql.transaction((tx) => this.apply(tx, fixture, secrets, now)));
    for (const report of reports) this.subscriptions?.changed(report.organization_id);
    return reports;
  }

  /**
   * Applies a fixture inside the caller's transaction (`load`, and an emulator reset restoring what an
   * organization was loaded from). The caller keeps this process's memory in step.
   */
  async apply(tx: Sql, fixture: Fixture, secrets: SecretBox, now: number): Promise<OrganizationReport[]> {
    // concurrent loads (several processes starting with UPROF_FIXTURES) take turns
    await tx.lockNamed(FIXTURE_LOCK);
    const reports: OrganizationReport[] = [];
    for (const [i, organization] of fixture.organizations.entries()) {
      const where = `organizations[${i}] ${JSON.stringify(organization.name)}`;
      reports.push(await applyOrganization(tx, fixture.name, organization, secrets, now, where));
    }
    return reports;
  }

  /** The fixture an organization was last loaded from (its part only), read as of `now`, or null. */
  async sourceOf(organizationId: string, now: number): Promise<Fixture | null> {
    const row = await this.sql.get<{ name: string; fixture: string }>(
      'SELECT name, fixture FROM fixture_sources WHERE organization_id = ?', [organizationId]);
    return row ? readFixture(row.name, { organizations: [JSON.parse(row.fixture)] }, now) : null;
  }

  /** Once a write has ended, however it ended, this process's memory of the profiles it names is dropped. */
  afterWrite<T>(fixture: Fixture, write: Promise<T>): Promise<T> {
    return write.finally(() => {
      for (const organization of fixture.organizations) {
        for (const profile of organization.profiles) this.cache?.forget(profile.state.id);
      }
    });
  }
}

/** Applies one organization of a fixture inside the caller's transaction. */
async function applyOrganization(
  tx: Sql,
  fixtureName: string,
  fixture: FixtureOrganization,
  secrets: SecretBox,
  now: number,
  where: string,
): Promise<OrganizationReport> {
  const refuse = (item: string, why: string): never => {
    throw new FixtureError(`${where} › ${item}: ${why}`);
  };
  const organizations = await tx.all<{ id: string; name: string }>('SELECT id, name FROM organizations');
  const others = (id: string) => organizations.filter((o) => o.id !== id).map((o) => o.id);

  // the organization and its default workspace
  const defaultWorkspace = fixture.workspaces.find((w) => w.name === DEFAULT_WORKSPACE_NAME) ?? null;
  let organization = organizations.find((o) => o.name === fixture.name) ?? null;
  const created = organization === null;
  if (organization === null) {
    const id = fixture.id ?? newId('org', now);
    if (organizations.some((o) => o.id === id)) refuse('id', `${id} is the id of another organization.`);
    await tx.run('INSERT INTO organizations (id, name, created_at) VALUES (?, ?, ?)', [id, fixture.name, now]);
    await tx.run('INSERT INTO workspaces (organization_id, id, name, is_default, created_at) VALUES (?, ?, ?, 1, ?)',
      [id, defaultWorkspace?.id ?? newId('wrkspc', now), DEFAULT_WORKSPACE_NAME, now]);
    organization = { id, name: fixture.name };
    organizations.push(organization);
  } else if (fixture.id !== null && fixture.id !== organization.id) {
    refuse('id', `the organization ${JSON.stringify(fixture.name)} exists with the id ${organization.id}, not ${fixture.id}.`);
  }
  const organizationId = organization.id;
  const report: OrganizationReport = {
    organization_id: organizationId, name: fixture.name, created, workspaces: tally(), keys: tally(), profiles: tally(), webhooks: tally(),
  };

  // workspaces, by name
  const workspaceIds = new Map<string, string>();
  for (const [i, workspace] of fixture.workspaces.entries()) {
    const row = await tx.get<{ id: string; is_default: number }>(
      'SELECT id, is_default FROM workspaces WHERE organization_id = ? AND name = ?', [organizationId, workspace.name]);
    if (row) {
      if (workspace.id !== null && workspace.id !== row.id) {
        refuse(`workspaces[${i}]`, `the workspace ${JSON.stringify(workspace.name)} exists with the id ${row.id}, not ${workspace.id}.`);
      }
      report.workspaces[created && row.is_default === 1 ? 'created' : 'unchanged']++;
      workspaceIds.set(workspace.name, row.id);
      continue;
    }
    const id = workspace.id ?? newId('wrkspc', now);
    if (await tx.get('SELECT 1 AS x FROM workspaces WHERE organization_id = ? AND id = ?', [organizationId, id])) {
      refuse(`workspaces[${i}]`, `${id} is the id of another workspace of this organization.`);
    }
    await tx.run('INSERT INTO workspaces (organization_id, id, name, is_default, created_at) VALUES (?, ?, ?, 0, ?)',
      [organizationId, id, workspace.name, now]);
    report.workspaces.created++;
    workspaceIds.set(workspace.name, id);
  }
  const workspaceId = async (name: string) =>
    workspaceIds.get(name) ??
    (await tx.get<{ id: string }>('SELECT id FROM workspaces WHERE organization_id = ? AND name = ?', [organizationId, name]))!.id;

  // keys, by their secret (stored only as its hash, like minted keys)
  const tenancy = new TenancyRepository(tx);
  for (const [i, key] of fixture.keys.entries()) {
    const hash = hashSecret(key.secret);
    const bound = key.workspace === null ? null : await workspaceId(key.workspace);
    const existing = await tenancy.keyBySecretHash(hash);
    if (existing) {
      if (existing.organizationId !== organizationId) refuse(`keys[${i}]`, 'this secret is already a key of another organization.');
      if (existing.role !== key.role || existing.workspaceId !== bound || (key.id !== null && key.id !== existing.id)) {
        refuse(`keys[${i}]`, `this secret is already the key ${existing.id} (${existing.role}, ${existing.workspaceId ?? 'organization-wide'}); revoke it to give the secret another role or workspace.`);
      }
      if (existing.revokedAt !== null) await tx.run('UPDATE api_keys SET revoked_at = NULL WHERE secret_hash = ?', [hash]);
      report.keys[existing.revokedAt !== null ? 'updated' : 'unchanged']++;
      continue;
    }
    const id = key.id ?? newId('apikey', now);
    if (await tenancy.keyById(id)) refuse(`keys[${i}]`, `${id} is the id of another key.`);
    await tenancy.insertKey(
      { id, organizationId, workspaceId: bound, role: key.role, hint: key.secret.slice(-4), name: null, createdAt: now, revokedAt: null }, hash);
    report.keys.created++;
  }

  // profiles, by id: the id must not be another organization's (ids are global, and ProfileCache keys by id)
  const actor = fixtureActor(fixtureName);
  for (const [i, item] of fixture.profiles.entries()) {
    const id = item.state.id;
    for (const other of others(organizationId)) {
      if (await tx.get('SELECT 1 AS x FROM user_profiles WHERE organization_id = ? AND id = ?', [other, id])) {
        refuse(`profiles[${i}] ${JSON.stringify(id)}`, 'this id is a profile of another organization.');
      }
    }
    const stored = await storedProfile(tx, organizationId, id);
    const kept = stored?.profile ?? null;
    const actions = item.state.actions.map((a) => {
      const earlier = item.openedAtUnset.has(a.id) ? kept?.actions.find((k) => k.id === a.id) : undefined;
      return earlier ? { ...a, openedAt: earlier.openedAt } : a;
    });
    const createdAt = item.createdAt ?? kept?.createdAt ?? now;
    const wanted: Profile = { ...item.state, actions, organizationId, createdAt, updatedAt: item.updatedAt ?? kept?.updatedAt ?? createdAt };
    if (stored && !stored.deleted && sameProfile(stored.profile, wanted)) {
      report.profiles.unchanged++;
      continue;
    }
    // a change the fixture does not date happens now
    if (stored && item.updatedAt === null) wanted.updatedAt = Math.max(now, createdAt);
    await tx.batch(putProfileStatements(stored, wanted, actor, now));
    report.profiles[stored ? 'updated' : 'created']++;
  }

  // webhook endpoints, by id
  for (const [i, endpoint] of fixture.webhooks.entries()) {
    const item = `webhooks[${i}] ${JSON.stringify(endpoint.id)}`;
    for (const other of others(organizationId)) {
      if (await tx.get('SELECT 1 AS x FROM webhook_endpoints WHERE organization_id = ? AND id = ?', [other, endpoint.id])) {
        refuse(item, 'this id is a webhook endpoint of another organization.');
      }
    }
    const row = await tx.get<EndpointRow & { secret_ciphertext: string }>(
      `SELECT ${ENDPOINT_COLUMNS}, secret_ciphertext FROM webhook_endpoints WHERE organization_id = ? AND id = ?`,
      [organizationId, endpoint.id]);
    // what the fixture states; a change clears what the worker recorded (as a new endpoint starts)
    const stated = { url: endpoint.url, name: endpoint.name, description: endpoint.description, enabledEvents: endpoint.enabledEvents, state: endpoint.state };
    if (row) {
      const current = toEndpoint(row);
      const secretSame = endpoint.signingSecret === null || secrets.open(row.secret_ciphertext) === endpoint.signingSecret;
      const same = current.url === stated.url && current.name === stated.name && current.description === stated.description &&
        JSON.stringify(current.enabledEvents) === JSON.stringify(stated.enabledEvents) && current.state === stated.state && secretSame;
      if (same) {
        report.webhooks.unchanged++;
        continue;
      }
      await tx.batch([
        endpointUpdateStatement({ ...current, ...stated, disabledReason: '', failedEvents: 0, updatedAt: now }),
        ...(secretSame ? [] : [{
          sql: 'UPDATE webhook_endpoints SET secret_ciphertext = ? WHERE organization_id = ? AND id = ?',
          params: [secrets.seal(endpoint.signingSecret!), organizationId, endpoint.id],
        }]),
      ]);
      // as a state change through the API does: what was queued is dropped
      if (current.state !== stated.state) {
        await tx.run("UPDATE webhook_deliveries SET state = 'dropped' WHERE organization_id = ? AND endpoint_id = ? AND state = 'pending'",
          [organizationId, endpoint.id]);
      }
      await tx.batch(subscriptionStatements(organizationId, endpoint.id, endpoint));
      report.webhooks.updated++;
      continue;
    }
    const count = await tx.get<{ n: number }>('SELECT COUNT(*) AS n FROM webhook_endpoints WHERE organization_id = ?', [organizationId]);
    if (Number(count?.n ?? 0) >= ENDPOINT_CAP) refuse(item, `this organization would have more than ${ENDPOINT_CAP} webhook endpoints.`);
    await tx.batch([
      endpointInsertStatement(
        { id: endpoint.id, organizationId, ...stated, disabledReason: '', failedEvents: 0, createdAt: now, updatedAt: now },
        secrets.seal(endpoint.signingSecret ?? newSigningSecret())),
      ...subscriptionStatements(organizationId, endpoint.id, endpoint),
    ]);
    report.webhooks.created++;
  }

  // what an emulator reset of this organization restores
  await tx.run(
    `INSERT INTO fixture_sources (organization_id, name, fixture, loaded_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (organization_id) DO UPDATE SET name = excluded.name, fixture = excluded.fixture, loaded_at = excluded.loaded_at
     WHERE fixture_sources.name <> excluded.name OR fixture_sources.fixture <> excluded.fixture`,
    [organizationId, fixtureName, JSON.stringify(fixture.source), now]);
  return report;
}

function sameProfile(a: Profile, b: Profile): boolean {
  const { organizationId: _a, ...left } = a;
  const { organizationId: _b, ...right } = b;
  return JSON.stringify(canonical(left)) === JSON.stringify(canonical(right));
}

/** A value with object keys sorted, so that two equal states serialise the same whatever built them. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.keys(value).sort().map((key) => [key, canonical((value as Record<string, unknown>)[key])]));
}
