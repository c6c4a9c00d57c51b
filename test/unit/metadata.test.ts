import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergeMetadata, readMetadata, sameMetadata } from '../../src/domain/metadata.ts';
import { assertInvalid } from './assert-api-error.ts';

const EMOJI = '🙂';
/** `count` distinct keys k0…k(count-1), each with value `value` */
const keys = (count: number, value = 'v', prefix = 'k') =>
  Object.fromEntries(Array.from({ length: count }, (_, i) => [`${prefix}${i}`, value]));

describe('readMetadata', () => {
  it('accepts an empty object and plain string values', () => {
    assert.deepEqual(readMetadata({}, 'create'), {});
    assert.deepEqual(readMetadata({ plan: 'pro', tier: '2' }, 'update'), { plan: 'pro', tier: '2' });
  });

  it('refuses an empty value on create, allows it on update', () => {
    assertInvalid(() => readMetadata({ plan: '' }, 'create'), /^metadata\.plan: values must be non-empty strings/);
    assert.deepEqual(readMetadata({ plan: '' }, 'update'), { plan: '' });
  });

  it('refuses a key of 0 code points, accepts 1', () => {
    for (const mode of ['create', 'update'] as const) {
      assertInvalid(() => readMetadata({ '': 'v' }, mode), /keys must not be empty/);
      assert.deepEqual(readMetadata({ k: 'v' }, mode), { k: 'v' });
    }
  });

  it('accepts a key of 64 code points, refuses 65', () => {
    for (const unit of ['k', EMOJI]) {
      const ok = unit.repeat(64);
      assert.deepEqual(readMetadata({ [ok]: 'v' }, 'create'), { [ok]: 'v' });
      assertInvalid(() => readMetadata({ [unit.repeat(65)]: 'v' }, 'create'), /longer than 64 characters \(65\)/);
    }
  });

  it('accepts a value of 512 code points, refuses 513', () => {
    for (const mode of ['create', 'update'] as const) {
      for (const unit of ['v', EMOJI]) {
        assert.deepEqual(readMetadata({ k: unit.repeat(512) }, mode), { k: unit.repeat(512) });
        assertInvalid(() => readMetadata({ k: unit.repeat(513) }, mode), /^metadata\.k: must be at most 512 characters \(got 513\)/);
      }
    }
  });

  it('accepts 16 keys on create, refuses 17', () => {
    assert.equal(Object.keys(readMetadata(keys(16), 'create')).length, 16);
    assertInvalid(() => readMetadata(keys(17), 'create'), /at most 16 keys are allowed \(got 17\)/);
  });

  it('leaves the key cap of an update to the merge', () => {
    // 17 keys in one update can still leave ≤ 16 stored when some are removals
    const patch = { ...keys(8, 'v', 'add'), ...keys(9, '', 'old') };
    assert.equal(Object.keys(readMetadata(patch, 'update')).length, 17);
  });

  it('refuses anything but an object', () => {
    for (const [value, type] of [[null, 'null'], [[], 'an array'], [[['k', 'v']], 'an array'], ['k=v', 'a string'], [3, 'a number']] as const) {
      for (const mode of ['create', 'update'] as const) {
        assertInvalid(() => readMetadata(value, mode), new RegExp(`^metadata: expected an object of string values, got ${type}`));
      }
    }
  });

  it('refuses non-string values', () => {
    for (const [value, type] of [[null, 'null'], [1, 'a number'], [true, 'a boolean'], [{}, 'an object'], [['v'], 'an array']] as const) {
      for (const mode of ['create', 'update'] as const) {
        assertInvalid(() => readMetadata({ plan: value }, mode), new RegExp(`^metadata\\.plan: expected a string, got ${type}`));
      }
    }
  });

  it('refuses NUL and lone surrogates in keys and values', () => {
    assertInvalid(() => readMetadata({ 'a\u0000': 'v' }, 'create'), /NUL/);
    assertInvalid(() => readMetadata({ k: 'v\u0000' }, 'create'), /^metadata\.k: must not contain the NUL/);
    assertInvalid(() => readMetadata({ '\uD800': 'v' }, 'create'), /unpaired surrogate/);
    assertInvalid(() => readMetadata({ k: '\uDC00' }, 'update'), /^metadata\.k: must be valid Unicode/);
  });

  it('returns a copy, not the request object', () => {
    const input = { plan: 'pro' };
    const read = readMetadata(input, 'create');
    assert.notEqual(read, input);
    assert.deepEqual(input, { plan: 'pro' });
  });
});

describe('mergeMetadata', () => {
  it('adds new keys and overwrites sent ones, keeping the rest', () => {
    assert.deepEqual(mergeMetadata({ a: '1', b: '2' }, { b: 'two', c: '3' }), { a: '1', b: 'two', c: '3' });
  });

  it('removes a key sent as ""', () => {
    assert.deepEqual(mergeMetadata({ a: '1', b: '2' }, { a: '' }), { b: '2' });
  });

  it('treats removing an absent key as a no-op', () => {
    assert.deepEqual(mergeMetadata({ a: '1' }, { missing: '' }), { a: '1' });
    assert.deepEqual(mergeMetadata({}, { missing: '' }), {});
  });

  it('accepts a result of 16 keys, refuses 17', () => {
    assert.equal(Object.keys(mergeMetadata(keys(15), { extra: 'v' })).length, 16);
    assert.equal(Object.keys(mergeMetadata(keys(16), { k0: 'new' })).length, 16); // overwrite at the cap
    assertInvalid(() => mergeMetadata(keys(16), { extra: 'v' }), /at most 16 keys; this update would leave 17/);
    assertInvalid(() => mergeMetadata(keys(10), keys(7, 'v', 'new')), /would leave 17/);
  });

  it('accepts a merge that removes and adds to stay at 16', () => {
    const merged = mergeMetadata(keys(16), { k0: '', k1: '', new0: 'a', new1: 'b' });
    assert.equal(Object.keys(merged).length, 16);
    assert.equal(merged.new0, 'a');
    assert.equal(Object.hasOwn(merged, 'k0'), false);
  });

  it('does not mutate its inputs, also when it refuses', () => {
    const stored = { a: '1', b: '2' };
    const patch = { a: '', b: 'two', c: '3' };
    const merged = mergeMetadata(stored, patch);
    assert.deepEqual(merged, { b: 'two', c: '3' });
    assert.deepEqual(stored, { a: '1', b: '2' });
    assert.deepEqual(patch, { a: '', b: 'two', c: '3' });
    assert.notEqual(merged, stored);

    const full = keys(16);
    assertInvalid(() => mergeMetadata(full, { extra: 'v' }));
    assert.deepEqual(full, keys(16));
  });
});

describe('sameMetadata', () => {
  it('is true for equal maps, whatever the key order', () => {
    assert.equal(sameMetadata({}, {}), true);
    assert.equal(sameMetadata({ a: '1', b: '2' }, { b: '2', a: '1' }), true);
  });

  it('is false when a value, a key or the key count differs', () => {
    assert.equal(sameMetadata({ a: '1' }, { a: '2' }), false);
    assert.equal(sameMetadata({ a: '1' }, { b: '1' }), false);
    assert.equal(sameMetadata({ a: '1' }, { a: '1', b: '2' }), false);
    assert.equal(sameMetadata({ a: '1', b: '2' }, { a: '1' }), false);
    assert.equal(sameMetadata({}, { a: '1' }), false);
  });

  it('does not count inherited properties as keys', () => {
    assert.equal(sameMetadata({ toString: 'x' }, { constructor: 'x' }), false);
  });
});
