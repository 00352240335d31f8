/**
 * `npm run -s understand -- "我失业了，每月只能还1500"` prints what understanding makes of one
 * message; `--jsonl` reads one message per line on stdin and prints one JSON object per line.
 */
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { readCli } from '../cli/args.js';
import { exitOnConfigError } from '../http/env.js';
import { IsoDate } from '../../policy/index.js';
import { ENGINE_FLAGS, EngineName, createUnderstanding, withEngineFlag } from './engine.js';
import { Expecting, type UnderstandingContext } from '../../conversation/understanding.js';
import { Language } from '../../conversation/language.js';

const USAGE = `usage: understand [--lang zh-CN|zh-TW|en] [--expecting SLOT] [--today YYYY-MM-DD] [--engine classifier|rules|llm | --llm] (TEXT | --jsonl < lines)`;

const Options = z
  .object({
    lang: Language.optional(),
    expecting: Expecting.default('none'),
    today: IsoDate.optional(),
    engine: EngineName.default('classifier'),
    jsonl: z.boolean().default(false),
    text: z.string().optional(),
  })
  .refine((o) => o.jsonl !== (o.text !== undefined), { message: 'give either TEXT or --jsonl', path: ['text'] });

async function main(): Promise<void> {
  const o = readCli(
    'understand',
    USAGE,
    Options,
    {
      lang: { type: 'string' },
      expecting: { type: 'string' },
      today: { type: 'string' },
      jsonl: { type: 'boolean' },
      ...ENGINE_FLAGS,
    },
    (values, positionals) => ({ ...withEngineFlag(values), text: positionals.length > 0 ? positionals.join(' ') : undefined }),
  );
  const understanding = await exitOnConfigError('understand', () => createUnderstanding(o.engine));
  const context: UnderstandingContext = {
    language: o.lang ?? null,
    expecting: o.expecting,
    today: o.today ?? new Date().toISOString().slice(0, 10),
    recentTurns: [],
  };
  if (!o.jsonl) {
    process.stdout.write(`${JSON.stringify(await understanding.understand(o.text!, context))}\n`);
    return;
  }
  for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    if (line.trim() === '') continue;
    process.stdout.write(`${JSON.stringify(await understanding.understand(line, context))}\n`);
  }
}

await main();
