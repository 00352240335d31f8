/**
 * The bench's load generator, in its own process so its work never counts as the server's. Closed
 * loop: `concurrency` Direct Line clients each run complete scripted conversations back to back
 * until the time is up. Commands arrive over IPC:
 *   `run`  — conversations for `seconds`; answers every turn's latency and every error.
 *   `open` — `count` conversations brought to a turn and left open (memory per conversation).
 */
import type { Activity } from 'botbuilder';
import { exitWithParent } from './children.js';

export interface RunCommand {
  cmd: 'run';
  url: string;
  concurrency: number;
  seconds: number;
  script: string[];
  account: string;
  /** Forbear must end each conversation with an agreement; the echo must answer every message. */
  expect: 'agreement' | 'answers';
}

export interface OpenCommand {
  cmd: 'open';
  url: string;
  concurrency: number;
  count: number;
  script: string[];
  account: string;
}

export interface RunResult {
  latencies: number[];
  conversations: number;
  completed: number;
  errors: string[];
  seconds: number;
}

async function call(base: string, method: string, path: string, body: unknown, token?: string) {
  const res = await fetch(new URL(path, base), {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    throw new Error(`${method} ${path}: HTTP ${res.status}, not JSON: ${text.slice(0, 120)}`);
  }
  if (res.status >= 300) throw new Error(`${method} ${path.replace(/conversations\/[^/]+/, 'conversations/:id')}: HTTP ${res.status} ${text.slice(0, 200)}`);
  return json;
}

let conversationsStarted = 0;

/** One conversation through `script`, as its own cardholder (`<account>~<n>`); pushes each message's latency (ms). */
async function converse(base: string, script: string[], account: string, latencies: number[]): Promise<unknown> {
  const accountRef = `${account}~${String(process.pid)}-${String(++conversationsStarted)}`;
  const { token } = (await call(base, 'POST', '/v3/directline/tokens/generate', {})) as { token: string };
  const started = await call(base, 'POST', '/v3/directline/conversations', { locale: 'zh-CN' }, token);
  const id = started.conversationId as string;
  for (const text of script) {
    const t0 = performance.now();
    await call(
      base,
      'POST',
      `/v3/directline/conversations/${id}/activities`,
      { type: 'message', from: { id: `bench-${id}` }, text, locale: 'zh-CN', channelData: { accountRef } },
      token,
    );
    latencies.push(performance.now() - t0);
  }
  return (await call(base, 'GET', `/v3/directline/conversations/${id}/activities`, undefined, token)).activities;
}

function checked(expect: RunCommand['expect'], activities: unknown, script: string[]): string | null {
  const list = (activities ?? []) as Partial<Activity>[];
  if (expect === 'agreement') {
    return list.some((a) => a.type === 'event' && a.name === 'agreement') ? null : 'conversation ended without an agreement';
  }
  const answers = list.filter((a) => a.type === 'message' && a.from?.role !== 'user' && !a.from?.id?.startsWith('bench-')).length;
  return answers >= script.length ? null : `${answers} answers to ${script.length} messages`;
}

async function run(c: RunCommand): Promise<RunResult> {
  const latencies: number[] = [];
  const errors: string[] = [];
  let conversations = 0;
  let completed = 0;
  const t0 = performance.now();
  const deadline = t0 + c.seconds * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      conversations++;
      try {
        const problem = checked(c.expect, await converse(c.url, c.script, c.account, latencies), c.script);
        if (problem) errors.push(problem);
        else completed++;
      } catch (err) {
        errors.push(errorText(err));
      }
    }
  };
  await Promise.all(Array.from({ length: c.concurrency }, worker));
  return { latencies, conversations, completed, errors, seconds: (performance.now() - t0) / 1000 };
}

async function open(c: OpenCommand): Promise<{ opened: number; errors: string[] }> {
  const errors: string[] = [];
  let next = 0;
  let opened = 0;
  const worker = async () => {
    while (next < c.count) {
      next++;
      try {
        await converse(c.url, c.script, c.account, []);
        opened++;
      } catch (err) {
        errors.push(errorText(err));
      }
    }
  };
  await Promise.all(Array.from({ length: c.concurrency }, worker));
  return { opened, errors };
}

/** fetch hides the reason ("fetch failed") in `cause`. */
function errorText(err: unknown): string {
  const e = err as Error & { cause?: { message?: string; code?: string } };
  return e.cause ? `${e.message}: ${e.cause.code ?? ''} ${e.cause.message ?? ''}`.trim() : e.message;
}

exitWithParent();
process.on('message', (message: RunCommand | OpenCommand | { cmd: 'exit' }) => {
  if (message.cmd === 'exit') process.exit(0);
  const work = message.cmd === 'run' ? run(message) : open(message);
  work.then(
    (result) => process.send?.({ result }),
    (err: unknown) => process.send?.({ result: { latencies: [], conversations: 0, completed: 0, errors: [errorText(err)], seconds: 0 } }),
  );
});
process.send?.({ ready: true });
