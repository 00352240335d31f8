/**
 * Redis key layout. Everything lives under one prefix (default `forbear:`), and every key that
 * belongs to a conversation carries the hash tag `{conv:<id>}` so Redis Cluster places all of a
 * conversation's keys in one slot. Caller-supplied parts are URI-encoded: no `{`, `}` or `:` from
 * outside can move a hash tag or make two different ids produce the same key.
 */
import { z } from 'zod';

/** No glob metacharacters (tests clean up with SCAN MATCH <prefix>*) and no braces (hash tags are ours). */
export const KeyPrefix = z.string().regex(/^[A-Za-z0-9:_.\-]*$/, 'letters, digits and : _ . - only');

const part = (s: string) => encodeURIComponent(s);

export class RedisKeys {
  readonly prefix: string;
  constructor(prefix: string) {
    this.prefix = KeyPrefix.parse(prefix);
  }

  /** A key of one conversation, e.g. `forbear:{conv:abc}:lock`. */
  conversation(conversationId: string, ...rest: string[]): string {
    // Built by concatenation, not an array joined: several keys a turn, each its own garbage otherwise.
    let key = `${this.prefix}{conv:${part(conversationId)}}`;
    for (const r of rest) key += `:${part(r)}`;
    return key;
  }

  /** A key that belongs to no conversation; `tagged` is hashed, so such keys spread over the cluster. */
  global(kind: string, tagged: string, ...rest: string[]): string {
    return [`${this.prefix}${kind}:{${part(tagged)}}`, ...rest.map(part)].join(':');
  }
}
