/**
 * `POST /api/payments`: the issuer's payment system tells us money arrived. The request must be
 * signed with the shared secret (HMAC-SHA256 over `<timestamp>.<raw body>`, see signature.ts) and
 * fresh; the same signed request seen again is a replay and refused; the body must match
 * `PaymentNotice` exactly. Refused requests change nothing. A payment id seen before is answered
 * with its first outcome (idempotent); the same id with different content is a 409.
 */
import type { Request, Response, Server } from 'restify';
import { HttpError, parseOr400 } from '../http/errors.js';
import { isUnavailability } from '../storage/errors.js';
import type { InboxDedupe } from '../storage/dedupe.js';
import type { Clock } from '../../conversation/clock.js';
import type { Logger } from '../logger.js';
import { PaymentNotice, type LedgerBook } from './ledgerBook.js';
import { checkSignature, SIGNATURE_HEADER, TIMESTAMP_HEADER } from './signature.js';

export const PAYMENTS_PATH = '/api/payments';

export interface PaymentRouteDeps {
  book: LedgerBook;
  dedupe: InboxDedupe;
  clock: Clock;
  logger: Logger;
  secret: string | undefined;
  toleranceSec: number;
}

const header = (req: Request, name: string) => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

export function registerPayments(server: Server, deps: PaymentRouteDeps): void {
  server.post(PAYMENTS_PATH, async (req: Request, res: Response) => {
    if (!deps.secret) throw new HttpError(503, 'NotConfigured', 'The payments webhook is off: set PAYMENTS_WEBHOOK_SECRET.');
    if (!(req.header('content-type') ?? '').toLowerCase().startsWith('application/json')) {
      throw new HttpError(415, 'UnsupportedMediaType', 'Send the payment as application/json.');
    }
    const raw = (req as Request & { rawBody?: unknown }).rawBody;
    const body = typeof raw === 'string' ? raw : Buffer.isBuffer(raw) ? raw.toString('utf8') : '';
    const signature = header(req, SIGNATURE_HEADER);
    const check = checkSignature(deps.secret, { timestamp: header(req, TIMESTAMP_HEADER), signature }, body, deps.clock.now(), deps.toleranceSec);
    if (!check.ok) throw new HttpError(401, 'Unauthorized', `Payment webhook signature ${check.reason}.`);
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      throw new HttpError(400, 'BadArgument', 'The body is not valid JSON.');
    }
    const notice: PaymentNotice = parseOr400(PaymentNotice, json);
    // Within the tolerance window a captured request could be sent again: each signature works once.
    if (!(await deps.dedupe.firstSeen('payment-signature', signature!, deps.toleranceSec * 2))) {
      throw new HttpError(401, 'Unauthorized', 'Payment webhook request replayed.');
    }
    try {
      const result = await deps.book.pay(notice);
      deps.logger.info({ paymentId: notice.paymentId, status: result.status }, 'payment received');
      switch (result.status) {
        case 'applied':
          res.json(200, { status: 'applied', reference: result.reference, ledgerStatus: result.ledger.status });
          return;
        case 'unmatched':
          res.json(202, { status: 'unmatched', reason: result.reason });
          return;
        case 'duplicate':
          res.json(200, { status: 'duplicate', outcome: result.record.outcome, reference: result.record.reference });
          return;
        case 'conflict':
          throw new HttpError(409, 'Conflict', `Payment ${notice.paymentId} was received before with different content.`);
      }
    } catch (error) {
      // Nothing was acknowledged: the sender's retry (newly signed) must be processed, not refused.
      await deps.dedupe.forget('payment-signature', signature!).catch(() => undefined);
      if (isUnavailability(error)) throw new HttpError(503, 'ServiceUnavailable', 'Payments cannot be recorded right now; retry shortly.');
      throw error;
    }
  });
}
