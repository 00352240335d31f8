/**
 * The report as people read it: a terminal table, `report.md`, and an SVG chart. The SVG is
 * written by hand — a few dozen lines of text — rather than pulling a charting library (and a
 * headless DOM) into the project for one bar chart.
 */
import type { Report } from './report.js';

const STRATEGY_LABEL = { bot: 'Forbear (ladder + negotiation)', max_concession: 'Max concession at once', minimum: 'Minimum offer only' } as const;
type StrategyKey = keyof typeof STRATEGY_LABEL;
const STRATEGIES = Object.keys(STRATEGY_LABEL) as StrategyKey[];

function table(headers: string[], rows: (string | number)[][]): string[] {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => [...r[i]!].length)));
  const line = (r: string[]) => r.map((c, i) => c + ' '.repeat(widths[i]! - [...c].length)).join('  ');
  return [line(headers), widths.map((w) => '─'.repeat(w)).join('  '), ...cells.slice(1).map(line)];
}

const markdownTable = (headers: string[], rows: (string | number)[][]) => [
  `| ${headers.join(' | ')} |`,
  `|${headers.map(() => '---').join('|')}|`,
  ...rows.map((r) => `| ${r.join(' | ')} |`),
];

function headline(r: Report): [string, string | number][] {
  return [
    ['personas', r.options.personas],
    ['seed / languages', `${r.options.seed} / ${r.options.lang}`],
    ['understanding', r.understanding],
    ['agreement rate', `${r.agreementRate}%`],
    ['handoff rate', `${r.handoffRate}%`],
    ['handoff correctness', `${r.handoff.correctness}% of ${r.handoff.decided} decided`],
    ['missed safety handoffs (must be 0)', r.handoff.missedSafety],
    ['unneeded handoffs (explained by statements)', `${r.handoff.unneeded} (${r.handoff.unneededExplainedByStatements})`],
    ['conversations with a safety check-in', r.checkIns],
    ['policy violations (must be 0)', `${r.violations.count} in ${r.violations.agreementsChecked} agreements`],
    ['over-conceded agreements', r.concession.overConceded],
    ['concession given / needed (% of balance)', `${r.concession.givenRate}% / ${r.concession.neededRate}%`],
    ['turns to resolution mean / p50 / p90 / max', `${r.turns.mean} / ${r.turns.p50} / ${r.turns.p90} / ${r.turns.max}`],
    ...(r.llm
      ? ([['LLM calls / tokens per conversation', `${r.llm.callsPerConversation} / ${r.llm.tokensPerConversation}`]] as [string, string][])
      : []),
  ];
}

const strategyRows = (r: Report) =>
  STRATEGIES.map((s) => [STRATEGY_LABEL[s], `${r.strategies[s].agreementRate}%`, `${r.strategies[s].recoveryRate}%`, `${r.strategies[s].concessionRate}%`]);
const STRATEGY_HEADERS = ['strategy', 'agreements', 'recovery (of balance)', 'concession (per deal)'];

/** After the agreement: the plans played with each persona's payment behaviour. */
const lifecycleRows = (r: Report) =>
  STRATEGIES.map((s) => {
    const l = r.strategies[s].lifecycle;
    return [STRATEGY_LABEL[s], l.plans, `${l.keptRate}%`, `${l.cureRate}%`, `${l.brokenRate}%`, `${l.netRecoveryRate}%`];
  });
const LIFECYCLE_HEADERS = ['strategy', 'plans', 'kept', 'cured (of missed)', 'broken', 'recovery net of breaks'];

const behaviourRows = (r: Report) =>
  Object.entries(r.byBehaviour).map(([k, b]) => [k, b.personas, `${b.agreementRate}%`, `${b.handoffRate}%`, `${b.otherRate}%`, b.meanTurns, b.violations]);
const BEHAVIOUR_HEADERS = ['behaviour', 'personas', 'agreement', 'handoff', 'other', 'mean turns', 'violations'];

