import type { Store } from './store/index.js';
import type { Organization } from './store/tenancy.js';

/** Names that differ only in letter case or spacing name the same organization to a person. */
const folded = (name: string) => name.trim().replace(/\s+/g, ' ').toLowerCase();

/** Levenshtein distance (insertions, deletions, substitutions), for names short enough to compare in full. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

/**
 * Existing names a person who typed `name` may have meant: the same but for case or spacing, or within a
 * couple of typos (1 for short names, up to 3 for long ones). Closest first.
 */
export function nearMisses(name: string, existing: readonly string[]): string[] {
  const wanted = folded(name);
  const allowed = Math.max(1, Math.min(3, Math.floor(wanted.length / 4)));
  return existing
    .filter((other) => other !== name)
    .map((other) => ({ other, distance: editDistance(wanted, folded(other)) }))
    .filter(({ distance }) => distance <= allowed)
    .sort((x, y) => x.distance - y.distance || x.other.localeCompare(y.other))
    .map(({ other }) => other);
}

/** No organization has exactly this name (and the caller did not ask to create it, or a near twin exists). */
export class OrganizationNameError extends Error {
  constructor(message: string, readonly nearMisses: string[]) {
    super(message);
    this.name = 'OrganizationNameError';
  }
}

const quoted = (names: string[]) => names.map((n) => JSON.stringify(n)).join(', ');

/**
 * The organization with exactly this name. Without `create`, an unknown name is an error that names the
 * near misses (a typo, another case) and how to create it; with `create`, it is created — unless an
 * organization already has the same name but for case or spacing, which is refused as the slip it nearly
 * always is (`"my platform"` beside `"My platform"`).
 */
export async function organizationNamed(
  store: Store,
  name: string,
  options: { create: boolean; now: number },
): Promise<{ organization: Organization; created: boolean }> {
  if (name.trim() === '') throw new OrganizationNameError('an organization name must not be empty', []);
  const found = await store.tenancy.organizationByName(name);
  if (found) return { organization: found, created: false };
  const names = (await store.tenancy.listOrganizations()).map((o) => o.name);
  const similar = nearMisses(name, names);
  if (options.create) {
    const twins = similar.filter((other) => folded(other) === folded(name));
    if (twins.length > 0) {
      throw new OrganizationNameError(
        `organization ${JSON.stringify(name)} differs only in case or spacing from the existing ${quoted(twins)}: ` +
          'use the existing name, or choose a clearly different one.',
        twins,
      );
    }
    const created = await store.tenancy.createOrganization(name, options.now);
    // a concurrent creation of the same name won the race: that one is the organization
    if (created) return { organization: created, created: true };
    return { organization: (await store.tenancy.organizationByName(name))!, created: false };
  }
  const hint = similar.length > 0 ? ` Did you mean ${quoted(similar)}?` : names.length > 0 ? ' See uprof orgs list.' : ' There are no organizations yet.';
  throw new OrganizationNameError(
    `no organization named ${JSON.stringify(name)}.${hint} To create it, add --create-org (or run uprof orgs create ${JSON.stringify(name)}).`,
    similar,
  );
}
