/**
 * The one set of zod pieces for environment variables, used by every settings section (server,
 * HTTP, Direct Line, WeChat, LLM, Redis, lifecycle, CLIs): blank counts as unset, numbers are
 * validated, and the variable's name is the issue's path so every error names it.
 */
import { z } from 'zod';

export const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

/** A number (blank = `fallback`) checked by `schema`. */
export const numberFromEnv = (fallback: number, schema: z.ZodNumber) =>
  z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? fallback : Number(v.trim())))
    .pipe(schema);

export const intFromEnv = (fallback: number, min: number, max: number) => numberFromEnv(fallback, z.number().int().min(min).max(max));

/** An integer with no default: unset stays undefined for the section to decide. */
export const optionalIntFromEnv = (min: number, max: number) =>
  optionalString.transform((v) => (v === undefined ? undefined : Number(v))).pipe(z.number().int().min(min).max(max).optional());

/** A key or secret that must be long enough to be one; unset stays undefined. */
export const secretFromEnv = (name: string) => optionalString.pipe(z.string().min(32, `${name} must be at least 32 characters`).optional());

export const listFromEnv = (fallback: string[]) =>
  z
    .string()
    .optional()
    .transform((v) =>
      v === undefined || v.trim() === ''
        ? fallback
        : v
            .split(',')
            .map((s) => s.trim())
            .filter((s) => s !== ''),
    );

export const flagFromEnv = z
  .enum(['true', 'false', '1', '0', ''])
  .optional()
  .transform((v) => v === 'true' || v === '1');

/** Bad configuration: every problem, each naming its variable. Processes exit 2 with the message. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
}

/** `VARIABLE: message` for each zod issue; `prefix` names where the values came from (a file). */
export function problemsOf(error: z.ZodError, prefix = ''): string[] {
  return error.issues.map((i) => `${prefix}${i.path.join('.') || '(environment)'}: ${i.message}`);
}

/** Parses `env` with `schema`, or throws a ConfigError naming every bad variable. */
export function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv): z.output<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) throw new ConfigError(problemsOf(parsed.error));
  return parsed.data;
}

/**
 * Runs a process's set-up; a ConfigError (the environment, or a file it names) ends the process with
 * exit 2 and the message — never a stack trace. Anything else is a bug and propagates.
 */
export async function exitOnConfigError<T>(program: string, build: () => T | Promise<T>): Promise<T> {
  try {
    return await build();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${program}: ${err.message}\n`);
    process.exit(2);
  }
}
