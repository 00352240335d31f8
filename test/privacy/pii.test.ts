/**
 * Personal data in the forms people actually type it — a card that fails Luhn, grouped with any
 * separator, full-width or in Chinese numerals; an ID with a wrong check digit; "cvv 321"; an
 * expiry; a phone read out digit by digit — is masked at the boundary and reaches no sink: not the
 * transcript, the Direct Line log, conversation state, logs, the model, the consoles or exports.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redact } from '../../bot/privacy/redact.js';
import { foundIn, openChat, startSinkedServer, type SinkedServer } from './sinks.js';

const CJK = ['〇', '一', '二', '三', '四', '五', '六', '七', '八', '九'];
const FULL = ['０', '１', '２', '３', '４', '５', '６', '７', '８', '９'];

/** Digits of `text` as ASCII, separators between digits dropped: what a search for the number would match. */
export function digitsView(text: string): string {
  const ascii = [...text].map((c) => (FULL.includes(c) ? String(FULL.indexOf(c)) : CJK.includes(c) ? String(CJK.indexOf(c)) : c === '零' ? '0' : c === '幺' ? '1' : c === '两' ? '2' : c)).join('');
  return ascii.replace(/(?<=\d)[\s.\-_/\u3000]+(?=\d)/g, '');
}

const digitString = (min: number, max: number) => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: min, maxLength: max }).map((d) => d.join(''));

/** One way of writing a digit string: contiguous or grouped, with a separator, in some script. */
const written = (digits: string) =>
  fc.record({
    group: fc.constantFrom(0, 3, 4, 5, 6),
    sep: fc.constantFrom(' ', '-', '.', '\u3000', '_', '/'),
    script: fc.constantFrom('ascii', 'ascii', 'full', 'cjk'),
  }).map(({ group, sep, script }) => {
    const chars = [...digits].map((d) => (script === 'full' ? FULL[+d]! : script === 'cjk' ? CJK[+d]! : d));
    if (group === 0) return chars.join('');
    const parts: string[] = [];
    for (let i = 0; i < chars.length; i += group) parts.push(chars.slice(i, i + group).join(''));
    // A trailing group shorter than three digits would look like a separate small number; fold it back.
    if (parts.length > 1 && parts.at(-1)!.length < 3) parts[parts.length - 2] += parts.pop()!;
    return parts.join(sep);
  });

const birthDate = fc.record({ y: fc.integer({ min: 1940, max: 2005 }), m: fc.integer({ min: 1, max: 12 }), d: fc.integer({ min: 1, max: 28 }) });
const pad = (n: number) => String(n).padStart(2, '0');

/** A card (13–19 digits, Luhn or not), an ID (wrong check digit or not), a phone, written many ways. */
const longPii = fc.oneof(
  digitString(13, 19).chain((d) => written(d).map((w) => ({ kind: 'card', digits: d, text: w }))),
  fc.tuple(fc.integer({ min: 110000, max: 659999 }), birthDate, digitString(3, 3), fc.constantFrom(...'0123456789X'))
    .map(([area, b, seq, check]) => `${area}${b.y}${pad(b.m)}${pad(b.d)}${seq}${check}`)
    .chain((id) => fc.constantFrom(id, `${id.slice(0, 6)} ${id.slice(6, 14)} ${id.slice(14)}`).map((w) => ({ kind: 'id', digits: id.slice(0, 17), text: w }))),
  fc.tuple(fc.constantFrom('13', '15', '17', '18', '19'), digitString(9, 9))
    .map(([p, rest]) => p + rest)
    .chain((d) => fc.constantFrom(d, `${d.slice(0, 3)} ${d.slice(3, 7)} ${d.slice(7)}`, `${d.slice(0, 3)}-${d.slice(3, 7)}-${d.slice(7)}`, [...d].map((c) => CJK[+c]).join(''), `+86 ${d}`).map((w) => ({ kind: 'phone', digits: d, text: w }))),
);