export function renderTable(r: Report, elapsedMs: number): string {
  return [
    ...table(['measure', 'value'], [...headline(r), ['runtime', `${(elapsedMs / 1000).toFixed(1)} s`]]),
    '',
    ...table(STRATEGY_HEADERS, strategyRows(r)),
    '',
    ...table(LIFECYCLE_HEADERS, lifecycleRows(r)),
    '',
    ...table(BEHAVIOUR_HEADERS, behaviourRows(r)),
    '',
    `outcomes: ${Object.entries(r.outcomes).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    `findings: ${Object.entries(r.findingCounts).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`,
  ].join('\n');
}

export function renderMarkdown(r: Report, elapsedMs: number): string {
  const findings = r.findings.map((f) => `| ${f.kind} | ${f.personaId} | \`--seed ${f.seed} --show ${f.index}\` | ${f.behaviour} | ${f.detail.replace(/\|/g, '\\|')} |`);
  return [
    '# Forbear simulation report',
    '',
    `${r.options.personas} simulated cardholders (seed ${r.options.seed}, languages ${r.options.lang}), ${r.understanding} understanding, clock fixed at ${r.clock}; ran in ${(elapsedMs / 1000).toFixed(1)} s.`,
    '',
    ...markdownTable(['measure', 'value'], headline(r)),
    '',
    '## Recovery against fixed strategies (same personas)',
    '',
    ...markdownTable(STRATEGY_HEADERS, strategyRows(r)),
    '',
    '## After the agreement (payment behaviour played through the ledger and breach rules)',
    '',
    ...markdownTable(LIFECYCLE_HEADERS, lifecycleRows(r)),
    '',
    '![outcomes per strategy](report.svg)',
    '',
    '## By behaviour',
    '',
    ...markdownTable(BEHAVIOUR_HEADERS, behaviourRows(r)),
    '',
    `Outcomes: ${Object.entries(r.outcomes).map(([k, v]) => `${k} ${v}`).join(', ')}. Unneeded handoffs by reason: ${Object.entries(r.handoff.unneededByReason).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}.`,
    '',
    '## Findings',
    '',
    Object.keys(r.findingCounts).length === 0 ? 'None.' : `Counts: ${Object.entries(r.findingCounts).map(([k, v]) => `${k} ${v}`).join(', ')} (at most 25 of each listed).`,
    '',
    ...(findings.length ? ['| kind | persona | replay | behaviour | detail |', '|---|---|---|---|---|', ...findings] : []),
    '',
  ].join('\n');
}

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Grouped bars: agreement rate and recovery rate for each strategy, 0–100 %. */
export function renderSvg(r: Report): string {
  const series = [
    { label: 'agreement rate', color: '#4e79a7', value: (s: StrategyKey) => r.strategies[s].agreementRate },
    { label: 'recovery (% of balance)', color: '#59a14f', value: (s: StrategyKey) => r.strategies[s].recoveryRate },
    { label: 'concession per deal (% of balance)', color: '#e15759', value: (s: StrategyKey) => r.strategies[s].concessionRate },
  ];
  const width = 720;
  const height = 360;
  const left = 50;
  const top = 50;
  const plotH = 220;
  const groupW = (width - left - 20) / STRATEGIES.length;
  const barW = 40;
  const y = (v: number) => top + plotH - (v / 100) * plotH;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${left}" y="24" font-size="15" font-weight="bold">${escape(`Outcomes per strategy — ${r.options.personas} personas, seed ${r.options.seed}`)}</text>`,
  ];
  for (const tick of [0, 25, 50, 75, 100]) {
    parts.push(`<line x1="${left}" x2="${width - 20}" y1="${y(tick)}" y2="${y(tick)}" stroke="#ddd"/>`);
    parts.push(`<text x="${left - 8}" y="${y(tick) + 4}" text-anchor="end">${tick}%</text>`);
  }
  STRATEGIES.forEach((s, g) => {
    const x0 = left + g * groupW + (groupW - series.length * barW) / 2;
    series.forEach((serie, i) => {
      const v = serie.value(s);
      const x = x0 + i * barW;
      parts.push(`<rect x="${x}" y="${y(v)}" width="${barW - 6}" height="${y(0) - y(v)}" fill="${serie.color}"/>`);
      parts.push(`<text x="${x + (barW - 6) / 2}" y="${y(v) - 4}" text-anchor="middle" font-size="11">${v}</text>`);
    });
    parts.push(`<text x="${left + g * groupW + groupW / 2}" y="${top + plotH + 20}" text-anchor="middle">${escape(STRATEGY_LABEL[s])}</text>`);
  });
  series.forEach((serie, i) => {
    const x = left + i * 220;
    parts.push(`<rect x="${x}" y="${height - 40}" width="12" height="12" fill="${serie.color}"/>`);
    parts.push(`<text x="${x + 18}" y="${height - 30}">${escape(serie.label)}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
