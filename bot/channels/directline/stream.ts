/**
 * The Direct Line WebSocket stream: `GET <base>/conversations/:id/stream?t=<token>[&watermark=N]`.
 * The token in the URL is the authorization (browsers cannot set headers on a WebSocket). Each
 * frame is an ActivitySet `{activities, watermark}`; typing goes out without a watermark.
 */
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from '../../logger.js';
import { withIds, type DirectLineAdapter } from './adapter.js';
import { ConversationIdParam, Watermark } from './schema.js';
import type { TokenService } from './tokens.js';
import { isUnavailability } from '../../storage/errors.js';

const PAGE_SIZE = 100;
const HEARTBEAT_MS = 30_000;

interface StreamDeps {
  adapter: DirectLineAdapter;
  tokens: TokenService;
  basePath: string;
  pollMs: number;
  logger?: Logger | undefined;
}

function refuse(socket: Duplex, status: number, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

export function attachStream(httpServer: HttpServer, deps: StreamDeps): { close(): void } {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  const pathPattern = new RegExp(`^${deps.basePath}/conversations/([^/]+)/stream$`);

  async function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const match = pathPattern.exec(url.pathname);
    if (!match) {
      // Other paths belong to other upgrade listeners; a Direct Line path that does not match is refused.
      if (url.pathname.startsWith(deps.basePath)) refuse(socket, 404, 'Not Found');
      return;
    }
    const conversationId = ConversationIdParam.safeParse(match[1]);
    const watermark = Watermark.safeParse(url.searchParams.get('watermark') ?? undefined);
    const verdict = deps.tokens.verify(url.searchParams.get('t') ?? '');
    if (!conversationId.success || !watermark.success) return refuse(socket, 400, 'Bad Request');
    if (!verdict.ok || verdict.conversationId !== conversationId.data) return refuse(socket, 403, 'Forbidden');
    if (!(await deps.adapter.log.exists(conversationId.data))) return refuse(socket, 404, 'Not Found');
    wss.handleUpgrade(req, socket, head, (ws) => pump(ws, conversationId.data, watermark.data));
  }

  function pump(ws: WebSocket, conversationId: string, watermark: number | undefined): void {
    let last = watermark;
    let draining = false;
    let again = false;

    const send = (frame: object) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame));
    };

    // One reader at a time; a signal during a read asks for one more pass, so nothing is missed.
    async function drain(): Promise<void> {
      if (draining) {
        again = true;
        return;
      }
      draining = true;
      try {
        do {
          again = false;
          for (;;) {
            const entries = await deps.adapter.log.read(conversationId, last, PAGE_SIZE);
            const newest = entries.at(-1);
            if (!newest) break;
            last = newest.seq;
            send({ activities: withIds(conversationId, entries), watermark: String(newest.seq) });
          }
        } while (again);
      } catch (err) {
        // While the shared store is away the socket stays open and the poll reads again: the
        // client sees new activities as soon as it is back, instead of reconnecting 3-15 s later.
        if (isUnavailability(err)) {
          deps.logger?.warn({ err, conversationId }, 'Direct Line stream read failed; retrying on the next poll');
          return;
        }
        deps.logger?.warn({ err, conversationId }, 'Direct Line stream read failed; closing');
        ws.close(1011);
      } finally {
        draining = false;
      }
    }

    const unsubscribe = deps.adapter.signals.subscribe(conversationId, (signal) => {
      if (signal.kind === 'appended') void drain();
      else send({ activities: [signal.activity] });
    });
    const poll = setInterval(() => void drain(), deps.pollMs);
    // An empty message is Direct Line's keep-alive; it lets proxies and browsers see a live socket.
    const heartbeat = setInterval(() => ws.readyState === ws.OPEN && ws.send(''), HEARTBEAT_MS);
    ws.on('close', () => {
      unsubscribe();
      clearInterval(poll);
      clearInterval(heartbeat);
    });
    ws.on('error', () => ws.terminate());
    void drain();
  }

  const listener = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    onUpgrade(req, socket, head).catch((err: unknown) => {
      deps.logger?.error({ err }, 'Direct Line stream upgrade failed');
      refuse(socket, 500, 'Internal Server Error');
    });
  };
  httpServer.on('upgrade', listener);
  return {
    close() {
      httpServer.off('upgrade', listener);
      for (const client of wss.clients) client.terminate();
      wss.close();
    },
  };
}
