/**
 * The outcome table as words and numbers, in the reader's language: the same cells on the `/ops`
 * page, from `npm run report` and from `npm run simulate -- --challenger`, so a figure read in one
 * place is the figure seen in the others.
 */
import { t } from '../../conversation/messages/index.js';
import type { Language } from '../../conversation/language.js';
import type { Comparison, Dimension, Figures, OutcomeReport } from './report.js';

export interface Table {
  columns: string[];
  rows: string[][];
}

const percent = (x: number) => `${(x * 100).toFixed(1)}%`;
const bpsPercent = (bps: number) => `${(bps / 100).toFixed(1)}%`;

function duration(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${(seconds / 60).toFixed(1)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

export function figureCells(f: Figures, lang: Language): string[] {
  const none = t(lang, 'ops.none');
  return [
    String(f.conversations),
    `${percent(f.agreementRate)} (${f.agreements})`,
    `${percent(f.handoffRate)} (${f.handoffs})`,
    f.timeToAgreement ? duration(f.timeToAgreement.medianSeconds) : none,
    f.concessionBps ? `${bpsPercent(f.concessionBps.interest)} / ${bpsPercent(f.concessionBps.fees)} / ${bpsPercent(f.concessionBps.settlement)}` : none,
    f.keptRate === null ? none : percent(f.keptRate),
    f.cureRate === null ? none : percent(f.cureRate),
    f.feedback.satisfactionMean === null ? none : `${f.feedback.satisfactionMean.toFixed(2)} (${f.feedback.satisfactionCount})`,
    f.feedback.fairRate === null ? none : `${percent(f.feedback.fairRate)} (${f.feedback.fairCount})`,
  ];
}

const COLUMNS = ['conversations', 'agreement_rate', 'handoff_rate', 'time_to_agreement', 'concession', 'kept_rate', 'cure_rate', 'satisfaction', 'fair'] as const;

/** One row per group of the dimension, then the total. */
export function outcomeTable(report: OutcomeReport, dimension: Dimension, lang: Language): Table {
  return {
    columns: [t(lang, `ops.dim.${dimension}`), ...COLUMNS.map((c) => t(lang, `ops.col.${c}`))],
    rows: [
      ...Object.entries(report.by[dimension]).map(([group, f]) => [group, ...figureCells(f, lang)]),
      [t(lang, 'ops.overall'), ...figureCells(report.overall, lang)],
    ],
  };
}

const signed = (x: number, digits = 1) => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(digits)}`;

/** The significance readout of one champion/challenger comparison (agreement rate). */
export function comparisonLine(c: Comparison, lang: Language): string | null {
  const test = c.agreement;
  if (!test) return null;
  const verdict = !test.enoughData ? 'too_little_data' : test.significant ? 'significant' : 'not_significant';
  return t(lang, 'ops.comparison', {
    bucket: c.bucket,
    challenger: c.challenger,
    champion: c.champion,
    b: percent(test.b.rate),
    a: percent(test.a.rate),
    bn: test.b.trials,
    an: test.a.trials,
    diff: signed(test.difference * 100),
    confidence: Math.round(test.confidence * 100),
    lo: signed(test.interval[0] * 100),
    hi: signed(test.interval[1] * 100),
    z: test.z.toFixed(2),
    p: test.pValue < 0.001 ? '< 0.001' : test.pValue.toFixed(3),
    verdict: t(lang, `ops.verdict.${verdict}`),
  });
}

export function comparisonLines(report: OutcomeReport, lang: Language): string[] {
  const lines = report.comparisons.map((c) => comparisonLine(c, lang)).filter((l): l is string => l !== null);
  return lines.length ? lines : [t(lang, 'ops.no_comparison')];
}

/** Display width: CJK characters take two columns in a terminal. */
const width = (s: string) => [...s].reduce((w, ch) => w + (/[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/.test(ch) ? 2 : 1), 0);
const pad = (s: string, w: number) => s + ' '.repeat(Math.max(0, w - width(s)));

/** The table and the comparisons as plain text for a terminal. */
export function renderText(report: OutcomeReport, dimension: Dimension, lang: Language): string {
  const table = outcomeTable(report, dimension, lang);
  const all = [table.columns, ...table.rows];
  const widths = table.columns.map((_, i) => Math.max(...all.map((r) => width(r[i] ?? ''))));
  const line = (r: string[]) => r.map((c, i) => pad(c, widths[i]!)).join('  ').trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  const title = `${t(lang, 'ops.title')}${report.from || report.to ? ` ${report.from ?? '…'} – ${report.to ?? '…'}` : ''}`;
  return [title, '', line(table.columns), rule, ...table.rows.map(line), '', `${t(lang, 'ops.comparisons')}:`, ...comparisonLines(report, lang).map((l) => `- ${l}`)].join('\n');
}
