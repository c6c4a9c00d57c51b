import { invalidRequest } from '../errors.js';
import { codePointLength, describeType, requireStorableText } from './text.js';

export const METADATA_MAX_KEYS = 16;
export const METADATA_KEY_MAX = 64;
export const METADATA_VALUE_MAX = 512;

/**
 * Keys are data: `__proto__`, `constructor` and `prototype` are ordinary keys. `map[key] = value` would call
 * Object.prototype's `__proto__` setter for the first (dropping the key, or re-parenting the map), so every
 * key is written as an own property. JSON.stringify, Object.entries, spreads and JSON.parse all treat such an
 * own property as a plain key, so it is stored and returned like any other.
 */
function setKey(map: Record<string, string>, key: string, value: string): void {
  Object.defineProperty(map, key, { value, writable: true, enumerable: true, configurable: true });
}

/**
 * Validates a metadata object from a request (decisions §13). On create every value must be non-empty;
 * on update `""` is allowed and means "remove this key".
 */
export function readMetadata(value: unknown, mode: 'create' | 'update'): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidRequest(`metadata: expected an object of string values, got ${describeType(value)}.`);
  }
  const entries = Object.entries(value);
  if (mode === 'create' && entries.length > METADATA_MAX_KEYS) {
    throw invalidRequest(`metadata: at most ${METADATA_MAX_KEYS} keys are allowed (got ${entries.length}).`);
  }
  const result: Record<string, string> = {};
  for (const [key, entry] of entries) {
    const keyLength = codePointLength(key);
    if (keyLength < 1) throw invalidRequest('metadata: keys must not be empty.');
    if (keyLength > METADATA_KEY_MAX) {
      throw invalidRequest(`metadata: key ${JSON.stringify(key)} is longer than ${METADATA_KEY_MAX} characters (${keyLength}).`);
    }
    requireStorableText('metadata key', key);
    const field = `metadata.${key}`;
    if (typeof entry !== 'string') throw invalidRequest(`${field}: expected a string, got ${describeType(entry)}.`);
    const valueLength = codePointLength(entry);
    if (valueLength > METADATA_VALUE_MAX) {
      throw invalidRequest(`${field}: must be at most ${METADATA_VALUE_MAX} characters (got ${valueLength}).`);
    }
    if (mode === 'create' && valueLength === 0) throw invalidRequest(`${field}: values must be non-empty strings.`);
    requireStorableText(field, entry);
    setKey(result, key, entry);
  }
  return result;
}

/**
 * Merges an update into stored metadata: sent keys overwrite, `""` removes (absent keys: no-op).
 * Returns a new object; throws (changing nothing) when the result would exceed the key cap.
 */
export function mergeMetadata(stored: Record<string, string>, patch: Record<string, string>): Record<string, string> {
  const merged: Record<string, string> = { ...stored }; // a spread defines own properties: `__proto__` stays a key
  for (const [key, value] of Object.entries(patch)) {
    if (value === '') delete merged[key];
    else setKey(merged, key, value);
  }
  const count = Object.keys(merged).length;
  if (count > METADATA_MAX_KEYS) {
    throw invalidRequest(
      `metadata: a profile holds at most ${METADATA_MAX_KEYS} keys; this update would leave ${count}. Remove keys with "" first.`,
    );
  }
  return merged;
}

export function sameMetadata(a: Record<string, string>, b: Record<string, string>): boolean {
  const aKeys = Object.keys(a);
  if (aKeys.length !== Object.keys(b).length) return false;
  return aKeys.every((key) => Object.hasOwn(b, key) && a[key] === b[key]);
}
