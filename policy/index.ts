/**
 * The policy engine's public surface: pure functions over a validated Policy. The product imports
 * `policy/` only through this file (the import-rule test enforces it).
 */
export { explain, ladderExhausted, triggeredHandoff } from './explain.js';
export { evaluate } from './evaluate.js';
export { balanceOf, bucketIdOf, policyRef } from './envelope.js';
export { Policy, PolicyShape, policyJsonSchema } from './schema.js';
export { loadPolicy } from './load.js';
export { compiledYaml, yaml } from './compiledYaml.js';
export { schedule, type PlanTerms } from './schedule.js';
export { bpsOf, split } from './money.js';
export { addDays } from './dates.js';
export { InputError, type InputIssue } from './errors.js';
export { DEMO_ACCOUNTS, DemoAccount, demoAccount } from './demo-accounts.js';
export * from './model.js';
export {
  openLedger,
  applyPayment,
  assess,
  supersede,
  noticesOf,
  plannedContacts,
  stillDue,
  nextDue,
  paidOf,
  owedOf,
  arrearsOf,
  hasPayment,
  Ledger,
  LedgerEvent,
  Instalment,
  InstalmentStatus,
  LedgerStatus,
  PaymentId,
  BreachRules,
  ReminderRules,
  DEFAULT_BREACH,
  DEFAULT_REMINDERS,
  type Payment,
  type LedgerChange,
  type BreachNotice,
  type PlannedContact,
  type ContactPurpose,
} from './ledger.js';
