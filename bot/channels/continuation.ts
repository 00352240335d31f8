import { ActivityEventNames, ActivityTypes, TurnContext, type Activity, type ConversationReference } from 'botbuilder-core';

/**
 * The activity a proactive turn runs on (an agent's reply, a hand-back): the conversation's
 * reference applied to a `continueConversation` event, as Bot Framework's own adapters do.
 */
export function continuationActivity(reference: Partial<ConversationReference>): Partial<Activity> {
  return TurnContext.applyConversationReference(
    { type: ActivityTypes.Event, name: ActivityEventNames.ContinueConversation },
    reference,
    true,
  );
}

type Logic = (context: TurnContext) => Promise<void>;

/**
 * The logic of a `continueConversationAsync` call (BotAdapter's overloads: `(appIdOrClaims,
 * reference, logic)` or `(appIdOrClaims, reference, audience, logic)`), for the adapters that have no
 * channel identity to check and so accept and ignore the app id, claims and audience.
 */
export function continuationLogic(logicOrAudience: Logic | string, maybeLogic?: Logic): Logic {
  const logic = typeof logicOrAudience === 'function' ? logicOrAudience : maybeLogic;
  if (logic === undefined) throw new TypeError('continueConversationAsync needs a logic function');
  return logic;
}
