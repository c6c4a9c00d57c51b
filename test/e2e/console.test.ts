import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeEachEngine } from '../support/suite.ts';
import { DeliveryWorker } from '../../src/webhooks/worker.ts';
import { Clock } from '../../src/clock.ts';
import {
  ConsoleClient, csrfOf, endCustomer, newConsoleOrg, newProfile, profilePath, retrieve, signedIn,
  type ConsoleOrg, type PageResponse,
} from './console-client.ts';

/**
 * The review console (decisions §24) over real HTTP, with a cookie jar of our own: sign-in and session
 * cookies, CSRF on every form, organization scoping, and every decision as the platform then sees it
 * through the official SDK. Every refused request is shown to change nothing.
 */

const MINUTE = 60_000;
/** What `<input type="datetime-local">` sends, for a UTC instant (minute precision). */
const datetimeLocal = (ms: number) => new Date(ms).toISOString().slice(0, 16);

function assertRedirectedToSignIn(response: PageResponse) {
  assert.equal(response.status, 303);
  assert.equal(response.location, '/console/sign-in');
}

function assertSecurityHeaders(response: PageResponse) {
  assert.equal(
    response.headers.get('content-security-policy'),
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  );
  assert.equal(response.headers.get('cache-control'), 'no-store');
}


const sessionCookieLine = (response: PageResponse) => response.setCookies.find((line) => line.startsWith('uprof_console='));

/**
 * A cyber form as the console renders it: `active` is the Approve form (`tiers` maps a tier to what is
 * ticked for it), `rejected` the Reject form with a reason; anything else is a form the console never renders.
 */
function cyberForm(status: string, tiers: Record<string, { requires?: string[]; waives?: string[] }>, earlierModels = false) {
  if (status === 'rejected') return { decision: 'reject', reason: 'usage_policy' };
  const form: Record<string, string> = status === 'active' ? { decision: 'approve' } : { decision: status };
  for (const [tier, t] of Object.entries(tiers)) {
    form[`tier_${tier}_active`] = 'on';
    for (const r of t.requires ?? []) form[`tier_${tier}_requires_${r}`] = 'on';
    for (const r of t.waives ?? []) form[`tier_${tier}_waives_${r}`] = 'on';
  }
  if (earlierModels) form.earlier_models = 'on';
  return form;
}

