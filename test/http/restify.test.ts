/**
 * bot/http/restify.ts builds restify's server and plugins from their own modules (without the
 * package index's other plugins): the same server as the index's `createServer` for Forbear's
 * options, and the index's own plugin functions.
 */
import type { AddressInfo } from 'node:net';
import restify from 'restify';
import { describe, expect, it } from 'vitest';
import { createServer, plugins } from '../../bot/http/restify.js';

/** A server with Forbear's two parsers and a route echoing what they made of a request. */
async function echo(server: restify.Server, make: typeof plugins): Promise<unknown> {
  server.use(make.queryParser({ mapParams: false }));
  server.use(make.bodyParser({ maxBodySize: 1024, mapParams: false }));
  server.post('/echo', (req, res, next) => {
    res.send({ query: req.query, body: req.body, name: server.name });
    next();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  try {
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const post = async (body: string, type: string) =>
      (await fetch(`${base}/echo?a=1&b=x`, { method: 'POST', headers: { 'content-type': type }, body })).json() as Promise<unknown>;
    return [await post('{"n":[1,2]}', 'application/json'), await post('c=3&d=4', 'application/x-www-form-urlencoded'), await post('x'.repeat(2048), 'text/plain')];
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

describe("restify without its plugin index", () => {
  it('gives the index plugin functions themselves', () => {
    expect(plugins.queryParser).toBe(restify.plugins.queryParser);
    expect(plugins.bodyParser).toBe(restify.plugins.bodyParser);
  });

  it("builds the index's server for Forbear's options: name, restify's pino logger, router, no uncaught-exception handler", () => {
    const ours = createServer('forbear');
    const theirs = restify.createServer({ name: 'forbear', handleUncaughtExceptions: false });
    expect(Object.keys(ours).sort()).toEqual(Object.keys(theirs).sort());
    expect(ours.name).toBe(theirs.name);
    const log = (s: restify.Server) => s.log as unknown as { version: string; level: string; bindings(): unknown };
    expect([log(ours).version, log(ours).level, log(ours).bindings()]).toEqual([log(theirs).version, log(theirs).level, log(theirs).bindings()]);
    expect(ours.router.constructor).toBe(theirs.router.constructor);
    expect(ours.listenerCount('uncaughtException')).toBe(0);
    expect(theirs.listenerCount('uncaughtException')).toBe(0);
  });

  it('parses queries and bodies as the index-built server does, the size limit included', async () => {
    const ours = await echo(createServer('forbear'), plugins);
    expect(ours).toEqual(await echo(restify.createServer({ name: 'forbear', handleUncaughtExceptions: false }), restify.plugins));
    expect((ours as { body: unknown }[])[0]).toMatchObject({ query: { a: '1', b: 'x' }, body: { n: [1, 2] } });
  });
});
