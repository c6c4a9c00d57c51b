import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Page } from 'playwright-core';
import { assertStyled, describeInBrowser, newCheckedPage, screenshot } from '../support/browser.ts';
import { endCustomer, newConsoleOrg, newProfile, retrieve, type ConsoleOrg } from '../e2e/console-client.ts';

/**
 * The provider's review console in a real headless Chromium, JavaScript off: sign in with an operator
 * key, work the queue, decide, restrict, resolve. One engine (the e2e suite covers both); every page
 * visited is kept as a screenshot.
 */

const MINUTE = 60_000;

describeInBrowser('review console in a browser', (server, browser) => {


  const newPage = () => newCheckedPage(browser());


  async function signIn(page: Page, org: ConsoleOrg) {
    const response = await page.goto(`${server().baseURL}/console`);
    assert.equal(new URL(page.url()).pathname, '/console/sign-in', 'sent to sign-in');
    assert.equal(response?.headers()['content-security-policy']?.startsWith("default-src 'none'"), true);
    await assertStyled(page);
    await page.getByLabel('Operator key').fill(org.operator.api_key);
    await Promise.all([page.waitForURL(`${server().baseURL}/console`), page.getByRole('button', { name: 'Sign in' }).click()]);
    assert.ok(!(await page.content()).includes(org.operator.api_key), 'the key is not in the page');
  }

  it('signs in, works the queue and approves cyber tiers with a waiver', async () => {
    const org = await newConsoleOrg(server());
    const id = await newProfile(server(), org, 'Acme Security GmbH');
    const quiet = await newProfile(server(), org, 'Quiet Tenant Ltd');
    await endCustomer(server(), org).applyForCyber(id, ['a', 'c']);
    await endCustomer(server(), org).applyForEfs(quiet, ['cmek']);
    const { page, problems } = await newPage();

    await page.goto(`${server().baseURL}/console/sign-in`);
    await screenshot(page, 'console-1-sign-in');
    await page.getByLabel('Operator key').fill(org.platform.api_key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    assert.match(await page.getByRole('alert').innerText(), /not a live operator key/);
    await screenshot(page, 'console-2-sign-in-refused');

    await signIn(page, org);
    assert.equal(await page.locator('h1').innerText(), 'Review queue');
    const queue = await page.locator('main').innerText();
    assert.match(queue, /Acme Security GmbH/);
    assert.match(queue, /Cyber application: A \(Specialized Access\), C \(Defense Access\)/);
    assert.match(queue, /EFS application: Customer-managed encryption keys/);
    await assertStyled(page);
    await screenshot(page, 'console-3-queue');

    await page.getByRole('link', { name: 'Acme Security GmbH' }).click();
    assert.equal(new URL(page.url()).pathname, `/console/profiles/${id}`);
    assert.equal(await page.locator('h1').innerText(), 'Acme Security GmbH');
    assert.equal(await page.locator('#cyber input[name="tier_a_active"]').first().isChecked(), true, 'requested tiers come pre-ticked');
    assert.equal(await page.locator('#cyber input[name="tier_b_active"]').first().isChecked(), false);
    await screenshot(page, 'console-4-profile');

    // an incoherent decision is refused on the page and changes nothing
    const before = await retrieve(server(), org, id);
    const cyberForm = page.locator('#cyber form').first();
    await cyberForm.locator('input[name="tier_a_active"]').uncheck();
    await cyberForm.locator('input[name="tier_c_active"]').uncheck();
    await cyberForm.getByRole('button', { name: 'Approve' }).click();
    assert.match(await page.getByRole('alert').innerText(), /needs at least one active tier/);
    assert.deepEqual(await retrieve(server(), org, id), before);
    await screenshot(page, 'console-5-cyber-refused');

    await cyberForm.locator('input[name="tier_a_active"]').check();
    await cyberForm.locator('input[name="tier_a_requires_data_retention"]').check();
    await cyberForm.locator('input[name="tier_a_requires_human_review"]').check();
    await cyberForm.locator('input[name="tier_a_waives_human_review"]').check();
    await cyberForm.locator('input[name="tier_c_active"]').check();
    await Promise.all([page.waitForURL(/saved=cyber/), cyberForm.getByRole('button', { name: 'Approve' }).click()]);
    assert.match(await page.getByRole('status').innerText(), /Cyber decision saved/);
    const cyber = (await retrieve(server(), org, id)).programs.cyber!;
    assert.equal(cyber.status, 'active');
    assert.deepEqual(cyber.tiers, { a: { status: 'active' }, b: { status: 'inactive' }, c: { status: 'active' } });
    assert.deepEqual(cyber.requirements, { data_retention: true, human_review: false });
    assert.match(await page.locator('#history').innerText(), /set the Cyber Verification Program to active \(it was pending\)/);
    await screenshot(page, 'console-6-cyber-approved');

    await page.getByRole('link', { name: 'Review queue' }).click();
    assert.doesNotMatch(await page.locator('main').innerText(), /Acme Security GmbH/, 'decided: off the queue');
    await screenshot(page, 'console-7-queue-after');

    await page.getByRole('link', { name: 'Profiles' }).click();
    assert.match(await page.locator('main').innerText(), /Quiet Tenant Ltd[\s\S]*Acme Security GmbH/, 'newest first');
    await screenshot(page, 'console-8-profiles');
    assert.deepEqual(problems, []);
  });

  it('opens a restriction with an expiry, resolves it, and signs out', async () => {
    const org = await newConsoleOrg(server());
    const id = await newProfile(server(), org, 'Globex Research');
    const { page, problems } = await newPage();
    await signIn(page, org);
    await page.getByRole('link', { name: 'Profiles' }).click();
    await page.getByLabel('Go to profile id').fill(id);
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    assert.equal(new URL(page.url()).pathname, `/console/profiles/${id}`);

    const open = page.locator('#enforcement form').last();
    const expires = new Date(Math.floor((server().clock.now() + 3 * 24 * 60 * MINUTE) / MINUTE) * MINUTE);
    await open.locator('select[name="type"]').selectOption('restriction');
    await open.locator('select[name="reason"]').selectOption('fraud_or_abuse');
    await open.locator('input[name="expires_at"]').fill(expires.toISOString().slice(0, 16));
    await open.getByLabel(/An identity check can clear it/).check();
    await Promise.all([page.waitForURL(/saved=opened/), open.getByRole('button', { name: 'Open the action' }).click()]);
    const restricted = await retrieve(server(), org, id);
    assert.equal(restricted.enforcement_status, 'restricted');
    assert.equal(restricted.enforcement_actions[0].expires_at, expires.toISOString().replace('.000Z', 'Z'));
    assert.equal((restricted.enforcement_actions[0] as any).action, 'verify');
    assert.match(await page.locator('#enforcement').innerText(), /restriction \(Fraud or abuse\)/);
    await screenshot(page, 'console-9-restricted');

    await page.getByRole('button', { name: 'Resolve…' }).click();
    assert.equal(await page.locator('h1').innerText(), 'Resolve this restriction?');
    await screenshot(page, 'console-10a-confirm-resolve');
    await Promise.all([page.waitForURL(/saved=resolved/), page.getByRole('button', { name: 'Yes, resolve the restriction' }).click()]);
    const resolved = await retrieve(server(), org, id);
    assert.equal(resolved.enforcement_status, 'unrestricted');
    assert.deepEqual(resolved.enforcement_actions, []);
    assert.match(await page.locator('#history').innerText(), /resolved the restriction \(Fraud or abuse\)[\s\S]*opened a restriction \(Fraud or abuse\)/);
    assert.match(await page.locator('#resolved-actions summary').innerText(), /Resolved actions \(1\)/);
    await screenshot(page, 'console-10-resolved');

    await page.getByRole('button', { name: 'Sign out' }).click();
    assert.equal(new URL(page.url()).pathname, '/console/sign-in');
    await page.goto(`${server().baseURL}/console/profiles/${id}`);
    assert.equal(new URL(page.url()).pathname, '/console/sign-in', 'signed out for good');
    await screenshot(page, 'console-11-signed-out');
    assert.deepEqual(problems, []);
  });
});
