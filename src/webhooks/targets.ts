import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';

/**
 * Where webhooks may go. Unless private targets are allowed (a server on loopback, or
 * WEBHOOK_ALLOW_PRIVATE_TARGETS), an endpoint must be a public address: otherwise a platform key could aim
 * deliveries at the server's own network and read status and latency back from the delivery log. A URL
 * is checked when an endpoint is created or changed (an address in it, or a `localhost` name), and every
 * delivery again, after DNS resolution, connecting only to an address it checked (no DNS rebinding).
 */

/** [first address, prefix length, what it is] of the IPv4 ranges that are not public (IANA special-purpose registry). */
const IPV4_RANGES: readonly [string, number, string][] = [
  ['0.0.0.0', 8, 'unspecified ("this network")'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'shared (carrier-grade NAT)'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved (IETF protocol assignments)'],
  ['192.0.2.0', 24, 'reserved (documentation)'],
  ['192.88.99.0', 24, 'reserved (6to4 relay)'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'reserved (benchmarking)'],
  ['198.51.100.0', 24, 'reserved (documentation)'],
  ['203.0.113.0', 24, 'reserved (documentation)'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved (incl. broadcast)'],
];

/** [first address, prefix length, what it is] of the IPv6 ranges that are not public; those that embed an IPv4 address are judged by it. */
const IPV6_RANGES: readonly [string, number, string][] = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['::', 96, 'reserved (IPv4-compatible)'],
  ['64:ff9b:1::', 48, 'reserved (local NAT64)'],
  ['100::', 64, 'reserved (discard)'],
  ['2001::', 23, 'reserved (IETF protocol assignments)'],
  ['2001:db8::', 32, 'reserved (documentation)'],
  ['3fff::', 20, 'reserved (documentation)'],
  ['fc00::', 7, 'unique-local'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local'],
  ['ff00::', 8, 'multicast'],
];

/** IPv6 prefixes whose last 32 bits (or, for 6to4, bits 16–47) are an IPv4 address a packet reaches. */
const MAPPED = { prefix: [0, 0, 0, 0, 0, 0xffff], nat64: [0x64, 0xff9b, 0, 0, 0, 0] };

function ipv4Number(address: string): number {
  return address.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

/** The eight 16-bit words of an IPv6 address (zone id dropped; a trailing dotted IPv4 part allowed). */
function ipv6Words(address: string): number[] {
  let text = address.replace(/%.*$/, '');
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const n = ipv4Number(dotted[1]);
    text = `${text.slice(0, dotted.index)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, null];
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((word) => parseInt(word, 16)));
  const first = parse(head);
  const last = tail === null ? [] : parse(tail);
  return [...first, ...new Array(8 - first.length - last.length).fill(0), ...last];
}

function inIpv6Range(words: number[], first: number[], prefix: number): boolean {
  for (let bit = 0; bit < prefix; bit += 16) {
    const width = Math.min(16, prefix - bit);
    const mask = (0xffff << (16 - width)) & 0xffff;
    if ((words[bit / 16] & mask) !== (first[bit / 16] & mask)) return false;
  }
  return true;
}

const startsWith = (words: number[], prefix: number[]) => prefix.every((word, i) => words[i] === word);
const ipv4Of = (high: number, low: number) => `${high >>> 8}.${high & 0xff}.${low >>> 8}.${low & 0xff}`;

/** What kind of non-public address `address` (an IPv4 or IPv6 literal) is, or null when it is public. */
export function nonPublicKind(address: string): string | null {
  if (isIP(address) === 4) {
    const n = ipv4Number(address);
    for (const [first, prefix, kind] of IPV4_RANGES) {
      const size = 2 ** (32 - prefix);
      if (Math.floor(n / size) === Math.floor(ipv4Number(first) / size)) return kind;
    }
    return null;
  }
  const words = ipv6Words(address);
  // an address that carries an IPv4 address is as public as that address
  if (startsWith(words, MAPPED.prefix) || startsWith(words, MAPPED.nat64)) return nonPublicKind(ipv4Of(words[6], words[7]));
  if (words[0] === 0x2002) return nonPublicKind(ipv4Of(words[1], words[2]));
  for (const [first, prefix, kind] of IPV6_RANGES) {
    if (inIpv6Range(words, ipv6Words(first), prefix)) return kind;
  }
  // the Internet's unicast addresses are all in 2000::/3
  return (words[0] & 0xe000) === 0x2000 ? null : 'reserved (not global unicast)';
}

/** `localhost` and its subdomains always name the loopback interface (RFC 6761), whatever DNS says. */
const isLocalhostName = (hostname: string) => /(^|\.)localhost\.?$/i.test(hostname);

/** The address in a URL's hostname (`[::1]` → `::1`), or null when it is a name. */
function addressIn(hostname: string): string | null {
  const bare = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  return isIP(bare) ? bare : null;
}

/**
 * Why a URL's target is not public as far as the URL itself tells (an address, or a localhost name), or
 * null. Names other than localhost are resolved only when delivering. WHATWG URL parsing has already turned
 * decimal, octal, hexadecimal and shortened IPv4 forms into dotted quads.
 */
export function nonPublicUrl(url: URL): string | null {
  if (isLocalhostName(url.hostname)) return `${url.hostname} is a loopback name`;
  const address = addressIn(url.hostname);
  const kind = address === null ? null : nonPublicKind(address);
  return kind === null ? null : `${address} is a ${kind} address`;
}

/** Is `host` (what the server listens on) the loopback interface: a local development setup? */
export function isLoopbackHost(host: string): boolean {
  const address = addressIn(host);
  return isLocalhostName(host) || (address !== null && nonPublicKind(address) === 'loopback');
}

/** A delivery the target policy refused, before any connection was made. */
export class TargetRefused extends Error {
  override readonly name = 'TargetRefused';
}

/** A DNS lookup for the connection that refuses a name with any non-public address, and else hands out only the addresses it checked. */
const publicLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
    if (error) return callback(error, '', 0);
    const refused = addresses.find((a) => nonPublicKind(a.address) !== null);
    if (refused) {
      return callback(new TargetRefused(`refused: ${hostname} resolves to ${refused.address}, a ${nonPublicKind(refused.address)} address; this server delivers webhooks only to public addresses`), '', 0);
    }
    if (options.all) return (callback as unknown as (e: null, all: LookupAddress[]) => void)(null, addresses);
    callback(null, addresses[0].address, addresses[0].family);
  });
};

export interface PostOptions {
  headers: Record<string, string>;
  timeoutMs: number;
  allowPrivate: boolean;
}

/**
 * POSTs `body` to `target` and resolves to the response's status (its body is read and dropped). Rejects
 * with TargetRefused when the target is not public and private targets are not allowed, and with an error
 * named TimeoutError when no response arrives within `timeoutMs`. Redirects are not followed.
 */
export function post(target: string, body: string, options: PostOptions): Promise<number> {
  const url = new URL(target);
  if (!options.allowPrivate) {
    const address = addressIn(url.hostname);
    const kind = address === null ? null : nonPublicKind(address);
    if (kind !== null) return Promise.reject(new TargetRefused(`refused: ${address} is a ${kind} address; this server delivers webhooks only to public addresses`));
  }
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? https : http).request(url, {
      method: 'POST',
      headers: { ...options.headers, 'content-length': String(Buffer.byteLength(body)) },
      ...(options.allowPrivate ? {} : { lookup: publicLookup }),
    });
    const timer = setTimeout(() => {
      const error = new Error(`no answer within ${options.timeoutMs} ms`);
      error.name = 'TimeoutError';
      request.destroy(error);
    }, options.timeoutMs);
    request.on('response', (response) => {
      clearTimeout(timer);
      resolve(response.statusCode ?? 0);
      // the body is of no interest; reading it lets the connection serve the next delivery, unless it dawdles
      const dawdling = setTimeout(() => response.destroy(), options.timeoutMs);
      response.on('close', () => clearTimeout(dawdling)).resume();
    });
    request.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    request.end(body);
  });
}
