/**
 * Every place a cardholder's words could end up, gathered as text so a test can search them all:
 * the transcript, the Direct Line log (Redis or memory), conversation state, the log lines, what
 * the model was sent, both consoles' APIs, the exports (JSONL, CSV, printable page) and the handoff
 * packet. Hashes and ids are left out of the haystack: a 64-hex digest contains "4821" by chance.
 */
import { Writable } from 'node:stream';
import type { Activity } from 'botbuilder';
import { createLogger } from '../../bot/logger.js';
import { startFakeOpenAI, type FakeOpenAI } from '../llm/fakeOpenAI.js';
import { Cardholder, type Instance } from '../support/fleet.js';
import { startForbear, type RealServer } from '../support/server.js';

export interface SinkedServer extends RealServer {
  instance: Instance;
  llm: FakeOpenAI;
  logLines: string[];
  /** Everything every sink holds about these conversations, as one string per sink. */
  sinks(conversations: Cardholder[]): Promise<Record<string, string>>;
  close(): Promise<void>;
}

const HIDDEN_KEYS = new Set(['hash', 'prevHash', 'sig', 'conversationId', 'id', 'replyToId', 'clientActivityID', 'token', 'reference']);

/** JSON without hashes and ids (their hex and base64 would match digits by chance). */
export function textOf(value: unknown): string {
  return JSON.stringify(value, (key, v) => (HIDDEN_KEYS.has(key) ? undefined : v));
}

export async function startSinkedServer(env: Record<string, string> = {}): Promise<SinkedServer> {
  const llm = await startFakeOpenAI();
  const logLines: string[] = [];
  const capture = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(chunk.toString('utf8'));
      done();
    },
  });
  const server = await startForbear(
    {
      OPENAI_BASE_URL: llm.baseURL,
      OPENAI_API_KEY: 'sk-test',
      OPENAI_MAX_RETRIES: '0',
      RATE_LIMIT_IP_PER_SEC: '100000',
      RATE_LIMIT_IP_BURST: '1000000',
      RATE_LIMIT_CONVERSATION_PER_MIN: '100000',
      RATE_LIMIT_CONVERSATION_BURST: '100000',
      ...env,
    },
    { logger: createLogger('trace', capture) },
  );
  const instance = { name: 'sinks', base: server.base } as Instance;

  async function consoleCall(name: string, password: string) {
    const login = await fetch(`${server.base}/agent/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forbear-console': '1' },
      body: JSON.stringify({ name, password }),
    });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    return async (path: string) => {
      const res = await fetch(`${server.base}${path}`, { headers: { cookie, 'x-forbear-console': '1' } });
      return { status: res.status, text: await res.text() };
    };
  }

  async function sinks(conversations: Cardholder[]): Promise<Record<string, string>> {
    const { forbear } = server;
    const compliance = await consoleCall('compliance', 'compliance-demo');
    const agent = await consoleCall('supervisor', 'supervisor-demo');
    const out: Record<string, string[]> = {
      transcript: [],
      directLineLog: [],
      conversationState: [],
      complianceView: [],
      complianceJsonl: [],
      complianceCsv: [],
      compliancePrintable: [],
      agentCase: [],
    };
    for (const c of conversations) {
      const id = c.conversationId;
      out.transcript!.push(textOf(await forbear.transcripts.read(id)));
      out.directLineLog!.push(textOf(await c.log(instance)));
      // ConversationState's key: channel/conversations/id/namespace (the namespace is empty, the slash is not).
      const stored = await forbear.stores.storage.read([`directline/conversations/${id}/`]);
      out.conversationState!.push(textOf(stored));
      const view = await compliance(`/compliance/api/conversations/${encodeURIComponent(id)}`);
      out.complianceView!.push(view.status === 200 ? textOf(JSON.parse(view.text)) : '');
      out.complianceJsonl!.push(
        (await compliance(`/compliance/api/conversations/${encodeURIComponent(id)}/export?format=jsonl`)).text
          .split('\n')
          .filter(Boolean)
          .map((line) => textOf(JSON.parse(line)))
          .join('\n'),
      );
      out.complianceCsv!.push(stripHex((await compliance(`/compliance/api/conversations/${encodeURIComponent(id)}/export?format=csv`)).text));
      out.compliancePrintable!.push(stripHex((await compliance(`/compliance/api/conversations/${encodeURIComponent(id)}/export?format=html`)).text));
      const packet = await agent(`/agent/api/cases/${encodeURIComponent(id)}`);
      out.agentCase!.push(packet.status === 200 ? textOf(JSON.parse(packet.text)) : '');
    }
    return {
      ...Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.join('\n')])),
      logs: stripHex(logLines.join('')),
      llm: llm.requests.map((r) => r.raw).join('\n'),
    };
  }

  return {
    ...server,
    instance,
    llm,
    logLines,
    sinks,
    close: async () => {
      await server.running.close();
      await llm.close();
    },
  };
}

/** Hex digests and ids out of free text (CSV and HTML carry hashes and conversation ids). */
function stripHex(text: string): string {
  return text.replace(/[0-9a-f]{32,}/g, '#').replace(/[A-Za-z0-9_-]{22}(?![A-Za-z0-9_-])/g, '#');
}

/** Opens a Direct Line conversation on the server, greeted. */
export async function openChat(server: SinkedServer, locale = 'zh-CN'): Promise<Cardholder> {
  const chat = await Cardholder.open(server.instance, server.instance, locale);
  await chat.greeted(server.instance);
  return chat;
}

/** Where `needle` (a regular expression) appears, sink by sink. */
export function foundIn(sinks: Record<string, string>, needle: RegExp): string[] {
  return Object.entries(sinks)
    .filter(([, text]) => needle.test(text))
    .map(([name, text]) => {
      const at = text.search(needle);
      return `${name}: …${text.slice(Math.max(0, at - 60), at + 40)}…`;
    });
}

export type { Activity };
