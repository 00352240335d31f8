/**
 * restify's server and the two plugins Forbear uses, from their own modules. The package's index
 * (`restify/lib/index.js`) also loads every bundled plugin — static files with `send` and `mime`,
 * multipart forms with `formidable`, CPU throttling with `pidusage`, signed requests with `sshpk`,
 * … — ≈ 30 ms of start-up CPU for code no route runs. `createServer` is the index's own for the
 * options Forbear passes (a name; uncaught exceptions not handled by restify): its logger is a pino
 * logger from restify's own pino, as there. Pinned with restify ("~11.1" in package.json):
 * `test/http/restify.test.ts` checks it against the index's.
 */
import { createRequire } from 'node:module';
import type { ServerOptions, Server } from 'restify';
import type restifyIndex from 'restify';

const require = createRequire(import.meta.url);
const ServerClass = require('restify/lib/server.js') as new (options: ServerOptions) => Server;
const RouterClass = require('restify/lib/router.js') as new (options: ServerOptions) => unknown;
// restify's pino, not Forbear's: the index builds its default logger with its own dependency.
const restifyPino = createRequire(require.resolve('restify'))('pino') as (options: { name: string }) => ServerOptions['log'];

export function createServer(name: string): Server {
  const options: ServerOptions = { name, handleUncaughtExceptions: false, log: restifyPino({ name }) };
  options.router = new RouterClass(options) as ServerOptions['router'];
  return new ServerClass(options);
}

export const plugins = {
  queryParser: require('restify/lib/plugins/query.js') as typeof restifyIndex.plugins.queryParser,
  bodyParser: require('restify/lib/plugins/bodyParser.js') as typeof restifyIndex.plugins.bodyParser,
};
