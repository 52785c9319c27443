// `herd fence history`: fencing operations, oldest first (stonith_admin --history).

import type { Command } from 'commander';
import { action, connect, globalsOf } from '../../command.js';
import { must, printJson, table } from '../../output.js';

export function register(fence: Command): void {
  fence
    .command('history')
    .description('Fencing operations: target, action, result, device, who asked and why')
    .action(action(async (_o: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      const r = must(await connect(g).client.fenceHistory());
      if (g.json) return printJson(r);
      if (r.history.length === 0) return void process.stdout.write('No fencing operations\n');
      process.stdout.write(`${table(['COMPLETED', 'TARGET', 'ACTION', 'STATE', 'DEVICE', 'BY', 'REASON'], r.history.map((h) => [
        new Date(h.completedAtMs).toISOString(), h.target, h.action, h.state, h.device ?? '-', h.requestedBy ?? '-', h.reason,
      ]))}\n`);
    }));
}
