/** `npm run -s users -- hash <password>`: prints the CONSOLE_USERS hash for a password. */
import { z } from 'zod';
import { readCli } from '../cli/args.js';
import { hashPassword } from './users.js';

const USAGE = 'usage: npm run -s users -- hash <password>   (then CONSOLE_USERS=name:role:<hash>,…)';
const Args = z.object({ command: z.literal('hash'), password: z.string().min(8, 'use at least 8 characters') });

const { password } = readCli('users', USAGE, Args, {}, (_values, [command, password]) => ({ command, password }));
process.stdout.write(`${hashPassword(password)}\n`);
