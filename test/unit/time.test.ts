import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_FUTURE_SKEW_MS, formatTimestamp, readTimestamp } from '../../src/domain/time.ts';
import { assertInvalid } from './assert-api-error.ts';

const NOW = Date.UTC(2026, 8, 1, 12, 0, 0); // 2026-09-01T12:00:00Z
const read = (value: unknown, now = NOW) => readTimestamp('onboarded_at', value, now);
const utc = (iso: string) => Date.parse(iso);

describe('readTimestamp: accepted forms', () => {
  it('accepts Z and lowercase z', () => {
    assert.equal(read('2026-03-15T10:00:00Z'), utc('2026-03-15T10:00:00.000Z'));
    assert.equal(read('2026-03-15T10:00:00z'), utc('2026-03-15T10:00:00.000Z'));
  });

  it('normalises +hh:mm and -hh:mm offsets to UTC', () => {
    assert.equal(read('2026-03-15T12:30:00+02:30'), utc('2026-03-15T10:00:00Z'));
    assert.equal(read('2026-03-15T05:00:00-05:00'), utc('2026-03-15T10:00:00Z'));
    assert.equal(read('2026-03-15T10:00:00+00:00'), utc('2026-03-15T10:00:00Z'));
    assert.equal(read('2026-03-15T10:00:00-00:00'), utc('2026-03-15T10:00:00Z'));
    assert.equal(read('2026-03-16T09:59:00+23:59'), utc('2026-03-15T10:00:00Z'));
    assert.equal(read('2026-03-01T00:30:00+01:00'), utc('2026-02-28T23:30:00Z')); // crosses a month
  });

  it('keeps milliseconds and truncates finer fractions', () => {
    assert.equal(read('2026-03-15T10:00:00.5Z'), utc('2026-03-15T10:00:00.500Z'));
    assert.equal(read('2026-03-15T10:00:00.123Z'), utc('2026-03-15T10:00:00.123Z'));
    assert.equal(read('2026-03-15T10:00:00.123999Z'), utc('2026-03-15T10:00:00.123Z'));
    assert.equal(read('2026-03-15T10:00:00.999999999Z'), utc('2026-03-15T10:00:00.999Z'));
    assert.equal(read('2026-03-15T10:00:00.019Z'), utc('2026-03-15T10:00:00.019Z'));
  });

  it('truncates long fractions without rounding up', () => {
    assert.equal(read('2026-03-15T10:00:00.1239999999999999999Z'), utc('2026-03-15T10:00:00.123Z'));
    assert.equal(read('2026-03-15T10:00:00.99999999999999999999Z'), utc('2026-03-15T10:00:00.999Z'));
  });

  it('accepts leap days and month ends', () => {
    assert.equal(read('2024-02-29T00:00:00Z'), utc('2024-02-29T00:00:00Z'));
    assert.equal(read('2000-02-29T00:00:00Z'), utc('2000-02-29T00:00:00Z'));
    assert.equal(read('2025-12-31T23:59:59Z'), utc('2025-12-31T23:59:59Z'));
    assert.equal(read('0001-01-01T00:00:00Z'), utc('0001-01-01T00:00:00Z')); // years below 100 are not shifted to 19xx
  });
});

