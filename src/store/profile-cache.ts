import type { Profile } from '../domain/profile.js';

/**
 * Live profiles by id, in the memory of the one process that writes the database (SQLite, where a
 * `ServerLock` makes sure of that; PostgreSQL, shared by several processes, has no cache). A point read
 * served from here skips the database altogether, which is what makes retrieve and list cheap.
 *
 * It never holds anything older than the database:
 * - every write through `ProfileRepository` drops its entry once the write has ended (committed or not);
 *   the next read fills it again. (Writes do not fill it: a stream of creates would only churn memory.)
 * - a read fills an entry only if no write ended while it read (`epoch`): a read that began before a
 *   write may resume after it, and must not put back what the write replaced.
 * Entries are frozen: a profile is a value, and a caller that tried to change a shared one would throw.
 * When `capacity` is reached, entries go oldest first, but one read since it last came round stays for
 * another round (the "second chance" approximation of least-recently-used, with no work on a read).
 */
interface Entry {
  profile: Profile;
  read: boolean;
}

export class ProfileCache {
  private readonly entries = new Map<string, Entry>();
  private writes = 0;

  constructor(private readonly capacity: number) {}

  /** Taken before a read; `fill` with it afterwards. */
  get epoch(): number {
    return this.writes;
  }

  /** The live profile, when known; `null` also when it belongs to another organization (not found there). */
  get(organizationId: string, id: string): Profile | null | undefined {
    const entry = this.entries.get(id);
    if (entry === undefined) return undefined;
    if (!entry.read) entry.read = true; // no store (and no write barrier) when it already is
    return entry.profile.organizationId === organizationId ? entry.profile : null;
  }

  /** Remembers what a read found, unless a write ended since `epoch`. */
  fill(profile: Profile, epoch: number): Profile {
    if (epoch === this.writes) this.remember(profile);
    return profile;
  }

  /** After a write to the profile: the next read goes to the database. */
  forget(id: string): void {
    this.writes++;
    this.entries.delete(id);
  }

  /** After a write that may touch any profile (an emulator reset): every read goes to the database. */
  forgetAll(): void {
    this.writes++;
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  private remember(profile: Profile): void {
    if (this.capacity <= 0) return;
    this.entries.delete(profile.id);
    this.entries.set(profile.id, { profile: deepFreeze(profile), read: false });
    while (this.entries.size > this.capacity) {
      const [id, oldest] = this.entries.entries().next().value!;
      this.entries.delete(id);
      if (oldest.read) this.entries.set(id, { profile: oldest.profile, read: false });
    }
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
