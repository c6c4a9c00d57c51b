import { randomBytes } from 'node:crypto';

/**
 * Every identifier the server mints comes from here (decisions §22): a closed list of prefixes, then `01`,
 * then 22 base62 characters. The first 8 of those encode the creation time in milliseconds, so ids sort
 * roughly by age (which keeps B-tree inserts local); the remaining 14 are random (~83 bits).
 */
const PREFIXES = ['uprof', 'wrkspc', 'org', 'req', 'enac', 'apikey', 'whep', 'hist', 'idchk', 'msg', 'msgbatch'] as const;
export type IdPrefix = (typeof PREFIXES)[number];

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const TIME_CHARS = 8; // 62^8 ms ≈ 6,900 years
const RANDOM_CHARS = 14;

function encodeTime(ms: number): string {
  let out = '';
  let rest = ms;
  for (let i = 0; i < TIME_CHARS; i++) {
    out = BASE62[rest % 62] + out;
    rest = Math.floor(rest / 62);
  }
  return out;
}

/**
 * Random bytes are drawn from the kernel in 4 KiB blocks: a call per id (one per request, for request
 * ids) costs far more than the bytes themselves.
 */
const POOL_SIZE = 4096;
let pool = randomBytes(POOL_SIZE);
let poolOffset = 0;

function randomByte(): number {
  if (poolOffset === POOL_SIZE) {
    pool = randomBytes(POOL_SIZE);
    poolOffset = 0;
  }
  return pool[poolOffset++];
}

/** Random base62 text without modulo bias (bytes ≥ 248 are dropped and redrawn). */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    const byte = randomByte();
    if (byte < 248) out += BASE62[byte % 62];
  }
  return out;
}

export function newId(prefix: IdPrefix, now: number = Date.now()): string {
  return `${prefix}_01${encodeTime(now)}${randomBase62(RANDOM_CHARS)}`;
}

const ID_BODY = /^01[0-9A-Za-z]{22}$/;

/** True when `value` has the shape of an id we mint with `prefix`; anything else can never exist. */
export function isWellFormedId(prefix: IdPrefix, value: string): boolean {
  return value.startsWith(`${prefix}_`) && ID_BODY.test(value.slice(prefix.length + 1));
}

/** Webhook event ids have their own documented shape: `whe_` + 32 hex (decisions §28). */
export const EVENT_ID_PATTERN = '^whe_[0-9a-f]{32}$';
const EVENT_ID = new RegExp(EVENT_ID_PATTERN);

/** True when `value` has the shape of a webhook event id (`newEventId`); anything else can never exist. */
export const isWellFormedEventId = (value: string): boolean => EVENT_ID.test(value);

/** A new webhook event id: `whe_` and 16 random bytes in lower-case hex. */
export function newEventId(): string {
  let hex = '';
  for (let i = 0; i < 16; i++) hex += randomByte().toString(16).padStart(2, '0');
  return `whe_${hex}`;
}
