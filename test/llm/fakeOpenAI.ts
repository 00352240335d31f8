/**
 * A scripted OpenAI-compatible server on 127.0.0.1, so tests exercise the real SDK over real HTTP
 * (timeouts, retries, status handling) without internet. Each request consumes the next scripted
 * step; every request body is recorded exactly as received on the wire.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Step =
  /** A completion whose content is this value, JSON-encoded (what a structured-output model sends). */
  | { kind: 'json'; value: unknown; usage?: { prompt: number; completion: number } }
  /** A completion with this raw content (to send malformed JSON). */
  | { kind: 'content'; content: string }
  | { kind: 'refusal'; refusal: string }
  | { kind: 'finish'; reason: 'length' | 'content_filter' }
  | { kind: 'status'; status: number; message?: string }
  /** Answers with `then` after `ms`; longer than the client's budget this is a timeout. */
  | { kind: 'delay'; ms: number; then: Step }
  /** Drops the connection without an answer. */
  | { kind: 'hangup' };

export interface RecordedRequest {
  path: string;
  /** The body exactly as received. */
  raw: string;
  body: { model?: string; messages?: { role: string; content: string }[]; response_format?: unknown; [k: string]: unknown };
}

export interface FakeOpenAI {
  baseURL: string;
  requests: RecordedRequest[];
  /** Queues steps; when the queue is empty the server answers 500 so a forgotten step is visible. */
  script(...steps: Step[]): void;
  /** Forgets recorded requests and unused steps, so one test cannot leak into the next. */
  reset(): void;
  close(): Promise<void>;
}

function completion(message: Record<string, unknown>, finishReason: string, usage = { prompt: 120, completion: 30 }) {
  return {
    id: 'chatcmpl-fake',
    object: 'chat.completion',
    created: 1_700_000_000,
    model: 'fake-model',
    choices: [{ index: 0, message: { role: 'assistant', refusal: null, ...message }, finish_reason: finishReason, logprobs: null }],
    usage: { prompt_tokens: usage.prompt, completion_tokens: usage.completion, total_tokens: usage.prompt + usage.completion },
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function answer(step: Step, res: ServerResponse, req: IncomingMessage, timers: Set<NodeJS.Timeout>): void {
  switch (step.kind) {
    case 'json':
      return sendJson(res, 200, completion({ content: JSON.stringify(step.value) }, 'stop', step.usage));
    case 'content':
      return sendJson(res, 200, completion({ content: step.content }, 'stop'));
    case 'refusal':
      return sendJson(res, 200, completion({ content: null, refusal: step.refusal }, 'stop'));
    case 'finish':
      return sendJson(res, 200, completion({ content: '{"intent":' }, step.reason));
    case 'status':
      return sendJson(res, step.status, { error: { message: step.message ?? `scripted ${step.status}`, type: 'fake', code: null } });
    case 'hangup':
      req.socket.destroy();
      return;
    case 'delay': {
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (!res.destroyed) answer(step.then, res, req, timers);
      }, step.ms);
      timers.add(timer);
      return;
    }
  }
}

export async function startFakeOpenAI(): Promise<FakeOpenAI> {
  const queue: Step[] = [];
  const requests: RecordedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      requests.push({ path: req.url ?? '', raw, body: raw ? JSON.parse(raw) : {} });
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
        return sendJson(res, 404, { error: { message: `no route ${req.method} ${req.url}` } });
      }
      answer(queue.shift() ?? { kind: 'status', status: 500, message: 'no scripted response left' }, res, req, timers);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    script: (...steps) => void queue.push(...steps),
    reset: () => {
      queue.length = 0;
      requests.length = 0;
    },
    close: async () => {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