/** Short secrets that are only recognisable by their context words. */
const contextual = fc.oneof(
  fc.tuple(fc.constantFrom('cvv', 'CVV2:', 'cvc', '安全码', '安全码是', '卡背面三位数', 'security code'), digitString(3, 3)).map(([w, d]) => ({ kind: 'cvv', digits: d, text: `${w} ${d}` })),
  fc.tuple(fc.constantFrom('有效期', '有效期至', 'exp', 'expiry', 'valid thru'), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 26, max: 35 })).map(([w, m, y]) => ({
    kind: 'expiry',
    digits: `${pad(m)}${y}`,
    text: `${w} ${pad(m)}/${y}`,
  })),
  birthDate.chain((b) =>
    fc.constantFrom(`${b.y}-${pad(b.m)}-${pad(b.d)}`, `${b.y}年${b.m}月${b.d}日`, `${b.y}/${b.m}/${b.d}`, `${b.y}${pad(b.m)}${pad(b.d)}`, `${pad(b.m)}/${pad(b.d)}/${b.y}`).map((w) => ({
      kind: 'birth date',
      digits: `${b.y}${pad(b.m)}${pad(b.d)}`,
      text: w,
    })),
  ),
);

const framing = fc.constantFrom(
  (p: string) => `我的卡号是${p}，这个月还不上`,
  (p: string) => `${p}`,
  (p: string) => `my card ${p} please help`,
  (p: string) => `麻烦帮我查一下：${p}。谢谢`,
  (p: string) => `号码 ${p} 没错`,
);

describe('redaction: the forms from the audit', () => {
  it('masks each one', () => {
    const cases: [string, string][] = [
      ['卡号6222021234567890', '卡号[CARD]'],
      ['卡号 6222 0212 3456 7890', '卡号 [CARD]'],
      ['cvv 321', 'cvv [CVV]'],
      ['身份证110105194912310021', '身份证[ID]'],
      ['电话一三八一二三四五六七八', '电话[PHONE]'],
      ['有效期 12/27', '有效期 [EXPIRY]'],
    ];
    for (const [input, output] of cases) expect(redact(input).text, input).toBe(output);
  });

  it('leaves no written form of the number in the output (property)', () => {
    fc.assert(
      fc.property(fc.oneof(longPii, contextual), framing, (pii, frame) => {
        const out = redact(frame(pii.text)).text;
        expect(digitsView(out), `${pii.kind}: ${frame(pii.text)} → ${out}`).not.toContain(pii.digits);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('no sink receives personal data (real server, model on, property)', () => {
  let server: SinkedServer;
  beforeAll(async () => {
    server = await startSinkedServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('cards, IDs and phones in many written forms, before and after verification', async () => {
    await fc.assert(
      fc.asyncProperty(longPii, longPii, framing, async (first, second, frame) => {
        // Verified, then talking about money with the number in the message.
        const verified = await openChat(server);
        await verified.say(server.instance, '4821');
        await verified.say(server.instance, '1988-03-14');
        await verified.say(server.instance, `我失业了，${frame(first.text)}`);
        await verified.say(server.instance, frame(second.text));
        // Never verified: the number as a first message, then with a person after an early handoff.
        const unverified = await openChat(server);
        await unverified.say(server.instance, frame(first.text));
        await unverified.say(server.instance, '转人工');
        await unverified.say(server.instance, frame(second.text));
        const sinks = await server.sinks([verified, unverified]);
        expect(sinks.transcript).toContain('我失业了');
        expect(sinks.transcript).toContain('转人工');
        for (const pii of [first, second]) {
          const seen = Object.entries(sinks).filter(([, text]) => digitsView(text).includes(pii.digits));
          expect(seen.map(([name]) => name), `${pii.kind} "${pii.text}"`).toEqual([]);
        }
        expect(foundIn(sinks, /4821|1988-03-14/)).toEqual([]);
      }),
      { numRuns: 12 },
    );
  }, 300_000);
});
