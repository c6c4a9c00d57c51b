/**
 * Issue 17: the attribution rules, one test per rule, each with both sides (refused, and let through), as the
 * official SDK sees them: status, envelope, `error.details.error_code` and the SDK's class for it.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { sealEvidence } from '../../src/domain/identity.ts';
import { Standing } from '../../src/standing.ts';
import { call } from '../support/server.ts';
import { describeEachEngine } from '../support/suite.ts';
import { assertApiError } from './profile-api.ts';
import { ask, eventually, expectRefusal, gatewayOrg, MODEL, opOk, usageOf, type GatewayOrg } from './gateway-support.ts';

const BILL_PROFILE = { type: 'billing_policy' as const, bill_to: 'user_profile' as const };

describeEachEngine('gateway: attribution rules', (server) => {
  const create = (org: GatewayOrg, profile?: string) =>
    org.sdk.messages.create({ model: MODEL, max_tokens: 2, messages: ask('hi'), ...(profile === undefined ? {} : { user_profile_id: profile }) });
  const count = (org: GatewayOrg, profile?: string) =>
    org.sdk.messages.countTokens({ model: MODEL, messages: ask('hi'), ...(profile === undefined ? {} : { user_profile_id: profile }) });
  const batch = (org: GatewayOrg, profile?: string) =>
    org.sdk.messages.batches.create({
      requests: [{ custom_id: 'a', params: { model: MODEL, max_tokens: 1, messages: ask('hi') } }],
      ...(profile === undefined ? {} : { user_profile_id: profile }),
    });
  const billed = (org: GatewayOrg, profile?: string) =>
    org.sdk.beta.messages.create({
      model: MODEL, max_tokens: 2, messages: ask('hi'), billing_policy: BILL_PROFILE, ...(profile === undefined ? {} : { user_profile_id: profile }),
    });
  const standing = () => new Standing(server().store, server().clock.now);
  const END_CUSTOMER = { type: 'end_customer' as const, id: 'action_url' };

  it('no header: passed on unattributed; unless the organization requires attribution (400 user_profile_required)', async () => {
    const org = await gatewayOrg(server());
    const profile = await org.newProfile();
    assert.equal((await create(org)).type, 'message');
    assert.deepEqual(await opOk(org, 'GET', '/gateway_settings'), { type: 'gateway_settings', require_attribution: false });
    await opOk(org, 'POST', '/gateway_settings', { require_attribution: true });
    for (const request of [create, count, batch]) {
      const error = await expectRefusal(request(org), 400, 'invalid_request_error', 'user_profile_required');
      assert.match(error.error.error.message, /requires every inference request to name a user profile/);
    }
    assert.equal((await create(org, profile)).type, 'message', 'naming a profile passes');
    assert.ok(await count(org, profile));
    await opOk(org, 'POST', '/gateway_settings', { require_attribution: false });
    assert.equal((await create(org)).type, 'message', 'the setting off again: unattributed passes');
    assertApiError(await org.op('POST', '/gateway_settings', { require_attribution: 'yes' }), 400, 'invalid_request_error', 'require_attribution');
    assertApiError(await org.op('POST', '/gateway_settings', { require_attribution: true, other: 1 }), 400, 'invalid_request_error', 'other');
  });

  it("an unknown, malformed, deleted or other organization's id: 400 user_profile_not_found (UserProfileNotFoundError)", async () => {
    const org = await gatewayOrg(server());
    const other = await gatewayOrg(server());
    const live = await org.newProfile();
    const deleted = await org.newProfile('Gone');
    await org.sdk.userProfiles.delete(deleted);
    const foreign = await other.newProfile();
    assert.equal((await create(org, live)).type, 'message', 'a live profile of the organization passes');
    for (const id of ['uprof_01AAAAAAAAAAAAAAAAAAAAAA', 'not-an-id', deleted, foreign]) {
      const error = await expectRefusal(create(org, id), 400, 'invalid_request_error', 'user_profile_not_found');
      assert.ok(error.error.error.message.includes(JSON.stringify(id)), 'the message names the id');
      await expectRefusal(count(org, id), 400, 'invalid_request_error', 'user_profile_not_found');
      await expectRefusal(batch(org, id), 400, 'invalid_request_error', 'user_profile_not_found');
    }
    const empty = await call(server(), 'POST', '/v1/messages', {
      key: org.platform.api_key, headers: { 'anthropic-user-profile-id': '' }, body: { model: MODEL, max_tokens: 1, messages: ask('x') },
    });
    assertApiError(empty, 400, 'invalid_request_error');
    assert.equal(empty.json.error.details.error_code, 'user_profile_not_found', 'an empty header names no profile that exists');
  });

  it('billing_policy bill_to user_profile: without the header 400 user_profile_required; not authorized 403; authorized passes', async () => {
    const org = await gatewayOrg(server());
    const profile = await org.newProfile();
    const error = await expectRefusal(billed(org), 400, 'invalid_request_error', 'user_profile_required');
    assert.match(error.error.error.message, /billing_policy\.bill_to is "user_profile"/);
    const refused = await expectRefusal(billed(org, profile), 403, 'permission_error', 'user_profile_billing_not_authorized');
    assert.equal(refused.constructor.name, 'UserProfileBillingNotAuthorizedError');
    const self = await org.sdk.beta.messages.create({
      model: MODEL, max_tokens: 2, messages: ask('hi'), user_profile_id: profile, billing_policy: { type: 'billing_policy', bill_to: 'self' },
    });
    assert.equal(self.type, 'message', 'billing self needs no authorization');

    const view = await opOk(org, 'POST', `/user_profiles/${profile}/billing`, { authorized: true });
    assert.deepEqual(view.billing, { authorized: true });
    assert.equal((await billed(org, profile)).type, 'message', 'authorized: billed to the profile');
    await opOk(org, 'POST', `/user_profiles/${profile}/billing`, { authorized: false });
    await expectRefusal(billed(org, profile), 403, 'permission_error', 'user_profile_billing_not_authorized');
    const history = await opOk(org, 'GET', `/user_profiles/${profile}/history`);
    assert.deepEqual(history.data.slice(0, 2).map((r: any) => [r.event, r.actor.type]), [['billing.revoked', 'operator'], ['billing.authorized', 'operator']]);

    await standing().setBillingAuthorization(org.operator.organization_id, profile, END_CUSTOMER, true);
    assert.equal((await billed(org, profile)).type, 'message', "the end customer's own authorization counts the same");
    assertApiError(await org.op('POST', `/user_profiles/${profile}/billing`, {}), 400, 'invalid_request_error', 'authorized');
  });

  it('a malformed billing_policy is a 400 naming the field; a well-formed one passes', async () => {
    const org = await gatewayOrg(server());
    const send = (billing_policy: unknown) =>
      call(server(), 'POST', '/v1/messages?beta=true', { key: org.platform.api_key, body: { model: MODEL, max_tokens: 1, messages: ask('x'), billing_policy } });
    assertApiError(await send('user_profile'), 400, 'invalid_request_error', 'billing_policy');
    assertApiError(await send({ type: 'billing', bill_to: 'self' }), 400, 'invalid_request_error', 'billing_policy.type');
    assertApiError(await send({ type: 'billing_policy', bill_to: 'someone' }), 400, 'invalid_request_error', 'billing_policy.bill_to');
    assert.equal((await send({ type: 'billing_policy', bill_to: 'self' })).status, 200);
    assert.equal((await send({ type: 'billing_policy' })).status, 200, 'bill_to defaults to self');
    assert.equal((await send(null)).status, 200);
  });

  it('a banned profile: 403 user_profile_banned on every route; resolved, it passes again', async () => {
    const org = await gatewayOrg(server());
    const profile = await org.newProfile();
    const opened = await opOk(org, 'POST', `/user_profiles/${profile}/enforcement_actions`, { type: 'ban', reason: 'usage_policy_violation' });
    const error = await expectRefusal(create(org, profile), 403, 'permission_error', 'user_profile_banned');
    assert.equal(error.constructor.name, 'PermissionDeniedError');
    assert.match(error.error.error.message, /is banned: its requests are refused/);
    assert.equal(error.error.error.details.enforcement_status, 'banned');
    await expectRefusal(count(org, profile), 403, 'permission_error', 'user_profile_banned');
    await expectRefusal(batch(org, profile), 403, 'permission_error', 'user_profile_banned');
    await opOk(org, 'POST', `/user_profiles/${profile}/enforcement_actions/${opened.opened_action_id}/resolve`);
    assert.equal((await create(org, profile)).type, 'message');
  });

  it('a restricted profile: 403 user_profile_restricted with the next step (an action URL) when the end customer can clear it', async () => {
    const org = await gatewayOrg(server());
    const profile = await org.newProfile();
    await opOk(org, 'POST', `/user_profiles/${profile}/enforcement_actions`, { type: 'restriction', reason: 'fraud_or_abuse', clearable: true });
    const error = await expectRefusal(create(org, profile), 403, 'permission_error', 'user_profile_restricted');
    const details = error.error.error.details;
    assert.equal(details.enforcement_status, 'restricted');
    assert.match(details.action_url, new RegExp(`^${server().baseURL}/portal/enroll\\?enrollment_token=`));
    assert.ok(error.error.error.message.includes(details.action_url), 'the message names the next step');
    assert.match(error.error.error.message, /restricted \(fraud_or_abuse\).*identity check at/);
    const page = await fetch(details.action_url);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /identity check/i, 'the link opens the portal on the identity check');
    const again = await expectRefusal(create(org, profile), 403, 'permission_error', 'user_profile_restricted');
    assert.equal(again.error.error.details.action_url, details.action_url, 'one link serves a burst of refusals');

    const evidence = sealEvidence(server().secrets, { legalName: 'Ann Example', dateOfBirth: '1990-01-01', country: 'DE', documentType: 'passport', documentNumber: 'X1234567' });
    await standing().submitIdentityCheck(org.operator.organization_id, profile, END_CUSTOMER, evidence);
    const pending = await expectRefusal(create(org, profile), 403, 'permission_error', 'user_profile_restricted');
    assert.equal(pending.error.error.details.enforcement_status, 'pending');
    assert.equal(pending.error.error.details.action_url, null);
    assert.match(pending.error.error.message, /identity check is in review/);
  });

  it('a restriction the end customer cannot clear has no link; one that lapses lets requests through', async () => {
    const org = await gatewayOrg(server());
    const profile = await org.newProfile();
    const expiresAt = new Date(server().clock.now() + 3_600_000).toISOString();
    await opOk(org, 'POST', `/user_profiles/${profile}/enforcement_actions`, { type: 'restriction', reason: 'high_harm', expires_at: expiresAt });
    const error = await expectRefusal(create(org, profile), 403, 'permission_error', 'user_profile_restricted');
    assert.equal(error.error.error.details.action_url, null);
    assert.match(error.error.error.message, /until the provider lifts the restriction/);
    server().clock.advance(3_600_000 + 1000);
    assert.equal((await create(org, profile)).type, 'message', 'lapsed: unrestricted again');
  });

  it('refusals are counted by reason, under the profile when there is one', async () => {
    const org = await gatewayOrg(server());
    const profile = await org.newProfile();
    await expectRefusal(create(org, 'uprof_nobody'), 400, 'invalid_request_error', 'user_profile_not_found');
    await expectRefusal(billed(org, profile), 403, 'permission_error', 'user_profile_billing_not_authorized');
    await expectRefusal(billed(org, profile), 403, 'permission_error', 'user_profile_billing_not_authorized');
    await create(org, profile);
    await eventually(async () => {
      assert.deepEqual((await usageOf(org, profile)).totals.refusals, { user_profile_billing_not_authorized: 2 });
      const all = await usageOf(org, null);
      assert.deepEqual(all.totals.refusals, { user_profile_billing_not_authorized: 2, user_profile_not_found: 1 });
      assert.equal(all.totals.messages, 1, 'refusals are not requests');
    });
  });
}, { USAGE_FLUSH_MS: '50' });
