/**
 * Bad input, as opposed to a bug: the CLI turns this into exit code 2 and the message lists every
 * offending path so a risk team can fix a policy file in one pass.
 */
import type { z } from 'zod';

export interface InputIssue {
  path: string;
  message: string;
}

export class InputError extends Error {
  override name = 'InputError';
  constructor(
    readonly subject: string,
    readonly issues: InputIssue[],
  ) {
    super(`${subject} is invalid:\n${issues.map((i) => `  - ${i.path || '(root)'}: ${i.message}`).join('\n')}`);
  }
}

export function issuesOf(error: z.ZodError): InputIssue[] {
  return error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
}

/** Parse a boundary object or throw an InputError naming every bad field. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, subject: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new InputError(subject, issuesOf(result.error));
  return result.data;
}
