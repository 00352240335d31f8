/**
 * One persona talking to the real bot through the in-process channel (the same middleware and turn
 * pipeline as the network channels), until an agreement, a handoff, or the cardholder stops.
 */
import type { Activity } from 'botbuilder';
import type { LocalAdapter } from '../bot/channels/local.js';
import type { Handoff, Offer } from '../policy/index.js';
import { freshMemory, readTurn, reply, type Ending } from './cardholder.js';
import type { Persona } from './personas.js';

export type Outcome = 'agreement' | 'handoff' | Ending | 'turn_limit';

export interface Line {
  from: 'cardholder' | 'bot';
  text: string;
}

export interface Conversation {
  persona: Persona;
  outcome: Outcome;
  /** Cardholder messages sent before the outcome. */
  turns: number;
  offersSeen: Offer[];
  agreement: { offer: Offer; policyId: string } | null;
  handoff: Handoff | null;
  transcript: Line[];
}

/** Far more than any real negotiation needs; a conversation that gets here is stuck. */
export const MAX_TURNS = 30;

export async function converse(persona: Persona, channel: LocalAdapter): Promise<Conversation> {
  const conversationId = persona.id;
  const message = { locale: persona.language, channelData: { accountRef: persona.account.accountId } };
  const transcript: Line[] = [];
  const offersSeen: Offer[] = [];
  const record = (activities: Partial<Activity>[]) => {
    for (const a of activities) {
      if (a.type === 'message' && a.text) transcript.push({ from: 'bot', text: a.text });
      if (a.type === 'event' && a.name === 'offer') offersSeen.push((a.value as { offer: Offer }).offer);
    }
    return activities;
  };
  const result = (outcome: Outcome, turns: number, activities: Partial<Activity>[] = []): Conversation => {
    const agreed = activities.find((a) => a.type === 'event' && a.name === 'agreement')?.value as { offer: Offer; policyId: string } | undefined;
    const handoff = activities.find((a) => a.type === 'event' && a.name === 'handoff')?.value as Handoff | undefined;
    return {
      persona,
      outcome,
      turns,
      offersSeen,
      agreement: agreed ? { offer: agreed.offer, policyId: agreed.policyId } : null,
      handoff: handoff ?? null,
      transcript,
    };
  };

  let activities = record(await channel.join(conversationId, message));
  let memory = freshMemory();
  while (memory.said < MAX_TURNS) {
    const turn = readTurn(activities);
    if (turn.agreement) return result('agreement', memory.said, activities);
    if (turn.handoff) return result('handoff', memory.said, activities);
    const next = reply(persona, memory, turn);
    memory = next.memory;
    if ('end' in next) return result(next.end, memory.said);
    transcript.push({ from: 'cardholder', text: next.say });
    activities = record(await channel.send(conversationId, { ...message, text: next.say }));
  }
  return result('turn_limit', memory.said);
}
