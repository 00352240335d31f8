/** `npm start`: wires configuration, the bot and the server, and shuts down cleanly on SIGTERM. */
import { exitOnConfigError, loadConfig } from './config.js';

// Bad configuration (the environment, or a file it names) stops start-up with exit 2 and the reason,
// before the bot and the server are loaded: a refused environment costs the configuration's
// modules, not the whole product's.
const config = await exitOnConfigError('forbear', () => loadConfig());
const [{ createForbear }, { startServer }] = await Promise.all([import('./app.js'), import('./server.js')]);
const forbear = await exitOnConfigError('forbear', () => createForbear({ config }));
// Console users are read as the server starts: a bad CONSOLE_USERS entry is a configuration error too.
const running = await exitOnConfigError('forbear', () => startServer(forbear, config));
let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    forbear.logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    running.close().then(
      () => process.exit(0),
      (err: unknown) => {
        forbear.logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}

// Announced once the signals are handled: whoever waits for this line may stop the server at once.
process.stdout.write(`\nForbear is running: open ${running.url} to chat; agents: ${running.url}agent\n\n`);
