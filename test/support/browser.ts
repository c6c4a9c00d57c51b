import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { engines } from './engines.ts';
import { startServer, type TestServer } from './server.ts';

/** Debian's Chromium; never a downloaded browser. */
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** Screenshots of every page a browser test visits, kept as test artifacts. */
export const SCREENSHOT_DIR = join(process.cwd(), 'test-artifacts', 'screenshots');

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync',
    ], // playwright gives each launch a fresh, empty profile directory of its own
  });
}

const [engine] = await engines();

/**
 * Runs `body` against a fresh real server and one browser, both ended after it. One engine is enough for
 * the pages (the e2e suites cover both). `body` receives getters: both exist only once `before` has run.
 */
export function describeInBrowser(
  title: string,
  body: (server: () => TestServer, browser: () => Browser) => void,
  env: Record<string, string> = {},
) {
  describe(`${title} [${engine.name}]`, () => {
    let server: TestServer;
    let browser: Browser;
    before(async () => {
      server = await startServer(engine, env);
      browser = await launchBrowser();
    });
    after(async () => {
      await browser?.close();
      await server?.close();
    });
    body(() => server, () => browser);
  });
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name.replace(/[^a-z0-9-]+/gi, '-')}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * A fresh page, JavaScript off, that records every console error (a CSP violation shows up as one) and
 * script error. The document's own error status and the browser's favicon probe are not the page's problems.
 */
export async function newCheckedPage(browser: Browser, viewport = { width: 1280, height: 900 }): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport, javaScriptEnabled: false });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    const from = message.location().url;
    if (/^Failed to load resource/.test(message.text()) && (from === page.url() || new URL(from).pathname === '/favicon.ico')) return;
    if (message.type() === 'error') problems.push(`${message.text()} (${from})`);
  });
  page.on('pageerror', (error) => problems.push(error.message));
  return { page, problems };
}

/** The shared stylesheet is applied, so the CSP let it through. */
export async function assertStyled(page: Page): Promise<void> {
  const background = await page.locator('body').evaluate((body) => (globalThis as any).getComputedStyle(body).backgroundColor);
  assert.equal(background, 'rgb(250, 249, 247)');
}
