/**
 * The YAML read at every start-up (the bundled policies, the safety lexicon, the forbidden phrases)
 * costs ≈ 0.2 s of CPU in the yaml parser, cold, where the same data as JSON parses in a few ms. So
 * the build (scripts/build.mjs) also writes each YAML file under bot/ and policy/ as
 * `<file>.yaml.json`: `{ sha256, data }`, with the hash of the YAML text it was made from. A loader
 * takes `data` when that hash is the YAML's beside it — an edited YAML file is read as YAML, never
 * shadowed by a stale copy — and parses the YAML otherwise (development under tsx has no such file,
 * nor has a deployment's own policy file). The data is validated by the loader's schema either way.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { z } from 'zod';

const Compiled = z.object({ sha256: z.string(), data: z.unknown() });

let parser: typeof import('yaml') | undefined;

/**
 * The yaml package, loaded when YAML is first parsed or written: a built start reads the compiled
 * JSON instead and so never loads the parser (≈ 15 ms of start-up CPU). Node resolves
 * `require('yaml')` to the same CommonJS module an `import` of it gives.
 */
export const yaml = (): typeof import('yaml') => (parser ??= createRequire(import.meta.url)('yaml') as typeof import('yaml'));

/** The build's data of the YAML `text` read from `file`, or undefined where there is none for that text. */
export function compiledYaml(file: string | URL, text: string): unknown {
  const compiled = typeof file === 'string' ? `${file}.json` : new URL(`${file.href}.json`);
  if (!existsSync(compiled)) return undefined;
  const { sha256, data } = Compiled.parse(JSON.parse(readFileSync(compiled, 'utf8')));
  return sha256 === createHash('sha256').update(text).digest('hex') ? data : undefined;
}
