import type { Dialect, View } from '../dialects/index.js';
import { nextLapse } from '../domain/enforcement.js';
import type { Profile } from '../domain/profile.js';

/**
 * A response body already serialised to JSON, as UTF-8 bytes: the platform routes send it as it is. Bytes,
 * not a string: a page of 100 profiles is about 65 KB, and joining their kept bytes costs a third of what
 * joining strings and encoding the result at the socket did.
 */
export class JsonBody {
  constructor(readonly bytes: Buffer) {}
}

interface Rendering {
  bytes: Buffer;
  /** the rendering holds for reads at times in [from, until): it changes only when a restriction lapses */
  from: number;
  until: number;
}

const renderings = new WeakMap<Profile, Map<Dialect, Partial<Record<View, Rendering>>>>();

/**
 * A profile's JSON in one dialect and view. A frozen profile is a shared value (ProfileCache hands out the
 * same one to every reader until it changes), so its renderings are kept with it and reused while they
 * hold; they go when the profile does. Other profiles are rendered afresh.
 */
export function profileJson(profile: Profile, dialect: Dialect, view: View, now: number): Buffer {
  if (!Object.isFrozen(profile)) return Buffer.from(JSON.stringify(dialect.render(profile, view, now)));
  let byDialect = renderings.get(profile);
  if (!byDialect) renderings.set(profile, (byDialect = new Map()));
  let byView = byDialect.get(dialect);
  if (!byView) byDialect.set(dialect, (byView = {}));
  const kept = byView[view];
  if (kept && kept.from <= now && now < kept.until) return kept.bytes;
  const text = JSON.stringify(dialect.render(profile, view, now));
  // a buffer of its own: a slice of Node's shared 8 KB pool would keep the whole slab alive with it
  const bytes = Buffer.allocUnsafeSlow(Buffer.byteLength(text));
  bytes.write(text);
  byView[view] = { bytes, from: now, until: nextLapse(profile.actions, now) };
  return bytes;
}

const PAGE_START = Buffer.from('{"data":[');
const COMMA = Buffer.from(',');

/** A list page, `{"data":[…],"next_page":…}`, put together from its items' JSON. */
export function pageJson(items: readonly Buffer[], nextPage: string | null): JsonBody {
  const parts: Buffer[] = [PAGE_START];
  items.forEach((item, i) => (i === 0 ? parts.push(item) : parts.push(COMMA, item)));
  parts.push(Buffer.from(`],"next_page":${JSON.stringify(nextPage)}}`));
  return new JsonBody(Buffer.concat(parts));
}
