/**
 * One way every Forbear command reads its arguments: node's `parseArgs` for the syntax, a zod
 * schema for the meaning, and on any problem a message naming the flag and exit code 2.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { z } from 'zod';

export type Flags = NonNullable<ParseArgsConfig['options']>;

/** The first problem, named as the user typed it (`--lang: Invalid option…`). */
export function describeIssue(error: z.ZodError): string {
  return error.issues.map((i) => `--${i.path.join('.') || 'args'}: ${i.message}`).join('; ');
}

/**
 * Parses `argv` against `flags` and validates `shape(values, positionals)` with `schema`.
 * Exits 2 with `program: problem` and the usage line when the arguments are wrong.
 */
export function readCli<S extends z.ZodType>(
  program: string,
  usage: string,
  schema: S,
  flags: Flags,
  shape: (values: Record<string, unknown>, positionals: string[]) => unknown = (values) => values,
  argv: string[] = process.argv.slice(2),
): z.output<S> {
  let input: unknown;
  try {
    const { values, positionals } = parseArgs({ args: argv, options: flags, allowPositionals: true, strict: true });
    input = shape(values, positionals);
  } catch (err) {
    return usageError(program, usage, (err as Error).message);
  }
  const parsed = schema.safeParse(input);
  return parsed.success ? parsed.data : usageError(program, usage, describeIssue(parsed.error));
}

export function usageError(program: string, usage: string, problem: string): never {
  process.stderr.write(`${program}: ${problem}\n${usage}\n`);
  process.exit(2);
}
