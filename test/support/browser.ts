import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { startForbear, type RealServer } from './server.js';
import { PATIENCE_MS } from './until.js';

/**
 * Debian's Chromium, headless; background networking off because this machine has no internet.
 * Its pages wait for elements and navigations with the suite's one ceiling, not Playwright's 30 s.
 */
export async function launchChromium(): Promise<Browser> {
  mkdirSync('test-output', { recursive: true });
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  const newPage = browser.newPage.bind(browser);
  browser.newPage = async (options) => {
    const page = await newPage(options);
    page.setDefaultTimeout(PATIENCE_MS);
    return page;
  };
  return browser;
}

/** The whole product and one Chromium for the tests of a file: started before them, closed after them. */
export function useServerAndBrowser(): { readonly forbear: RealServer['forbear']; readonly running: RealServer['running']; readonly browser: Browser } {
  let server: RealServer | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    server = await startForbear();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.running.close();
  });
  return {
    get forbear() {
      return server!.forbear;
    },
    get running() {
      return server!.running;
    },
    get browser() {
      return browser!;
    },
  };
}
