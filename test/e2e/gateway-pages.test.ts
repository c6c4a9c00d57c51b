/**
 * Issue 17 on the hosted pages: the console's profile page shows the profile's metered usage over time and sets
 * its budget and billing authorization; the end customer authorizes (or withdraws) billing in the portal.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { STUB_TOKENS } from '../../src/gateway/stub.ts';
import { describeEachEngine } from '../support/suite.ts';
import { csrfOf, profilePath, signedIn } from './console-client.ts';
import { ask, eventually, expectRefusal, gatewayOrg, MODEL, opOk } from './gateway-support.ts';

describeEachEngine('gateway on the hosted pages', (server) => {
  const billed = (sdk: Anthropic, profile: string) =>
    sdk.beta.messages.create({ model: MODEL, max_tokens: 2, messages: ask('hi'), user_profile_id: profile, billing_policy: { type: 'billing_policy', bill_to: 'user_profile' } });

  it("the console's profile page shows the profile's usage by day, with its refusals", async () => {
    const org = await gatewayOrg(server());
    const profile = await org.newProfile();
    await org.sdk.messages.create({ model: MODEL, max_tokens: 1000, messages: ask('Hello'), user_profile_id: profile });
    await org.sdk.messages.create({ model: MODEL, max_tokens: 1000, messages: ask('Hello'), user_profile_id: profile });
    await expectRefusal(billed(org.sdk, profile), 403, 'permission_error', 'user_profile_billing_not_authorized');
    const console = await signedIn(server(), org);
    const today = new Date(server().clock.now()).toISOString().slice(0, 10);
    await eventually(async () => {
      const page = await console.get(profilePath(profile));
      assert.equal(page.status, 200);
      const usage = /<section id="usage">([\s\S]*?)<\/section>/.exec(page.html)?.[1] ?? '';
      // each row's cells as text (the table stacks into labelled lines on phones: cells carry data-label)
      const rows = [...usage.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((tr) =>
        [...tr[1].matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((td) => td[1].replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim()));
      assert.deepEqual(rows.find((cells) => cells[0] === today),
        [today, '2', '0', '0', '24', String(2 * STUB_TOKENS.length), '0', '0', 'user_profile_billing_not_authorized 1'],
        'today: 2 messages, 2 × 12 input tokens, the stub\'s output, one refusal');
      assert.equal(rows.filter((cells) => /^\d{4}-\d{2}-\d{2}$/.test(cells[0] ?? '')).length, 14, 'the last 14 days, empty ones included');
    });
  });

  it('the console sets and removes a budget, and records billing authorization, through the operator API\'s rules', async () => {
    const org = await gatewayOrg(server());
    const profile = await org.newProfile();
    const console = await signedIn(server(), org);
    const saved = await console.submit(`${profilePath(profile)}/budget`, { tokens: '1', period: 'day', notify_at: '0.5' });
    assert.equal(saved.status, 303);
    assert.equal(saved.location, `${profilePath(profile)}?saved=budget#usage`);
    const budget = await opOk(org, 'GET', `/user_profiles/${profile}/budget`);
    assert.deepEqual([budget.budget.tokens, budget.budget.period, budget.budget.notify_at], [1, 'day', 0.5]);
    await org.sdk.messages.create({ model: MODEL, max_tokens: 1, messages: ask('x'), user_profile_id: profile });
    await assert.rejects(org.sdk.messages.create({ model: MODEL, max_tokens: 1, messages: ask('x'), user_profile_id: profile }), Anthropic.RateLimitError);

    const refused = await console.submit(`${profilePath(profile)}/budget`, { tokens: '0', period: 'day', notify_at: '' });
    assert.equal(refused.status, 400);
    assert.match(refused.html, /Not saved: tokens/);
    assert.equal((await opOk(org, 'GET', `/user_profiles/${profile}/budget`)).budget.tokens, 1, 'nothing changed');
    assert.equal((await console.submit(`${profilePath(profile)}/budget`, { remove: 'yes' })).status, 303);
    assert.equal((await opOk(org, 'GET', `/user_profiles/${profile}/budget`)).budget, null);

    assert.equal((await console.submit(`${profilePath(profile)}/billing`, { authorized: 'maybe' })).status, 400);
    assert.equal((await console.submit(`${profilePath(profile)}/billing`, { authorized: 'yes' })).status, 303);
    assert.equal((await billed(org.sdk, profile)).type, 'message');
    const page = await console.get(profilePath(profile));
    assert.match(page.html, /<span class="status good">authorized<\/span>/);
    assert.equal((await console.submit(`${profilePath(profile)}/billing`, { authorized: 'no' })).status, 303);
    await expectRefusal(billed(org.sdk, profile), 403, 'permission_error', 'user_profile_billing_not_authorized');
    assert.equal((await console.post(`${profilePath(profile)}/billing`, { csrf: 'forged', authorized: 'yes' })).status, 403, 'CSRF-bound like every console form');
  });

  it('the end customer allows billing in the portal (confirming it), and can withdraw it', async () => {
    const org = await gatewayOrg(server());
    const profile = await org.newProfile();
    const { url } = await org.sdk.userProfiles.actionURLs.create(profile, { action: { type: 'enroll_end_user' } });
    const page = await (await fetch(url)).text();
    assert.match(page, /<section class="card" id="billing">/);
    const post = (fields: Record<string, string>) =>
      fetch(url, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ csrf: csrfOf(page), form: 'billing', ...fields }) });
    const unconfirmed = await post({ authorize: 'yes' });
    assert.equal(unconfirmed.status, 400);
    assert.match(await unconfirmed.text(), /Tick the box to confirm/);
    await expectRefusal(billed(org.sdk, profile), 403, 'permission_error', 'user_profile_billing_not_authorized');
    const allowed = await post({ authorize: 'yes', confirm: 'yes' });
    assert.equal(allowed.status, 303);
    assert.match(allowed.headers.get('location')!, /done=billing$/);
    assert.equal((await billed(org.sdk, profile)).type, 'message', 'billed to the profile now');
    const history = await opOk(org, 'GET', `/user_profiles/${profile}/history`);
    assert.deepEqual([history.data[0].event, history.data[0].actor.type], ['billing.authorized', 'end_customer']);
    assert.equal((await post({ authorize: 'no' })).status, 303);
    await expectRefusal(billed(org.sdk, profile), 403, 'permission_error', 'user_profile_billing_not_authorized');
  });
}, { USAGE_FLUSH_MS: '50' });
