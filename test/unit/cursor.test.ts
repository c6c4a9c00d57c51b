import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { CursorCodec, type CursorBinding, type ListPosition } from '../../src/domain/cursor.ts';
import { Tokens } from '../../src/tokens.ts';
import { assertInvalid } from './assert-api-error.ts';

const codec = new CursorCodec(new Tokens(Buffer.from('unit-test-cursor-key-0123456789ab')));
const otherCodec = new CursorCodec(new Tokens(Buffer.from('another-cursor-key-0123456789abcd')));

const byCreated: CursorBinding = { order: 'desc', orderBy: 'created_at', filter: '' };
const byName: CursorBinding = { order: 'asc', orderBy: 'name', filter: '' };
const createdPos: ListPosition = { by: 'created_at', createdAt: 1_773_568_800_123, id: 'uprof_01AbCdEfGhIjKlMnOpQrStUv' };
const namePos: ListPosition = { by: 'name', name: 'zoë "quoted" , 🙂', id: 'uprof_01AbCdEfGhIjKlMnOpQrStUw' };

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const GARBLED = /^page: not a valid page cursor/;

describe('CursorCodec round trip', () => {
  it('returns the created_at position it encoded', () => {
    const cursor = codec.encode(byCreated, createdPos);
    assert.match(cursor, /^page_[A-Za-z0-9_-]+$/);
    assert.deepEqual(codec.decode(cursor, byCreated), createdPos);
  });

  it('returns the name position it encoded, including a null name', () => {
    assert.deepEqual(codec.decode(codec.encode(byName, namePos), byName), namePos);
    const nameless: ListPosition = { by: 'name', name: null, id: 'uprof_01AbCdEfGhIjKlMnOpQrStUx' };
    assert.deepEqual(codec.decode(codec.encode(byName, nameless), byName), nameless);
  });

  it('keeps a filter binding', () => {
    const filtered: CursorBinding = { ...byCreated, filter: 'enforcement_status=banned' };
    assert.deepEqual(codec.decode(codec.encode(filtered, createdPos), filtered), createdPos);
  });

  it('decodes with a second codec holding the same key (another process)', () => {
    const twin = new CursorCodec(new Tokens(Buffer.from('unit-test-cursor-key-0123456789ab')));
    assert.deepEqual(twin.decode(codec.encode(byCreated, createdPos), byCreated), createdPos);
  });
});

describe('CursorCodec refusals', () => {
  const cursor = codec.encode(byCreated, createdPos);

  it('refuses a cursor made for another order, order_by or filter', () => {
    const mismatches: CursorBinding[] = [
      { ...byCreated, order: 'asc' },
      { ...byCreated, orderBy: 'name' },
      { ...byCreated, filter: 'enforcement_status=banned' },
    ];
    for (const binding of mismatches) {
      assertInvalid(() => codec.decode(cursor, binding), /^page: this cursor was made for order=desc, order_by=created_at;/);
    }
    const filtered = codec.encode({ ...byCreated, filter: 'x' }, createdPos);
    assertInvalid(() => codec.decode(filtered, byCreated), /made for order=desc, order_by=created_at and a filter/);
  });

  it('refuses the cursor with any single character changed', () => {
    for (let i = 0; i < cursor.length; i++) {
      const original = cursor[i];
      const replacement = BASE64URL[(BASE64URL.indexOf(original) + 1) % BASE64URL.length];
      const changed = cursor.slice(0, i) + replacement + cursor.slice(i + 1);
      assert.notEqual(changed, cursor);
      assertInvalid(() => codec.decode(changed, byCreated), GARBLED);
    }
  });

  it('refuses the standard-base64 spelling, padding and stray characters', () => {
    // a cursor whose body holds '-' or '_': its standard-base64 twin decodes to the same bytes
    const spelled = Array.from({ length: 64 }, (_, i) => codec.encode(byCreated, { ...createdPos, createdAt: i }))
      .find((c) => /[-_]/.test(c.slice('page_'.length)))!;
    const standard = `page_${spelled.slice('page_'.length).replace(/-/g, '+').replace(/_/g, '/')}`;
    assert.notEqual(standard, spelled);
    assert.deepEqual(Buffer.from(standard.slice(5), 'base64'), Buffer.from(spelled.slice(5), 'base64url'));
    assertInvalid(() => codec.decode(standard, byCreated), GARBLED);
    for (const changed of [`${cursor}=`, `${cursor}==`, `${cursor} `, `${cursor.slice(0, 10)}.${cursor.slice(10)}`]) {
      assertInvalid(() => codec.decode(changed, byCreated), GARBLED);
    }
  });

  it('refuses every truncation', () => {
    for (let length = 0; length < cursor.length; length++) {
      assertInvalid(() => codec.decode(cursor.slice(0, length), byCreated), GARBLED);
    }
  });

  it('refuses a wrong or missing prefix', () => {
    const body = cursor.slice('page_'.length);
    for (const changed of [body, `Page_${body}`, `page-${body}`, `next_${body}`, `page__${body}`]) {
      assertInvalid(() => codec.decode(changed, byCreated), GARBLED);
    }
  });

  it('refuses random base64url', () => {
    for (const size of [1, 16, 17, 48, 200]) {
      assertInvalid(() => codec.decode(`page_${randomBytes(size).toString('base64url')}`, byCreated), GARBLED);
    }
  });

  it("refuses another key's cursor", () => {
    assertInvalid(() => codec.decode(otherCodec.encode(byCreated, createdPos), byCreated), GARBLED);
    assertInvalid(() => otherCodec.decode(cursor, byCreated), GARBLED);
  });

  it('refuses a payload edited in place (the MAC no longer matches)', () => {
    const raw = Buffer.from(cursor.slice('page_'.length), 'base64url');
    const text = raw.toString('latin1').replace('uprof_01AbCdEfGhIjKlMnOpQrStUv', 'uprof_01AbCdEfGhIjKlMnOpQrStUz');
    assert.notEqual(text, raw.toString('latin1'));
    assertInvalid(() => codec.decode(`page_${Buffer.from(text, 'latin1').toString('base64url')}`, byCreated), GARBLED);
  });
});
