// `herd resource delete ID`: removes a resource and the constraints that name it.

import type { Command } from 'commander';
import { action, connect, globalsOf } from '../../command.js';
import { must, printJson } from '../../output.js';

export function register(resource: Command): void {
  resource
    .command('delete <id>')
    .description('Delete a resource (a group\'s last member takes the group, a clone\'s child the clone) and the constraints naming it')
    .action(action(async (id: string, _o: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      const r = must(await connect(g).client.deleteResource(id));
      if (g.json) printJson(r);
      else process.stdout.write(`${r.message} (revision ${r.revision})\n`);
    }));
}
