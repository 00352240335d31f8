import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { WeChatApi, WeChatApiError } from '../../../bot/channels/wechat/api.js';
import { createLogger } from '../../../bot/logger.js';
import { APPID, FakeWeChatApi } from './helpers.js';

const logger = createLogger('silent');
let fake: FakeWeChatApi;
let clock: number;

function client(overrides: Partial<ConstructorParameters<typeof WeChatApi>[0]> = {}) {
  return new WeChatApi({ baseUrl: fake.url, appId: APPID, appSecret: 'test-secret', timeoutMs: 30_000, logger, now: () => clock, ...overrides });
}

beforeAll(async () => {
  fake = new FakeWeChatApi();
  await fake.start();
});
afterAll(() => fake.stop());
beforeEach(() => {
  clock = 1_700_000_000_000;
  fake.sent = [];
  fake.sendErrors = [];
});

describe('WeChatApi customer-service client', () => {
  it('fetches one access_token and reuses it until shortly before it expires', async () => {
    const api = client();
    const before = fake.tokenRequests;
    await Promise.all([api.sendText('oA', 'one'), api.sendText('oA', 'two')]);
    expect(fake.tokenRequests).toBe(before + 1);
    clock += 7200_000 - 6 * 60_000;
    await api.sendText('oA', 'three');
    expect(fake.tokenRequests).toBe(before + 1);
    clock += 2 * 60_000;
    await api.sendText('oA', 'four');
    expect(fake.tokenRequests).toBe(before + 2);
    expect(fake.sent.map((m) => m.body.text.content).sort()).toEqual(['four', 'one', 'three', 'two']);
  });

  it('refreshes the token once when WeChat says it is invalid or expired (40001 / 42001)', async () => {
    for (const errcode of [40001, 42001]) {
      const api = client();
      await api.sendText('oA', 'warm-up');
      const before = fake.tokenRequests;
      fake.sendErrors = [errcode];
      await api.sendText('oA', `after ${errcode}`);
      expect(fake.tokenRequests).toBe(before + 1);
      expect(fake.sent.at(-1)!.body.text.content).toBe(`after ${errcode}`);
    }
  });

  it('retries "system busy" (-1) and reports other errcodes as WeChatApiError', async () => {
    const api = client();
    fake.sendErrors = [-1];
    await api.sendText('oA', 'after busy');
    expect(fake.sent.at(-1)!.body.text.content).toBe('after busy');
    fake.sendErrors = [45015];
    await expect(api.sendText('oA', 'too late')).rejects.toMatchObject({ name: 'WeChatApiError', errcode: 45015 });
  });

  it('reports a token failure (wrong secret) without sending', async () => {
    const api = client({ appSecret: 'wrong' });
    await expect(api.sendText('oA', 'x')).rejects.toBeInstanceOf(WeChatApiError);
    expect(fake.sent).toEqual([]);
  });

  it('gives up on a server that does not answer within the timeout', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const api = client({ baseUrl: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`, timeoutMs: 200 });
    await expect(api.sendText('oA', 'x')).rejects.toMatchObject({ name: 'TimeoutError' });
    silent.closeAllConnections();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });
});
