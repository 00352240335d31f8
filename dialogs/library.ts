/**
 * The botbuilder-dialogs classes Forbear uses, loaded from their own modules (4.23.3, pinned; the
 * package has no `exports` map, so these paths are its published files). The package's index also
 * loads every prompt, skill, memory and choice module it has, with Microsoft's text recognizers
 * (≈ 5 MB of JavaScript no Forbear dialog calls): about 0.2 s of CPU at every start-up. Types
 * are imported from the package itself (`import type` loads nothing).
 */
export { ComponentDialog } from 'botbuilder-dialogs/lib/componentDialog.js';
export { Dialog, DialogTurnStatus } from 'botbuilder-dialogs/lib/dialog.js';
export { DialogSet } from 'botbuilder-dialogs/lib/dialogSet.js';
export { TextPrompt } from 'botbuilder-dialogs/lib/prompts/textPrompt.js';
export { WaterfallDialog } from 'botbuilder-dialogs/lib/waterfallDialog.js';
