import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { describeInBrowser, screenshot, SCREENSHOT_DIR } from '../support/browser.ts';
import { call, currentSdk } from '../support/server.ts';

/**
 * Every hosted page, as people meet them: at 360, 390, 768 and 1280 px, each must fit its width (no
 * horizontal overflow: `scrollWidth <= innerWidth`), show no CSP violation, and pass axe-core with no
 * serious or critical violation; screenshots at 390 and 1280 px go to test-artifacts/. Then the console is
 * worked with the keyboard alone: sign in, open a profile, approve an application.
 * The figures are written to test-artifacts/pages-report.md.
 */

const WIDTHS = [360, 390, 768, 1280] as const;
const SHOT_WIDTHS: readonly number[] = [390, 1280];
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const ENROLL = { action: { type: 'enroll_end_user' as const } };

interface PageCase {
  name: string;
  /** brings `page` (signed in when `console`) to the page under test */
  open(page: Page): Promise<void>;
  console: boolean;
}

interface Row {
  name: string;
  fits: Record<number, string>;
  axe: Record<number, string>;
}

describeInBrowser('every page fits, is accessible, and works by keyboard', (server, browser) => {
  let operatorKey = '';
  let cases: PageCase[] = [];
  let reviewed = '';
  let sdk: ReturnType<typeof currentSdk>;
  const report: Row[] = [];

  /** A data set that stresses the layouts: long names, ids and URLs, every kind of pending item, history. */
  async function seed() {
    const organization = `Northwind Cloud Services International ${Date.now()}`;
    const platform = await server().newKey({ organization });
    const operator = await server().newKey({ organization, role: 'operator', name: 'Grace Hopper' });
    const admin = await server().newKey({ organization, role: 'admin' });
    operatorKey = operator.api_key;
    sdk = currentSdk(server(), platform.api_key);
    const op = (path: string, body?: unknown) => call(server(), body === undefined ? 'GET' : 'POST', `/v1/operator${path}`, { key: operator.api_key, body });

    const long = await sdk.userProfiles.create({
      name: 'Extraordinarilylongcompanynamewithoutanyspaces Research & Development GmbH',
      external_user_details: { reference_id: 'customer-reference-0123456789-abcdefghijklmnopqrstuvwxyz', country: 'DE', entity_type: 'business' },
    });
    reviewed = long.id;
    // applications (through the portal, as end customers make them)
    const link = (await sdk.userProfiles.actionURLs.create(long.id, ENROLL)).url;
    await submitPortal(link, { form: 'cyber', tier: ['a', 'c'] });
    await submitPortal(link, { form: 'efs', feature: 'cmek' });
    // a resolved restriction, then a restriction whose identity check awaits review
    const first = (await op(`/user_profiles/${long.id}/enforcement_actions`, { type: 'restriction', reason: 'high_harm' })).json.opened_action_id;
    assert.equal((await op(`/user_profiles/${long.id}/enforcement_actions/${first}/resolve`, {})).status, 200);
    await op(`/user_profiles/${long.id}/enforcement_actions`, { type: 'restriction', reason: 'fraud_or_abuse', clearable: true, expires_at: new Date(server().clock.now() + 86_400_000 * 3).toISOString() });
    await submitPortal(link, {
      form: 'identity_check', legal_name: 'Erika Mustermann', date_of_birth: '1984-08-12', country: 'AT', document_type: 'passport',
      document_number: 'P123456789', confirm: 'yes',
    });
    const plain = await sdk.userProfiles.create({ name: 'Plain Tenant Ltd' });
    const toVerify = await sdk.userProfiles.create({ name: 'Restricted Tenant Ltd' });
    await op(`/user_profiles/${toVerify.id}/enforcement_actions`, { type: 'restriction', reason: 'unsupported_region', clearable: true });
    const banned = await sdk.userProfiles.create({ name: 'Banned Tenant Ltd' });
    await op(`/user_profiles/${banned.id}/enforcement_actions`, { type: 'ban', reason: 'usage_policy_violation' });
    // a webhook endpoint with a long URL that nobody answers: a delivery log of failures
    const webhooks = currentSdk(server(), admin.api_key).beta.organization.webhooks;
    const endpoint = await webhooks.create({
      url: 'http://127.0.0.1:9/hooks/a-very-long-path-segment-that-never-breaks-by-itself/0123456789abcdefghijklmnopqrstuvwxyz/receive',
      name: 'Long URL receiver', enabled_events: ['user_profile.enforcement_action_opened'],
    });
    await op(`/user_profiles/${plain.id}/enforcement_actions`, { type: 'restriction', reason: 'unspecified' });
    for (let i = 0; i < 100; i++) {
      const attempts = await server().store.webhooks.attempts(platform.organization_id, endpoint.id, 1);
      if (attempts.length > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const portalPlain = (await sdk.userProfiles.actionURLs.create(plain.id, ENROLL)).url;
    const portalVerify = (await sdk.userProfiles.actionURLs.create(toVerify.id, ENROLL)).url;
    const portalReviewed = (await sdk.userProfiles.actionURLs.create(long.id, ENROLL)).url;
    const base = server().baseURL;
    const go = (url: string) => async (page: Page) => {
      const response = await page.goto(url);
      assert.ok(response && response.status() < 500, `${url}: ${response?.status()}`);
    };
    cases = [
      { name: 'portal-enroll', open: go(portalPlain), console: false },
      { name: 'portal-in-review', open: go(portalReviewed), console: false },
      { name: 'portal-identity-check', open: go(portalVerify), console: false },
      {
        name: 'portal-identity-check-refused', console: false,
        async open(page) {
          await page.goto(portalVerify);
          await Promise.all([page.waitForLoadState(), page.getByRole('button', { name: 'Submit identity check' }).click()]);
          assert.match(await page.locator('main').innerText(), /Enter your full legal name/);
        },
      },
      { name: 'portal-link-not-valid', open: go(`${base}/portal/enroll?enrollment_token=nope`), console: false },
      { name: 'console-sign-in', open: go(`${base}/console/sign-in`), console: false },
      { name: 'console-queue', open: go(`${base}/console`), console: true },
      { name: 'console-profiles', open: go(`${base}/console/profiles`), console: true },
      { name: 'console-search', open: go(`${base}/console/profiles?name_prefix=extra&enforcement_status=pending&enforcement_status=restricted`), console: true },
      { name: 'console-profile-in-review', open: go(`${base}/console/profiles/${long.id}`), console: true },
      { name: 'console-profile-banned', open: go(`${base}/console/profiles/${banned.id}`), console: true },
      {
        name: 'console-confirm-resolve', console: true,
        async open(page) {
          await page.goto(`${base}/console/profiles/${banned.id}`);
          await Promise.all([page.waitForLoadState(), page.getByRole('button', { name: 'Resolve…' }).click()]);
          assert.equal(await page.locator('h1').innerText(), 'Resolve this ban?');
        },
      },
      { name: 'console-settings', open: go(`${base}/console/settings`), console: true },
      { name: 'console-webhooks', open: go(`${base}/console/webhooks`), console: true },
      { name: 'console-webhook-log', open: go(`${base}/console/webhooks/${endpoint.id}`), console: true },
    ];
  }

  /** Posts a portal form as its page would (its CSRF token read from the page). */
  async function submitPortal(url: string, fields: Record<string, string | string[]>) {
    const page = await (await fetch(url)).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1];
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries({ csrf, ...fields })) for (const x of Array.isArray(v) ? v : [v]) body.append(k, x);
    const response = await fetch(url, { method: 'POST', body, redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(response.status, 303, await response.text());
  }

  async function signIn(context: BrowserContext) {
    const page = await context.newPage();
    await page.goto(`${server().baseURL}/console/sign-in`);
    await page.getByLabel('Operator key').fill(operatorKey);
    await Promise.all([page.waitForURL(`${server().baseURL}/console`), page.getByRole('button', { name: 'Sign in' }).click()]);
    await page.close();
  }

  /** A context per width: JavaScript off and the CSP enforced (as people get the pages), or for axe (JavaScript on, CSP bypassed). */
  async function contextAt(b: Browser, width: number, audit: boolean) {
    const context = await b.newContext({ viewport: { width, height: 900 }, javaScriptEnabled: audit, bypassCSP: audit });
    await signIn(context);
    return context;
  }

  it('seeds pages worth looking at', async () => {
    await seed();
    assert.ok(cases.length >= 15);
  });

  it('every page fits 360, 390, 768 and 1280 px with no horizontal overflow and no CSP violation', async () => {
    const failures: string[] = [];
    for (const width of WIDTHS) {
      const context = await contextAt(browser(), width, false);
      for (const c of cases) {
        const page = await context.newPage();
        const problems: string[] = [];
        page.on('console', (message) => {
          if (message.type() === 'error' && !/^Failed to load resource/.test(message.text())) problems.push(message.text());
        });
        await c.open(page);
        const { scrollWidth, innerWidth } = await page.evaluate(() => ({
          scrollWidth: (globalThis as any).document.documentElement.scrollWidth as number,
          innerWidth: (globalThis as any).innerWidth as number,
        }));
        const row = report.find((r) => r.name === c.name) ?? (report.push({ name: c.name, fits: {}, axe: {} }), report.at(-1)!);
        row.fits[width] = scrollWidth <= innerWidth ? `fits (${scrollWidth})` : `OVERFLOWS (${scrollWidth})`;
        if (scrollWidth > innerWidth) failures.push(`${c.name} at ${width}px: scrollWidth ${scrollWidth} > ${innerWidth}`);
        if (problems.length > 0) failures.push(`${c.name} at ${width}px: ${problems.join('; ')}`);
        if (SHOT_WIDTHS.includes(width)) await screenshot(page, `pages-${c.name}-${width}`);
        await page.close();
      }
      await context.close();
    }
    assert.deepEqual(failures, []);
  });

  it('every page passes axe-core with no serious or critical violation (at 390 and 1280 px)', async () => {
    const failures: string[] = [];
    for (const width of SHOT_WIDTHS) {
      const context = await contextAt(browser(), width, true);
      for (const c of cases) {
        const page = await context.newPage();
        await c.open(page);
        await page.addScriptTag({ content: AXE_SOURCE });
        const violations = (await page.evaluate(async () => {
          const result = await (globalThis as any).axe.run((globalThis as any).document, { resultTypes: ['violations'] });
          return result.violations.map((v: any) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length, target: v.nodes[0]?.target?.join(' ') }));
        })) as { id: string; impact: string; nodes: number; target: string }[];
        const count = (impact: string) => violations.filter((v) => v.impact === impact).length;
        report.find((r) => r.name === c.name)!.axe[width] =
          `critical ${count('critical')}, serious ${count('serious')}, moderate ${count('moderate')}, minor ${count('minor')}`;
        for (const v of violations) if (v.impact === 'serious' || v.impact === 'critical') failures.push(`${c.name} at ${width}px: ${v.id} (${v.impact}) on ${v.target}`);
        await page.close();
      }
      await context.close();
    }
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    const lines = [
      '| Page | 360 px | 390 px | 768 px | 1280 px | axe at 390 px | axe at 1280 px |',
      '| --- | --- | --- | --- | --- | --- | --- |',
      ...report.map((r) => `| ${r.name} | ${WIDTHS.map((w) => r.fits[w] ?? '?').join(' | ')} | ${r.axe[390] ?? '?'} | ${r.axe[1280] ?? '?'} |`),
    ];
    writeFileSync(join(SCREENSHOT_DIR, '..', 'pages-report.md'), `${lines.join('\n')}\n`);
    assert.deepEqual(failures, []);
  });

  it('works by keyboard alone: sign in, open a profile from the queue, approve its application', async () => {
    const context = await browser().newContext({ viewport: { width: 1280, height: 900 }, javaScriptEnabled: false });
    const page = await context.newPage();
    const active = () => page.evaluate(() => {
      const el = (globalThis as any).document.activeElement;
      return { tag: el?.tagName as string, id: el?.id as string, text: (el?.innerText ?? '') as string, href: (el?.getAttribute?.('href') ?? '') as string, form: (el?.form?.getAttribute('action') ?? '') as string };
    });
    /** Presses Tab until `wanted` holds for the focused element (at most `limit` presses). */
    async function tabTo(wanted: (el: Awaited<ReturnType<typeof active>>) => boolean, what: string, limit = 200) {
      for (let i = 0; i < limit; i++) {
        await page.keyboard.press('Tab');
        if (wanted(await active())) return;
      }
      assert.fail(`Tab never reached ${what}`);
    }

    await page.goto(`${server().baseURL}/console/sign-in`);
    await tabTo((el) => el.tag === 'A' && /Skip to the content/.test(el.text), 'the skip link');
    await tabTo((el) => el.id === 'key', 'the key field');
    await page.keyboard.type(operatorKey);
    await Promise.all([page.waitForURL(`${server().baseURL}/console`), page.keyboard.press('Enter')]);
    await screenshot(page, 'keyboard-1-queue');

    await tabTo((el) => el.tag === 'A' && el.href === `/console/profiles/${reviewed}`, 'the profile in the queue');
    await Promise.all([page.waitForURL(`**/console/profiles/${reviewed}`), page.keyboard.press('Enter')]);
    await tabTo((el) => el.tag === 'BUTTON' && el.text.trim() === 'Approve' && el.form.endsWith('/cyber'), 'the Approve button of the cyber application');
    await screenshot(page, 'keyboard-2-approve-focused');
    await Promise.all([page.waitForURL(/saved=cyber/), page.keyboard.press('Enter')]);
    assert.match(await page.getByRole('status').innerText(), /Cyber decision saved: approved/);
    await screenshot(page, 'keyboard-3-approved');
    const profile = await sdk.userProfiles.retrieve(reviewed);
    assert.equal(profile.programs.cyber?.status, 'active');
    assert.deepEqual(profile.programs.cyber?.tiers, { a: { status: 'active' }, b: { status: 'inactive' }, c: { status: 'active' } });
    await context.close();
  });
});
