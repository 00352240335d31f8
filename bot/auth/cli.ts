/**
 * `npm run -s users -- hash <password>`: prints the CONSOLE_USERS hash for a password.
 * `npm run -s users -- entry <name> <role> <display name> <password>`: prints a whole CONSOLE_USERS
 * entry, every field validated as the server validates it (exit 2 naming the field otherwise).
 */
import { z } from 'zod';
import { readCli } from '../cli/args.js';
import { ConsoleUser, consoleUserEntry, hashPassword } from './users.js';

const USAGE = [
  'usage: npm run -s users -- hash <password>                                  (then CONSOLE_USERS=name:role:<hash>:<display name>,…)',
  '       npm run -s users -- entry <name> <role> <display name> <password>   (prints the whole entry)',
].join('\n');
const Password = z.string().min(8, 'use at least 8 characters');
const Args = z.discriminatedUnion('command', [
  z.object({ command: z.literal('hash'), password: Password }),
  z.object({ command: z.literal('entry'), name: ConsoleUser.shape.name, role: ConsoleUser.shape.role, displayName: ConsoleUser.shape.displayName, password: Password }),
]);

const args = readCli('users', USAGE, Args, {}, (_values, positionals) => {
  const [command, ...rest] = positionals;
  if (command === 'entry') {
    const [name, role, displayName, password] = rest;
    return { command, name, role, displayName, password };
  }
  return { command, password: rest[0] };
});
const hash = hashPassword(args.password);
process.stdout.write(`${args.command === 'hash' ? hash : consoleUserEntry({ name: args.name, role: args.role, displayName: args.displayName, hash })}\n`);
