/**
 * The bench's child processes end with it, however it ends. Left behind, a bench server or Redis
 * runs on with nobody to stop it, and a server still holds the stdout and stderr it inherited: a
 * caller waiting for those pipes to close (test/bench/bench.test.ts) waits for its whole timeout.
 *
 * - A normal end, an exception, SIGINT, SIGTERM or SIGHUP: every child still running is sent SIGTERM.
 * - SIGKILL (or an out-of-memory kill) runs no handler of ours, so each child also watches for it:
 *   the Node children (bench/server.ts, bench/load.ts) exit when their IPC channel to the bench
 *   closes (`exitWithParent`); any other program (redis-server, the compiled start-up) gets a reaper,
 *   a `sh` reading a pipe only the bench writes to, which the kernel closes when the bench is gone
 *   in whatever way: the read ends and the reaper kills the child.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';

const running = new Set<ChildProcess>();

let handlers = false;

/** Installed by the bench's first child, so a child process that imports this file keeps Node's own signal handling. */
function stopAllOnExit(): void {
  if (handlers) return;
  handlers = true;
  process.on('exit', () => {
    for (const child of running) child.kill('SIGTERM');
  });
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    process.once(signal, () => {
      process.stderr.write(`bench: ${signal}, stopping its processes\n`);
      process.exit(code);
    });
  }
}

/**
 * The bench's own child: stopped on the bench's exit or signal. With `reaper`, for a program that
 * cannot watch the bench itself, also killed if the bench is killed outright.
 */
export function ownChild<C extends ChildProcess>(child: C, { reaper }: { reaper: boolean }): C {
  stopAllOnExit();
  running.add(child);
  let watcher: ChildProcess | null = null;
  if (reaper && child.pid !== undefined) {
    // stdout and stderr ignored: the reaper holds none of the caller's pipes. It is not tracked itself: it ends with its child.
    watcher = spawn('sh', ['-c', 'read _ || kill "$1" 2>/dev/null', 'bench-reaper', String(child.pid)], { stdio: ['pipe', 'ignore', 'ignore'] });
    watcher.unref();
    (watcher.stdin as Socket).unref();
  }
  child.once('exit', () => {
    running.delete(child);
    // Killed, not sent EOF: a reaper that read EOF now could kill a process that has since taken the pid.
    watcher?.kill('SIGKILL');
  });
  return child;
}

/** For a bench child process (bench/server.ts, bench/load.ts): the bench gone, its IPC channel closes, and so does this process. */
export function exitWithParent(): void {
  process.once('disconnect', () => process.exit(0));
}
