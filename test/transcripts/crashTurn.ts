/**
 * A bot process that dies part-way through a turn (test/transcripts/turnBatch.test.ts): runs turns
 * on Redis through the transcript middleware; with CRASH_AT_TURN=n, the process is killed (SIGKILL,
 * nothing flushed) at the 4th clock reading of that turn — after the cardholder's message and the
 * understanding decision were recorded, before the turn's other records and replies.
 */
import { createForbear } from '../../bot/app.js';
import { LocalAdapter } from '../../bot/channels/local.js';
import { loadConfig } from '../../bot/config.js';
import { createLogger } from '../../bot/logger.js';

const SCRIPT = ['我这个月还不上了', '4821', '1988-03-14', '我失业了', '20000'];
const crashAt = Number(process.env['CRASH_AT_TURN'] ?? 0);
/** A restarted process carries the conversation on from this turn. */
const startAt = Number(process.env['START_AT_TURN'] ?? 1);
const conversationId = process.env['CONVERSATION_ID'] ?? 'crash';
const at = new Date('2026-11-22T02:00:00Z');
let armed = false;
let readings = 0;
const clock = {
  now: () => {
    if (armed && ++readings === 4) process.kill(process.pid, 'SIGKILL');
    return at;
  },
};
const config = loadConfig(process.env);
const forbear = await createForbear({ config, clock, logger: createLogger('silent') });
const channel = new LocalAdapter(forbear.bot, 'local');
channel.use(forbear.transcriptMiddleware);
const message = { locale: 'zh-CN', channelData: { accountRef: 'cn-m1-wang' } };
if (startAt === 1) await channel.join(conversationId, message);
for (const [i, text] of SCRIPT.entries()) {
  if (i + 1 < startAt) continue;
  if (i + 1 === crashAt) {
    process.stdout.write(`records before the turn: ${String((await forbear.transcripts.head(conversationId))?.seq ?? 0)}\n`);
    armed = true;
  }
  await channel.send(conversationId, { ...message, text });
}
process.stdout.write(`records: ${String((await forbear.transcripts.head(conversationId))?.seq ?? 0)}\n`);
await forbear.close();
