import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fullTime, relativeTime, shortTime, when } from '../../src/pages/kit.ts';
import { prefixSuccessor } from '../../src/domain/text.ts';
import { compareEvidence } from '../../src/domain/identity.ts';
import { contrastWithWhite, readAccentColor } from '../../src/pages/branding.ts';

const NOW = Date.UTC(2026, 10, 29, 12, 53, 7);
const S = 1000, MIN = 60 * S, H = 60 * MIN, DAY = 24 * H;

describe('times on the pages', () => {
  it('one format, and the full time for the title', () => {
    assert.equal(shortTime(NOW), '29 Nov 2026, 12:53 UTC');
    assert.equal(fullTime(NOW), '2026-11-29 12:53:07 UTC');
    assert.equal(fullTime(NOW + 5), '2026-11-29 12:53:07.005 UTC');
    assert.equal(
      when(NOW - 3 * MIN, NOW).value,
      '<span class="when"><time datetime="2026-11-29T12:50:07Z" title="2026-11-29 12:50:07 UTC">29 Nov 2026, 12:50 UTC</time> <span class="ago">· 3 min ago</span></span>',
    );
    assert.equal(when(null, NOW).value, '<span class="muted">never</span>');
  });

  it('relative age: each unit on both sides of its limit, past and future', () => {
    const cases: [number, string][] = [
      [0, 'just now'], [44 * S, 'just now'], [45 * S, '1 min ago'], [89 * MIN, '89 min ago'], [90 * MIN, '2 h ago'],
      [35 * H, '35 h ago'], [36 * H, '2 days ago'], [59 * DAY, '59 days ago'], [60 * DAY, '2 months ago'], [3 * 365.25 * DAY, '3 years ago'],
    ];
    for (const [ago, words] of cases) assert.equal(relativeTime(NOW - ago, NOW), words, `${ago} ms`);
    assert.equal(relativeTime(NOW - 17 * 30.44 * DAY, NOW), '17 months ago');
    assert.equal(relativeTime(NOW - 18 * 30.44 * DAY, NOW), '2 years ago');
    assert.equal(relativeTime(NOW + 3 * DAY, NOW), 'in 3 days');
    assert.equal(relativeTime(NOW + 1 * MIN, NOW), 'in 1 min');
  });
});

describe('prefixSuccessor: the upper bound of a prefix range', () => {
  it('increments the last code point, past the surrogates, dropping trailing U+10FFFF', () => {
    assert.equal(prefixSuccessor('acme'), 'acmf');
    assert.equal(prefixSuccessor('a'), 'b');
    assert.equal(prefixSuccessor('a\u{d7ff}'), 'a\u{e000}');
    assert.equal(prefixSuccessor('a\u{1f98a}'), 'a\u{1f98b}');
    assert.equal(prefixSuccessor('ab\u{10ffff}'), 'ac');
    assert.equal(prefixSuccessor('\u{10ffff}\u{10ffff}'), null);
    // every string that starts with the prefix sorts below it; the next one up does not
    for (const name of ['acme', 'acme gmbh', 'acme\u{10ffff}x']) assert.ok(name >= 'acme' && name < prefixSuccessor('acme')!, name);
    assert.ok(!('acmf' < prefixSuccessor('acme')!));
  });
});

describe('evidence beside the profile', () => {
  const evidence = { legalName: 'Ann  EXAMPLE', dateOfBirth: '1990-04-23', country: 'DE', documentType: 'passport' as const, documentNumber: 'X1' };
  const profile = (name: string | null, country: string | null) => ({ name, details: { country } as any });
  it('names compare without case or runs of spaces; countries exactly; nothing stated is said so', () => {
    assert.deepEqual(compareEvidence(evidence, profile('ann example', 'DE')), { name: 'match', country: 'match' });
    assert.deepEqual(compareEvidence(evidence, profile('Ann Exampel', 'AT')), { name: 'mismatch', country: 'mismatch' });
    assert.deepEqual(compareEvidence(evidence, profile(null, null)), { name: 'not_stated', country: 'not_stated' });
  });
});

describe('accent colour', () => {
  it('needs 4.5:1 against white: #767676 passes, #777777 does not', () => {
    assert.ok(contrastWithWhite('#767676') >= 4.5 && contrastWithWhite('#777777') < 4.5);
    assert.deepEqual(readAccentColor('#767676'), { color: '#767676' });
    assert.ok('problem' in readAccentColor('#777777'));
  });
});
