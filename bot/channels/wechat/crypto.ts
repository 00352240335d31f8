/**
 * WeChat message signatures and safe-mode (安全模式) encryption, as documented in
 * "消息加解密说明": SHA-1 over the sorted parameters, and AES-256-CBC with the key from the
 * EncodingAESKey, the IV its first 16 bytes, PKCS#7 padding to a multiple of 32 bytes, over
 * random(16) + msg_len(4, network order) + msg + appid.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** sha1 of the lexicographically sorted, concatenated parts: [token, timestamp, nonce] or with the Encrypt field. */
export function wechatSignature(parts: readonly string[]): string {
  return createHash('sha1').update([...parts].sort().join('')).digest('hex');
}

/** Constant-time comparison so an attacker cannot learn the signature byte by byte. */
export function signatureMatches(expected: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(given.toLowerCase(), 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

export type WeChatCryptoFailure = 'malformed' | 'padding' | 'appid_mismatch';

export class WeChatCryptoError extends Error {
  constructor(readonly failure: WeChatCryptoFailure) {
    super(`WeChat ciphertext rejected: ${failure}`);
    this.name = 'WeChatCryptoError';
  }
}

const BLOCK = 32;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export class WeChatCipher {
  private readonly key: Buffer;
  private readonly iv: Buffer;

  /** `encodingAesKey` must already be validated (see `EncodingAesKey` in config.ts). */
  constructor(
    encodingAesKey: string,
    private readonly appId: string,
  ) {
    this.key = Buffer.from(`${encodingAesKey}=`, 'base64');
    if (this.key.length !== 32) throw new RangeError('EncodingAESKey must decode to 32 bytes');
    this.iv = this.key.subarray(0, 16);
  }

  encrypt(message: string, random: Buffer = randomBytes(16)): string {
    const body = Buffer.from(message, 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(body.length);
    const plain = Buffer.concat([random, length, body, Buffer.from(this.appId, 'utf8')]);
    const pad = BLOCK - (plain.length % BLOCK);
    const cipher = createCipheriv('aes-256-cbc', this.key, this.iv).setAutoPadding(false);
    return Buffer.concat([cipher.update(Buffer.concat([plain, Buffer.alloc(pad, pad)])), cipher.final()]).toString('base64');
  }

  /** Returns the inner XML; throws `WeChatCryptoError` for anything that is not our appid's ciphertext. */
  decrypt(encrypted: string): string {
    if (!BASE64.test(encrypted)) throw new WeChatCryptoError('malformed');
    const data = Buffer.from(encrypted, 'base64');
    if (data.length === 0 || data.length % 16 !== 0) throw new WeChatCryptoError('malformed');
    const decipher = createDecipheriv('aes-256-cbc', this.key, this.iv).setAutoPadding(false);
    const plain = Buffer.concat([decipher.update(data), decipher.final()]);
    const pad = plain[plain.length - 1]!;
    if (pad < 1 || pad > BLOCK || pad > plain.length || !plain.subarray(plain.length - pad).every((b) => b === pad)) {
      throw new WeChatCryptoError('padding');
    }
    const content = plain.subarray(0, plain.length - pad);
    if (content.length < 20) throw new WeChatCryptoError('malformed');
    const end = 20 + content.readUInt32BE(16);
    if (end > content.length) throw new WeChatCryptoError('malformed');
    const appId = content.subarray(end);
    const expected = Buffer.from(this.appId, 'utf8');
    if (appId.length !== expected.length || !timingSafeEqual(appId, expected)) throw new WeChatCryptoError('appid_mismatch');
    return content.subarray(20, end).toString('utf8');
  }
}
