/**
 * What the bot worked out about the current message before any dialog runs: the understanding
 * (computed once per turn, whichever engine) and the commands derived from it. Dialogs read it
 * from turn state so no dialog ever re-interprets the cardholder's words on its own.
 */
import type { StatePropertyAccessor, TurnContext } from 'botbuilder';
import type { UnderstandingResult } from '../conversation/understanding.js';
import type { AccountService, CardholderRecord } from '../conversation/accounts.js';
import type { Command, KindFor } from './commands.js';
import { CONSENT, matchAction } from './speak.js';

export interface TurnFacts {
  text: string;
  understanding: UnderstandingResult | null;
  commands: Command[];
}

const TURN_FACTS = Symbol('forbear.turnFacts');
const TURN_RECORDS = Symbol('forbear.turnRecords');

/**
 * The cardholder's record as this turn sees it: asked of the account service once per turn and
 * account, however many steps need it (the understanding, the step, the handoff, the feedback
 * stamp asked it two to four times a turn — each an issuer look-up, a variant hash and a parse).
 */
export function accountOf(context: TurnContext, accounts: AccountService, accountId: string): Promise<CardholderRecord | null> {
  let asked = context.turnState.get(TURN_RECORDS) as Map<string, Promise<CardholderRecord | null>> | undefined;
  if (!asked) context.turnState.set(TURN_RECORDS, (asked = new Map()));
  let record = asked.get(accountId);
  if (!record) asked.set(accountId, (record = accounts.get(accountId)));
  return record;
}

/**
 * A state property read from conversation state once per turn. The case file is read six to nine
 * times a turn (the privacy boundary, the bot, the interruption check, each waterfall step, each
 * reply spoken), and every `StatePropertyAccessor.get` is two async hops through botbuilder's
 * state (≈ 2 KiB allocated each). The value is the same object all turn — conversation state is
 * loaded once and never reloaded, cleared or replaced during a turn; the case file is changed in
 * place — so it is kept in the turn state after the first read that finds it, and `set` and
 * `delete` go through here and keep it true.
 */
export function readOncePerTurn<T>(property: StatePropertyAccessor<T>): StatePropertyAccessor<T> {
  const key = Symbol('forbear.readOncePerTurn');
  const remember = (context: TurnContext, value: T | undefined) => {
    if (value === undefined) context.turnState.delete(key);
    else context.turnState.set(key, value);
    return value;
  };
  function get(context: TurnContext): Promise<T | undefined>;
  function get(context: TurnContext, defaultValue: T): Promise<T>;
  async function get(context: TurnContext, defaultValue?: T): Promise<T | undefined> {
    const known = context.turnState.get(key) as T | undefined;
    if (known !== undefined) return known;
    return remember(context, defaultValue === undefined ? await property.get(context) : await property.get(context, defaultValue));
  }
  return {
    get,
    async set(context, value) {
      await property.set(context, value);
      remember(context, value);
    },
    async delete(context) {
      remember(context, undefined);
      await property.delete(context);
    },
  };
}

export function setTurnFacts(context: TurnContext, facts: TurnFacts): void {
  context.turnState.set(TURN_FACTS, facts);
}

export function turnFacts(context: TurnContext): TurnFacts {
  return (context.turnState.get(TURN_FACTS) as TurnFacts | undefined) ?? { text: '', understanding: null, commands: [] };
}

/** A command the waiting step acts on (HANDLED_BY: `step`). */
export function takeCommand<K extends KindFor<'step'>>(
  context: TurnContext,
  kind: K,
): Extract<Command, { kind: K }> | undefined {
  return turnFacts(context).commands.find((c): c is Extract<Command, { kind: K }> => c.kind === kind);
}

/**
 * The cardholder's answer to "do you agree to these terms?", for the bot's offers and for terms a
 * person approved alike: a button label (WeChat's numbered reply arrives as the label), or a plain
 * yes/no as the rules read it. Null: neither.
 */
export function consentTo(context: TurnContext): 'agree' | 'disagree' | null {
  const pressed = matchAction(turnFacts(context).text, CONSENT);
  if (pressed === 'agree' || pressed === 'disagree') return pressed;
  if (takeCommand(context, 'affirm')) return 'agree';
  if (takeCommand(context, 'deny')) return 'disagree';
  return null;
}
