/**
 * `npm run -s transcripts -- <command>`: export, verify, print and expire transcripts.
 *
 *   export --from YYYY-MM-DD --to YYYY-MM-DD [--format jsonl|csv] [--out FILE]
 *   verify <conversationId>
 *   html <conversationId> [--lang zh-CN|zh-TW|en] [--out FILE]
 *   retention [--older-than-days N] [--dry-run]
 *
 * Reads Redis when REDIS_URL is set (keys under REDIS_KEY_PREFIX, default "forbear:"); without it
 * the store is an empty in-process one, so in practice the CLI is run against Redis.
 * Exit codes: 0 done, 1 verification failed, 2 bad arguments (the message names the field).
 */
import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { z } from 'zod';
import { ConfigError, exitOnConfigError, optionalString, parseEnv, secretFromEnv } from '../http/env.js';
import { loadRedisSettings } from '../storage/redis.js';
import { Language } from '../../conversation/language.js';
import { Chain } from './chain.js';
import { FileCheckpointLog } from './checkpoints.js';
import { exportCsv, exportJsonl, renderTranscriptHtml } from './export.js';
import { RedisTranscriptStore } from './redisStore.js';
import { DEFAULT_RETENTION_DAYS, runRetention } from './retention.js';
import { MemoryTranscriptStore, parseStored, verifyConversation, type TranscriptStore } from './store.js';

const Out = z.string().min(1).optional();

const ExportArgs = z
  .object({ from: z.iso.date(), to: z.iso.date(), format: z.enum(['jsonl', 'csv']).default('jsonl'), out: Out })
  .refine((a) => a.from <= a.to, { message: 'must not be after --to', path: ['from'] });
const VerifyArgs = z.object({ conversationId: z.string().min(1) });
const HtmlArgs = z.object({ conversationId: z.string().min(1), lang: Language.default('zh-CN'), out: Out });
const RetentionArgs = z.object({
  'older-than-days': z.coerce.number().int().min(1).default(DEFAULT_RETENTION_DAYS),
  'dry-run': z.boolean().default(false),
});

const TranscriptEnv = z.object({
  /** The bot's key: without it no record can be checked (or sealed). */
  TRANSCRIPT_HMAC_KEY: secretFromEnv('TRANSCRIPT_HMAC_KEY'),
  TRANSCRIPT_CHECKPOINT_DIR: optionalString.transform((v) => v ?? 'data/checkpoints'),
});

/** The same variables as the bot, read by the same loaders; any problem is a ConfigError (exit 2). */
function settingsOf(env: NodeJS.ProcessEnv) {
  const transcripts = parseEnv(TranscriptEnv, env);
  const redis = loadRedisSettings(env);
  if (redis && !redis.url) throw new ConfigError(['REDIS_URL: the transcripts CLI reads a single node; REDIS_CLUSTER_NODES is not supported']);
  if (redis && !transcripts.TRANSCRIPT_HMAC_KEY) throw new ConfigError(["TRANSCRIPT_HMAC_KEY: must be set to the bot's key to read transcripts in Redis"]);
  return { ...transcripts, redis };
}

export class UsageError extends Error {}

function parse<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.join('.');
  throw new UsageError(`${field === 'conversationId' ? '<conversationId>' : `--${field || 'arguments'}`}: ${issue.message}`);
}

export interface CliIo {
  store: TranscriptStore;
  stdout: Writable;
  stderr: Writable;
  now: () => Date;
}

async function withOutput(path: string | undefined, io: CliIo, body: (out: Writable) => Promise<void>): Promise<void> {
  if (!path) return body(io.stdout);
  const file = createWriteStream(path);
  await body(file);
  file.end();
  await finished(file);
}

