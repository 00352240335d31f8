import { createCipheriv, createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { signatureMatches, WeChatCipher, WeChatCryptoError, wechatSignature } from '../../../bot/channels/wechat/crypto.js';

/** The vector published with Tencent's WXBizMsgCrypt sample (its Java test case). */
const SAMPLE = {
  encodingAesKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
  appId: 'wxb11529c136998cb6',
  random: 'aaaabbbbccccdddd',
  message: '我是中文abcd123',
  encrypted: 'jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg==',
};

/** The documented algorithm written out with node:crypto alone, so the module is not its own oracle. */
function encryptByHand(encodingAesKey: string, appId: string, random: Buffer, message: string): string {
  const key = Buffer.from(`${encodingAesKey}=`, 'base64');
  const msg = Buffer.from(message, 'utf8');
  const header = Buffer.from([msg.length >>> 24, (msg.length >>> 16) & 0xff, (msg.length >>> 8) & 0xff, msg.length & 0xff]);
  const plain = Buffer.concat([random, header, msg, Buffer.from(appId)]);
  const padLength = 32 - (plain.length % 32);
  const padded = Buffer.concat([plain, Buffer.alloc(padLength, padLength)]);
  const aes = createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
  aes.setAutoPadding(false);
  return Buffer.concat([aes.update(padded), aes.final()]).toString('base64');
}

describe('safe-mode cipher', () => {
  const sample = new WeChatCipher(SAMPLE.encodingAesKey, SAMPLE.appId);

  it('reproduces the published WeChat sample vector and decrypts it', () => {
    expect(sample.encrypt(SAMPLE.message, Buffer.from(SAMPLE.random))).toBe(SAMPLE.encrypted);
    expect(sample.decrypt(SAMPLE.encrypted)).toBe(SAMPLE.message);
  });

  it('agrees with a by-hand construction for any message, including block-boundary lengths', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), fc.uint8Array({ minLength: 16, maxLength: 16 }), (message, random) => {
        const expected = encryptByHand(SAMPLE.encodingAesKey, SAMPLE.appId, Buffer.from(random), message);
        expect(sample.encrypt(message, Buffer.from(random))).toBe(expected);
        expect(sample.decrypt(expected)).toBe(message);
      }),
    );
  });

  it('pads a full block when the plaintext is already a multiple of 32 bytes', () => {
    // 16 + 4 + 8 + 18 (appid) = 46; 18 more bytes make 64.
    const message = 'x'.repeat(26);
    const encrypted = Buffer.from(sample.encrypt(message, Buffer.from(SAMPLE.random)), 'base64');
    expect(encrypted.length).toBe(96);
  });

  it('rejects ciphertext for another appid, tampered ciphertext and non-base64 with typed errors', () => {
    const other = new WeChatCipher(SAMPLE.encodingAesKey, 'wx0000000000000000');
    const failure = (f: () => unknown) => {
      try {
        f();
      } catch (error) {
        expect(error).toBeInstanceOf(WeChatCryptoError);
        return (error as WeChatCryptoError).failure;
      }
      throw new Error('expected a rejection');
    };
    expect(failure(() => other.decrypt(SAMPLE.encrypted))).toBe('appid_mismatch');
    expect(failure(() => sample.decrypt('not base64 at all!'))).toBe('malformed');
    expect(failure(() => sample.decrypt(Buffer.alloc(15).toString('base64')))).toBe('malformed');
    const tampered = Buffer.from(SAMPLE.encrypted, 'base64');
    tampered[tampered.length - 1]! ^= 0xff;
    expect(['padding', 'malformed', 'appid_mismatch']).toContain(failure(() => sample.decrypt(tampered.toString('base64'))));
  });
});

describe('signatures', () => {
  it('is sha1 of the sorted, concatenated parts', () => {
    const expected = createHash('sha1').update(['1409304348', 'pamtest', 'xxxxxx'].sort().join('')).digest('hex');
    expect(wechatSignature(['pamtest', '1409304348', 'xxxxxx'])).toBe(expected);
    expect(wechatSignature(['xxxxxx', 'pamtest', '1409304348'])).toBe(expected);
  });

  it('compares signatures exactly, case-insensitively on the hex, and rejects missing ones', () => {
    const good = wechatSignature(['t', '1', 'n']);
    expect(signatureMatches(good, good)).toBe(true);
    expect(signatureMatches(good, good.toUpperCase())).toBe(true);
    expect(signatureMatches(good, `${good}0`)).toBe(false);
    expect(signatureMatches(good, good.replace(/.$/, (c) => (c === '0' ? '1' : '0')))).toBe(false);
    expect(signatureMatches(good, undefined)).toBe(false);
    expect(signatureMatches(good, '')).toBe(false);
  });
});
