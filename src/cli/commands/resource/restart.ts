// `herd resource restart ID [--timeout 60s]`: stops the resource, waits (on the server, bounded)
// until it is stopped everywhere, then restores its previous target-role.

import type { Command } from 'commander';
import { action, connect, globalsOf } from '../../command.js';
import { must, printJson } from '../../output.js';
import { durationMs } from './args.js';

export function register(resource: Command): void {
  resource
    .command('restart <id>')
    .description('Stop a resource, wait until it is stopped, then restore its target-role')
    .option('--timeout <duration>', 'how long to wait for the stop (1s to 5min)', '60s')
    .action(action(async (id: string, o: { timeout: string }, cmd: Command) => {
      const g = globalsOf(cmd);
      const timeoutMs = durationMs(o.timeout, '--timeout');
      const r = must(await connect(g).client.restartResource(id, timeoutMs));
      if (g.json) printJson(r);
      else process.stdout.write(`${r.resource} stopped after ${(r.stoppedAfterMs / 1000).toFixed(1)}s; target-role back to ${r.targetRole ?? '(none)'}\n`);
    }));
}
