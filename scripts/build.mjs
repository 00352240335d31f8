// `npm run build`: the compiled production server. A clean tree every time (no stale modules of
// moved or deleted sources), `tsc -p tsconfig.build.json`, then every non-TypeScript file of the
// production folders (catalogs, policies, prompts, YAML, static pages) copied next to the modules
// that read it through `new URL('./x', import.meta.url)`. Usage: node scripts/build.mjs [outDir]
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

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
process.stdout.write(`built ${relative(root, outDir) || '.'}\n`);
