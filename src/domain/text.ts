import { invalidRequest } from '../errors.js';

/** Length in Unicode code points, the unit every documented limit uses (JSON Schema's maxLength unit). */
export function codePointLength(value: string): number {
  let count = value.length;
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    // a well-formed surrogate pair is one code point written as two UTF-16 units
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < value.length) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        count--;
        i++;
      }
    }
  }
  return count;
}

export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing'; // no body, or an absent field
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * A string the databases can store byte for byte: well-formed Unicode (a lone surrogate would be
 * silently replaced by U+FFFD on the way to UTF-8) and no NUL (PostgreSQL text cannot hold it).
 */
export function requireStorableText(field: string, value: string): void {
  if (!value.isWellFormed()) throw invalidRequest(`${field}: must be valid Unicode (it contains an unpaired surrogate).`);
  if (value.includes('\u0000')) throw invalidRequest(`${field}: must not contain the NUL character.`);
}

/** A string of 1..max code points. */
export function readBoundedString(field: string, value: unknown, max: number): string {
  if (typeof value !== 'string') throw invalidRequest(`${field}: expected a string, got ${describeType(value)}.`);
  const length = codePointLength(value);
  if (length < 1) throw invalidRequest(`${field}: must not be empty.`);
  if (length > max) throw invalidRequest(`${field}: must be at most ${max} characters (got ${length}).`);
  requireStorableText(field, value);
  return value;
}

export function readEnum<T extends string>(field: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    const got = typeof value === 'string' ? JSON.stringify(value) : describeType(value);
    throw invalidRequest(`${field}: must be one of ${allowed.map((v) => `"${v}"`).join(', ')} (got ${got}).`);
  }
  return value as T;
}

/** Lower-cases ASCII letters only: the documented `order_by=name` comparison ignores case of ASCII letters alone. */
export function asciiFold(value: string): string {
  // all-ASCII (nearly every name): toLowerCase folds exactly the ASCII letters, without a callback per letter
  return /^[\x00-\x7f]*$/.test(value) ? value.toLowerCase() : value.replace(/[A-Z]/g, (letter) => letter.toLowerCase());
}

/**
 * The least string greater than every string that starts with `prefix`, in code point order (how both
 * engines compare keys): `prefix` with its last code point incremented (past the surrogate block, and
 * dropping trailing U+10FFFF). Null when there is none (the prefix is all U+10FFFF): then no upper bound.
 * A prefix search is then the range `prefix <= key < successor`.
 */
export function prefixSuccessor(prefix: string): string | null {
  const points = [...prefix].map((c) => c.codePointAt(0)!);
  while (points.length > 0 && points[points.length - 1] === 0x10ffff) points.pop();
  if (points.length === 0) return null;
  let last = points[points.length - 1] + 1;
  if (last >= 0xd800 && last <= 0xdfff) last = 0xe000;
  points[points.length - 1] = last;
  return String.fromCodePoint(...points);
}
