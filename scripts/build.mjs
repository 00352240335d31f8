// `npm run build`: the compiled production server. A clean tree every time (no stale modules of
// moved or deleted sources), `tsc -p tsconfig.build.json`, then every non-TypeScript file of the
// production folders (catalogs, policies, prompts, YAML, static pages) copied next to the modules
// that read it through `new URL('./x', import.meta.url)`; and each YAML file under bot/ and policy/
// also as JSON, which start-up reads instead of parsing the YAML (see policy/compiledYaml.ts).
// Usage: node scripts/build.mjs [outDir]
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { parseDocument } from 'yaml';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = resolve(root, process.argv[2] ?? 'dist');
// Kept in step with tsconfig.build.json's "include".
// `corpus` has no TypeScript: the classifier's loader reads it to check the committed model is current.
const FOLDERS = ['bot', 'dialogs', 'prompts', 'policy', 'conversation', 'corpus'];

rmSync(outDir, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', outDir], { cwd: root, stdio: 'inherit' });
for (const folder of FOLDERS) {
  const from = join(root, folder);
  if (existsSync(from)) cpSync(from, join(outDir, folder), { recursive: true, filter: (src) => !src.endsWith('.ts') });
}
// Parsed as strictly as the loaders parse it (duplicate keys are errors); data JSON cannot carry
// exactly (an .inf, a -0) fails the build rather than load as something else.
for (const folder of ['bot', 'policy']) {
  for (const name of readdirSync(join(outDir, folder), { recursive: true, encoding: 'utf8' })) {
    if (!name.endsWith('.yaml')) continue;
    const file = join(outDir, folder, name);
    const text = readFileSync(file, 'utf8');
    const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
    if (doc.errors.length > 0) throw new Error(`${relative(outDir, file)}: ${doc.errors[0].message}`);
    const data = doc.toJS();
    if (!isDeepStrictEqual(JSON.parse(JSON.stringify(data)), data)) throw new Error(`${relative(outDir, file)}: its data has no exact JSON form`);
    writeFileSync(`${file}.json`, JSON.stringify({ sha256: createHash('sha256').update(text).digest('hex'), data }));
  }
}
process.stdout.write(`built ${relative(root, outDir) || '.'}\n`);
