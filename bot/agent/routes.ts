/**
 * The agent console's HTTP API (`/agent/api/…`) and its page (`/agent`); signing in is the auth
 * module's (bot/auth/routes.ts). Bodies are validated with zod; every route is authorised on the
 * server by role; the policy decides every approval.
 */
import type { Request, Response, Server } from 'restify';
import { z } from 'zod';
import { Proposal, REASON_DETAIL_UNITS } from '../../policy/index.js';
import { requireRole, sessionOf, type SessionSigner } from '../auth/session.js';
import type { ConsoleUser } from '../auth/users.js';
import { HttpError, parseOr400 } from '../http/errors.js';
import type { Forbear } from '../app.js';
import { registerPage } from '../http/pages.js';
import { ActionRefused, AgentActions, type AgentPorts, type Proactive } from './actions.js';

const Message = z.object({ text: z.string().trim().min(1).max(2000) }).strict();
const Override = z.object({ reasonCode: z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,40}$/) }).strict().optional();
const Approve = z.object({ proposal: Proposal, override: Override }).strict();
const ApprovalRequest = z.object({ proposal: Proposal, override: Override, note: z.string().trim().max(1000).default('') }).strict();
const Decide = z.object({ approve: z.boolean(), reason: z.string().trim().max(1000).default('') }).strict()
  .refine((d) => d.approve || d.reason.length > 0, { path: ['reason'], message: 'a reason is required to decline' });
const Transfer = z.object({ to: z.string().min(1).max(64) }).strict();
const Note = z.object({ text: z.string().trim().min(1).max(2000) }).strict();
const CaseId = z.string().min(1).max(200);

const body = <S extends z.ZodType>(schema: S, req: Request): z.output<S> => parseOr400(schema, req.body ?? {});

/** How often an open console's event stream looks for changes in the shared stores (other instances included). */
const WATCH_MS = 1000;

