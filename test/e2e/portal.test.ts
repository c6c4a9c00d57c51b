import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeEachEngine } from '../support/suite.ts';
import { call, currentSdk } from '../support/server.ts';

/**
 * The Verification Portal behind action and enrollment URLs (api-contract-2.md §4, decisions §20–25):
 * the end customer enrolls in cyber, applies for EFS, takes the identity check first when one is open.
 */

const MINUTE = 60_000;
const ENROLL = { action: { type: 'enroll_end_user' as const } };

interface Page {
  status: number;
  text: string;
  headers: Headers;
}

async function get(url: string): Promise<Page> {
  const res = await fetch(url, { redirect: 'manual' });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

type Fields = Record<string, string | string[]>;

function encode(fields: Fields): string {
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) for (const v of [value].flat()) body.append(name, v);
  return body.toString();
}

async function post(url: string, body: string, headers: Record<string, string> = {}): Promise<Page> {
  const res = await fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body,
  });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

/** The CSRF token of the page's forms (every form on a page carries the same one). */
function csrfOf(page: Page): string {
  const match = /name="csrf" value="([^"]+)"/.exec(page.text);
  assert.ok(match, `the page has a CSRF field:\n${page.text}`);
  return match[1];
}

/** Submits a portal form the way a browser would: load the page, take its CSRF token, post back to the link. */
async function submit(url: string, fields: Fields): Promise<Page> {
  const csrf = csrfOf(await get(url));
  return post(url, encode({ csrf, ...fields }));
}

function tokenOf(url: string): string {
  const parsed = new URL(url);
  return parsed.searchParams.get('enrollment_token') ?? decodeURIComponent(parsed.pathname.split('/').at(-1)!);
}
const withToken = (url: string, token: string) => url.replace(tokenOf(url), token);
const changeOneChar = (text: string, at: number) => text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1);

/** Every portal page: HTML under a CSP with no script, never framed, never cached, no token in the body. */
function assertSafePage(page: Page, token?: string) {
  assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
  const csp = page.headers.get('content-security-policy') ?? '';
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /form-action 'self'/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.doesNotMatch(csp, /script-src/);
  assert.doesNotMatch(page.text, /<script/i);
  assert.equal(page.headers.get('cache-control'), 'no-store');
  assert.equal(page.headers.get('referrer-policy'), 'no-referrer');
  if (token) assert.ok(!page.text.includes(token), 'the link token must not be echoed into the page');
}

function assertPortal(page: Page, token: string) {
  assert.equal(page.status, 200, page.text);
  assertSafePage(page, token);
}

function assertErrorPage(page: Page, status: 404 | 410, profileId: string) {
  assert.equal(page.status, status, page.text);
  assertSafePage(page);
  assert.match(page.text, status === 410 ? /This link has expired/ : /This link is not valid/);
  assert.ok(!page.text.includes(profileId), 'an error page reveals nothing about the profile');
  assert.doesNotMatch(page.text, /name="csrf"/);
}

/** The forms a page offers. */
const offers = (page: Page) => ({
  identityCheck: page.text.includes('name="form" value="identity_check"'),
  cyber: page.text.includes('name="form" value="cyber"'),
  efs: page.text.includes('name="form" value="efs"'),
});

/** The GET URL a successful submission lands on (the same link, `done` added). */
function assertDoneRedirect(res: Page, url: string, done: string) {
  assert.equal(res.status, 303, res.text);
  const location = new URL(res.headers.get('location')!, url);
  const expected = new URL(url);
  expected.searchParams.set('done', done);
  assert.equal(location.href, expected.href);
  return location.href;
}

/** A complete, valid identity check. */
const EVIDENCE = { legal_name: 'Ann Example', date_of_birth: '1990-04-23', country: 'DE', document_type: 'passport', document_number: 'C01X00T47', confirm: 'yes' };

