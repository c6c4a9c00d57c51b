/**
 * Issue 17 (extension): per-profile token budgets. Over the budget, 429 with `retry-after` at the window's reset;
 * the opt-in `user_profile.usage_threshold_reached` event fires once per window at the set fraction.
 * The stub model's "Hello" costs 12 input + 16 output = 28 tokens (stub.ts), which the budgets below are made of.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { STUB_TOKENS } from '../../src/gateway/stub.ts';
import { describeEachEngine } from '../support/suite.ts';
import { assertApiError } from './profile-api.ts';
import { ask, eventually, gatewayOrg, MODEL, opOk, usageOf } from './gateway-support.ts';
import { Receiver } from './webhook-receiver.ts';

const HELLO_TOKENS = 12 + STUB_TOKENS.length;
const DAY_MS = 86_400_000;
const THRESHOLD = 'user_profile.usage_threshold_reached';

describeEachEngine('gateway: budgets', (server) => {
  let receiver: Receiver;
  before(async () => {
    receiver = await Receiver.start();
  });
  after(() => receiver.close());

  const hello = (sdk: Anthropic, profile: string) =>
    sdk.messages.create({ model: MODEL, max_tokens: 1000, messages: ask('Hello'), user_profile_id: profile });

  it('the operator sets a budget; its limits are checked on both sides', async () => {
    const org = await gatewayOrg(server());
    const profile = await org.newProfile();
    const set = (body: unknown) => org.op('POST', `/user_profiles/${profile}/budget`, body);
    assertApiError(await set({ period: 'week', tokens: 10 }), 400, 'invalid_request_error', 'period');
    assertApiError(await set({ period: 'day', tokens: 0 }), 400, 'invalid_request_error', 'tokens');
    assertApiError(await set({ period: 'day', tokens: 1.5 }), 400, 'invalid_request_error', 'tokens');
    assertApiError(await set({ period: 'day', tokens: 10, notify_at: 0 }), 400, 'invalid_request_error', 'notify_at');
    assertApiError(await set({ period: 'day', tokens: 10, notify_at: 1.01 }), 400, 'invalid_request_error', 'notify_at');
    assertApiError(await set({ period: 'day', tokens: 10, extra: true }), 400, 'invalid_request_error', 'extra');
    const month = await opOk(org, 'POST', `/user_profiles/${profile}/budget`, { period: 'month', tokens: 1, notify_at: 1 });
    assert.deepEqual([month.budget.period, month.budget.tokens, month.budget.notify_at], ['month', 1, 1]);
    const now = new Date(server().clock.now());
    assert.equal(month.window.starting_at, new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString().replace('.000Z', 'Z'));
    assert.equal(month.used_tokens, 0);
    assert.equal((await opOk(org, 'DELETE', `/user_profiles/${profile}/budget`)).budget, null);
    assert.equal((await opOk(org, 'GET', `/user_profiles/${profile}/budget`)).budget, null);
  });

  it('over the budget: 429 rate_limit_error with retry-after at the reset; the next day it passes again', async () => {
    const org = await gatewayOrg(server());
    const profile = await org.newProfile();
    await opOk(org, 'POST', `/user_profiles/${profile}/budget`, { period: 'day', tokens: 3 * HELLO_TOKENS });
    for (let i = 0; i < 3; i++) assert.equal((await hello(org.sdk, profile)).type, 'message', `request ${i + 1}: under the budget`);
    const now = server().clock.now();
    const midnight = Math.floor(now / DAY_MS) * DAY_MS + DAY_MS;
    const error: any = await hello(org.sdk, profile).catch((e) => e);
    assert.equal(error instanceof Anthropic.RateLimitError, true, `got ${error?.constructor?.name}: ${error?.message}`);
    assert.equal(error.error.error.type, 'rate_limit_error');
    assert.equal(error.errorCode, 'user_profile_budget_exceeded');
    assert.equal(error.error.error.details.resets_at, new Date(midnight).toISOString().replace('.000Z', 'Z'));
    const retryAfter = Number(error.headers.get('retry-after'));
    assert.ok(Math.abs(retryAfter - (midnight - now) / 1000) <= 2, `retry-after ${retryAfter} s is the time to midnight UTC`);
    assert.match(error.error.error.message, new RegExp(`used ${3 * HELLO_TOKENS} of its ${3 * HELLO_TOKENS} tokens this day`));
    const other = await org.newProfile('Another');
    assert.equal((await hello(org.sdk, other)).type, 'message', 'other profiles are not affected');
    await eventually(async () => assert.deepEqual((await usageOf(org, profile)).totals.refusals, { user_profile_budget_exceeded: 1 }));

    server().clock.advance(midnight - now + 1000);
    assert.equal((await hello(org.sdk, profile)).type, 'message', 'a new day, a new budget');
    await opOk(org, 'POST', `/user_profiles/${profile}/budget`, { period: 'day', tokens: HELLO_TOKENS });
    await assert.rejects(hello(org.sdk, profile), Anthropic.RateLimitError, 'a lower budget applies at once on this process');
    await opOk(org, 'DELETE', `/user_profiles/${profile}/budget`);
    assert.equal((await hello(org.sdk, profile)).type, 'message', 'no budget, no limit');
  });

  it('user_profile.usage_threshold_reached fires once per window at the set fraction, to endpoints that opted in', async () => {
    const org = await gatewayOrg(server());
    const profile = await org.newProfile();
    const { path, url } = receiver.newPath();
    const endpoint = await org.sdk.beta.organization.webhooks.create({ url, enabled_events: [THRESHOLD as any] });
    receiver.useSecret(path, endpoint.signing_secret);
    await opOk(org, 'POST', `/user_profiles/${profile}/budget`, { period: 'day', tokens: 4 * HELLO_TOKENS, notify_at: 0.5 });

    await hello(org.sdk, profile); // 25 %
    await eventually(async () => assert.equal((await opOk(org, 'GET', `/user_profiles/${profile}/budget`)).used_tokens, HELLO_TOKENS));
    assert.equal(receiver.to(path).length, 0, 'below the fraction: nothing');
    await hello(org.sdk, profile); // 50 %: reached
    const [first] = await receiver.waitFor(path, 1);
    const event = receiver.events(path)[0];
    assert.deepEqual(event.data, { type: THRESHOLD, id: profile, organization_id: org.platform.organization_id });
    await hello(org.sdk, profile); // 75 %
    await eventually(async () => assert.equal((await opOk(org, 'GET', `/user_profiles/${profile}/budget`)).used_tokens, 3 * HELLO_TOKENS));
    await new Promise((resolve) => setTimeout(resolve, 300)); // a few flush and delivery rounds: no second event may come
    assert.equal(receiver.to(path).length, 1, 'once per window');
    assert.ok(first.body.includes(THRESHOLD));

    server().clock.advance(DAY_MS);
    await hello(org.sdk, profile);
    await hello(org.sdk, profile);
    await receiver.waitFor(path, 2);
    assert.equal(receiver.events(path)[1].data.id, profile, 'a new window, a new event');
  });
}, { USAGE_FLUSH_MS: '50', WEBHOOK_POLL_MS: '50' });