export async function run(argv: string[], io: CliIo): Promise<number> {
  try {
    const [command, ...rest] = argv;
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      strict: true,
      options: {
        from: { type: 'string' },
        to: { type: 'string' },
        format: { type: 'string' },
        out: { type: 'string' },
        lang: { type: 'string' },
        'older-than-days': { type: 'string' },
        'dry-run': { type: 'boolean' },
      },
    });
    switch (command) {
      case 'export': {
        const a = parse(ExportArgs, values);
        let counts = { conversations: 0, records: 0 };
        await withOutput(a.out, io, async (out) => {
          counts = await (a.format === 'csv' ? exportCsv : exportJsonl)(io.store, { from: a.from, to: a.to }, out);
        });
        io.stderr.write(`exported ${counts.records} records of ${counts.conversations} conversations\n`);
        return 0;
      }
      case 'verify': {
        const a = parse(VerifyArgs, { conversationId: positionals[0] });
        const { records, head } = await io.store.stored(a.conversationId);
        const anchored = await io.store.sealing.checkpoints.latest(a.conversationId);
        const summary = await io.store.summary(a.conversationId);
        if (records.length === 0 && head === null && anchored === null && summary === null) {
          throw new UsageError(`<conversationId>: no transcript "${a.conversationId}"`);
        }
        const result = await verifyConversation(io.store, a.conversationId);
        io.stdout.write(`${JSON.stringify({ conversationId: a.conversationId, ...result })}\n`);
        return result.ok ? 0 : 1;
      }
      case 'html': {
        const a = parse(HtmlArgs, { conversationId: positionals[0], lang: values.lang, out: values.out });
        const { records } = await io.store.stored(a.conversationId);
        const html = renderTranscriptHtml(a.conversationId, parseStored(a.conversationId, records), {
          lang: a.lang,
          verification: await verifyConversation(io.store, a.conversationId),
          exportedAt: io.now(),
        });
        await withOutput(a.out, io, async (out) => void out.write(html));
        return 0;
      }
      case 'retention': {
        const a = parse(RetentionArgs, values);
        const result = await runRetention(io.store, { olderThanDays: a['older-than-days'], dryRun: a['dry-run'], now: io.now() });
        io.stdout.write(`${JSON.stringify({ cutoff: result.cutoff, expired: result.expired, removed: result.removed.length, dryRun: a['dry-run'] })}\n`);
        return 0;
      }
      default:
        throw new UsageError(`command: expected export, verify, html or retention, got "${command ?? ''}"`);
    }
  } catch (error) {
    if (error instanceof UsageError || (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))) {
      io.stderr.write(`transcripts: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

/**
 * The transcript store a command-line tool reads: Redis with the bot's chain key when REDIS_URL is
 * set, otherwise an empty in-process store. A bad variable exits 2 naming it, as `program: …`.
 */
export async function storeFromEnv(
  program: string,
  environment: NodeJS.ProcessEnv = process.env,
): Promise<{ store: TranscriptStore; redis: ReturnType<typeof settingsOf>['redis']; close(): void }> {
  const settings = await exitOnConfigError(program, () => settingsOf(environment));
  const redis = settings.redis?.url ? new Redis(settings.redis.url, { maxRetriesPerRequest: 1, enableOfflineQueue: true }) : null;
  const sealing = {
    chain: settings.TRANSCRIPT_HMAC_KEY ? new Chain(settings.TRANSCRIPT_HMAC_KEY) : Chain.ephemeral(),
    checkpoints: new FileCheckpointLog(settings.TRANSCRIPT_CHECKPOINT_DIR),
  };
  const store = redis && settings.redis ? new RedisTranscriptStore(redis, settings.redis.prefix, sealing) : new MemoryTranscriptStore(sealing);
  return { store, redis: settings.redis ?? null, close: () => redis?.disconnect() };
}

async function main(): Promise<void> {
  const { store, close } = await storeFromEnv('transcripts');
  try {
    process.exitCode = await run(process.argv.slice(2), { store, stdout: process.stdout, stderr: process.stderr, now: () => new Date() });
  } finally {
    close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