describeEachEngine('verification portal', (server) => {
  let platforms = 0;

  /** A platform (organization) with a platform key, an operator key and one profile. */
  async function setup(name: string | null = 'Acme Security GmbH', platformName = 'Platform') {
    const organization = `${platformName} ${++platforms} ${process.pid}-${Date.now()}`;
    const key = await server().newKey({ organization });
    const operator = await server().newKey({ organization, role: 'operator' });
    assert.equal(operator.organization_id, key.organization_id);
    const client = currentSdk(server(), key.api_key);
    const { id } = await client.userProfiles.create(name === null ? {} : { name });
    const actionUrl = async () => (await client.userProfiles.actionURLs.create(id, ENROLL)).url;
    const enrollmentUrl = async () => (await client.beta.userProfiles.createEnrollmentURL(id)).url;
    const operatorCall = (method: string, path: string, body?: unknown) =>
      call(server(), method, `/v1/operator/user_profiles/${id}${path}`, { key: operator.api_key, body });
    /** everything a change could touch: the hidden state (applications, checks), updated_at, history */
    const state = async () => {
      const view = await operatorCall('GET', '');
      const history = await operatorCall('GET', '/history');
      assert.equal(view.status, 200, view.text);
      assert.equal(history.status, 200, history.text);
      return { view: view.json, history: history.json.data.length };
    };
    const openRestriction = async (body: Record<string, unknown>) => {
      const res = await operatorCall('POST', '/enforcement_actions', { type: 'restriction', ...body });
      assert.equal(res.status, 200, res.text);
      return res.json.opened_action_id as string;
    };
    return { organization, client, id, actionUrl, enrollmentUrl, operatorCall, state, openRestriction };
  }

  describe('the page', () => {
    it('names the platform and the profile, and shows the programs and their choices (both kinds of link)', async () => {
      const p = await setup();
      for (const url of [await p.actionUrl(), await p.enrollmentUrl()]) {
        const page = await get(url);
        assertPortal(page, tokenOf(url));
        assert.ok(page.text.includes(p.organization), 'the platform is named');
        assert.ok(page.text.includes('Acme Security GmbH'), 'the profile is named');
        assert.ok(page.text.includes(p.id), 'the profile id is shown');
        assert.match(page.text, /Verification Portal/);
        for (const words of ['Not enrolled', 'Not applied', 'No restrictions']) assert.ok(page.text.includes(words), words);
        for (const name of ['Specialized Access', 'Red Team Access', 'Defense Access', 'Data retention exemption',
          'Customer-managed encryption keys', 'Customer-owned storage']) {
          assert.ok(page.text.includes(name), name);
        }
        for (const value of ['a', 'b', 'c']) assert.ok(page.text.includes(`name="tier" value="${value}"`));
        for (const value of ['data_retention_exemption', 'cmek', 'storage']) assert.ok(page.text.includes(`name="feature" value="${value}"`));
        assert.deepEqual(offers(page), { identityCheck: false, cyber: true, efs: true });
        assert.doesNotMatch(page.text, /<form[^>]*action=/, 'forms post back to the link they are on');
      }
    });

    it('an unnamed profile is shown by its id', async () => {
      const p = await setup(null);
      const page = await get(await p.actionUrl());
      assert.equal(page.status, 200);
      assert.ok(page.text.includes(p.id));
      assert.match(page.text, /Unnamed profile/);
    });

    it('reading the page changes nothing, however often', async () => {
      const p = await setup();
      const url = await p.actionUrl();
      const before = await p.state();
      for (let i = 0; i < 3; i++) assertPortal(await get(url), tokenOf(url));
      assert.deepEqual(await p.state(), before);
    });
  });

  describe('enrolling', () => {
    it('cyber through an action URL: pending with every tier inactive (GA), pending grant (beta), confirmation shown', async () => {
      const p = await setup();
      const url = await p.actionUrl();
      const landed = assertDoneRedirect(await submit(url, { form: 'cyber', tier: ['a', 'c'] }), url, 'cyber');

      const ga = await p.client.userProfiles.retrieve(p.id);
      assert.deepEqual(ga.programs.cyber, {
        status: 'pending',
        tiers: { a: { status: 'inactive' }, b: { status: 'inactive' }, c: { status: 'inactive' } },
        requirements: null,
      });
      assert.equal(ga.programs.efs, null);
      const beta = await p.client.beta.userProfiles.retrieve(p.id);
      assert.deepEqual((beta as any).trust_grants, { cyber: { status: 'pending' } });
      assert.deepEqual((await p.state()).view.cyber.application.tiers, ['a', 'c']);

      const confirmation = await get(landed);
      assertPortal(confirmation, tokenOf(url));
      assert.match(confirmation.text, /application to the Cyber Verification Program was submitted/);
      assert.match(confirmation.text, /Application in review/);
      // the confirmation is a plain GET: reloading it submits nothing
      const before = await p.state();
      await get(landed);
      assert.deepEqual(await p.state(), before);
      // without `done` (or with an unknown one) there is no confirmation
      assert.doesNotMatch((await get(url)).text, /was submitted/);
      assert.doesNotMatch((await get(`${url}&done=nonsense`)).text, /was submitted/);
    });

    it('EFS through an enrollment URL: pending (GA retrieve), never in the beta grants', async () => {
      const p = await setup();
      const url = await p.enrollmentUrl();
      const landed = assertDoneRedirect(await submit(url, { form: 'efs', feature: 'cmek' }), url, 'efs');

      const ga = await p.client.userProfiles.retrieve(p.id);
      assert.deepEqual(ga.programs.efs, {
        status: 'pending',
        features: { data_retention_exemption: { status: 'inactive' }, cmek: { status: 'inactive' }, storage: { status: 'inactive' } },
      });
      assert.equal(ga.programs.cyber, null);
      const beta = await p.client.beta.userProfiles.retrieve(p.id);
      assert.deepEqual((beta as any).trust_grants, {});
      assert.deepEqual((await p.state()).view.efs.application.features, ['cmek']);
      const confirmation = await get(landed);
      assertPortal(confirmation, tokenOf(url));
      assert.match(confirmation.text, /application to Enterprise Frontier Safeguards was submitted/);
    });

    it('an active program shows its active tiers, and more can be asked for while it stays active', async () => {
      const p = await setup();
      const decided = await p.operatorCall('POST', '/programs/cyber', { status: 'active', tiers: { b: { status: 'active' } } });
      assert.equal(decided.status, 200, decided.text);
      const url = await p.actionUrl();
      const page = await get(url);
      assert.match(page.text, /Active tiers: Red Team Access \(tier B\)/);
      assert.match(page.text, /<li>Red Team Access \(tier B\): <span class="status good">active/);
      assert.doesNotMatch(page.text, /name="tier" value="b"/, 'an active tier is not offered again');
      // asked for anyway: refused, nothing changes
      const before = await p.state();
      const again = await submit(url, { form: 'cyber', tier: ['a', 'b'] });
      assert.equal(again.status, 400);
      assert.match(again.text, /Already granted: Red Team Access \(tier B\)/);
      assert.deepEqual(await p.state(), before);
      assertDoneRedirect(await submit(url, { form: 'cyber', tier: 'a' }), url, 'cyber');
      const ga = await p.client.userProfiles.retrieve(p.id);
      assert.equal(ga.programs.cyber?.status, 'active');
      assert.equal(ga.programs.cyber?.tiers.b?.status, 'active');
      assert.equal(ga.programs.cyber?.tiers.a?.status, 'inactive');
    });

    it('a rejected program can be applied to again', async () => {
      const p = await setup();
      assert.equal((await p.operatorCall('POST', '/programs/efs', { status: 'rejected' })).status, 200);
      const url = await p.enrollmentUrl();
      assert.match((await get(url)).text, /Not approved/);
      assertDoneRedirect(await submit(url, { form: 'efs', feature: ['storage', 'data_retention_exemption'] }), url, 'efs');
      assert.equal((await p.client.userProfiles.retrieve(p.id)).programs.efs?.status, 'pending');
      assert.deepEqual((await p.state()).view.efs.application.features, ['data_retention_exemption', 'storage']);
    });
  });

  describe('refused submissions change nothing', () => {
    /** Posts `fields` (with a valid CSRF token) and expects `status` with `message` on the page, and no change. */
    async function refused(p: Awaited<ReturnType<typeof setup>>, url: string, fields: Fields, status: number, message: RegExp) {
      const before = await p.state();
      const res = await submit(url, fields);
      assert.equal(res.status, status, res.text);
      assertSafePage(res, tokenOf(url));
      assert.match(res.text, message);
      assert.deepEqual(await p.state(), before);
      return res;
    }

    it('cyber: no tier, an unknown tier, or an unknown one among good ones → 400; one known tier → accepted', async () => {
      const p = await setup();
      const url = await p.actionUrl();
      await refused(p, url, { form: 'cyber' }, 400, /Choose at least one tier/);
      await refused(p, url, { form: 'cyber', tier: '' }, 400, /Choose tiers from the list/);
      await refused(p, url, { form: 'cyber', tier: 'd' }, 400, /Choose tiers from the list/);
      await refused(p, url, { form: 'cyber', tier: 'A' }, 400, /Choose tiers from the list/);
      const kept = await refused(p, url, { form: 'cyber', tier: ['a', 'd'] }, 400, /Choose tiers from the list/);
      assert.match(kept.text, /value="a" checked>/, 'the re-shown form keeps the valid choice');
      assert.equal((await p.client.userProfiles.retrieve(p.id)).programs.cyber, null);
      assertDoneRedirect(await submit(url, { form: 'cyber', tier: 'b' }), url, 'cyber');
      assert.deepEqual((await p.state()).view.cyber.application.tiers, ['b']);
    });

    it('EFS: no feature or an unknown feature → 400; one known feature → accepted', async () => {
      const p = await setup();
      const url = await p.enrollmentUrl();
      await refused(p, url, { form: 'efs' }, 400, /Choose at least one feature/);
      await refused(p, url, { form: 'efs', feature: 'kms' }, 400, /Choose features from the list/);
      await refused(p, url, { form: 'efs', feature: ['cmek', 'a'] }, 400, /Choose features from the list/);
      // a tier is not a feature, and a feature is not a tier
      await refused(p, url, { form: 'efs', tier: 'a' }, 400, /Choose at least one feature/);
      await refused(p, url, { form: 'cyber', feature: 'cmek' }, 400, /Choose at least one tier/);
      assert.equal((await p.client.userProfiles.retrieve(p.id)).programs.efs, null);
      assertDoneRedirect(await submit(url, { form: 'efs', feature: 'storage' }), url, 'efs');
      assert.deepEqual((await p.state()).view.efs.application.features, ['storage']);
    });

    it('a missing, unknown or doubled form name → 400', async () => {
      const p = await setup();
      const url = await p.actionUrl();
      await refused(p, url, { tier: 'a' }, 400, /not one the portal knows/);
      await refused(p, url, { form: 'trust', tier: 'a' }, 400, /not one the portal knows/);
      await refused(p, url, { form: ['cyber', 'efs'], tier: 'a', feature: 'cmek' }, 400, /not one the portal knows/);
    });

    it('an identity check when none is open → 409', async () => {
      const p = await setup();
      await refused(p, await p.actionUrl(), { form: 'identity_check', ...EVIDENCE }, 409, /no identity check/);
      // a restriction an identity check cannot clear offers no check either
      await p.openRestriction({ reason: 'unsupported_region', clearable: false });
      const url = await p.actionUrl();
      assert.deepEqual(offers(await get(url)), { identityCheck: false, cyber: true, efs: true });
      await refused(p, url, { form: 'identity_check', ...EVIDENCE }, 409, /no identity check/);
    });
  });

  describe('identity check', () => {
    it('is offered first, alone, while a clearable restriction is open; submitting it makes the status pending', async () => {
      const p = await setup();
      const actionId = await p.openRestriction({ reason: 'fraud_or_abuse', clearable: true });
      const before = await p.client.userProfiles.retrieve(p.id);
      assert.equal(before.enforcement_status, 'restricted');
      assert.equal(before.enforcement_actions[0]?.action, 'verify');

      for (const url of [await p.actionUrl(), await p.enrollmentUrl()]) {
        const page = await get(url);
        assertPortal(page, tokenOf(url));
        assert.deepEqual(offers(page), { identityCheck: true, cyber: false, efs: false });
        assert.doesNotMatch(page.text, /name="tier"/);
        assert.match(page.text, /Full legal name/);
        assert.match(page.text, /Restricted/);
      }

      // programs wait for the check
      const url = await p.actionUrl();
      const unchanged = await p.state();
      for (const fields of [{ form: 'cyber', tier: 'a' }, { form: 'efs', feature: 'cmek' }] as Fields[]) {
        const res = await submit(url, fields);
        assert.equal(res.status, 409, res.text);
        assert.match(res.text, /complete the identity check first/);
      }
      assert.deepEqual(await p.state(), unchanged);

      const legalName = 'Annabel Q. Example-Legalname';
      const landed = assertDoneRedirect(await submit(url, { form: 'identity_check', ...EVIDENCE, legal_name: legalName }), url, 'identity_check');
      const after = await p.client.userProfiles.retrieve(p.id);
      assert.equal(after.enforcement_status, 'pending');
      assert.equal(after.enforcement_actions.length, 1);
      assert.equal(after.enforcement_actions[0]!.id, actionId);
      assert.equal(after.enforcement_actions[0]!.action, null);

      const confirmation = await get(landed);
      assertPortal(confirmation, tokenOf(url));
      assert.match(confirmation.text, /identity check was submitted/);
      assert.deepEqual(offers(confirmation), { identityCheck: false, cyber: true, efs: true });
      // later visits say the check is in review
      const later = await get(url);
      assert.match(later.text, /Your identity check is in review/);
      assert.match(later.text, /Identity check in review/);
      assert.doesNotMatch(later.text, /was submitted/);

      // the evidence is kept for the reviewer, sealed: never in the profile, its history, or the page
      assert.ok(!confirmation.text.includes(legalName));
      for (const table of ['user_profiles', 'profile_history', 'identity_checks']) {
        const rows = await server().store.sql.all<Record<string, unknown>>(`SELECT * FROM ${table}`);
        assert.ok(!JSON.stringify(rows).includes('Legalname'), `${table} holds the legal name in clear`);
      }
      const [kept] = await server().store.sql.all<{ evidence: string }>('SELECT evidence FROM identity_checks WHERE profile_id = ?', [p.id]);
      assert.deepEqual(JSON.parse(server().secrets.open(kept.evidence)), {
        legalName, dateOfBirth: '1990-04-23', country: 'DE', documentType: 'passport', documentNumber: 'C01X00T47',
      });

      // a second submission while in review is refused: no check is open
      const res = await submit(url, { form: 'identity_check', ...EVIDENCE, legal_name: legalName });
      assert.equal(res.status, 409, res.text);

      // the operator fails it: the check is offered again (decisions §25)
      const failed = await p.operatorCall('POST', `/enforcement_actions/${actionId}/identity_check`, { result: 'failed' });
      assert.equal(failed.status, 200, failed.text);
      assert.deepEqual(offers(await get(url)), { identityCheck: true, cyber: false, efs: false });
    });

    it('the evidence: each field on both sides of its limits, one message per problem, what was typed kept', async () => {
      const p = await setup();
      await p.openRestriction({ reason: 'high_harm', clearable: true });
      const url = await p.enrollmentUrl();
      const today = new Date(server().clock.now()).toISOString().slice(0, 10);
      const tomorrow = new Date(server().clock.now() + 86_400_000).toISOString().slice(0, 10);
      const attempt = async (fields: Fields, status: number, message?: RegExp) => {
        const before = await p.state();
        const res = await submit(url, { form: 'identity_check', ...EVIDENCE, ...fields });
        assert.equal(res.status, status, res.text);
        if (message) {
          assert.match(res.text, message);
          assert.equal(res.text.match(new RegExp(message.source, 'g'))?.length, 1, 'the message is shown once, beside its field');
          assert.deepEqual(await p.state(), before);
          assert.equal((await p.client.userProfiles.retrieve(p.id)).enforcement_status, 'restricted');
        }
        return res;
      };
      await attempt({ legal_name: '' }, 400, /Enter your full legal name/);
      await attempt({ legal_name: '   ' }, 400, /Enter your full legal name/);
      await attempt({ legal_name: '🦊'.repeat(256) }, 400, /at most 255 characters/);
      await attempt({ legal_name: 'Ann\u0000Example' }, 400, /not allowed/);
      await attempt({ date_of_birth: '' }, 400, /Enter your date of birth\./);
      await attempt({ date_of_birth: '1990-02-30' }, 400, /as a real date/);
      await attempt({ date_of_birth: '23.04.1990' }, 400, /as a real date/);
      await attempt({ date_of_birth: '1899-12-31' }, 400, /between 1900-01-01 and today/);
      await attempt({ date_of_birth: tomorrow }, 400, /between 1900-01-01 and today/);
      await attempt({ country: 'XX' }, 400, /Choose the country/);
      await attempt({ country: 'de' }, 400, /Choose the country/);
      await attempt({ document_type: 'library_card' }, 400, /Choose the kind of document/);
      await attempt({ document_number: '' }, 400, /Enter the number of your document/);
      await attempt({ document_number: 'A'.repeat(41) }, 400, /at most 40 characters/);
      await attempt({ document_number: 'AB<12>' }, 400, /only letters, digits, spaces and hyphens/);
      await attempt({ confirm: 'no' }, 400, /Tick the box/);
      // several problems: one message each, and what was typed is shown again
      const several = await attempt({ legal_name: '', country: 'XX', document_number: 'KEEP-ME-7' }, 400, /Enter your full legal name/);
      assert.match(several.text, /Choose the country/);
      assert.match(several.text, /value="KEEP-ME-7"/);
      assert.match(several.text, /id="legal_name" name="legal_name" aria-describedby="legal_name-hint legal_name-error" aria-invalid="true"/);
      // the other side of each limit
      assertDoneRedirect(await attempt({ legal_name: '🦊'.repeat(255), date_of_birth: '1900-01-01', document_number: 'A'.repeat(40) }, 303), url, 'identity_check');
      await p.operatorCall('POST', `/enforcement_actions/${(await p.client.userProfiles.retrieve(p.id)).enforcement_actions[0]!.id}/identity_check`, { result: 'failed' });
      assertDoneRedirect(await attempt({ date_of_birth: today, country: 'ZW', document_type: 'residence_permit' }, 303), url, 'identity_check');
      assert.equal((await p.client.userProfiles.retrieve(p.id)).enforcement_status, 'pending');
    });

    it('an account_compromise restriction keeps the status restricted while the check is in review', async () => {
      const p = await setup();
      await p.openRestriction({ reason: 'account_compromise', clearable: true });
      const url = await p.actionUrl();
      assertDoneRedirect(await submit(url, { form: 'identity_check', ...EVIDENCE }), url, 'identity_check');
      const profile = await p.client.userProfiles.retrieve(p.id);
      assert.equal(profile.enforcement_status, 'restricted');
      assert.equal(profile.enforcement_actions[0]!.action, null);
      assert.match((await get(url)).text, /Your identity check is in review/);
    });
  });

  describe('CSRF', () => {
    async function forbidden(p: Awaited<ReturnType<typeof setup>>, url: string, body: string, headers: Record<string, string> = {}, status = 403) {
      const before = await p.state();
      const res = await post(url, body, headers);
      assert.equal(res.status, status, res.text);
      assertSafePage(res, tokenOf(url));
      if (status === 403) assert.match(res.text, /could not be verified/);
      assert.deepEqual(await p.state(), before);
      assert.equal((await p.client.userProfiles.retrieve(p.id)).programs.cyber, null);
    }

    it('a missing, forged or altered token, or one from another link → 403 and no change', async () => {
      const p = await setup();
      const url = await p.actionUrl();
      const csrf = csrfOf(await get(url));
      const otherLink = await p.actionUrl();
      const otherCsrf = csrfOf(await get(otherLink));
      assert.notEqual(otherCsrf, csrf, 'the token is bound to the link');
      const cyber = { form: 'cyber', tier: 'a' };
      await forbidden(p, url, encode(cyber));
      await forbidden(p, url, encode({ ...cyber, csrf: '' }));
      await forbidden(p, url, encode({ ...cyber, csrf: 'forged' }));
      await forbidden(p, url, encode({ ...cyber, csrf: changeOneChar(csrf, 5) }));
      await forbidden(p, url, encode({ ...cyber, csrf: csrf.slice(0, -1) }));
      await forbidden(p, url, encode({ ...cyber, csrf: otherCsrf }));
      // the same token is good on its own link only
      assertDoneRedirect(await post(otherLink, encode({ ...cyber, csrf: otherCsrf })), otherLink, 'cyber');
      assertDoneRedirect(await post(url, encode({ ...cyber, csrf })), url, 'cyber');
    });

    it('a cross-site post, or a body that is not a form, is refused even with a good token', async () => {
      const p = await setup();
      const url = await p.enrollmentUrl();
      const csrf = csrfOf(await get(url));
      await forbidden(p, url, encode({ csrf, form: 'cyber', tier: 'a' }), { 'sec-fetch-site': 'cross-site' });
      await forbidden(p, url, JSON.stringify({ csrf, form: 'cyber', tier: 'a' }), { 'content-type': 'application/json' }, 415);
      await forbidden(p, url, encode({ csrf, form: 'cyber', tier: 'a' }), { 'content-type': 'text/plain' }, 415);
      assertDoneRedirect(await post(url, encode({ csrf, form: 'cyber', tier: 'a' }), { 'sec-fetch-site': 'same-origin' }), url, 'cyber');
    });
  });

  describe('bad links', () => {
    /** A GET and a POST (with the CSRF token the link had while good) both answer `status`, changing nothing. */
    async function dead(p: Awaited<ReturnType<typeof setup>>, url: string, csrf: string, status: 404 | 410) {
      const before = await p.state();
      assertErrorPage(await get(url), status, p.id);
      assertErrorPage(await post(url, encode({ csrf, form: 'cyber', tier: 'a' })), status, p.id);
      assert.deepEqual(await p.state(), before);
    }

    it('expired links show "This link has expired" (410) on GET and POST; just before expiry they work', async () => {
      const p = await setup();
      const action = await p.actionUrl();
      const enrollment = await p.enrollmentUrl();
      const csrfs = { action: csrfOf(await get(action)), enrollment: csrfOf(await get(enrollment)) };
      server().clock.advance(15 * MINUTE - 5000);
      assertPortal(await get(enrollment), tokenOf(enrollment));
      server().clock.advance(10_000);
      await dead(p, enrollment, csrfs.enrollment, 410);
      assertPortal(await get(action), tokenOf(action));
      server().clock.advance(45 * MINUTE);
      await dead(p, action, csrfs.action, 410);
      assert.equal((await p.client.userProfiles.retrieve(p.id)).programs.cyber, null);
    });

    it('tampered, unknown and cross-kind tokens show "This link is not valid" (404) on GET and POST', async () => {
      const p = await setup();
      for (const url of [await p.actionUrl(), await p.enrollmentUrl()]) {
        const token = tokenOf(url);
        const csrf = csrfOf(await get(url));
        for (const at of [2, token.indexOf('.') + 3, token.length - 2]) await dead(p, withToken(url, changeOneChar(token, at)), csrf, 404);
        await dead(p, withToken(url, token.slice(0, -1)), csrf, 404);
        await dead(p, withToken(url, 'not-a-token.at-all'), csrf, 404);
        assertPortal(await get(url), token);
      }
      await dead(p, `${server().baseURL}/portal/enroll`, 'x', 404);
      // an action token in an enrollment URL (and the reverse) is not a link that was handed out
      const action = await p.actionUrl();
      const enrollment = await p.enrollmentUrl();
      const csrf = csrfOf(await get(action));
      await dead(p, withToken(enrollment, tokenOf(action)), csrf, 404);
      await dead(p, withToken(action, tokenOf(enrollment)), csrf, 404);
    });

    it('the links of a deleted profile show "This link is not valid"', async () => {
      const p = await setup();
      const url = await p.actionUrl();
      const csrf = csrfOf(await get(url));
      await p.client.userProfiles.delete(p.id);
      assertErrorPage(await get(url), 404, p.id);
      assertErrorPage(await post(url, encode({ csrf, form: 'cyber', tier: 'a' })), 404, p.id);
    });

    it('a link of another platform opens only its own profile', async () => {
      const p = await setup('First');
      const q = await setup('Second');
      const page = await get(await q.actionUrl());
      assert.ok(page.text.includes(q.id) && page.text.includes(q.organization));
      assert.ok(!page.text.includes(p.id) && !page.text.includes(p.organization));
    });
  });

  describe('reuse and history', () => {
    it('a link works repeatedly until it expires, and history records the end customer by link kind', async () => {
      const p = await setup();
      const action = await p.actionUrl();
      const enrollment = await p.enrollmentUrl();
      assertDoneRedirect(await submit(action, { form: 'cyber', tier: 'a' }), action, 'cyber');
      assertDoneRedirect(await submit(action, { form: 'cyber', tier: ['a', 'b'] }), action, 'cyber');
      assertDoneRedirect(await submit(action, { form: 'efs', feature: 'cmek' }), action, 'efs');
      assertDoneRedirect(await submit(enrollment, { form: 'efs', feature: ['cmek', 'storage'] }), enrollment, 'efs');
      for (let i = 0; i < 3; i++) assertPortal(await get(action), tokenOf(action));

      const view = (await p.state()).view;
      assert.deepEqual(view.cyber.application.tiers, ['a', 'b']);
      assert.deepEqual(view.efs.application.features, ['cmek', 'storage']);

      const history = await p.operatorCall('GET', '/history');
      const submitted = (history.json.data as any[]).filter((e) => e.event.endsWith('.application_submitted')).reverse();
      assert.deepEqual(
        submitted.map((e) => [e.event, e.actor, e.detail.requested]),
        [
          ['cyber.application_submitted', { type: 'end_customer', id: 'action_url' }, ['a']],
          ['cyber.application_submitted', { type: 'end_customer', id: 'action_url' }, ['a', 'b']],
          ['efs.application_submitted', { type: 'end_customer', id: 'action_url' }, ['cmek']],
          ['efs.application_submitted', { type: 'end_customer', id: 'enrollment_url' }, ['cmek', 'storage']],
        ],
      );
      const statusChanges = (history.json.data as any[]).filter((e) => e.event.endsWith('.status_changed'));
      assert.ok(statusChanges.length >= 2 && statusChanges.every((e) => e.actor.type === 'end_customer'));
    });

    it('the identity check is recorded under the end customer too', async () => {
      const p = await setup();
      const actionId = await p.openRestriction({ reason: 'usage_policy_violation', clearable: true });
      const url = await p.enrollmentUrl();
      assertDoneRedirect(await submit(url, { form: 'identity_check', ...EVIDENCE }), url, 'identity_check');
      const history = await p.operatorCall('GET', '/history');
      const entry = (history.json.data as any[]).find((e) => e.event === 'identity_check.submitted');
      assert.ok(entry, history.text);
      assert.deepEqual(entry.actor, { type: 'end_customer', id: 'enrollment_url' });
      assert.deepEqual(entry.detail, { id: actionId });
      assert.ok(!history.text.includes('Ann Example'));
    });
  });

  it('escapes the platform and profile names', async () => {
    const p = await setup(`<b>bold</b> & "quoted"`, `<i>Evil</i> 'Co'`);
    const page = await get(await p.actionUrl());
    assert.equal(page.status, 200);
    assert.ok(!page.text.includes('<b>bold</b>') && !page.text.includes('<i>Evil</i>'), 'raw HTML from a name reached the page');
    assert.ok(page.text.includes('&lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot;'), 'the profile name is shown, escaped');
    assert.ok(page.text.includes(`&lt;i&gt;Evil&lt;/i&gt; &#39;Co&#39;`), 'the platform name is shown, escaped');
  });
});
