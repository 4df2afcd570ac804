import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { axeViolations } from './axe.js';

export async function signIn(page: Page, origin: string, secret: string): Promise<void> {
  await page.goto(`${origin}/dashboard/`);
  await page.getByLabel('ADMIN key').fill(secret);
  await page.getByRole('button', { name: 'Sign in' }).click();
  // The list has arrived: nothing of the first load is still in flight.
  await page.getByRole('table', { name: 'API keys' }).waitFor();
}

export async function expectAccessible(page: Page, name: string): Promise<void> {
  const violations = await axeViolations(page);
  expect(violations, `axe violations on the ${name} page`).toEqual([]);
}

/** At a phone's width nothing may scroll sideways; the elements that stick out are named. */
export async function expectNoHorizontalScroll(page: Page, name: string): Promise<void> {
  const widths = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    view: innerWidth,
    wide: [...document.querySelectorAll('body *')]
      .filter((e) => e.getBoundingClientRect().right > innerWidth)
      .map((e) => `${e.tagName}.${e.className}`)
      .slice(0, 8),
  }));
  expect(widths.scroll, `horizontal scroll on the ${name} page: ${widths.wide.join(', ')}`).toBeLessThanOrEqual(
    widths.view,
  );
}
