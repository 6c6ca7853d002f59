import AxeBuilder from '@axe-core/playwright';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`; .ci/run installs it when missing). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Headless Chromium as this machine allows it: as root it needs --no-sandbox, and with the network closed
 * its background services (component updates, sync, QUIC probes) must stay off or it keeps trying them.
 * Playwright gives each launch a fresh temporary profile and removes it on close (it refuses --user-data-dir).
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A page whose console errors and uncaught exceptions are collected (a page must produce none). */
export async function watchedPage(context: BrowserContext): Promise<{ page: Page; errors: string[] }> {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`${page.url()}: console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`${page.url()}: pageerror: ${e.message}`));
  return { page, errors };
}

/** Waits until the page shows its `h1` and nothing on it is loading (`aria-busy="true"`). */
export async function settled(page: Page): Promise<void> {
  await page.locator('h1').first().waitFor();
  // locators, not waitForFunction: its predicate runs through eval, which the console's CSP refuses
  await page.locator('[aria-busy="true"]').first().waitFor({ state: 'detached' });
}

/** Axe's serious and critical violations on the page as it is now (WCAG 2.x A and AA rules). */
export async function seriousViolations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** How many CSS pixels the page is wider than the viewport (0 when there is no horizontal page scroll). */
export function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
}
