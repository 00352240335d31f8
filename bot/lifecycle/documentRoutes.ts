/** The agreement page and the console's arrangement panel API (see document.ts for what the page holds). */
import type { Request, Response, Server } from 'restify';
import { z } from 'zod';
import { requireRole, sessionOf, type SessionSigner } from '../auth/session.js';
import { HttpError, parseOr400 } from '../http/errors.js';
import type { Forbear } from '../app.js';
import { consentRecord, documentPath, renderAgreement, tokenMatches } from './document.js';

export interface DocumentRouteDeps {
  forbear: Pick<Forbear, 'audit' | 'clock' | 'lifecycle' | 'policy' | 'stores' | 'transcripts'>;
  signer: SessionSigner;
}

/**
 * `GET /arrangements/:reference/agreement?token=…` for the cardholder (or a console session), and
 * `GET /agent/api/arrangements/:conversationId` — the arrangement and its ledger for the console's panel,
 * `POST /agent/api/arrangements/:conversationId/callback {at}` — a call-back a person promised: the
 * cardholder is told when, through the contact gate like every other scheduled contact.
 */
export function registerDocuments(server: Server, deps: DocumentRouteDeps): void {
  const { forbear, signer } = deps;
  const secret = forbear.lifecycle.documentSecret;
  const staff = async (req: Request) => {
    const s = await signer.read(req);
    return s !== null && (s.role === 'agent' || s.role === 'supervisor' || s.role === 'compliance');
  };
  server.get('/arrangements/:reference/agreement', async (req: Request, res: Response) => {
    const reference = String(req.params.reference ?? '');
    const token = typeof req.query?.token === 'string' ? req.query.token : undefined;
    if (!(await staff(req)) && !tokenMatches(secret, reference, token)) throw new HttpError(403, 'Forbidden', 'This link is not valid.');
    const a = await forbear.stores.arrangements.get(reference);
    if (!a) throw new HttpError(404, 'NotFound', 'No such arrangement.');
    const policy = forbear.policy(a.policyId);
    const consent = consentRecord(await forbear.transcripts.read(a.conversationId), a.reference);
    const html = renderAgreement(a, policy, policy.currency, consent?.hash ?? null);
    res.sendRaw(200, html, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  });
  server.get('/agent/api/arrangements/:conversationId', async (req: Request, res: Response) => {
    if (!(await staff(req))) throw new HttpError(401, 'Unauthorized', 'Please log in.');
    const conversationId = String(req.params.conversationId ?? '');
    const summary = await forbear.transcripts.summary(conversationId);
    const arrangements = summary?.accountId ? await forbear.stores.arrangements.listByAccount(summary.accountId) : await forbear.stores.arrangements.listByConversation(conversationId);
    const withLedgers = await Promise.all(
      arrangements.map(async (a) => ({
        arrangement: a,
        ledger: (await forbear.lifecycle.book.get(a.reference))?.ledger ?? null,
        currency: forbear.policy(a.policyId).currency,
        document: documentPath(a.reference),
      })),
    );
    res.json(200, { conversationId, arrangements: withLedgers });
  });
  const Callback = z.strictObject({ at: z.iso.datetime({ offset: true }) });
  server.post('/agent/api/arrangements/:conversationId/callback', requireRole(signer, 'agent', 'supervisor'), async (req: Request, res: Response) => {
    const conversationId = String(req.params.conversationId ?? '');
    const asked = parseOr400(Callback, req.body);
    const summary = await forbear.transcripts.summary(conversationId);
    if (!summary?.accountId) throw new HttpError(404, 'NotFound', 'No verified cardholder in this conversation.');
    const at = new Date(asked.at);
    if (at.getTime() <= forbear.clock.now().getTime()) throw new HttpError(400, 'BadArgument', 'at: must be in the future');
    const [arrangement] = (await forbear.stores.arrangements.listByAccount(summary.accountId)).reverse();
    const policyId = arrangement?.policyId ?? summary.policyVersions[0]?.split('@')[0];
    if (!policyId) throw new HttpError(404, 'NotFound', 'No policy has been applied in this conversation yet.');
    const policy = forbear.policy(policyId);
    const lang = summary.language ?? 'zh-CN';
    const timeText = new Intl.DateTimeFormat(lang === 'en' ? 'en-US' : lang, { timeZone: policy.timezone, dateStyle: 'medium', timeStyle: 'short' }).format(at);
    await forbear.lifecycle.scheduler.planCallback(conversationId, summary.accountId, at, timeText);
    await forbear.audit.agentAction(conversationId, {
      type: 'agent_action',
      agentId: sessionOf(req).name,
      role: sessionOf(req).role === 'supervisor' ? 'supervisor' : 'agent',
      action: 'promise_callback',
      authority: sessionOf(req).role === 'supervisor' ? 'supervisor' : 'agent',
      offerId: null,
      note: asked.at,
    });
    res.json(202, { scheduled: true, at: at.toISOString() });
  });
}
