import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { MintedKey } from '../../src/keys.ts';
import { Standing } from '../../src/standing.ts';
import type { CyberTier, EfsFeature } from '../../src/domain/programs.ts';
import { currentSdk, type TestServer } from '../support/server.ts';

/** One organization with a platform key (to read profiles through the SDK) and an operator key (to sign in). */
export interface ConsoleOrg {
  name: string;
  platform: MintedKey;
  operator: MintedKey;
}

export async function newConsoleOrg(server: TestServer): Promise<ConsoleOrg> {
  const name = `console-${randomUUID()}`;
  const platform = await server.newKey({ organization: name });
  const operator = await server.newKey({ organization: name, role: 'operator' });
  return { name, platform, operator };
}

export async function newProfile(server: TestServer, org: ConsoleOrg, name = 'Ada Lovelace'): Promise<string> {
  return (await currentSdk(server, org.platform.api_key).userProfiles.create({ name })).id;
}

/** The profile as a platform sees it: the official SDK, GA surface. */
export const retrieve = (server: TestServer, org: ConsoleOrg, id: string) => currentSdk(server, org.platform.api_key).userProfiles.retrieve(id);

/**
 * The end customer's side (applications, identity check submission), through the same standing service
 * the hosted portal uses: the console's queue needs something to review.
 */
export function endCustomer(server: TestServer, org: ConsoleOrg) {
  const standing = new Standing(server.store, server.clock.now);
  const actor = { type: 'end_customer' as const, id: 'action' };
  const orgId = org.platform.organization_id;
  return {
    applyForCyber: (id: string, tiers: CyberTier[]) => standing.applyForCyber(orgId, id, actor, tiers),
    applyForEfs: (id: string, features: EfsFeature[]) => standing.applyForEfs(orgId, id, actor, features),
    submitIdentityCheck: (id: string, evidence?: Parameters<TestServer['sealedEvidence']>[0]) =>
      standing.submitIdentityCheck(orgId, id, actor, server.sealedEvidence(evidence)),
  };
}

export interface PageResponse {
  status: number;
  headers: Headers;
  html: string;
  location: string | null;
  setCookies: string[];
}

/** The CSRF token of the first form in a page (all forms of one session carry the same token). */
export function csrfOf(html: string): string {
  const match = /name="csrf" value="([^"]+)"/.exec(html);
  assert.ok(match, 'the page has a form with a csrf field');
  return match[1];
}

/** A browser without a browser: fetch with a cookie jar of its own, redirects not followed. */
export class ConsoleClient {
  readonly cookies = new Map<string, string>();

  constructor(readonly server: TestServer) {}

  cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  async request(method: 'GET' | 'POST', path: string, form?: Record<string, string | string[]>, headers: Record<string, string> = {}): Promise<PageResponse> {
    const body = form === undefined ? undefined : new URLSearchParams(Object.entries(form).flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x): [string, string] => [k, x])));
    const response = await fetch(this.server.baseURL + path, {
      method,
      redirect: 'manual',
      headers: {
        ...(this.cookies.size > 0 ? { cookie: this.cookieHeader() } : {}),
        ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        ...headers,
      },
      body,
    });
    const setCookies = response.headers.getSetCookie();
    for (const line of setCookies) {
      const [pair] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      if (/;\s*Max-Age=0\b/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, pair.slice(eq + 1));
    }
    return { status: response.status, headers: response.headers, html: await response.text(), location: response.headers.get('location'), setCookies };
  }

  get(path: string) {
    return this.request('GET', path);
  }

  /** A JSON post with this session's cookies (the console takes forms only, so it must refuse it). */
  async postJson(path: string, body: unknown): Promise<PageResponse> {
    const r = await fetch(this.server.baseURL + path, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: this.cookieHeader(), 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: r.status, headers: r.headers, html: await r.text(), location: r.headers.get('location'), setCookies: r.headers.getSetCookie() };
  }

  post(path: string, form: Record<string, string | string[]>) {
    return this.request('POST', path, form);
  }

  /** Opens the sign-in page and submits `key` with its form's token. */
  async signIn(key: string): Promise<PageResponse> {
    const page = await this.get('/console/sign-in');
    assert.equal(page.status, 200);
    return this.post('/console/sign-in', { csrf: csrfOf(page.html), key });
  }

  /** The CSRF token of this session's forms, read from a page as a browser would. */
  async csrf(): Promise<string> {
    const page = await this.get('/console');
    assert.equal(page.status, 200, 'signed in');
    return csrfOf(page.html);
  }

  /** Posts a form of this session (with its CSRF token unless `csrf` overrides it). */
  async submit(path: string, form: Record<string, string | string[]>, csrf?: string): Promise<PageResponse> {
    return this.post(path, { csrf: csrf ?? (await this.csrf()), ...form });
  }
}

export async function signedIn(server: TestServer, org: ConsoleOrg): Promise<ConsoleClient> {
  const client = new ConsoleClient(server);
  const response = await client.signIn(org.operator.api_key);
  assert.equal(response.status, 303);
  assert.equal(response.location, '/console');
  return client;
}

export const profilePath = (id: string) => `/console/profiles/${id}`;
