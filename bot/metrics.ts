import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per server so tests can run several servers in one process without clashes. */
export function createMetrics(registry = new Registry()) {
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    turns: new Counter({
      name: 'forbear_turns_total',
      help: 'Cardholder turns processed, by channel.',
      labelNames: ['channel'] as const,
      registers: [registry],
    }),
    turnLatency: new Histogram({
      name: 'forbear_turn_duration_seconds',
      help: 'Time to process one cardholder turn.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8],
      registers: [registry],
    }),
    outcomes: new Counter({
      name: 'forbear_outcomes_total',
      help: 'Conversation outcomes: agreement, or handoff by reason.',
      labelNames: ['outcome', 'reason'] as const,
      registers: [registry],
    }),
    instalments: new Counter({
      name: 'forbear_instalments_total',
      help: 'Instalment status changes (due, partly_paid, paid, late, missed), as the ledgers record them.',
      labelNames: ['status'] as const,
      registers: [registry],
    }),
    contacts: new Counter({
      name: 'forbear_contacts_total',
      help: 'Scheduled contacts by channel and the decision: sent, unreachable, or the contact gate refusal reason.',
      labelNames: ['channel', 'decision'] as const,
      registers: [registry],
    }),
    variantAssignments: new Counter({
      name: 'forbear_variant_assignments_total',
      help: 'Verified cardholders by the champion/challenger variant they drew and its bucket.',
      labelNames: ['variant', 'bucket'] as const,
      registers: [registry],
    }),
    variantAgreements: new Counter({
      name: 'forbear_variant_agreements_total',
      help: 'Arrangements by the champion/challenger variant they were made under.',
      labelNames: ['variant'] as const,
      registers: [registry],
    }),
    variantHandoffs: new Counter({
      name: 'forbear_variant_handoffs_total',
      help: 'Handoffs to a person by the champion/challenger variant in force and the reason.',
      labelNames: ['variant', 'reason'] as const,
      registers: [registry],
    }),
    feedback: new Counter({
      name: 'forbear_feedback_answers_total',
      help: 'Feedback taps recorded, by question (satisfaction, fair).',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    understanding: new Counter({
      name: 'forbear_understanding_total',
      help: 'Understanding results, by the engine that produced them.',
      labelNames: ['engine'] as const,
      registers: [registry],
    }),
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
