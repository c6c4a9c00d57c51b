import { isIPv6 } from 'node:net';
import { ApiError, authenticationFailed, RateLimitError } from '../errors.js';

export interface ThrottleLimits {
  /** failed attempts an address may make at once; 0 turns throttling off */
  limit: number;
  /** the budget refills at `limit` attempts per `windowMs` */
  windowMs: number;
  /** addresses remembered at most; beyond that the least recently failing are forgotten */
  maxAddresses: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * The budget of FAILED authentication attempts (decisions §42) per client address — unknown or revoked API keys on every API,
 * wrong keys at the console sign-in — in this process (one token bucket per address; a success costs nothing).
 * Once an address has spent its budget, further failures are answered 429 with `retry-after` instead of 401
 * until the budget refills.
 *
 * A valid key from a throttled address still passes: an attacker behind a shared NAT or a load balancer must
 * not lock every legitimate client of that address out. That also means the 429 does not hide which keys are
 * valid; what keeps keys from being guessed is their ~285 random bits, and this budget makes floods of wrong
 * keys visible, cheap to refuse, and slow for a client that honours `retry-after`.
 *
 * Memory is bounded: at most `maxAddresses` buckets (a Map in least-recently-failed order; the oldest goes
 * first), and IPv6 clients are counted per /64, the block one subscriber typically holds, so a client cannot
 * escape its budget by walking its own prefix. Each process keeps its own buckets: with N processes behind a
 * load balancer an address may fail up to N × limit times per window.
 */
export class FailureThrottle {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly limits: ThrottleLimits, private readonly now: () => number = Date.now) {}

  /** How many addresses are remembered (for tests of the bound). */
  get size(): number {
    return this.buckets.size;
  }

  /**
   * Records a failed attempt from `address` and says how to answer it: 401 (`authentication`) while the
   * address has budget left, else a 429 naming when it may try again.
   */
  fail(address: string, authentication: ApiError = authenticationFailed(), now = this.now()): ApiError {
    const { limit, windowMs, maxAddresses } = this.limits;
    if (limit <= 0) return authentication;
    const id = addressKey(address);
    const bucket = this.refilled(id, now);
    this.buckets.delete(id); // re-inserted last: the Map's first entry is the least recently failing address
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      this.buckets.set(id, bucket);
      if (this.buckets.size > maxAddresses) this.buckets.delete(this.buckets.keys().next().value!);
      return authentication;
    }
    this.buckets.set(id, bucket);
    const waitMs = ((1 - bucket.tokens) * windowMs) / limit;
    const seconds = Math.max(1, Math.ceil(waitMs / 1000));
    return new RateLimitError(
      `Too many failed authentication attempts from your address; try again in ${seconds} s. Valid keys are not affected.`,
      seconds,
    );
  }

  private refilled(id: string, now: number): Bucket {
    const { limit, windowMs } = this.limits;
    const bucket = this.buckets.get(id);
    if (!bucket) return { tokens: limit, at: now };
    const tokens = Math.min(limit, bucket.tokens + ((now - bucket.at) * limit) / windowMs);
    return { tokens, at: now };
  }
}

/** An IPv4 address as is; an IPv6 address by its /64 (an IPv4-mapped one as its IPv4 address). */
export function addressKey(address: string): string {
  if (address.startsWith('::ffff:') && !isIPv6(address.slice(7))) return address.slice(7);
  if (!isIPv6(address)) return address;
  const [head, tail = ''] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = address.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => g.toLowerCase().replace(/^0+(?=.)/, '')).join(':')}::/64`;
}
