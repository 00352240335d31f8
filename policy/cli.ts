/**
 * The policy CLI, for risk teams: `npm run -s policy -- <command>`.
 * Exit codes: 0 ok, 2 bad input (the message names the field), 1 internal error.
 */
import { policyCommand } from './command.js';

async function stdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

process.exitCode = await policyCommand(process.argv.slice(2), {
  stdin,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