describe('readTimestamp: refused forms', () => {
  const refusedShapes = [
    '2026-03-15', // date only
    '2026-03-15T10:00:00', // no offset
    '2026-03-15T10:00Z', // no seconds
    '2026-03-15 10:00:00Z', // space separator
    '2026-03-15T10:00:00+0200', // offset without colon
    '2026-03-15T10:00:00+02', // offset hours only
    '20260315T100000Z', // basic format
    '2026-3-15T10:00:00Z',
    ' 2026-03-15T10:00:00Z',
    '2026-03-15T10:00:00Z ',
    '2026-03-15T10:00:00.Z',
    '',
  ];
  for (const value of refusedShapes) {
    it(`refuses ${JSON.stringify(value)}`, () => {
      assertInvalid(() => read(value), /^onboarded_at: must be a complete RFC 3339 timestamp/);
    });
  }

  const impossible = [
    '2026-02-30T10:00:00Z',
    '2026-02-29T10:00:00Z', // 2026 is not a leap year
    '1900-02-29T10:00:00Z', // nor is 1900
    '2026-04-31T10:00:00Z',
    '2026-13-01T10:00:00Z',
    '2026-00-01T10:00:00Z',
    '2026-01-00T10:00:00Z',
    '2026-03-15T24:00:00Z', // hour 24
    '2026-03-15T10:60:00Z', // minute 60
    '2026-03-15T10:00:60Z', // second 60
    '2026-03-15T10:00:00+24:00', // offset hour 24
    '2026-03-15T10:00:00-24:00',
    '2026-03-15T10:00:00+01:60', // offset minute 60
  ];
  for (const value of impossible) {
    it(`refuses the impossible ${value}`, () => {
      assertInvalid(() => read(value), /is not a valid date and time/);
    });
  }

  it('refuses non-strings', () => {
    for (const [value, type] of [[null, 'null'], [1_700_000_000_000, 'a number'], [{}, 'an object'], [[], 'an array']] as const) {
      assertInvalid(() => read(value), new RegExp(`^onboarded_at: expected an RFC 3339 timestamp string, got ${type}`));
    }
  });
});

describe('readTimestamp: at most 1 minute in the future', () => {
  it('is 60 000 ms', () => assert.equal(MAX_FUTURE_SKEW_MS, 60_000));

  it('accepts now + 60 s exactly, refuses now + 60 s + 1 ms', () => {
    assert.equal(read(formatTimestamp(NOW + 60_000)), NOW + 60_000);
    assertInvalid(() => read(formatTimestamp(NOW + 60_001)), /must not be more than 1 minute in the future/);
  });

  it('applies the limit after normalising the offset', () => {
    // 2026-09-01T14:01:00+02:00 is NOW + 60 s; one millisecond more is refused
    assert.equal(read('2026-09-01T14:01:00+02:00'), NOW + 60_000);
    assertInvalid(() => read('2026-09-01T14:01:00.001+02:00'), /1 minute in the future/);
    // a local time far "ahead" is fine when its offset puts it in the past
    assert.equal(read('2026-09-01T23:00:00+12:00'), utc('2026-09-01T11:00:00Z'));
  });

  it('accepts the past and now', () => {
    assert.equal(read(formatTimestamp(NOW)), NOW);
    assert.equal(read('1970-01-01T00:00:00Z'), 0);
  });
});

describe('formatTimestamp', () => {
  it('omits .000 when there are no milliseconds', () => {
    assert.equal(formatTimestamp(utc('2026-03-15T10:00:00Z')), '2026-03-15T10:00:00Z');
  });

  it('answers each instant rightly when one is asked for twice in a row, and after another', () => {
    const a = utc('2026-03-15T10:00:00Z'), b = utc('2026-03-15T10:00:00.001Z');
    for (const [ms, text] of [[a, '2026-03-15T10:00:00Z'], [a, '2026-03-15T10:00:00Z'], [b, '2026-03-15T10:00:00.001Z'], [a, '2026-03-15T10:00:00Z']] as const) {
      assert.equal(formatTimestamp(ms), text);
    }
  });

  it('keeps milliseconds when there are any', () => {
    assert.equal(formatTimestamp(utc('2026-03-15T10:00:00.005Z')), '2026-03-15T10:00:00.005Z');
    assert.equal(formatTimestamp(utc('2026-03-15T10:00:00.120Z')), '2026-03-15T10:00:00.120Z');
  });

  it('round-trips through readTimestamp', () => {
    for (const ms of [0, NOW, NOW - 1, utc('2024-02-29T23:59:59.999Z')]) {
      assert.equal(read(formatTimestamp(ms)), ms);
    }
  });
});
