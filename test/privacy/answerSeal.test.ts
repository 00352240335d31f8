/**
 * The sealed last 4 digits in conversation state: opaque to whoever reads Redis, bound to its
 * conversation, and unusable when edited or sealed under another deployment's key.
 */
import { describe, expect, it } from 'vitest';
import { answerSeal } from '../../bot/privacy/answerSeal.js';

const KEY = 'answer-seal-test-key-answer-seal-test-key';

describe('answerSeal', () => {
  it('opens what it sealed for the same conversation, and the sealed text shows no digits', () => {
    const seal = answerSeal(KEY);
    const sealed = seal.seal('conv-a', '4821');
    expect(sealed).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(seal.seal('conv-a', '4821')).not.toBe(sealed); // a fresh IV every time: equal answers do not look equal
    expect(seal.open('conv-a', sealed)).toBe('4821');
    // Another instance of the same deployment (same key) opens it too.
    expect(answerSeal(KEY).open('conv-a', sealed)).toBe('4821');
  });

  it('refuses a value copied into another conversation, edited, truncated, or sealed under another key', () => {
    const seal = answerSeal(KEY);
    const sealed = seal.seal('conv-a', '4821');
    expect(seal.open('conv-b', sealed)).toBeNull();
    const flipped = Buffer.from(sealed, 'base64url');
    flipped[flipped.length - 1]! ^= 1;
    expect(seal.open('conv-a', flipped.toString('base64url'))).toBeNull();
    expect(seal.open('conv-a', sealed.slice(0, 20))).toBeNull();
    expect(seal.open('conv-a', '4821')).toBeNull();
    expect(answerSeal('another-key-another-key-another-key-12').open('conv-a', sealed)).toBeNull();
  });
});
