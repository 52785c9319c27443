// `herd fence delete ID`: removes a fence device (and its place in fencing levels).

import type { Command } from 'commander';
import { action, connect, globalsOf } from '../../command.js';
import { must, printJson } from '../../output.js';

export function register(fence: Command): void {
  fence
    .command('delete <id>')
    .description('Delete a fence device')
    .action(action(async (id: string, _o: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      const r = must(await connect(g).client.deleteFenceDevice(id));
      if (g.json) printJson(r);
      else process.stdout.write(`${r.message} (revision ${r.revision})\n`);
    }));
}
