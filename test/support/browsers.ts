import * as fs from 'fs';
import puppeteer, { Browser, LaunchOptions } from 'puppeteer-core';

/**
 * The browsers the broker's pages are tested in, from Debian's packages (no test tool downloads
 * a browser here): Chromium over CDP and Firefox ESR over WebDriver BiDi, both driven by
 * puppeteer-core, so one scenario runs unchanged in each.
 *
 * A browser that is not installed makes its tests skipped, with the reason, never passed. Where
 * the run must be complete (`.ci/run`: `EKS_WINDOWS_DESKTOPS_REQUIRE_REFERENCE=1`, or `CI=true`)
 * a missing browser fails instead, as a missing reference file does.
 */
export interface TestBrowser {
  readonly name: 'Chromium' | 'Firefox';
  readonly executablePath: string;
  /** Why its tests cannot run here, or undefined when they can. */
  readonly missing: string | undefined;
  /** Starts the browser; `javaScript: false` starts it with scripts off (Firefox ESR has no per-page switch over BiDi). */
  launch(options?: { javaScript?: boolean }): Promise<Browser>;
}

function browserRequired(): boolean {
  return process.env.EKS_WINDOWS_DESKTOPS_REQUIRE_REFERENCE === '1' || process.env.CI === 'true';
}

function testBrowser(name: TestBrowser['name'], executablePath: string, debianPackage: string, options: (javaScript: boolean) => LaunchOptions): TestBrowser {
  const missing = fs.existsSync(executablePath) ? undefined : `no ${name} at ${executablePath} (Debian package ${debianPackage}; .ci/run installs it)`;
  return {
    name, executablePath, missing,
    launch: ({ javaScript = true } = {}) => puppeteer.launch({ executablePath, headless: true, ...options(javaScript) }),
  };
}

export const BROWSERS: readonly TestBrowser[] = [
  testBrowser('Chromium', process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', 'chromium', (javaScript) => ({
    browser: 'chrome',
    // The machine's network is closed: without these, Chromium keeps trying Google's hosts.
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
      ...(javaScript ? [] : ['--blink-settings=scriptEnabled=false'])],
  })),
  testBrowser('Firefox', process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr', 'firefox-esr', (javaScript) => ({
    browser: 'firefox',
    extraPrefsFirefox: {
      'network.captive-portal-service.enabled': false, 'app.update.enabled': false,
      'browser.safebrowsing.malware.enabled': false, 'browser.safebrowsing.phishing.enabled': false,
      ...(javaScript ? {} : { 'javascript.enabled': false }),
    },
  })),
];

/** The browser's name for test titles, with the reason when its tests are skipped. */
export function browserTitle(browser: TestBrowser): string {
  return browser.missing !== undefined && !browserRequired() ? `${browser.name} (skipped: ${browser.missing})` : browser.name;
}

/**
 * `test` for a browser that is here; for one that is not, `test.skip` (the reason printed once)
 * or, where browsers are required, a test that fails with the reason.
 */
export function browserTest(browser: TestBrowser): jest.It {
  if (browser.missing === undefined) return test;
  if (browserRequired()) {
    const failing = ((name: string) => test(name, () => { throw new Error(`${browser.name} is required in this run: ${browser.missing}`); })) as unknown as jest.It;
    return failing;
  }
  // eslint-disable-next-line no-console
  console.warn(`${browser.name} tests skipped: ${browser.missing}`);
  return test.skip;
}
