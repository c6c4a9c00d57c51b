import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { asciiFold, codePointLength, readBoundedString, readEnum } from '../../src/domain/text.ts';
import { assertInvalid } from './assert-api-error.ts';

const EMOJI = '😀'; // one code point, two UTF-16 units
const LONE_HIGH = '\uD83D';
const LONE_LOW = '\uDE00';

describe('codePointLength', () => {
  it('counts ASCII one per character', () => {
    assert.equal(codePointLength(''), 0);
    assert.equal(codePointLength('a'), 1);
    assert.equal(codePointLength('hello'), 5);
  });

  it('counts a surrogate pair as one code point', () => {
    assert.equal(EMOJI.length, 2);
    assert.equal(codePointLength(EMOJI), 1);
    assert.equal(codePointLength(`a${EMOJI}b${EMOJI}${EMOJI}`), 5);
    assert.equal(codePointLength('é中'), 2);
  });

  it('counts each lone surrogate as one', () => {
    assert.equal(codePointLength(LONE_HIGH), 1);
    assert.equal(codePointLength(LONE_LOW), 1);
    assert.equal(codePointLength(`${LONE_LOW}${LONE_HIGH}`), 2); // reversed order is not a pair
    assert.equal(codePointLength(`a${LONE_HIGH}`), 2); // high surrogate at the very end
    assert.equal(codePointLength(`${LONE_HIGH}${LONE_HIGH}${LONE_LOW}`), 2); // lone high, then a pair
  });
});

describe('readBoundedString', () => {
  const read = (value: unknown, max = 255) => readBoundedString('name', value, max);

  it('refuses the empty string (0 code points)', () => {
    assertInvalid(() => read(''), /^name: must not be empty/);
  });

  it('accepts 1 and 255 code points', () => {
    assert.equal(read('a'), 'a');
    assert.equal(read(EMOJI), EMOJI);
    assert.equal(read('a'.repeat(255)), 'a'.repeat(255));
    assert.equal(read(EMOJI.repeat(255)), EMOJI.repeat(255)); // 510 UTF-16 units, 255 characters
  });

  it('refuses 256 code points', () => {
    assertInvalid(() => read('a'.repeat(256)), /^name: must be at most 255 characters \(got 256\)/);
    assertInvalid(() => read(EMOJI.repeat(256)), /got 256/);
  });

  it('refuses non-strings, naming the type', () => {
    for (const [value, type] of [[null, 'null'], [42, 'a number'], [true, 'a boolean'], [{}, 'an object'], [['a'], 'an array']] as const) {
      assertInvalid(() => read(value), new RegExp(`^name: expected a string, got ${type}`));
    }
    assertInvalid(() => read(undefined), /^name: expected a string/);
  });

  it('refuses the NUL character', () => {
    assertInvalid(() => read('a\u0000b'), /^name: must not contain the NUL character/);
    assertInvalid(() => read('\u0000'), /NUL/);
  });

  it('refuses lone surrogates, accepts pairs', () => {
    assertInvalid(() => read(`a${LONE_HIGH}`), /^name: must be valid Unicode/);
    assertInvalid(() => read(`${LONE_LOW}a`), /unpaired surrogate/);
    assert.equal(read(`a${LONE_HIGH}${LONE_LOW}`), `a${EMOJI}`);
  });

  it('uses the limit it is given', () => {
    assert.equal(read('abc', 3), 'abc');
    assertInvalid(() => read('abcd', 3), /at most 3 characters/);
  });
});

describe('readEnum', () => {
  const allowed = ['application', 'passthrough'] as const;

  it('returns an allowed value', () => {
    assert.equal(readEnum('access_type', 'application', allowed), 'application');
    assert.equal(readEnum('access_type', 'passthrough', allowed), 'passthrough');
  });

  it('refuses other strings, listing the allowed values', () => {
    assertInvalid(
      () => readEnum('access_type', 'resold', allowed),
      /^access_type: must be one of "application", "passthrough" \(got "resold"\)/,
    );
    assertInvalid(() => readEnum('access_type', 'Application', allowed), /got "Application"/);
    assertInvalid(() => readEnum('access_type', '', allowed), /got ""/);
  });

  it('refuses non-strings', () => {
    assertInvalid(() => readEnum('access_type', null, allowed), /got null/);
    assertInvalid(() => readEnum('access_type', 1, allowed), /got a number/);
    assertInvalid(() => readEnum('access_type', ['application'], allowed), /got an array/);
  });
});

describe('asciiFold', () => {
  it('lower-cases A–Z only', () => {
    assert.equal(asciiFold('ABCXYZ abcxyz 019 @[`{'), 'abcxyz abcxyz 019 @[`{');
    assert.equal(asciiFold('Zoë'), 'zoë');
  });

  it('leaves non-ASCII letters untouched', () => {
    assert.equal(asciiFold('É'), 'É');
    assert.equal(asciiFold('ÉCOLE'), 'École');
    assert.equal(asciiFold('ΣΑΣ'), 'ΣΑΣ');
    assert.equal(asciiFold('İ'), 'İ');
    assert.equal(asciiFold('Ａ'), 'Ａ'); // fullwidth A
  });

  it('folds every ASCII character the same with or without a non-ASCII one beside it (U+007F | U+0080)', () => {
    const ascii = Array.from({ length: 128 }, (_, code) => String.fromCharCode(code)).join('');
    const folded = [...ascii].map((c) => (c >= 'A' && c <= 'Z' ? String.fromCharCode(c.charCodeAt(0) + 32) : c)).join('');
    assert.equal(asciiFold(ascii), folded);
    assert.equal(asciiFold(`${ascii}\u0080`), `${folded}\u0080`);
    assert.equal(asciiFold(`${ascii}İ`), `${folded}İ`);
  });
});
