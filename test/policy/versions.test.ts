/**
 * A policy's version names its rules: every decision, offer and arrangement cites `id@version`, so
 * compliance can tell which rules decided it. Changing what a policy file says without bumping its
 * version would make two different sets of rules indistinguishable (the people-only sections went
 * into default-cn@2026.1 that way). Each shipped policy's content (as parsed: comments and layout do
 * not count) is pinned here to its id@version; a change fails until the version is bumped and the
 * new content pinned under the new name.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { loadPolicy } from '../../policy/index.js';

// CommonJS with ES-default typings (see bot/transcripts/chain.ts): required, so it is the function.
const canonicalize = createRequire(import.meta.url)('canonicalize') as (value: unknown) => string | undefined;

const PINNED: Record<string, string> = {
  'default-cn@2026.2': '51fc245fb2e98a5e138b358a958bb004911b931d08f2988487a89fe8db01cb45',
  'default-us@2026.2': '1f9593c0f3400d5e0c40dc7e4bed61f3fcdf916eac7fb4eca147312f52f7320e',
  'default-cn@2026.3': '2db46864fc095510a4c3c35edcd6909c6e4802cf5ff5c025fb8e8e94ddc01713',
};

const content = (idOrFile: string) => {
  const policy = loadPolicy(idOrFile);
  return { ref: `${policy.id}@${policy.version}`, hash: createHash('sha256').update(canonicalize(policy)!).digest('hex') };
};

describe('policy versions', () => {
  it.each(['default-cn', 'default-us', 'policy/challengers/default-cn-2026.3.yaml'])('%s says what its version was pinned to say', (idOrFile) => {
    const { ref, hash } = content(idOrFile);
    expect(PINNED[ref], `${ref} is not pinned: a new version's content goes into PINNED`).toBeDefined();
    expect(hash, `${ref} changed without a new version: bump "version" in the file and pin the new content`).toBe(PINNED[ref]);
  });

  it('a challenger never reuses its champion\'s id@version', () => {
    expect(content('policy/challengers/default-cn-2026.3.yaml').ref).not.toBe(content('default-cn').ref);
  });
});
