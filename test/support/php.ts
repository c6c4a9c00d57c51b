/**
 * The PHP SDK's wire habits (anthropic-sdk-php 0.43: src/Client.php, src/Core/BaseClient.php, src/Core/Util.php,
 * src/Services/Beta/UserProfilesRawService.php), emulated exactly over raw HTTP since PHP does not run here.
 * See test/e2e/php-wire.test.ts for the habits one by one. Not a test file itself.
 */
import { request } from 'node:http';
import type { RawResponse, TestServer } from './server.ts';

const PHP_VERSION = '0.43.0';
const SERVICE_BETA = 'user-profiles-2026-08-18';

/** What the PHP client puts on every request before the service's and the caller's own headers (Client.php). */
function defaultHeaders(apiKey: string): Record<string, string> {
  return {
    'anthropic-version': '2023-06-01',
    'Content-Type': 'application/json',
    Accept: 'application/json',
    'User-Agent': `anthropic/PHP ${PHP_VERSION}`,
    'X-Stainless-Lang': 'php',
    'X-Stainless-Package-Version': PHP_VERSION,
    'X-Stainless-Arch': 'x64',
    'X-Stainless-OS': 'Linux',
    'X-Stainless-Runtime': 'cli',
    'X-Stainless-Runtime-Version': '8.3.12',
    'X-Api-Key': apiKey,
    'X-Stainless-Retry-Count': '0',
  };
}

/** mergeBetaHeaders: the caller's betas, then the service's default, each once, as one ", "-joined line. */
export function phpBetaHeader(betas: readonly string[]): string {
  return [...new Set([...betas, SERVICE_BETA])].join(', ');
}

/** encodeQuery: rawurlencode on keys and values, lists as `key[]=…` (writeQueryElement) */
export function encodeQuery(query: [string, string | number | (string | number)[]][]): string {
  const pairs: [string, string][] = [];
  for (const [key, value] of query) {
    if (Array.isArray(value)) for (const item of value) pairs.push([`${key}[]`, String(item)]);
    else pairs.push([key, String(value)]);
  }
  const raw = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return pairs.map(([k, v]) => `${raw(k)}=${raw(v)}`).join('&');
}

export interface PhpCall {
  /** the caller's `betas` request parameter */
  betas?: string[];
  /** RequestOptions extraHeaders: a value replaces the service's anthropic-beta, null removes it */
  betaOverride?: string | null;
  /** the query after `beta=true`, in the order the SDK merges it */
  query?: [string, string | number | (string | number)[]][];
  body?: unknown;
}

/** One request exactly as PHP 0.43 builds it; node:http, so that nothing adds or drops a header. */
export function php(server: TestServer, apiKey: string, method: 'GET' | 'POST' | 'DELETE', path: string, call: PhpCall = {}): Promise<RawResponse> {
  const headers: Record<string, string> = defaultHeaders(apiKey);
  if (call.betaOverride === undefined) headers['anthropic-beta'] = phpBetaHeader(call.betas ?? []);
  else if (call.betaOverride !== null) headers['anthropic-beta'] = call.betaOverride;
  // Util::withSetBody: a JSON body only when there is one; Guzzle sends Content-Length: 0 for an empty POST/DELETE body
  const body = call.body === undefined ? '' : JSON.stringify(call.body);
  if (method !== 'GET') headers['Content-Length'] = String(Buffer.byteLength(body));
  const query = encodeQuery([['beta', 'true'], ...(call.query ?? [])]);
  const url = new URL(`${server.baseURL}/${path}?${query}`);
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        const responseHeaders = new Headers();
        for (const [name, value] of Object.entries(res.headers)) if (typeof value === 'string') responseHeaders.set(name, value);
        resolve({ status: res.statusCode!, headers: responseHeaders, text, json });
      });
    });
    req.on('error', reject);
    req.end(body === '' ? undefined : body);
  });
}