export function registerAgentConsole(
  server: Server,
  deps: { forbear: AgentPorts & Pick<Forbear, 'logger' | 'transcripts'>; users: readonly ConsoleUser[]; signer: SessionSigner; proactive: Proactive; dispositions: readonly string[] },
): { close(): void } {
  const { forbear, users, signer, dispositions } = deps;
  const actions = new AgentActions(forbear, deps.proactive, users);
  const staff = requireRole(signer, 'agent', 'supervisor');
  const supervisor = requireRole(signer, 'supervisor');
  const Close = z.object({ disposition: z.enum(dispositions as [string, ...string[]]), note: z.string().trim().max(2000).default('') }).strict();
  const streams = new Set<() => void>();

  registerPage(server, { path: '/agent', dir: new URL('./static/', import.meta.url), files: ['console.css', 'console.js'], texts: (key) => key.startsWith('agent.'), console: { area: 'agent' } });

  const ticketOf = async (req: Request) => {
    const id = parseOr400(CaseId, req.params?.['id'], 'id');
    const ticket = await forbear.desk.tickets.get(id);
    if (!ticket) throw new HttpError(404, 'NotFound', 'No such case.');
    return ticket;
  };
  const acting = (run: (req: Request) => Promise<unknown>) => async (req: Request, res: Response) => {
    try {
      res.json(200, (await run(req)) ?? { ok: true });
    } catch (err) {
      if (!(err instanceof ActionRefused)) throw err;
      res.json(err.status, { error: { code: err.status === 403 ? 'Forbidden' : err.status === 404 ? 'NotFound' : 'Conflict', reason: err.code, message: err.message }, decision: err.decision });
    }
  };

  /**
   * The queue as a console shows it, with each open case's transcript length so a console knows when to
   * re-read; `watched` adds the case the console has open, which may have left the queue (an arrangement
   * made, a case closed) but still changes — a payment recorded in its chain, a late note.
   */
  const snapshot = async (watched?: string) => {
    const cases = await forbear.desk.list();
    const ids = [...new Set([...cases.map((c) => c.conversationId), ...(watched ? [watched] : [])])];
    const heads = await Promise.all(ids.map(async (id) => [id, (await forbear.transcripts.head(id))?.seq ?? 0] as const));
    return { cases, heads: Object.fromEntries(heads), approvals: cases.filter((c) => c.approval?.status === 'pending').length };
  };

  server.get('/agent/api/queue', staff, async (_req: Request, res: Response) => {
    res.json(200, await snapshot());
  });
  server.get('/agent/api/config', staff, async (_req: Request, res: Response) => {
    res.json(200, { dispositions, detailUnits: REASON_DETAIL_UNITS, colleagues: users.filter((u) => u.role === 'agent' || u.role === 'supervisor').map((u) => ({ name: u.name, role: u.role, displayName: u.displayName })) });
  });
  /**
   * Server-Sent Events: the console gets the queue whenever it changes, without asking. The server
   * compares a snapshot of the shared stores once a second, so a change made on another instance
   * reaches this console too.
   */
  server.get('/agent/api/events', staff, async (req: Request, res: Response) => {
    const asked = req.query?.case;
    const watched = asked === undefined ? undefined : parseOr400(CaseId, asked, 'case');
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    let last = '';
    const push = async () => {
      const current = await snapshot(watched);
      const text = JSON.stringify(current);
      if (text === last) return;
      last = text;
      res.write(`event: queue\ndata: ${JSON.stringify({ ...current, now: forbear.clock.now().toISOString() })}\n\n`);
    };
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => push().catch((err: unknown) => forbear.logger.warn({ err }, 'console event stream')), WATCH_MS);
      const stop = () => {
        clearInterval(timer);
        streams.delete(stop);
        res.end();
        resolve();
      };
      streams.add(stop);
      req.on('close', stop);
      push().catch(() => undefined);
    });
  });
  server.get('/agent/api/cases/:id', staff, async (req: Request, res: Response) => {
    const ticket = await ticketOf(req);
    const policyId = ticket.packet.account?.policyId;
    // The reasons a person may give for an affordability override under this case's policy.
    const overrideReasons = policyId ? (forbear.policy(policyId).affordabilityOverride?.reasonCodes ?? []) : [];
    res.json(200, { ticket, transcript: await forbear.transcripts.read(ticket.conversationId), overrideReasons });
  });
  server.post('/agent/api/cases/:id/claim', staff, acting(async (req) => actions.claim(await ticketOf(req), sessionOf(req))));
  server.post(
    '/agent/api/cases/:id/messages',
    staff,
    acting(async (req) => actions.message(await ticketOf(req), sessionOf(req), body(Message, req).text)),
  );
  server.post(
    '/agent/api/cases/:id/preview',
    staff,
    acting(async (req) => {
      const { proposal, override } = body(Approve, req);
      return { previews: await actions.preview(await ticketOf(req), sessionOf(req), proposal, override) };
    }),
  );
  server.post(
    '/agent/api/cases/:id/approve',
    staff,
    acting(async (req) => {
      const { proposal, override } = body(Approve, req);
      return actions.approve(await ticketOf(req), sessionOf(req), proposal, override);
    }),
  );
  server.post(
    '/agent/api/cases/:id/approval-request',
    staff,
    acting(async (req) => {
      const { proposal, note, override } = body(ApprovalRequest, req);
      return actions.requestApproval(await ticketOf(req), sessionOf(req), proposal, note, override);
    }),
  );
  server.get('/agent/api/approvals', supervisor, async (_req: Request, res: Response) => {
    res.json(200, { cases: await forbear.desk.approvals() });
  });
  server.post(
    '/agent/api/cases/:id/approval-request/decision',
    supervisor,
    acting(async (req) => {
      const { approve, reason } = body(Decide, req);
      return actions.decideApproval(await ticketOf(req), sessionOf(req), approve, reason);
    }),
  );
  server.post('/agent/api/cases/:id/release', staff, acting(async (req) => actions.release(await ticketOf(req), sessionOf(req))));
  server.post(
    '/agent/api/cases/:id/transfer',
    staff,
    acting(async (req) => actions.transfer(await ticketOf(req), sessionOf(req), body(Transfer, req).to)),
  );
  server.post('/agent/api/cases/:id/notes', staff, acting(async (req) => actions.note(await ticketOf(req), sessionOf(req), body(Note, req).text)));
  server.post('/agent/api/cases/:id/return', staff, acting(async (req) => actions.handBack(await ticketOf(req), sessionOf(req))));
  server.post(
    '/agent/api/cases/:id/close',
    staff,
    acting(async (req) => {
      const { disposition, note } = body(Close, req);
      return actions.close(await ticketOf(req), sessionOf(req), disposition, note);
    }),
  );
  return { close: () => [...streams].forEach((stop) => stop()) };
}
