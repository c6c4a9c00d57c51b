import type { Dialect, View } from '../dialects/index.js';
import { nextLapse } from '../domain/enforcement.js';
import type { Profile } from '../domain/profile.js';

/**
 * A response body already serialised to JSON, as UTF-8 bytes: the platform routes send it as it is. Bytes,
 * not a string: a page of 100 profiles is about 50 KB, and copying their kept bytes together saved ~30 µs
 * a page (of ~245) against joining strings and encoding the result at the socket.
 */
export class JsonBody {
  constructor(readonly bytes: Buffer) {}
}

interface Rendering {
  dialect: Dialect;
  view: View;
  bytes: Buffer;
  /** the rendering holds for reads at times in [from, until): it changes only when a restriction lapses */
  from: number;
  until: number;
}

/** a shared profile's renderings, one per dialect and view asked for (a list of a few: a scan beats a map) */
const renderings = new WeakMap<Profile, Rendering[]>();

/**
 * A profile's JSON in one dialect and view. A frozen profile is a shared value (ProfileCache hands out the
 * same one to every reader until it changes), so its renderings are kept with it and reused while they
 * hold; they go when the profile does. Other profiles are rendered afresh.
 */
export function profileJson(profile: Profile, dialect: Dialect, view: View, now: number): Buffer {
  if (!Object.isFrozen(profile)) return Buffer.from(JSON.stringify(dialect.render(profile, view, now)));
  let kept = renderings.get(profile);
  if (!kept) renderings.set(profile, (kept = []));
  let rendering: Rendering | undefined;
  for (const candidate of kept) if (candidate.dialect === dialect && candidate.view === view) rendering = candidate;
  if (rendering && rendering.from <= now && now < rendering.until) return rendering.bytes;
  const text = JSON.stringify(dialect.render(profile, view, now));
  // a buffer of its own: a slice of Node's shared 8 KB pool would keep the whole slab alive with it
  const bytes = Buffer.allocUnsafeSlow(Buffer.byteLength(text));
  bytes.write(text);
  const fresh = { dialect, view, bytes, from: now, until: nextLapse(profile.actions, now) };
  if (rendering) kept[kept.indexOf(rendering)] = fresh;
  else kept.push(fresh);
  return bytes;
}

const PAGE_START = Buffer.from('{"data":[');
const COMMA = 0x2c;

/** A list page, `{"data":[…],"next_page":…}`, put together from its items' JSON in one copy. */
export function pageJson(items: readonly Buffer[], nextPage: string | null): JsonBody {
  const end = Buffer.from(`],"next_page":${JSON.stringify(nextPage)}}`);
  let size = PAGE_START.length + Math.max(0, items.length - 1) + end.length;
  for (const item of items) size += item.length;
  const page = Buffer.allocUnsafe(size);
  page.set(PAGE_START, 0);
  let at = PAGE_START.length;
  items.forEach((item, i) => {
    if (i > 0) page[at++] = COMMA;
    page.set(item, at);
    at += item.length;
  });
  page.set(end, at);
  return new JsonBody(page);
}
