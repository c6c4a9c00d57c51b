import { invalidRequest } from '../errors.js';
import { describeType } from './text.js';

/** How far ahead of the server's clock a supplied timestamp may be (decisions §14). */
export const MAX_FUTURE_SKEW_MS = 60_000;

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

function daysInMonth(year: number, month: number): number {
  return [31, isLeapYear(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/**
 * Parses a complete RFC 3339 date-time (date, time and offset all required) into epoch milliseconds.
 * Fractions below a millisecond are truncated. Rejects impossible dates and anything past now + 1 minute.
 */
export function readTimestamp(field: string, value: unknown, now: number): number {
  if (typeof value !== 'string') throw invalidRequest(`${field}: expected an RFC 3339 timestamp string, got ${describeType(value)}.`);
  const match = RFC3339.exec(value);
  if (!match) {
    throw invalidRequest(`${field}: must be a complete RFC 3339 timestamp with a time zone offset, such as "2026-09-01T12:00:00Z".`);
  }
  const [, y, mo, d, h, mi, s, fraction, , sign, offH, offM] = match;
  const year = Number(y), month = Number(mo), day = Number(d), hour = Number(h), minute = Number(mi), second = Number(s);
  const invalid =
    month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59 ||
    (sign !== undefined && (Number(offH) > 23 || Number(offM) > 59));
  if (invalid) throw invalidRequest(`${field}: ${JSON.stringify(value)} is not a valid date and time.`);
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  // the first three digits, as text: parsing the whole fraction as a number would round it up
  date.setUTCHours(hour, minute, second, fraction ? Number(fraction.slice(1, 4).padEnd(3, '0')) : 0);
  const offsetMs = sign ? (sign === '-' ? -1 : 1) * (Number(offH) * 60 + Number(offM)) * 60_000 : 0;
  const ms = date.getTime() - offsetMs;
  if (ms > now + MAX_FUTURE_SKEW_MS) throw invalidRequest(`${field}: must not be more than 1 minute in the future.`);
  return ms;
}

let lastFormatted = { ms: NaN, text: '' };

/** RFC 3339 in UTC with `Z`; milliseconds only when there are any (`2026-03-15T10:00:00Z`). */
export function formatTimestamp(ms: number): string {
  // the last answer is kept: a profile's created_at and updated_at are mostly one instant, formatted in turn
  if (ms === lastFormatted.ms) return lastFormatted.text;
  const iso = new Date(ms).toISOString();
  const text = iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
  lastFormatted = { ms, text };
  return text;
}
