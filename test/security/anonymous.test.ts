/**
 * A chat page opened and never written in leaves no transcript: the greeting is held aside (with
 * a TTL) and becomes the start of the transcript only when the cardholder writes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyConversation } from '../../bot/transcripts/store.js';
import { Cardholder, type Instance } from '../support/fleet.js';
import { startForbear, type RealServer } from '../support/server.js';

let server: RealServer;
let instance: Instance;
beforeAll(async () => {
  server = await startForbear();
  instance = { name: 'anonymous', base: server.base } as Instance;
});
afterAll(async () => {
  await server?.running.close();
});

describe('anonymous chats', () => {
  it('create no transcript until the cardholder writes, then start with the greeting', async () => {
    const silent = await Cardholder.open(instance, instance);
    await silent.greeted(instance);
    const { transcripts } = server.forbear;
    expect(await transcripts.summary(silent.conversationId)).toBeNull();
    expect(await transcripts.head(silent.conversationId)).toBeNull();
    expect((await transcripts.listConversations()).map((s) => s.conversationId)).not.toContain(silent.conversationId);

    const writer = await Cardholder.open(instance, instance);
    await writer.greeted(instance);
    expect(await transcripts.head(writer.conversationId)).toBeNull();
    await writer.say(instance, '我想协商还款');
    const records = await transcripts.read(writer.conversationId);
    const texts = records.filter((r) => r.kind === 'activity').map((r) => `${r.actor}: ${r.kind === 'activity' ? r.payload.text : ''}`);
    expect(texts[0]).toMatch(/^bot: .*机器人/);
    expect(texts.findIndex((t) => t.startsWith('cardholder:'))).toBeGreaterThan(0);
    expect(await verifyConversation(transcripts, writer.conversationId)).toMatchObject({ ok: true });
  });
});
