/**
 * The HandoffDesk port: where a handed-off case goes, so a person picks it up. The dialogs decide
 * that a case goes to a person; the desk (queue, tickets, agents) is the shell's.
 */
import type { TurnContext } from 'botbuilder';
import type { Handoff } from '../policy/index.js';
import type { CaseFile } from './case.js';

/** Whether a person is available now, and the honest wait if so. */
export type OpenResult = { available: true; position: number; waitMinutes: number } | { available: false };

/** Where a handed-off case goes: a person picks it up from here. */
export interface HandoffDesk {
  /** Queues the case; says whether a person is available now and the honest wait if so. */
  open(context: TurnContext, file: CaseFile, handoff: Handoff): Promise<OpenResult>;
}
