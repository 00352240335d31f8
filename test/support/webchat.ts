import { expect } from 'vitest';
import type { Page } from 'playwright-core';

/** Transcript bubbles containing `text` (Web Chat repeats text in a live region, so bubbles are counted). */
export const bubbles = (page: Page, text: string) => page.locator('.webchat__bubble__content', { hasText: text }).count();

/** Types a message and waits until a bubble with `waitFor` appears once more than before. */
export async function send(page: Page, text: string, waitFor: string): Promise<void> {
  const before = await bubbles(page, waitFor);
  const input = page.locator('[data-id="webchat-sendbox-input"]');
  await input.fill(text);
  await input.press('Enter');
  await expect.poll(() => bubbles(page, waitFor)).toBeGreaterThan(before);
}
