import { createForbear, type Forbear, type ForbearOptions } from '../../bot/app.js';
import { fixedClock } from '../../conversation/clock.js';
import { loadConfig } from '../../bot/config.js';
import { createLogger } from '../../bot/logger.js';
import { startServer, type RunningServer } from '../../bot/server.js';

export interface RealServer {
  forbear: Forbear;
  running: RunningServer;
  /** `http://127.0.0.1:<port>` without the trailing slash. */
  base: string;
}

/** The whole product as `npm start` builds it, on port 0, a fixed clock and silent logs. */
export async function startForbear(env: Record<string, string> = {}, options: Partial<ForbearOptions> = {}): Promise<RealServer> {
  const fullEnv = { PORT: '0', LOG_LEVEL: 'silent', ...env };
  const config = loadConfig(fullEnv);
  const forbear = await createForbear({
    config,
    clock: fixedClock('2026-11-22T02:00:00Z'),
    logger: createLogger('silent'),
    ...options,
  });
  const running = await startServer(forbear, config);
  return { forbear, running, base: running.url.replace(/\/$/, '') };
}
