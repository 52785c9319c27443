// `herd resource cleanup ID [--node NODE]` (crm_resource --cleanup): forgets the resource's
// operation history and fail counts so the node(s) probe it again.

import type { Command } from 'commander';
import { action, connect, globalsOf } from '../../command.js';
import { must, printJson } from '../../output.js';

export function register(resource: Command): void {
  resource
    .command('cleanup <id>')
    .description('Forget a resource\'s failures and operation history on every node (or --node) so it is probed again')
    .option('--node <node>', 'only on this node')
    .action(action(async (id: string, o: { node?: string }, cmd: Command) => {
      const g = globalsOf(cmd);
      const r = must(await connect(g).client.cleanupResource(id, o.node));
      if (g.json) return printJson(r);
      const nodes = Object.keys(r.nodes);
      process.stdout.write(nodes.length === 0 ? `${id}: nothing to clean up\n` : `${id}: cleaned up on ${nodes.join(', ')}\n`);
    }));
}
