// `herd constraint delete ID`.

import type { Command } from 'commander';
import { action, connect, globalsOf } from '../../command.js';
import { must, printJson } from '../../output.js';

export function register(constraint: Command): void {
  constraint
    .command('delete <id>')
    .description('Delete a constraint')
    .action(action(async (id: string, _o: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      const r = must(await connect(g).client.deleteConstraint(id));
      if (g.json) printJson(r);
      else process.stdout.write(`${r.message} (revision ${r.revision})\n`);
    }));
}
