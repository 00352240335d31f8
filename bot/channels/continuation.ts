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
