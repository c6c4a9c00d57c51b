import type { Dialect, View } from '../dialects/index.js';
import { nextLapse } from '../domain/enforcement.js';
import type { Profile } from '../domain/profile.js';

/** A response body already serialised to JSON: the platform routes send it as it is. */
export class JsonText {
  constructor(readonly text: string) {}
}

interface Rendering {
  text: string;
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
export function profileJson(profile: Profile, dialect: Dialect, view: View, now: number): string {
  if (!Object.isFrozen(profile)) return JSON.stringify(dialect.render(profile, view, now));
  let byDialect = renderings.get(profile);
  if (!byDialect) renderings.set(profile, (byDialect = new Map()));
  let byView = byDialect.get(dialect);
  if (!byView) byDialect.set(dialect, (byView = {}));
  const kept = byView[view];
  if (kept && kept.from <= now && now < kept.until) return kept.text;
  const text = JSON.stringify(dialect.render(profile, view, now));
  byView[view] = { text, from: now, until: nextLapse(profile.actions, now) };
  return text;
}
