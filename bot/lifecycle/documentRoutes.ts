/** The agreement page and the console's arrangement panel API (see document.ts for what the page holds). */
import type { Request, Response, Server } from 'restify';
import type { SessionSigner } from '../auth/session.js';
import { HttpError } from '../http/errors.js';
import type { Forbear } from '../app.js';
import { consentRecord, documentPath, renderAgreement, tokenMatches } from './document.js';

export interface DocumentRouteDeps {
  forbear: Forbear;
  signer: SessionSigner;
}

/**
 * `GET /arrangements/:reference/agreement?token=…` for the cardholder (or a console session), and
 * `GET /agent/api/arrangements/:conversationId` — the arrangement and its ledger for the console's panel.
 */
export function registerDocuments(server: Server, deps: DocumentRouteDeps): void {
  const { forbear, signer } = deps;
  const secret = forbear.lifecycle.documentSecret;
  const staff = (req: Request) => {
    const s = signer.read(req);
    return s !== null && (s.role === 'agent' || s.role === 'supervisor' || s.role === 'compliance');
  };
  server.get('/arrangements/:reference/agreement', async (req: Request, res: Response) => {
    const reference = String(req.params.reference ?? '');
    const token = typeof req.query?.token === 'string' ? req.query.token : undefined;
    if (!staff(req) && !tokenMatches(secret, reference, token)) throw new HttpError(403, 'Forbidden', 'This link is not valid.');
    const a = await forbear.stores.arrangements.get(reference);
    if (!a) throw new HttpError(404, 'NotFound', 'No such arrangement.');
    const policy = forbear.policy(a.policyId);
    const consent = consentRecord(await forbear.transcripts.read(a.conversationId), a.reference);
    const html = renderAgreement(a, policy, policy.currency, consent?.hash ?? null);
    res.sendRaw(200, html, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  });
  server.get('/agent/api/arrangements/:conversationId', async (req: Request, res: Response) => {
    if (!staff(req)) throw new HttpError(401, 'Unauthorized', 'Please log in.');
    const conversationId = String(req.params.conversationId ?? '');
    const summary = await forbear.transcripts.summary(conversationId);
    const arrangements = summary?.accountId ? await forbear.stores.arrangements.listByAccount(summary.accountId) : await forbear.stores.arrangements.listByConversation(conversationId);
    const withLedgers = await Promise.all(
      arrangements.map(async (a) => ({ arrangement: a, ledger: (await forbear.lifecycle.book.get(a.reference))?.ledger ?? null, document: documentPath(a.reference) })),
    );
    res.json(200, { conversationId, arrangements: withLedgers });
  });
}
