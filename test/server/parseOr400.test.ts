import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { HttpError, parseOr400 } from '../../bot/http/errors.js';

/** Every route reads its input through parseOr400: one status, one code, one wording. */
describe('parseOr400', () => {
  const Body = z.strictObject({ amountMinor: z.number().int(), from: z.iso.date() });

  it('returns the parsed value', () => {
    expect(parseOr400(Body, { amountMinor: 5, from: '2026-11-30' })).toEqual({ amountMinor: 5, from: '2026-11-30' });
  });

  it('refuses with 400 BadArgument naming every bad field, or the input as a whole', () => {
    const refusal = (input: unknown, what?: string) => {
      try {
        parseOr400(Body, input, what);
      } catch (error) {
        return error as HttpError;
      }
      throw new Error('accepted');
    };
    const bad = refusal({ amountMinor: 1.5, from: 'tomorrow', cardNumber: '6222020200112233' });
    expect(bad).toBeInstanceOf(HttpError);
    expect([bad.statusCode, bad.code]).toEqual([400, 'BadArgument']);
    expect(bad.message).toMatch(/^amountMinor: .+; from: .+; body: Unrecognized key: "cardNumber"$/);
    expect(bad.message).not.toContain('6222020200112233');
    expect(refusal('x', 'query').message).toMatch(/^query: /);
  });
});
