import assert from 'node:assert/strict';
import { it } from 'node:test';
import { assertStyled, describeInBrowser, newCheckedPage, screenshot } from '../support/browser.ts';
import { call, currentSdk } from '../support/server.ts';

/**
 * The Verification Portal in a real headless Chromium: no script, strict CSP, plain forms. One engine is
 * enough here (the e2e suite covers both); every page visited is kept as a screenshot.
 */

const ENROLL = { action: { type: 'enroll_end_user' as const } };

describeInBrowser('verification portal in a browser', (server, browser) => {
  let platforms = 0;


  async function setup(name: string) {
    const organization = `Northwind Cloud ${++platforms}`;
    const key = await server().newKey({ organization });
    const operator = await server().newKey({ organization, role: 'operator' });
    const client = currentSdk(server(), key.api_key);
    const { id } = await client.userProfiles.create({ name });
    const actionUrl = async () => (await client.userProfiles.actionURLs.create(id, ENROLL)).url;
    return { organization, client, id, actionUrl, operatorKey: operator.api_key };
  }

  /** A checked page that also fails on any request that did not complete. */
  async function newPage() {
    const checked = await newCheckedPage(browser(), { width: 1000, height: 800 });
    checked.page.on('requestfailed', (request) => checked.problems.push(`${request.url()}: ${request.failure()?.errorText}`));
    return checked;
  }


  it('enroll in cyber: tick tiers, submit, see the confirmation', async () => {
    const p = await setup('Acme Security GmbH');
    const url = await p.actionUrl();
    const { page, problems } = await newPage();
    const response = await page.goto(url);
    assert.equal(response?.status(), 200);
    await assertStyled(page);
    assert.equal(await page.locator('header strong').innerText(), p.organization);
    assert.match(await page.locator('main').innerText(), /Acme Security GmbH/);
    await screenshot(page, 'portal-1-enroll');

    await page.getByLabel(/Specialized Access/).check();
    await page.getByLabel(/Defense Access/).check();
    await Promise.all([page.waitForURL(/done=cyber/), page.getByRole('button', { name: 'Apply for the Cyber Verification Program' }).click()]);
    const landed = new URL(page.url());
    assert.equal(landed.searchParams.get('done'), 'cyber');
    assert.equal(landed.searchParams.get('enrollment_token'), new URL(url).searchParams.get('enrollment_token'));
    assert.match(await page.getByRole('status').first().innerText(), /application to the Cyber Verification Program was submitted/);
    assert.match(await page.locator('main').innerText(), /Application in review/);
    await screenshot(page, 'portal-2-confirmation');

    const profile = await p.client.userProfiles.retrieve(p.id);
    assert.equal(profile.programs.cyber?.status, 'pending');

    // a reload shows the page again without submitting again
    const reloaded = await page.reload();
    assert.equal(reloaded?.status(), 200);
    const history = await call(server(), 'GET', `/v1/operator/user_profiles/${p.id}/history`, { key: p.operatorKey });
    assert.equal(history.json.data.filter((e: any) => e.event === 'cyber.application_submitted').length, 1);
    assert.deepEqual(problems, []);
  });

  it('submitting with no tier ticked shows the problem on the page and changes nothing', async () => {
    const p = await setup('Ann Example');
    const { page, problems } = await newPage();
    await page.goto(await p.actionUrl());
    const response = await Promise.all([page.waitForEvent('response'), page.getByRole('button', { name: /Apply for Enterprise/ }).click()]);
    assert.equal(response[0].status(), 400);
    assert.match(await page.getByRole('alert').innerText(), /Choose at least one feature/);
    await screenshot(page, 'portal-3-refused');
    assert.equal((await p.client.userProfiles.retrieve(p.id)).programs.efs, null);
    assert.deepEqual(problems, []);
  });

  it('identity check first, then the programs', async () => {
    const p = await setup('Bob Example');
    const opened = await call(server(), 'POST', `/v1/operator/user_profiles/${p.id}/enforcement_actions`, {
      key: p.operatorKey,
      body: { type: 'restriction', reason: 'fraud_or_abuse', clearable: true },
    });
    assert.equal(opened.status, 200, opened.text);
    const { page, problems } = await newPage();
    await page.goto(await p.actionUrl());
    assert.equal(await page.locator('input[name="tier"]').count(), 0, 'only the identity check is offered');
    await screenshot(page, 'portal-4-identity-check');

    await page.getByLabel('Full legal name').fill('Robert Example');
    await page.getByLabel('Date of birth').fill('1984-08-12');
    await page.getByLabel('Country that issued your document').selectOption('DE');
    await page.getByLabel('Document', { exact: true }).selectOption('passport');
    await page.getByLabel('Document number').fill('C01X00T47');
    await page.getByLabel(/I confirm/).check();
    await Promise.all([page.waitForURL(/done=identity_check/), page.getByRole('button', { name: 'Submit identity check' }).click()]);
    assert.match(await page.locator('main').innerText(), /identity check was submitted/);
    assert.equal(await page.locator('input[name="tier"]').count(), 3, 'the programs are offered once the check is in');
    await screenshot(page, 'portal-5-identity-check-submitted');
    assert.equal((await p.client.userProfiles.retrieve(p.id)).enforcement_status, 'pending');
    assert.deepEqual(problems, []);
  });

  it('keeps tiers in review when applying for more, never offers an active tier, says each problem once, and wears the platform\'s brand', async () => {
    const p = await setup('Dana Example');
    // the organization's logo (a 1×1 PNG) and accent colour, set through the operator API
    const logo = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg==', 'base64');
    const branded = await call(server(), 'POST', '/v1/operator/organization/branding', {
      key: p.operatorKey, body: { accent_color: '#1a5fb4', logo_png_base64: logo.toString('base64') },
    });
    assert.equal(branded.status, 200, branded.text);
    const granted = await call(server(), 'POST', `/v1/operator/user_profiles/${p.id}/programs/cyber`, { key: p.operatorKey, body: { status: 'active', tiers: { b: { status: 'active' } } } });
    assert.equal(granted.status, 200, granted.text);
    const { page, problems } = await newPage();
    await page.goto(await p.actionUrl());
    assert.equal(await page.locator('header .brand img').evaluate((img: any) => img.naturalWidth), 1, 'the logo loads under the CSP');
    const accent = await page.getByRole('button', { name: /Cyber Verification Program|Add to my application/ }).evaluate((b: any) => (globalThis as any).getComputedStyle(b).backgroundColor);
    assert.equal(accent, 'rgb(26, 95, 180)', 'the accent colour is applied');
    assert.equal(await page.locator('input[name="tier"][value="b"]').count(), 0, 'the active tier is not offered');

    // an empty submit: one message, once
    await page.getByRole('button', { name: 'Apply for the Cyber Verification Program' }).click();
    assert.equal(await page.getByText('Choose at least one tier.').count(), 1);
    await screenshot(page, 'portal-7-one-message');

    await page.getByLabel(/Specialized Access/).check();
    await Promise.all([page.waitForURL(/done=cyber/), page.getByRole('button', { name: 'Apply for the Cyber Verification Program' }).click()]);
    // tier A is in review: shown as such, not offered; apply for C too, and A stays in review
    assert.equal(await page.locator('input[name="tier"][value="a"]').count(), 0);
    assert.match(await page.locator('#cyber').innerText(), /Specialized Access \(tier A\): in review/);
    await page.getByLabel(/Defense Access/).check();
    await Promise.all([page.waitForURL(/done=cyber/), page.getByRole('button', { name: 'Add to my application' }).click()]);
    assert.match(await page.locator('#cyber').innerText(), /Specialized Access \(tier A\): in review[\s\S]*Defense Access \(tier C\): in review/);
    assert.match(await page.locator('#cyber').innerText(), /nothing more to apply for/);
    await screenshot(page, 'portal-8-tiers-in-review');
    const view = await call(server(), 'GET', `/v1/operator/user_profiles/${p.id}`, { key: p.operatorKey });
    assert.deepEqual(view.json.cyber.application.tiers, ['a', 'c']);
    assert.deepEqual(problems, []);
  });

  it('an expired link shows a clear error page', async () => {
    const p = await setup('Carol Example');
    const url = await p.actionUrl();
    server().clock.advance(61 * 60_000);
    const { page, problems } = await newPage();
    const response = await page.goto(url);
    assert.equal(response?.status(), 410);
    await assertStyled(page);
    assert.equal(await page.locator('h1').innerText(), 'This link has expired');
    await screenshot(page, 'portal-6-expired');
    assert.deepEqual(problems, []);
  });
});
