/**
 * The `AnswerSeal` of the shell: AES-256-GCM under a key derived (HKDF) from the deployment's
 * secret that is never stored in Redis (TRANSCRIPT_HMAC_KEY, or a random per-process key in the
 * embedded set-up, whose in-memory state dies with the process anyway), with the conversation id as
 * associated data — so a sealed answer copied into another conversation does not open. Someone who
 * can read or write Redis sees only an opaque, unguessable string. Node's crypto does this; no
 * library is needed.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { AnswerSeal } from '../../conversation/verificationAnswers.js';

const INFO = 'forbear/verification-answer-seal/v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export function answerSeal(secret: string | Buffer = randomBytes(32)): AnswerSeal {
  const key = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), INFO, 32));
  return {
    seal(conversationId, answer) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(conversationId, 'utf8'));
      const sealed = Buffer.concat([cipher.update(answer, 'utf8'), cipher.final()]);
      return Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64url');
    },
    open(conversationId, sealed) {
      const bytes = Buffer.from(sealed, 'base64url');
      if (bytes.length <= IV_BYTES + TAG_BYTES) return null;
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES)).setAAD(Buffer.from(conversationId, 'utf8'));
        decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
        return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
      } catch {
        // Edited, copied from another conversation, or sealed under another key: as if never given.
        return null;
      }
    },
  };
}
