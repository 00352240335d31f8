/**
 * The imperative shell around policy files: read YAML, validate it whole, return a Policy or throw
 * an InputError listing every problem. A policy is never half-loaded.
 */
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { compiledYaml, yaml } from './compiledYaml.js';
import { InputError, parseInput } from './errors.js';
import { Policy } from './schema.js';

export const POLICY_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'policies');

/** Parse and validate policy YAML text; `source` names it in error messages. */
export function parsePolicy(text: string, source: string): Policy {
  const doc = yaml().parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new InputError(
      source,
      doc.errors.map((e) => ({ path: e.linePos ? `line ${String(e.linePos[0].line)}` : '', message: e.message.split('\n')[0]! })),
    );
  }
  return parseInput(Policy, doc.toJS(), source);
}

/** A file path, or the id of a bundled policy (`default-cn` → policy/policies/default-cn.yaml). */
export function resolvePolicyPath(idOrFile: string): string {
  if (/^[A-Za-z][A-Za-z0-9_-]*$/.test(idOrFile)) {
    const bundled = path.join(POLICY_DIR, `${idOrFile}.yaml`);
    if (existsSync(bundled)) return bundled;
  }
  return idOrFile;
}

export function loadPolicy(idOrFile: string): Policy {
  const file = resolvePolicyPath(idOrFile);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new InputError(idOrFile, [{ path: '', message: `no such policy file or bundled policy id (${file})` }]);
  }
  const compiled = compiledYaml(file, text);
  const policy = compiled === undefined ? parsePolicy(text, file) : parseInput(Policy, compiled, file);
  if (file.startsWith(POLICY_DIR) && path.basename(file, '.yaml') !== policy.id) {
    throw new InputError(file, [{ path: 'id', message: `must be "${path.basename(file, '.yaml')}" to match the file name` }]);
  }
  return policy;
}
