import { Writable } from 'node:stream';
import { pino } from 'pino';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatMoney } from '../../conversation/messages/index.js';
import { keepHealthCategory, pinoRedactPaths, redact } from '../../bot/privacy/redact.js';

describe('redact: Chinese text', () => {
  it('masks card, phone and name in a typical opening message, keeping amounts and plan length', () => {
    const r = redact('你好，我叫张三，卡号6222 0213 4567 8903，手机138-1234-5678，最近失业了，每月只能还1500，想分24期');
    expect(r.text).toBe('你好，我叫[NAME]，卡号[CARD]，手机[PHONE]，最近失业了，每月只能还1500，想分24期');
    expect(r.found).toEqual(['card', 'phone', 'name']);
  });

  it('masks an 18-digit resident ID (with X check digit) and a 15-digit legacy ID', () => {
    expect(redact('身份证号11010519491231002X').text).toBe('身份证号[ID]');
    expect(redact('老身份证 110105491231002').text).toBe('老身份证 [ID]');
    // Wrong check digit: still ID-shaped with a plausible birth date, so still someone's ID (a typo is not a licence).
    expect(redact('编号110105194912310021').text).toBe('编号[ID]');
  });

  it('masks +86 numbers and full-width digits', () => {
    expect(redact('打我电话+86 13812345678或者１３９１２３４５６７８').text).toBe('打我电话[PHONE]或者[PHONE]');
    expect(redact('卡号４１１１１１１１１１１１１１１１').text).toBe('卡号[CARD]');
  });

  it('finds what only a normal form shows, and what lies between masks: finders skipped for text without their trigger still see every stretch that has it', () => {
    // Digits only once CJK digit runs are read as digits; a birth date with no digit at all; a name's lead-in.
    expect(redact('电话一三八一二三四五六七八，生日一九八八年三月十四日，本人姓名王五').text).toBe('电话[PHONE]，生日[DATE]，本人姓名[NAME]');
    // Each later finder reads the stretches the earlier masks left, not the whole text.
    expect(redact('a@b.com 6222 0213 4567 8903 c@d.org 我叫张三 1988-03-14，my name is Ann Lee').text).toBe('[EMAIL] [CARD] [EMAIL] 我叫[NAME] [DATE]，my name is [NAME]');
    // Without any trigger the text is returned whole.
    expect(redact('我们可以为您安排分期，您看可以吗？')).toEqual({ text: '我们可以为您安排分期，您看可以吗？', found: [] });
  });

  it('masks only the name in "我叫李小明最近失业了"', () => {
    expect(redact('我叫李小明最近失业了，每月只能还2000元').text).toBe('我叫[NAME]最近失业了，每月只能还2000元');
  });

  it('never alters a policy amount in any catalog language (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000_000 }), fc.constantFrom('zh-CN', 'zh-TW', 'en'), fc.constantFrom('CNY', 'USD'), (minor, lang, currency) => {
        const s = `每月还${formatMoney(minor, currency, lang as 'en')}，分${(minor % 60) + 1}期，或${minor}分`;
        expect(redact(s).text).toBe(s);
      }),
    );
  });

  it('does not touch money in any written form', () => {
    for (const s of ['每月还1500', '20000元', '¥1,500.00', '一共欠了35,678.90元', '分36期每期833.33', '2024年6月1日还款5000', '逾期90天']) {
      expect(redact(s)).toEqual({ text: s, found: [] });
    }
  });
});

describe('redact: English text', () => {
  it('masks name, card with dashes, US phone formats and e-mail', () => {
    const r = redact('Hi, my name is John Smith. Card 4111-1111-1111-1111, call (415) 555-2671 or +1 415 555 2671, mail john.smith@example.com. I can pay $1,200 a month for 12 months.');
    expect(r.text).toBe('Hi, my name is [NAME]. Card [CARD], call [PHONE] or [PHONE], mail [EMAIL]. I can pay $1,200 a month for 12 months.');
    expect(r.found).toEqual(['email', 'card', 'phone', 'name']);
  });

  it("masks \"I'm Mary Jones\" but not \"I'm broke\" or \"I'm Unable\"", () => {
    expect(redact("I'm Mary Jones and I lost my job").text).toBe("I'm [NAME] and I lost my job");
    expect(redact("I'm broke, I can pay $150.00").text).toBe("I'm broke, I can pay $150.00");
  });

  it('masks an Amex number (15 digits, 4-6-5) as a card, not a legacy ID', () => {
    expect(redact('amex 3782 822463 10005').text).toBe('amex [CARD]');
  });

  it('masks long numbers whether or not they pass Luhn, and leaves US-style amounts alone', () => {
    expect(redact('reference 4111111111111112').text).toBe('reference [CARD]');
    expect(redact('I owe $12,345.67 and pay 300 dollars').found).toEqual([]);
  });
});

describe('redact: secrets the caller knows', () => {
  it('masks verification answers in their common spellings, whole numbers only', () => {
    const r = redact('生日是1990年3月7日，也就是19900307，尾数1234，每月还12345', { extraSecrets: ['1990-03-07', '1234'] });
    // The dates are masked as birth dates before the secrets are looked at; the bare 1234 as the secret.
    expect(r.text).toBe('生日是[DATE]，也就是[DATE]，尾数[REDACTED]，每月还12345');
    expect(redact('born 1950/01/02', { extraSecrets: ['1950-01-02'], latestBirthYear: 1940 }).text).toBe('born [REDACTED]');
  });

  it('hides the card last-4 when it is the verification answer, and masks known names', () => {
    expect(redact('4111 1111 1111 1236', { extraSecrets: ['1236'] }).text).toBe('[CARD]');
    expect(redact('Zhang Wei here, 张伟', { extraSecrets: ['Zhang Wei', '张伟'] }).text).toBe('[REDACTED] here, [REDACTED]');
  });
});

describe('structured values and logs', () => {
  it('pinoRedactPaths keeps card numbers and answers out of log lines', () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _e, cb) => (lines.push(chunk.toString()), cb()) });
    const log = pino({ redact: { paths: [...pinoRedactPaths], censor: '[REDACTED]' } }, sink);
    log.info({ text: '4111111111111111', verification: { last4: '1234' }, account: { phone: '13812345678', dateOfBirth: '1990-03-07' }, turn: 3 }, 'turn');
    expect(lines[0]).not.toMatch(/4111111111111111|1234|13812345678|1990-03-07/);
    expect(JSON.parse(lines[0]!)).toMatchObject({ turn: 3, text: '[REDACTED]' });
  });

  it('keepHealthCategory stores the category, never the diagnosis', () => {
    expect(keepHealthCategory('我得了乳腺癌，正在化疗', ['serious_illness'])).toEqual({ text: '[HEALTH:serious_illness]', found: ['health'], categories: ['serious_illness'] });
    expect(keepHealthCategory('我失业了', ['bankruptcy'])).toEqual({ text: '我失业了', found: [], categories: [] });
  });
});