describeEachEngine('review console', (server) => {
  /** Runs `refused` and shows it changed nothing the platform can see, nor the profile's history. */
  async function assertNoChange(org: ConsoleOrg, id: string, refused: () => Promise<void>) {
    const before = await retrieve(server(), org, id);
    const history = await server().store.profiles.history(org.platform.organization_id, id);
    await refused();
    assert.deepEqual(await retrieve(server(), org, id), before);
    assert.deepEqual(await server().store.profiles.history(org.platform.organization_id, id), history);
  }

  /** Submits a console form that must be refused on the profile page with `status` and `message`. */
  async function assertRefusedOnPage(client: ConsoleClient, org: ConsoleOrg, id: string, path: string, form: Record<string, string>, status: number, message: RegExp) {
    await assertNoChange(org, id, async () => {
      const response = await client.submit(path, form);
      assert.equal(response.status, status, `${path} ${JSON.stringify(form)}`);
      assert.match(response.html, message);
      assert.match(response.html, /role="alert"/);
    });
  }

  async function decided(client: ConsoleClient, path: string, form: Record<string, string>, saved: string) {
    const response = await client.submit(path, form);
    assert.equal(response.status, 303, response.html);
    assert.match(response.location ?? '', new RegExp(`^${path.replace(/\/(cyber|efs|actions.*)$/, '')}\\?saved=${saved}#`));
  }

  describe('sign-in and sessions', () => {
    it('signs in with an operator key into an HttpOnly, SameSite=Strict cookie scoped to /console', async () => {
      const org = await newConsoleOrg(server());
      const client = new ConsoleClient(server());
      const form = await client.get('/console/sign-in');
      assertSecurityHeaders(form);
      const nonce = form.setCookies.find((line) => line.startsWith('uprof_console_signin='));
      assert.match(nonce ?? '', /; Path=\/console\/sign-in; Max-Age=1800; HttpOnly; SameSite=Strict$/);

      const response = await client.post('/console/sign-in', { csrf: csrfOf(form.html), key: org.operator.api_key });
      assert.equal(response.status, 303);
      assert.equal(response.location, '/console');
      const line = sessionCookieLine(response);
      assert.ok(line, 'a session cookie is set');
      assert.match(line, /; Path=\/console; Max-Age=28800; HttpOnly; SameSite=Strict$/);
      assert.doesNotMatch(line, /Secure/, 'plain http: no Secure flag');
      const value = client.cookies.get('uprof_console')!;
      assert.ok(!value.includes(org.operator.api_key) && !Buffer.from(value.split('.')[0], 'base64url').toString().includes(org.operator.api_key));
      assert.ok(!client.cookies.has('uprof_console_signin'), 'the sign-in nonce is cleared');

      const queue = await client.get('/console');
      assert.equal(queue.status, 200);
      assert.match(queue.html, /<title>Review queue<\/title>/);
      assert.ok(queue.html.includes(org.name), 'the header names the organization');
      // signed in, the sign-in page sends the operator on
      assert.equal((await client.get('/console/sign-in')).location, '/console');
    });

    it('refuses platform, admin, unknown, revoked and empty keys, setting no session cookie', async () => {
      const org = await newConsoleOrg(server());
      const admin = await server().newKey({ organization: org.name, role: 'admin' });
      const revoked = await server().newKey({ organization: org.name, role: 'operator' });
      assert.ok(await server().store.tenancy.revokeKey(revoked.key_id, Date.now()));
      const refused = {
        platform: org.platform.api_key,
        admin: admin.api_key,
        unknown: `sk-uprof-op01-${'x'.repeat(48)}`,
        revoked: revoked.api_key,
        empty: '',
      };
      for (const [kind, key] of Object.entries(refused)) {
        const client = new ConsoleClient(server());
        const response = await client.signIn(key);
        assert.equal(response.status, 401, kind);
        assert.equal(sessionCookieLine(response), undefined, `${kind}: no session cookie`);
        assert.match(response.html, /not a live operator key/);
        if (key) assert.ok(!response.html.includes(key), `${kind}: the key is not echoed`);
        assertRedirectedToSignIn(await client.get('/console'));
      }
    });

    it('refuses a sign-in form without its nonce cookie or with another token (login CSRF)', async () => {
      const org = await newConsoleOrg(server());
      const mine = new ConsoleClient(server());
      const theirs = new ConsoleClient(server());
      const myPage = await mine.get('/console/sign-in');
      const theirPage = await theirs.get('/console/sign-in');
      const attempts: Array<[string, ConsoleClient, Record<string, string>]> = [
        ['no nonce cookie', new ConsoleClient(server()), { csrf: csrfOf(myPage.html), key: org.operator.api_key }],
        ['another form\'s token', mine, { csrf: csrfOf(theirPage.html), key: org.operator.api_key }],
        ['no token', mine, { key: org.operator.api_key }],
      ];
      for (const [what, client, form] of attempts) {
        const response = await client.post('/console/sign-in', form);
        assert.equal(response.status, 403, what);
        assert.equal(sessionCookieLine(response), undefined, what);
        assertSecurityHeaders(response);
      }
      // the genuine form still works (the other side of the rule)
      assert.equal((await mine.post('/console/sign-in', { csrf: csrfOf(myPage.html), key: org.operator.api_key })).status, 303);
    });

    it('without a session every page and form sends the operator to sign-in', async () => {
      const org = await newConsoleOrg(server());
      const id = await newProfile(server(), org);
      const anonymous = new ConsoleClient(server());
      for (const path of ['/console', '/console/', '/console/profiles', profilePath(id)]) {
        const response = await anonymous.get(path);
        assertRedirectedToSignIn(response);
        assertSecurityHeaders(response);
      }
      await assertNoChange(org, id, async () => {
        assertRedirectedToSignIn(await anonymous.post(`${profilePath(id)}/cyber`, cyberForm('active', { a: {} })));
      });
    });

    it('a tampered cookie, a revoked key or an expired session goes back to sign-in, changing nothing', async () => {
      const org = await newConsoleOrg(server());
      const id = await newProfile(server(), org);
      const client = await signedIn(server(), org);
      const csrf = await client.csrf();
      const genuine = client.cookies.get('uprof_console')!;
      // a token (src/tokens.ts): version ‖ JSON [claims, expiry] ‖ 16-byte MAC, in base64url
      const raw = Buffer.from(genuine, 'base64url');
      const [claims, expiry] = JSON.parse(raw.subarray(1, -16).toString());
      const mac = raw.subarray(-16);
      const reMaced = (payload: unknown, signature: Buffer = mac) =>
        Buffer.concat([raw.subarray(0, 1), Buffer.from(JSON.stringify(payload)), signature]).toString('base64url');
      const other = await newConsoleOrg(server());
      const forgeries = {
        'flipped signature': reMaced([claims, expiry], Buffer.from(mac.map((b, i) => (i === 15 ? b ^ 1 : b)))),
        'extended expiry': reMaced([claims, expiry + 1e9]),
        'another organization': reMaced([{ ...claims, o: other.operator.organization_id }, expiry]),
        'no signature': raw.subarray(0, -16).toString('base64url'),
        garbage: 'garbage',
      };
      const attempt = async (cookie: string, what: string) => {
        client.cookies.set('uprof_console', cookie);
        const page = await client.get('/console');
        assertRedirectedToSignIn(page);
        assert.match(page.setCookies.join('\n'), /^uprof_console=; Path=\/console; Max-Age=0/m, `${what}: the cookie is cleared`);
        client.cookies.set('uprof_console', cookie);
        await assertNoChange(org, id, async () => {
          assertRedirectedToSignIn(await client.post(`${profilePath(id)}/cyber`, { csrf, ...cyberForm('active', { a: {} }) }));
        });
      };
      for (const [what, cookie] of Object.entries(forgeries)) await attempt(cookie, what);

      // the genuine cookie still works: the refusals above were about the forgeries
      client.cookies.set('uprof_console', genuine);
      assert.equal((await client.get('/console')).status, 200);

      // revoking the key ends its sessions
      const second = await newConsoleOrg(server());
      const secondId = await newProfile(server(), second);
      const revokedClient = await signedIn(server(), second);
      const revokedCsrf = await revokedClient.csrf();
      const revokedCookie = revokedClient.cookies.get('uprof_console')!;
      assert.ok(await server().store.tenancy.revokeKey(second.operator.key_id, Date.now()));
      assertRedirectedToSignIn(await revokedClient.get('/console'));
      revokedClient.cookies.set('uprof_console', revokedCookie);
      await assertNoChange(second, secondId, async () => {
        assertRedirectedToSignIn(await revokedClient.post(`${profilePath(secondId)}/cyber`, { csrf: revokedCsrf, ...cyberForm('active', { a: {} }) }));
      });

      // sessions last 8 hours
      server().clock.advance(8 * 60 * MINUTE - MINUTE);
      client.cookies.set('uprof_console', genuine);
      assert.equal((await client.get('/console')).status, 200, 'still valid a minute before expiry');
      server().clock.advance(2 * MINUTE);
      await attempt(genuine, 'expired');
    });

    it('signing out needs the form token and clears the cookie', async () => {
      const org = await newConsoleOrg(server());
      const client = await signedIn(server(), org);
      const forged = await client.post('/console/sign-out', {});
      assert.equal(forged.status, 403);
      assert.equal(sessionCookieLine(forged), undefined);
      assert.equal((await client.get('/console')).status, 200, 'a forged sign-out does not sign out');
      const response = await client.submit('/console/sign-out', {});
      assertRedirectedToSignIn(response);
      assert.match(sessionCookieLine(response) ?? '', /^uprof_console=; Path=\/console; Max-Age=0; HttpOnly; SameSite=Strict$/);
      assertRedirectedToSignIn(await client.get('/console'));
    });
  });

  describe('queue and profiles', () => {
    it('queues profiles with pending applications and identity checks, of the operator\'s organization only', async () => {
      const org = await newConsoleOrg(server());
      const customer = endCustomer(server(), org);
      const [cyber, efs, check, quiet] = await Promise.all(['Cyber applicant', 'EFS applicant', 'Checked', 'Quiet'].map((n) => newProfile(server(), org, n)));
      await customer.applyForCyber(cyber, ['a', 'b']);
      await customer.applyForEfs(efs, ['cmek']);
      const client = await signedIn(server(), org);
      await decided(client, `${profilePath(check)}/actions`, { type: 'restriction', reason: 'high_harm', clearable: 'on' }, 'opened');
      await customer.submitIdentityCheck(check);
      const other = await newConsoleOrg(server());
      const foreign = await newProfile(server(), other, 'Foreign applicant');
      await endCustomer(server(), other).applyForCyber(foreign, ['a']);

      const queue = await client.get('/console');
      assert.equal(queue.status, 200);
      for (const id of [cyber, efs, check]) assert.ok(queue.html.includes(`href="${profilePath(id)}"`), `${id} is queued`);
      assert.ok(!queue.html.includes(quiet), 'nothing pending: not queued');
      assert.ok(!queue.html.includes(foreign), 'another organization: not queued');
      assert.match(queue.html, /Cyber application: A \(Specialized Access\), B \(Red Team Access\)/);
      assert.match(queue.html, /EFS application: Customer-managed encryption keys/);
      assert.match(queue.html, /Identity check on the restriction \(High harm\)/);

      // a decision takes the profile off the queue
      await decided(client, `${profilePath(cyber)}/cyber`, cyberForm('active', { a: {} }), 'cyber');
      assert.ok(!(await client.get('/console')).html.includes(cyber));
    });

    it('lists profiles newest first, page by page, and goes to a profile by id', async () => {
      const org = await newConsoleOrg(server());
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push(await newProfile(server(), org, `Profile ${i}`));
      const client = await signedIn(server(), org);
      const seen: string[] = [];
      let path: string | null = '/console/profiles?limit=2';
      let pages = 0;
      while (path) {
        const page = await client.get(path);
        assert.equal(page.status, 200);
        seen.push(...[...page.html.matchAll(/href="\/console\/profiles\/(uprof_[0-9A-Za-z]+)"/g)].map((m) => m[1]));
        path = /href="([^"]+)" rel="next"/.exec(page.html)?.[1]?.replaceAll('&amp;', '&') ?? null;
        pages++;
      }
      assert.equal(pages, 3);
      assert.deepEqual(seen, [...ids].reverse());

      const go = await client.get(`/console/profiles?id=${encodeURIComponent(` ${ids[2]} `)}`);
      assert.equal(go.status, 303);
      assert.equal(go.location, profilePath(ids[2]));

      assert.equal((await client.get('/console/profiles?limit=100')).status, 200);
      for (const bad of ['0', '101', 'x']) {
        const response = await client.get(`/console/profiles?limit=${bad}`);
        assert.equal(response.status, 400, `limit=${bad}`);
        assertSecurityHeaders(response);
      }
      assert.equal((await client.get('/console/profiles?page=page_forged')).status, 400);
    });

    it('shows a profile in full and escapes what the platform wrote', async () => {
      const org = await newConsoleOrg(server());
      const id = await newProfile(server(), org, '<script>alert("x")</script>');
      const client = await signedIn(server(), org);
      const page = await client.get(profilePath(id));
      assert.equal(page.status, 200);
      assert.ok(!page.html.includes('<script>'), 'no markup from data');
      assert.ok(page.html.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;'));
      for (const section of ['id="cyber"', 'id="efs"', 'id="enforcement"', 'id="history"']) assert.ok(page.html.includes(section), section);
      assert.match(page.html, /created the profile as <q>&lt;script&gt;/);
      assertSecurityHeaders(page);
      assert.equal((await client.get('/console/profiles/uprof_nonsense')).status, 404);
      assert.equal((await client.get('/console/nowhere')).status, 404);
    });
  });

  describe('decisions, as the platform then sees them', () => {
    it('approves cyber tiers with requirements and waivers, then rejects', async () => {
      const org = await newConsoleOrg(server());
      const id = await newProfile(server(), org);
      await endCustomer(server(), org).applyForCyber(id, ['a', 'b']);
      const client = await signedIn(server(), org);
      const path = `${profilePath(id)}/cyber`;

      await decided(client, path, cyberForm('active', { a: { requires: ['data_retention', 'human_review'], waives: ['human_review'] }, b: {} }), 'cyber');
      let cyber = (await retrieve(server(), org, id)).programs.cyber!;
      assert.equal(cyber.status, 'active');
      assert.deepEqual(cyber.tiers, { a: { status: 'active' }, b: { status: 'active' }, c: { status: 'inactive' } });
      assert.deepEqual(cyber.requirements, { data_retention: true, human_review: false });

      // the form states tiers in full: unticking the waiver puts the requirement back
      await decided(client, path, cyberForm('active', { a: { requires: ['data_retention', 'human_review'] } }), 'cyber');
      cyber = (await retrieve(server(), org, id)).programs.cyber!;
      assert.deepEqual(cyber.tiers, { a: { status: 'active' }, b: { status: 'inactive' }, c: { status: 'inactive' } });
      assert.deepEqual(cyber.requirements, { data_retention: true, human_review: true });

      await decided(client, path, cyberForm('rejected', { a: {} }), 'cyber_rejected');
      cyber = (await retrieve(server(), org, id)).programs.cyber!;
      assert.equal(cyber.status, 'rejected');
      assert.deepEqual(cyber.tiers, { a: { status: 'inactive' }, b: { status: 'inactive' }, c: { status: 'inactive' } });
      assert.equal(cyber.requirements, null);

      const page = await client.get(`${profilePath(id)}?saved=cyber_rejected`);
      assert.match(page.html, /Cyber decision saved: rejected\./);
      assert.match(page.html, /set the Cyber Verification Program to rejected \(it was active\)\. Reason given: The application does not meet the usage policies/);
      assert.ok(page.html.includes(`<strong>Operator key …${org.operator.api_key.slice(-4)}</strong> set the Cyber`), 'history names the operator key');
      // a rejection needs its reason
      await assertRefusedOnPage(client, org, id, path, { decision: 'reject' }, 400, /reason: choose the reason/);
    });

    it('refuses an incoherent or unknown cyber decision on the page, changing nothing', async () => {
      const org = await newConsoleOrg(server());
      const id = await newProfile(server(), org);
      const client = await signedIn(server(), org);
      const path = `${profilePath(id)}/cyber`;
      await assertRefusedOnPage(client, org, id, path, cyberForm('active', {}), 400, /an active cyber program needs at least one active tier/);
      await assertRefusedOnPage(client, org, id, path, cyberForm('approved', { a: {} }), 400, /decision: must be &quot;approve&quot; or &quot;reject&quot;/);
      await assertRefusedOnPage(client, org, id, path, {}, 400, /decision: must be &quot;approve&quot; or &quot;reject&quot;/);
      await assertRefusedOnPage(client, org, id, path, { decision: 'reject', reason: 'because' }, 400, /reason: must be one of/);
      // the other side: earlier-model access alone makes an active program
      await decided(client, path, cyberForm('active', {}, true), 'cyber');
      const cyber = (await retrieve(server(), org, id)).programs.cyber!;
      assert.equal(cyber.status, 'active');
      assert.equal(cyber.requirements, null);
    });

    it('decides EFS features', async () => {
      const org = await newConsoleOrg(server());
      const id = await newProfile(server(), org);
      await endCustomer(server(), org).applyForEfs(id, ['cmek', 'storage']);
      const client = await signedIn(server(), org);
      const path = `${profilePath(id)}/efs`;
      await decided(client, path, { decision: 'approve', feature_cmek: 'on', feature_storage: 'on' }, 'efs');
      assert.deepEqual((await retrieve(server(), org, id)).programs.efs, {
        status: 'active',
        features: { data_retention_exemption: { status: 'inactive' }, cmek: { status: 'active' }, storage: { status: 'active' } },
      });
      await assertRefusedOnPage(client, org, id, path, { decision: 'granted', feature_cmek: 'on' }, 400, /decision: must be/);
      await assertRefusedOnPage(client, org, id, path, { decision: 'approve' }, 400, /tick at least one feature/);
      await decided(client, path, { decision: 'reject', reason: 'incomplete_application' }, 'efs_rejected');
      assert.deepEqual((await retrieve(server(), org, id)).programs.efs, {
        status: 'rejected',
        features: { data_retention_exemption: { status: 'inactive' }, cmek: { status: 'inactive' }, storage: { status: 'inactive' } },
      });
    });

    it('opens a clearable restriction with an expiry and resolves it', async () => {
      const org = await newConsoleOrg(server());
      const id = await newProfile(server(), org);
      const client = await signedIn(server(), org);
      const expires = Math.floor((server().clock.now() + 2 * 24 * 60 * MINUTE) / MINUTE) * MINUTE;
      await decided(client, `${profilePath(id)}/actions`, { type: 'restriction', reason: 'fraud_or_abuse', expires_at: datetimeLocal(expires), clearable: 'on' }, 'opened');
      const restricted = await retrieve(server(), org, id);
      assert.equal(restricted.enforcement_status, 'restricted');
      assert.equal(restricted.enforcement_actions.length, 1);
      const [action] = restricted.enforcement_actions;
      assert.equal(action.type, 'restriction');
      assert.equal(action.reason, 'fraud_or_abuse');
      assert.equal((action as any).action, 'verify');
      assert.equal(action.expires_at, new Date(expires).toISOString().replace('.000Z', 'Z'));
      const history = (await client.get(profilePath(id))).html;
      assert.match(history, /opened a restriction \(Fraud or abuse\), which an identity check can clear, lapsing \d+ \w+ \d{4}, \d\d:\d\d UTC\./);

      // resolving asks first, and changes nothing until confirmed
      await assertNoChange(org, id, async () => {
        const ask = await client.submit(`${profilePath(id)}/actions/${action.id}/resolve`, {});
        assert.equal(ask.status, 200);
        assert.match(ask.html, /<h1>Resolve this restriction\?<\/h1>/);
        assert.match(ask.html, /name="confirm" value="yes"/);
        assert.match(ask.html, /Yes, resolve the restriction/);
      });
      await decided(client, `${profilePath(id)}/actions/${action.id}/resolve`, { confirm: 'yes' }, 'resolved');
      const resolved = await retrieve(server(), org, id);
      assert.equal(resolved.enforcement_status, 'unrestricted');
      assert.deepEqual(resolved.enforcement_actions, []);
      // resolving it again: nothing open by that id
      await assertRefusedOnPage(client, org, id, `${profilePath(id)}/actions/${action.id}/resolve`, {}, 404, /No open enforcement action/);
      await assertRefusedOnPage(client, org, id, `${profilePath(id)}/actions/${action.id}/resolve`, { confirm: 'yes' }, 404, /No open enforcement action/);
      // it is listed as resolved, with who resolved it
      const after = (await client.get(profilePath(id))).html;
      assert.match(after, /<summary>Resolved actions \(1\)<\/summary>/);
      assert.match(after, /<strong>restriction \(Fraud or abuse\)<\/strong>: resolved by Operator key …/);
    });

    it('opens bans and account-compromise restrictions without expiry, and refuses what the rules forbid', async () => {
      const org = await newConsoleOrg(server());
      const id = await newProfile(server(), org);
      const client = await signedIn(server(), org);
      const path = `${profilePath(id)}/actions`;
      const now = server().clock.now();
      const refusals: Array<[Record<string, string>, RegExp]> = [
        [{ type: 'restriction', reason: 'high_harm', expires_at: datetimeLocal(now - MINUTE) }, /expires_at: must be in the future/],
        [{ type: 'restriction', reason: 'high_harm', expires_at: 'tomorrow' }, /expires_at: give a date and time/],
        [{ type: 'restriction', reason: 'high_harm', expires_at: '2030-02-30T10:00' }, /is not a valid date and time/],
        [{ type: 'ban', reason: 'high_harm', clearable: 'on', confirm: 'yes' }, /a ban cannot be cleared/],
        [{ type: 'ban', reason: 'high_harm', expires_at: datetimeLocal(now + 60 * MINUTE), confirm: 'yes' }, /never expire/],
        [{ type: 'restriction', reason: 'account_compromise', expires_at: datetimeLocal(now + 60 * MINUTE) }, /never expire/],
        [{ type: 'suspension', reason: 'high_harm' }, /type: must be one of/],
        [{ type: 'restriction', reason: 'because' }, /reason: must be one of/],
      ];
      for (const [form, message] of refusals) await assertRefusedOnPage(client, org, id, path, form, 400, message);

      // the other sides: an expiry two minutes ahead (with seconds, as some pickers send), a ban, account_compromise
      await decided(client, path, { type: 'restriction', reason: 'unspecified', expires_at: `${datetimeLocal(now + 2 * MINUTE)}:30` }, 'opened');
      await decided(client, path, { type: 'restriction', reason: 'account_compromise', expires_at: '' }, 'opened');
      let profile = await retrieve(server(), org, id);
      assert.equal(profile.enforcement_status, 'restricted');
      assert.deepEqual(profile.enforcement_actions.map((a) => [a.reason, a.expires_at === null, (a as any).action]), [
        ['unspecified', false, null],
        ['account_compromise', true, null],
      ]);
      // a ban asks first
      await assertNoChange(org, id, async () => {
        const ask = await client.submit(path, { type: 'ban', reason: 'usage_policy_violation' });
        assert.equal(ask.status, 200);
        assert.match(ask.html, /<h1>Ban this profile\?<\/h1>/);
        assert.match(ask.html, /name="type" value="ban"/);
      });
      await decided(client, path, { type: 'ban', reason: 'usage_policy_violation', confirm: 'yes' }, 'opened');
      profile = await retrieve(server(), org, id);
      assert.equal(profile.enforcement_status, 'banned');
      assert.equal(profile.enforcement_actions.at(-1)!.type, 'ban');
      assert.equal(profile.enforcement_actions.at(-1)!.expires_at, null);
    });

    it('lists a lapsed restriction as resolved (it lapsed), which the platform no longer sees', async () => {
      const org = await newConsoleOrg(server());
      const id = await newProfile(server(), org);
      const client = await signedIn(server(), org);
      const expires = Math.floor((server().clock.now() + 5 * MINUTE) / MINUTE) * MINUTE;
      await decided(client, `${profilePath(id)}/actions`, { type: 'restriction', reason: 'high_harm', expires_at: datetimeLocal(expires) }, 'opened');
      const page = await client.get(profilePath(id));
      assert.match(page.html, /<span class="status bad">open<\/span>/);
      assert.match(page.html, />Resolve…</);
      server().clock.advance(10 * MINUTE);
      const lapsed = await client.get(profilePath(id));
      assert.doesNotMatch(lapsed.html, />Resolve…</, 'nothing left to resolve');
      // the worker's sweeper ends it (one round, awaited: the server's own worker is kept out of the way here)
      await new DeliveryWorker(server().store, server().secrets, { retrySchedule: [], timeoutMs: 1000, disableAfter: 1, pollMs: 600_000, allowPrivateTargets: true }, new Clock(server().clock.now), console).tick();
      const html = (await client.get(profilePath(id))).html;
      assert.match(html, /<summary>Resolved actions \(1\)<\/summary>/);
      assert.match(html, /<strong>restriction \(High harm\)<\/strong>: lapsed by uprof/);
      const profile = await retrieve(server(), org, id);
      assert.equal(profile.enforcement_status, 'unrestricted');
      assert.deepEqual(profile.enforcement_actions, []);
    });

    it('fails and passes an identity check', async () => {
      const org = await newConsoleOrg(server());
      const id = await newProfile(server(), org);
      const client = await signedIn(server(), org);
      await decided(client, `${profilePath(id)}/actions`, { type: 'restriction', reason: 'unsupported_region', clearable: 'on' }, 'opened');
      const [action] = (await retrieve(server(), org, id)).enforcement_actions;
      const path = `${profilePath(id)}/actions/${action.id}/identity-check`;
      // no check submitted yet: nothing to review
      await assertRefusedOnPage(client, org, id, path, { result: 'passed' }, 400, /has no identity check in review/);

      await endCustomer(server(), org).submitIdentityCheck(id);
      let profile = await retrieve(server(), org, id);
      assert.equal(profile.enforcement_status, 'pending');
      assert.equal((profile.enforcement_actions[0] as any).action, null);
      const review = (await client.get(profilePath(id))).html;
      assert.match(review, />Pass the check</);
      assert.match(review, /<th scope="row">Legal name<\/th><td data-label="Submitted">Ann Example<\/td><td data-label="The platform states">Ada Lovelace<\/td><td data-label="Comparison"><span class="mismatch">does not match the profile name/);
      assert.match(review, /Germany \(DE\)/);
      assert.match(review, /Passport <code>C01X00T47<\/code>/);
      await assertRefusedOnPage(client, org, id, path, { result: 'maybe' }, 400, /result: must be one of/);
      await assertRefusedOnPage(client, org, id, path, { result: 'failed', note: 'x'.repeat(1001) }, 400, /note: must be at most 1000 characters/);

      await decided(client, path, { result: 'failed', note: 'x'.repeat(1000) }, 'failed');
      profile = await retrieve(server(), org, id);
      assert.equal(profile.enforcement_status, 'restricted');
      assert.equal((profile.enforcement_actions[0] as any).action, 'verify');

      await endCustomer(server(), org).submitIdentityCheck(id, { legalName: 'ada  LOVELACE' });
      assert.match((await client.get(profilePath(id))).html, /<span class="match">matches<\/span>/, 'case and spaces do not make a mismatch');
      await decided(client, path, { result: 'passed', note: 'Passport checked.' }, 'passed');
      const history = (await client.get(profilePath(id))).html;
      assert.match(history, /passed the identity check on the restriction \(Unsupported region\)\. <q>Passport checked\.<\/q>/);
      assert.match(history, /: identity check passed by Operator key …/);
      profile = await retrieve(server(), org, id);
      assert.equal(profile.enforcement_status, 'unrestricted');
      assert.deepEqual(profile.enforcement_actions, []);
    });
  });

  describe('forged forms and other organizations', () => {
    it('refuses a form without this session\'s token with 403, changing nothing', async () => {
      const org = await newConsoleOrg(server());
      const id = await newProfile(server(), org);
      const client = await signedIn(server(), org);
      const sameOrgOtherSession = await (await signedIn(server(), org)).csrf();
      const otherOrgSession = await (await signedIn(server(), await newConsoleOrg(server()))).csrf();
      const genuine = await client.csrf();
      assert.notEqual(genuine, sameOrgOtherSession, 'tokens are per session');
      const form = cyberForm('active', { a: {} });
      const forgeries: Array<[string, () => Promise<PageResponse>]> = [
        ['no token', () => client.post(`${profilePath(id)}/cyber`, form)],
        ['wrong token', () => client.post(`${profilePath(id)}/cyber`, { ...form, csrf: `${genuine.slice(0, -2)}xx` })],
        ['empty token', () => client.post(`${profilePath(id)}/cyber`, { ...form, csrf: '' })],
        ['token of another session', () => client.post(`${profilePath(id)}/cyber`, { ...form, csrf: sameOrgOtherSession })],
        ['token of another organization\'s session', () => client.post(`${profilePath(id)}/cyber`, { ...form, csrf: otherOrgSession })],
        ['JSON instead of a form', () => client.postJson(`${profilePath(id)}/cyber`, { ...form, csrf: genuine })],
      ];
      for (const [what, send] of forgeries) {
        await assertNoChange(org, id, async () => {
          const response = await send();
          assert.equal(response.status, 403, what);
          assertSecurityHeaders(response);
        });
      }
      // every kind of form is guarded, not just this one
      await decided(client, `${profilePath(id)}/actions`, { type: 'restriction', reason: 'high_harm', clearable: 'on' }, 'opened');
      const [action] = (await retrieve(server(), org, id)).enforcement_actions;
      const forms: Array<[string, Record<string, string>]> = [
        ['efs', { decision: 'approve', feature_cmek: 'on' }],
        ['actions', { type: 'ban', reason: 'high_harm', confirm: 'yes' }],
        [`actions/${action.id}/resolve`, { confirm: 'yes' }],
        [`actions/${action.id}/identity-check`, { result: 'passed' }],
      ];
      for (const [suffix, fields] of forms) {
        await assertNoChange(org, id, async () => {
          assert.equal((await client.post(`${profilePath(id)}/${suffix}`, fields)).status, 403, suffix);
          assert.equal((await client.post(`${profilePath(id)}/${suffix}`, { ...fields, csrf: sameOrgOtherSession })).status, 403, suffix);
        });
      }
    });

    it('answers 404 for another organization\'s profile, with no change', async () => {
      const mine = await newConsoleOrg(server());
      const theirs = await newConsoleOrg(server());
      const theirId = await newProfile(server(), theirs, 'Theirs');
      await endCustomer(server(), theirs).applyForCyber(theirId, ['a']);
      const theirClient = await signedIn(server(), theirs);
      await decided(theirClient, `${profilePath(theirId)}/actions`, { type: 'restriction', reason: 'high_harm', clearable: 'on' }, 'opened');
      await endCustomer(server(), theirs).submitIdentityCheck(theirId);
      const [action] = (await retrieve(server(), theirs, theirId)).enforcement_actions;

      const client = await signedIn(server(), mine);
      const page = await client.get(profilePath(theirId));
      assert.equal(page.status, 404);
      assert.ok(!page.html.includes('Theirs'));
      assertSecurityHeaders(page);
      const forms: Array<[string, Record<string, string>]> = [
        ['cyber', cyberForm('active', { a: {} })],
        ['efs', { decision: 'approve', feature_cmek: 'on' }],
        ['actions', { type: 'ban', reason: 'high_harm', confirm: 'yes' }],
        [`actions/${action.id}/resolve`, { confirm: 'yes' }],
        [`actions/${action.id}/identity-check`, { result: 'passed' }],
      ];
      for (const [suffix, fields] of forms) {
        await assertNoChange(theirs, theirId, async () => {
          const response = await client.submit(`${profilePath(theirId)}/${suffix}`, fields);
          assert.equal(response.status, 404, suffix);
          assert.ok(!response.html.includes('Theirs'), suffix);
        });
      }
      // and it stays in its own organization's queue, not in mine
      assert.ok(!(await client.get('/console')).html.includes(theirId));
      assert.ok((await theirClient.get('/console')).html.includes(theirId));
    });

    it('sends the CSP on every page and never renders the operator key or the session cookie', async () => {
      const org = await newConsoleOrg(server());
      const id = await newProfile(server(), org);
      const client = await signedIn(server(), org);
      const cookie = client.cookies.get('uprof_console')!;
      const responses = [
        await new ConsoleClient(server()).get('/console/sign-in'),
        await new ConsoleClient(server()).signIn(org.platform.api_key),
        await client.get('/console'),
        await client.get('/console/profiles'),
        await client.get(profilePath(id)),
        await client.get('/console/profiles/uprof_01xxxxxxxxxxxxxxxxxxxxxx'),
        await client.post(`${profilePath(id)}/cyber`, {}),
        await client.submit(`${profilePath(id)}/cyber`, { decision: 'nope' }),
        await client.submit(`${profilePath(id)}/cyber`, cyberForm('active', { a: {} })),
      ];
      assert.deepEqual(responses.map((r) => r.status), [200, 401, 200, 200, 200, 404, 403, 400, 303]);
      for (const response of responses) {
        assertSecurityHeaders(response);
        assert.ok(!response.html.includes(org.operator.api_key), 'no operator key in the page');
        assert.ok(!response.html.includes(cookie) && !response.html.includes(cookie.split('.')[1]), 'no session cookie in the page');
        if (response.status !== 303) assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
      }
    });
  });
  // the delivery worker's sweeper resolves lapsed restrictions on its own: keep it out of the way, so a
  // lapsed but not yet swept restriction is seen deterministically
}, { WEBHOOK_POLL_MS: '600000' });
