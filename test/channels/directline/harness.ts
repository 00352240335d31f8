/** Starts a hardened restify server with Direct Line (and optionally the web page) on 127.0.0.1. */
import type { AddressInfo } from 'node:net';
import restify from 'restify';
import { DirectLineConfig } from '../../../bot/channels/directline/config.js';
import { registerDirectLine, type Bot, type DirectLineChannel } from '../../../bot/channels/directline/routes.js';
import { HttpConfig } from '../../../bot/http/config.js';
import { hardenServer } from '../../../bot/http/harden.js';
import { EchoBot } from './echoBot.js';
import { until } from '../../support/until.js';

export interface Running {
  baseUrl: string;
  channel: DirectLineChannel;
  server: restify.Server;
  close(): Promise<void>;
}

export async function start(options: {
  env?: Record<string, string>;
  bot?: Bot;
  now?: () => number;
  register?: (server: restify.Server) => void;
  /** false: Direct Line on a bare restify server (its routes then take their own limits). */
  hardened?: boolean;
} = {}): Promise<Running> {
  const env = { DIRECTLINE_SECRET: 'test-secret-test-secret-test-secret-0123', ...options.env };
  const config = { ...HttpConfig.parse(env), ...DirectLineConfig.parse(env) };
  const server = restify.createServer({ name: 'forbear-test' });
  if (options.hardened === false) server.use(restify.plugins.bodyParser({ mapParams: false }));
  else hardenServer(server, config);
  const channel = registerDirectLine(server, {
    bot: options.bot ?? new EchoBot(),
    config,
    streamPollMs: 200,
    ...(options.now ? { now: options.now } : {}),
  });
  options.register?.(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    channel,
    server,
    async close() {
      channel.close();
      server.close();
    },
  };
}

/** Polls until `probe` returns a value (not undefined), with the suite's one ceiling (`until`). */
export async function eventually<T>(probe: () => Promise<T | undefined>): Promise<T> {
  let value: T | undefined;
  await until(async () => (value = await probe()) !== undefined);
  return value!;
}
