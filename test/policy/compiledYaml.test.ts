/**
 * The build's JSON form of a YAML file is used only for the YAML text it was made from: an edited
 * file is read as YAML again, and a file without one (development, a deployment's own policy) too.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { compiledYaml } from '../../policy/compiledYaml.js';
import { loadPolicy, POLICY_DIR } from '../../policy/load.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The bundled default-cn policy as a file of its own, with a compiled form made from `madeFrom`. */
function policyWithCompiled(madeFrom: (text: string) => string, data: (yaml: Record<string, unknown>) => unknown) {
  const dir = mkdtempSync(join(tmpdir(), 'forbear-compiled-'));
  dirs.push(dir);
  const file = join(dir, 'mine.yaml');
  const text = readFileSync(join(POLICY_DIR, 'default-cn.yaml'), 'utf8');
  writeFileSync(file, text);
  writeFileSync(`${file}.json`, JSON.stringify({ sha256: sha256(madeFrom(text)), data: data(parse(text) as Record<string, unknown>) }));
  return file;
}

describe('compiled YAML', () => {
  it('is the data of the YAML text it was made from', () => {
    // A version only the compiled form carries shows which one was read.
    const file = policyWithCompiled((t) => t, (yaml) => ({ ...yaml, version: 'compiled' }));
    expect(loadPolicy(file).version).toBe('compiled');
  });

  it('is ignored once the YAML has changed, and the YAML read', () => {
    const file = policyWithCompiled((t) => `${t}\n# an older version`, (yaml) => ({ ...yaml, version: 'stale' }));
    expect(loadPolicy(file).version).toBe(loadPolicy('default-cn').version);
  });

  it('is validated like the YAML', () => {
    const file = policyWithCompiled((t) => t, () => ({ id: 'default-cn' }));
    expect(() => loadPolicy(file)).toThrow(/is invalid/);
  });

  it('is absent where the build made none', () => {
    const dir = mkdtempSync(join(tmpdir(), 'forbear-compiled-'));
    dirs.push(dir);
    const file = join(dir, 'plain.yaml');
    const text = stringify({ a: 1 });
    writeFileSync(file, text);
    expect(compiledYaml(file, text)).toBeUndefined();
    expect(compiledYaml(new URL(`file://${file}`), text)).toBeUndefined();
  });
});
