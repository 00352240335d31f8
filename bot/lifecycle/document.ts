/**
 * The agreement document: a 还款协议 / repayment agreement (a settlement letter for settlements) in
 * the conversation's language, as a printable HTML page — parties, reference, schedule, waivers,
 * total, rate, what happens if a payment is missed (the policy's breach rules), policy id and
 * version, consent time and the hash of the consent record in the transcript chain. Reachable with
 * the cardholder's token (an HMAC of the reference, so it cannot be guessed from a reference) or by
 * console staff. PDF: the page prints to PDF from any browser; no PDF library is bundled (see README).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Arrangement } from '../../conversation/arrangement.js';
import { formatDate, formatMoney, t, type MessageKey } from '../../conversation/messages/index.js';
import type { Language } from '../../conversation/language.js';
import type { Policy } from '../../policy/index.js';
import type { TranscriptRecord } from '../transcripts/schema.js';

export const documentPath = (reference: string) => `/arrangements/${encodeURIComponent(reference)}/agreement`;

export function documentToken(secret: string, reference: string): string {
  return createHmac('sha256', secret).update(`agreement:${reference}`).digest('base64url').slice(0, 32);
}

export function tokenMatches(secret: string, reference: string, given: string | undefined): boolean {
  if (!given) return false;
  const expected = Buffer.from(documentToken(secret, reference));
  const actual = Buffer.from(given);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The consent record the arrangement was made on: the last consent before its `arrangement_created`. */
export function consentRecord(records: readonly TranscriptRecord[], reference: string): TranscriptRecord | undefined {
  const created = records.findIndex((r) => r.kind === 'decision' && r.payload.type === 'arrangement_created' && r.payload.reference === reference);
  if (created < 0) return undefined;
  return records.slice(0, created).reverse().find((r) => r.kind === 'decision' && r.payload.type === 'consent');
}

const maskAccount = (id: string) => (id.length <= 4 ? id : `${'*'.repeat(Math.min(4, id.length - 4))}${id.slice(-4)}`);

export function renderAgreement(a: Arrangement, policy: Policy, currency: string, consentHash: string | null, lang: Language = a.language): string {
  const o = a.offer;
  const money = (m: number) => escapeHtml(formatMoney(m, currency, lang));
  const date = (d: string) => formatDate(d, lang, a.dateStyle);
  const tx = (key: MessageKey, vars: Record<string, string | number> = {}) => escapeHtml(t(lang, key, vars));
  const title = o.settlement && !o.installment ? tx('doc.title_settlement') : tx('doc.title');
  const rows =
    o.installment?.schedule
      .map((l) => `<tr><td>${l.n}</td><td>${escapeHtml(date(l.dueDate))}</td><td>${money(l.amountMinor)}</td><td>${money(l.principalMinor)}</td><td>${money(l.interestMinor)}</td></tr>`)
      .join('') ?? '';
  const waivers = [
    o.feeWaiver ? tx('doc.fee_waiver', { amount: formatMoney(o.feeWaiver.amountMinor, currency, lang) }) : null,
    o.interestWaiver ? tx('doc.interest_waiver', { amount: formatMoney(o.interestWaiver.amountMinor, currency, lang) }) : null,
  ].filter(Boolean);
  const b = policy.breach;
  const consequences = tx('doc.consequences_text', {
    grace: b.graceDays,
    misses: b.missesToCancel,
    catchUp: b.catchUp.allowed ? t(lang, 'doc.catch_up', { days: b.catchUp.days }) : '',
  });
  const consentAt = new Intl.DateTimeFormat(lang === 'en' ? 'en-US' : lang, { timeZone: policy.timezone, dateStyle: 'long', timeStyle: 'medium' }).format(new Date(a.consentAt));
  const section = (heading: string, body: string) => `<h2>${heading}</h2>${body}`;
  return `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><title>${title} ${escapeHtml(a.reference)}</title>
<style>body{font-family:"Noto Sans CJK SC","Noto Sans CJK TC","PingFang SC","Microsoft YaHei",system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#111}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #999;padding:.25rem .5rem;text-align:right}th:first-child,td:first-child{text-align:center}
dt{font-weight:600}code{word-break:break-all}</style></head>
<body><h1>${title}</h1>
<p>${tx('doc.parties', { account: maskAccount(a.accountId) })}</p>
<dl><dt>${tx('doc.reference')}</dt><dd>${escapeHtml(a.reference)}</dd>
<dt>${tx('doc.balance')}</dt><dd>${money(o.balanceMinor)}</dd>
<dt>${tx('doc.total')}</dt><dd>${money(o.totalRepayableMinor)}</dd>
${o.installment ? `<dt>${tx('doc.rate')}</dt><dd>${(o.installment.annualRateBps / 100).toFixed(2)}%</dd>` : ''}
<dt>${tx('doc.waivers')}</dt><dd>${waivers.length ? waivers.join('；') : tx('doc.no_waiver')}</dd></dl>
${o.installment ? section(tx('doc.schedule'), `<table><thead><tr><th>${tx('doc.col_n')}</th><th>${tx('doc.col_date')}</th><th>${tx('doc.col_amount')}</th><th>${tx('doc.col_principal')}</th><th>${tx('doc.col_interest')}</th></tr></thead><tbody>${rows}</tbody></table>`) : ''}
${o.settlement ? `<p>${tx('doc.settlement', { amount: formatMoney(o.settlement.amountMinor, currency, lang), date: date(o.settlement.payByDate), balance: formatMoney(o.balanceMinor, currency, lang), discount: formatMoney(o.concessionMinor, currency, lang) })}</p>` : ''}
${o.deferral ? `<p>${tx('doc.deferral', { days: o.deferral.days, date: date(o.deferral.resumeDate) })}</p>` : ''}
${o.holding ? `<p>${tx('offer.holding_total', { paid: formatMoney(o.totalRepayableMinor, currency, lang), remaining: formatMoney(o.holding.remainingMinor, currency, lang), balance: formatMoney(o.balanceMinor, currency, lang) })} ${tx('offer.holding_review', { date: date(o.holding.reviewDate) })}</p>` : ''}
${section(tx('doc.consequences'), `<p>${consequences}</p>`)}
${section(tx('doc.policy'), `<p><code>${escapeHtml(a.policyId)}@${escapeHtml(a.policyVersion)}</code>${a.approvedBy ? ` · ${tx('doc.approved_by', { role: a.approvedBy.role })}` : ''}</p>`)}
${section(tx('doc.consent'), `<p>${tx('doc.consent_text', { at: consentAt, text: a.consentText })}</p><p>${tx('doc.consent_hash')}: <code>${consentHash ? escapeHtml(consentHash) : tx('doc.consent_hash_missing')}</code></p>`)}
</body></html>`;
}
