/**
 * The case file changes only through the named transitions in conversation/case.ts. A direct field
 * write elsewhere does not compile (the exported CaseFile type is readonly); what the compiler cannot
 * see is a write that goes around the type — `Object.assign(file, …)` — and this test finds those:
 * any Object.assign onto an existing object in the product outside case.ts, except the few listed
 * below that are not case files.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import ts from 'typescript';

const LAYERS = ['bot', 'conversation', 'dialogs', 'policy', 'prompts', 'simulate', 'bench'];
/** Object.assign onto things that are not case files (a map built in the same function, library settings, a job record). */
const ALLOWED = new Set(['bot/app.ts:book', 'bot/understanding/classifier/intentClassifier.ts:nlp.settings', 'bot/lifecycle/jobs.ts:job']);

function assignsOnto(path: string, text: string): string[] {
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && node.expression.getText(source) === 'Object.assign') {
      const target = node.arguments[0];
      if (target && !ts.isObjectLiteralExpression(target) && !ALLOWED.has(`${path}:${target.getText(source)}`)) {
        found.push(`${path}:${source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1} Object.assign(${target.getText(source)}, …)`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const sources = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );

describe('case file transitions', () => {
  it('nothing outside conversation/case.ts writes onto a case file with Object.assign', () => {
    const files = LAYERS.flatMap(sources).filter((f) => f !== join('conversation', 'case.ts'));
    expect(files.length).toBeGreaterThan(100);
    expect(files.flatMap((f) => assignsOnto(f, readFileSync(f, 'utf8')))).toEqual([]);
  });

  it('the check finds such a write', () => {
    const text = 'export const close = (file: CaseFile) => Object.assign(file, { closed: true });\n';
    expect(assignsOnto('dialogs/sample.ts', text)).toEqual(['dialogs/sample.ts:1 Object.assign(file, …)']);
    expect(assignsOnto('dialogs/sample.ts', 'export const copy = Object.assign({}, { closed: true });\n')).toEqual([]);
  });
});
