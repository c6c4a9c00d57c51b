import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { describeInBrowser, newCheckedPage, screenshot } from '../support/browser.ts';
import { call, currentSdk } from '../support/server.ts';
import { newConsoleOrg, newProfile } from '../e2e/console-client.ts';
import { Receiver, waitUntil } from '../e2e/webhook-receiver.ts';

/**
 * The review console's webhook pages in a real headless Chromium, JavaScript off: from the navigation to
 * the endpoint list, an endpoint's delivery log, and a re-send that arrives again under its webhook-id.
 * One engine (the e2e suite covers both); every page visited is kept as a screenshot.
 */

const OPENED = 'user_profile.enforcement_action_opened';
const ENV = { WEBHOOK_RETRY_SCHEDULE: '0.2,0.2', WEBHOOK_TIMEOUT_MS: '500', WEBHOOK_DISABLE_AFTER: '1', WEBHOOK_POLL_MS: '50' };

describeInBrowser('review console webhooks in a browser', (server, browser) => {
  let receiver: Receiver;

  before(async () => {
    receiver = await Receiver.start();
  });
  after(async () => {
    await receiver?.close();
  });

  const newPage = () => newCheckedPage(browser());

  it('lists the endpoints, shows a delivery log and re-sends an event', async () => {
    const org = await newConsoleOrg(server());
    const webhooks = currentSdk(server(), org.platform.api_key).beta.organization.webhooks;
    const endpoint = async (name: string, script: Array<number | 'hang'>, then = 200) => {
      const { path, url } = receiver.newPath();
      receiver.script(path, script, then);
      const created = await webhooks.create({ url, name, enabled_events: [OPENED] });
      receiver.useSecret(path, created.signing_secret);
      return { ...created, path };
    };
    // a mirror whose first attempt fails, and a legacy endpoint that never answers well (disabled after one failed event)
    const crm = await endpoint('CRM mirror', [500]);
    const legacy = await endpoint('Legacy hook', [], 500);
    const profile = await newProfile(server(), org, 'Initech Labs');
    const opened = await call(server(), 'POST', `/v1/operator/user_profiles/${profile}/enforcement_actions`, {
      key: org.operator.api_key,
      body: { type: 'restriction', reason: 'fraud_or_abuse' },
    });
    assert.equal(opened.status, 200, opened.text);
    const [first] = await receiver.waitFor(crm.path, 2);
    await waitUntil(async () => (await webhooks.retrieve(legacy.id)).state === 'disabled', 'the legacy endpoint disabled');

    const { page, problems } = await newPage();
    await page.goto(`${server().baseURL}/console/sign-in`);
    await page.getByLabel('Operator key').fill(org.operator.api_key);
    await Promise.all([page.waitForURL(`${server().baseURL}/console`), page.getByRole('button', { name: 'Sign in' }).click()]);

    await page.getByRole('link', { name: 'Webhooks' }).click();
    assert.equal(new URL(page.url()).pathname, '/console/webhooks');
    assert.equal(await page.locator('h1').innerText(), 'Webhooks');
    const list = await page.locator('main table').innerText();
    assert.match(list, /Legacy hook[\s\S]*disabled[\s\S]*Disabled automatically: 1 consecutive event\(s\) failed to deliver\.[\s\S]*CRM mirror[\s\S]*enabled/);
    assert.ok(list.includes(crm.url) && list.includes(OPENED));
    await screenshot(page, 'console-webhooks-1-endpoints');

    await page.getByRole('link', { name: 'CRM mirror' }).click();
    assert.equal(new URL(page.url()).pathname, `/console/webhooks/${crm.id}`);
    assert.equal(await page.locator('h1').innerText(), 'CRM mirror');
    const rows = page.locator('#log tbody tr');
    assert.equal(await rows.count(), 2);
    assert.match(await rows.nth(0).innerText(), new RegExp(`${OPENED}\\s+${first.headers['webhook-id']}\\s+2\\s+200\\s+\\d+ ms\\s+—\\s+delivered`));
    assert.match(await rows.nth(1).innerText(), /\s1\s+500\s+\d+ ms\s+HTTP 500\s+delivered/);
    assert.equal(await page.getByRole('button', { name: 'Re-send' }).count(), 1, 'one form per event');
    await screenshot(page, 'console-webhooks-2-delivery-log');

    await Promise.all([page.waitForURL(/saved=resent/), page.getByRole('button', { name: 'Re-send' }).click()]);
    assert.match(await page.getByRole('status').innerText(), /Event queued for re-delivery/);
    const [, , again] = await receiver.waitFor(crm.path, 3);
    assert.ok(again.verified.ok, 'the re-sent delivery verifies');
    assert.equal(again.headers['webhook-id'], first.headers['webhook-id']);
    await waitUntil(async () => (await server().store.webhooks.attempts(org.platform.organization_id, crm.id, 10)).length === 3, 'the third attempt logged');
    await page.reload();
    assert.equal(await rows.count(), 3);
    assert.match(await rows.nth(0).innerText(), /\s3\s+200\s/);
    await screenshot(page, 'console-webhooks-3-resent');

    await page.getByRole('link', { name: 'All endpoints' }).click();
    await page.getByRole('link', { name: 'Legacy hook' }).click();
    assert.match(await page.locator('#log').innerText(), /events cannot be re-sent until it is enabled again/);
    assert.equal(await page.getByRole('button', { name: 'Re-send' }).count(), 0);
    await screenshot(page, 'console-webhooks-4-disabled');
    assert.deepEqual(problems, []);
  });
}, ENV);
