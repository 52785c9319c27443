// `herd resource clear ID [NODE]` (crm_resource --clear): removes what move and ban added.

import type { Command } from 'commander';
import { action, connect, globalsOf } from '../../command.js';
import { must, printJson } from '../../output.js';

export function register(resource: Command): void {
  resource
    .command('clear <id> [node]')
    .description('Remove the cli-prefer-/cli-ban- constraints of move and ban (only those on NODE, when given)')
    .action(action(async (id: string, node: string | undefined, _o: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      const r = must(await connect(g).client.clearResource(id, node));
      if (g.json) printJson(r);
      else process.stdout.write(`${r.message}\n`);
    }));
}
