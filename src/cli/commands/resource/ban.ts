// `herd resource ban ID [NODE]` (crm_resource --ban): cli-ban-ID-on-NODE at -INFINITY; without
// NODE, the node where the resource is active.

import type { Command } from 'commander';
import { action, connect, globalsOf } from '../../command.js';
import { must, printJson } from '../../output.js';

export function register(resource: Command): void {
  resource
    .command('ban <id> [node]')
    .description('Keep a resource off a node (default: where it is active): cli-ban-<id>-on-<node> at -INFINITY')
    .action(action(async (id: string, node: string | undefined, _o: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      const r = must(await connect(g).client.banResource(id, node));
      if (g.json) printJson(r);
      else process.stdout.write(`${r.message}\n`);
    }));
}
