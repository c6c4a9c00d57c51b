import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { describeInBrowser, screenshot } from '../support/browser.ts';
import { currentSdk } from '../support/server.ts';

/**
 * The whole loop, as the three parties live it, in one real headless Chromium: the platform (the official
 * SDK), the end customer (the verification portal behind a link) and the provider (the review console).
 * One engine is enough here; the e2e suites cover both. Every page is kept as a screenshot.
 */

const ENROLL = { action: { type: 'enroll_end_user' as const } };

describeInBrowser('platform → end customer → provider, in a browser', (server, browser) => {
  let platforms = 0;


  /** A platform with one profile, and the provider's operator key for the same organization. */
  async function platformWithProfile(name: string) {
    const organization = `Loop Platform ${++platforms}`;
    const sdk = currentSdk(server(), (await server().newKey({ organization })).api_key);
    const operatorKey = (await server().newKey({ organization, role: 'operator' })).api_key;
    const { id } = await sdk.userProfiles.create({ name });
    return { sdk, operatorKey, id };
  }

  /** Separate browser contexts: the end customer and the provider share no cookies. */
  async function pageIn(context: BrowserContext): Promise<Page> {
    const page = await context.newPage();
    page.on('pageerror', (error) => assert.fail(`script error on ${page.url()}: ${error.message}`));
    return page;
  }
  const newContext = () => browser().newContext({ viewport: { width: 1200, height: 900 }, javaScriptEnabled: false });

  async function consoleOnProfile(operatorKey: string, id: string): Promise<Page> {
    const page = await pageIn(await newContext());
    await page.goto(`${server().baseURL}/console/sign-in`);
    await page.getByLabel('Operator key').fill(operatorKey);
    await Promise.all([page.waitForURL(`${server().baseURL}/console`), page.getByRole('button', { name: 'Sign in' }).click()]);
    await page.goto(`${server().baseURL}/console/profiles/${id}`);
    return page;
  }

  it('enrollment: action URL → end customer enrolls → pending → operator approves → active with tiers and requirements', async () => {
    const { sdk, operatorKey, id } = await platformWithProfile('Acme Security GmbH');
    const link = await sdk.userProfiles.actionURLs.create(id, ENROLL);

    const customer = await pageIn(await newContext());
    assert.equal((await customer.goto(link.url))?.status(), 200);
    assert.match(await customer.locator('main').innerText(), /Acme Security GmbH/);
    await screenshot(customer, 'loop-enroll-1-portal');
    await customer.getByLabel(/Red Team Access/).check();
    await Promise.all([customer.waitForURL(/done=cyber/), customer.getByRole('button', { name: 'Apply for the Cyber Verification Program' }).click()]);
    await screenshot(customer, 'loop-enroll-2-submitted');

    const pending = await sdk.userProfiles.retrieve(id);
    assert.equal(pending.programs.cyber?.status, 'pending');
    assert.deepEqual(pending.programs.cyber?.tiers, { a: { status: 'inactive' }, b: { status: 'inactive' }, c: { status: 'inactive' } });
    assert.equal(pending.programs.cyber?.requirements, null);
    assert.deepEqual((await sdk.beta.userProfiles.retrieve(id)).trust_grants, { cyber: { status: 'pending' } });

    const provider = await consoleOnProfile(operatorKey, id);
    await screenshot(provider, 'loop-enroll-3-console');
    const cyber = provider.locator('#cyber form').first();
    assert.equal(await cyber.locator('input[name="tier_b_active"]').isChecked(), true, 'the requested tier comes pre-ticked');
    await cyber.locator('input[name="tier_b_requires_data_retention"]').check();
    await cyber.locator('input[name="tier_b_requires_human_review"]').check();
    await cyber.locator('input[name="tier_b_waives_human_review"]').check();
    await Promise.all([provider.waitForURL(/saved=cyber/), cyber.getByRole('button', { name: 'Approve' }).click()]);
    await screenshot(provider, 'loop-enroll-4-approved');

    const active = await sdk.userProfiles.retrieve(id);
    assert.equal(active.programs.cyber?.status, 'active');
    assert.deepEqual(active.programs.cyber?.tiers, { a: { status: 'inactive' }, b: { status: 'active' }, c: { status: 'inactive' } });
    assert.deepEqual(active.programs.cyber?.requirements, { data_retention: true, human_review: false });
    assert.deepEqual((await sdk.beta.userProfiles.retrieve(id)).trust_grants, { cyber: { status: 'active' } });
    assert.ok(active.updated_at > pending.updated_at, 'updated_at moved with the approval');
  });

  it('identity check: clearable restriction → restricted → end customer takes the check → pending → operator passes it → unrestricted', async () => {
    const { sdk, operatorKey, id } = await platformWithProfile('Globex Research');

    const provider = await consoleOnProfile(operatorKey, id);
    const open = provider.locator('#enforcement form').last();
    await open.locator('select[name="type"]').selectOption('restriction');
    await open.locator('select[name="reason"]').selectOption('fraud_or_abuse');
    await open.getByLabel(/An identity check can clear it/).check();
    await Promise.all([provider.waitForURL(/saved=opened/), open.getByRole('button', { name: 'Open the action' }).click()]);
    await screenshot(provider, 'loop-check-1-restriction-opened');

    const restricted = await sdk.userProfiles.retrieve(id);
    assert.equal(restricted.enforcement_status, 'restricted');
    assert.equal(restricted.enforcement_actions.length, 1);
    assert.equal((restricted.enforcement_actions[0] as { action: string | null }).action, 'verify');

    const customer = await pageIn(await newContext());
    await customer.goto((await sdk.userProfiles.actionURLs.create(id, ENROLL)).url);
    assert.equal(await customer.locator('input[name="tier"]').count(), 0, 'the identity check comes first');
    await screenshot(customer, 'loop-check-2-portal-check');
    await customer.getByLabel('Full legal name').fill('Gloria Bexley');
    await customer.getByLabel('Date of birth').fill('1984-08-12');
    await customer.getByLabel('Country that issued your document').selectOption('DE');
    await customer.getByLabel('Document', { exact: true }).selectOption('passport');
    await customer.getByLabel('Document number').fill('C01X00T47');
    await customer.getByLabel(/I confirm/).check();
    await Promise.all([customer.waitForURL(/done=identity_check/), customer.getByRole('button', { name: 'Submit identity check' }).click()]);
    await screenshot(customer, 'loop-check-3-submitted');

    const inReview = await sdk.userProfiles.retrieve(id);
    assert.equal(inReview.enforcement_status, 'pending');
    assert.equal((inReview.enforcement_actions[0] as { action: string | null }).action, null);

    await provider.reload();
    // the reviewer sees what was submitted beside what the platform stated
    assert.match(await provider.locator('#enforcement').innerText(), /Gloria Bexley[\s\S]*Globex Research[\s\S]*does not match the profile name/);
    await provider.getByLabel('Note for the history (optional)').fill('Passport seen.');
    await Promise.all([provider.waitForURL(/saved=/), provider.getByRole('button', { name: 'Pass the check' }).click()]);
    await screenshot(provider, 'loop-check-4-passed');

    const cleared = await sdk.userProfiles.retrieve(id);
    assert.equal(cleared.enforcement_status, 'unrestricted');
    assert.deepEqual(cleared.enforcement_actions, []);
    assert.match(await provider.locator('#history').innerText(), /resolved the restriction \(Fraud or abuse\)[\s\S]*passed the identity check on the restriction \(Fraud or abuse\)\. “?Passport seen\.”?[\s\S]*submitted an identity check[\s\S]*opened a restriction/);
  });

  it('ban: the operator bans → banned, nothing the end customer can do → resolved → unrestricted', async () => {
    const { sdk, operatorKey, id } = await platformWithProfile('Initech Resale');

    const provider = await consoleOnProfile(operatorKey, id);
    const open = provider.locator('#enforcement form').last();
    await open.locator('select[name="type"]').selectOption('ban');
    await open.locator('select[name="reason"]').selectOption('usage_policy_violation');
    await open.getByRole('button', { name: 'Open the action' }).click();
    assert.equal(await provider.locator('h1').innerText(), 'Ban this profile?');
    await Promise.all([provider.waitForURL(/saved=opened/), provider.getByRole('button', { name: 'Yes, ban the profile' }).click()]);
    await screenshot(provider, 'loop-ban-1-banned');

    const banned = await sdk.userProfiles.retrieve(id);
    assert.equal(banned.enforcement_status, 'banned');
    assert.deepEqual(
      banned.enforcement_actions.map((a) => ({ type: a.type, reason: a.reason, action: (a as { action: string | null }).action, expires_at: a.expires_at })),
      [{ type: 'ban', reason: 'usage_policy_violation', action: null, expires_at: null }],
    );
    assert.deepEqual(
      (await sdk.userProfiles.list({ enforcement_status: ['banned'] })).data.map((p) => p.id),
      [id],
      'the GA list filter finds it',
    );

    const customer = await pageIn(await newContext());
    await customer.goto((await sdk.userProfiles.actionURLs.create(id, ENROLL)).url);
    assert.equal(await customer.getByRole('button', { name: 'Submit identity check' }).count(), 0, 'a ban offers no identity check');
    await screenshot(customer, 'loop-ban-2-portal');

    await provider.getByRole('button', { name: 'Resolve…' }).click();
    await Promise.all([provider.waitForURL(/saved=resolved/), provider.getByRole('button', { name: 'Yes, resolve the ban' }).click()]);
    await screenshot(provider, 'loop-ban-3-resolved');
    assert.equal((await sdk.userProfiles.retrieve(id)).enforcement_status, 'unrestricted');
  });
});
