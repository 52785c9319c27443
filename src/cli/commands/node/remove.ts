// `herd node remove NODE`: forget a node that no longer runs.

import type { Command } from 'commander';
import { action, connect, globalsOf } from '../../command.js';
import { must, printJson } from '../../output.js';

export function register(node: Command): void {
  node
    .command('remove <node>')
    .description('Remove a stopped or dead node from the cluster (its etcd member too, for a voter)')
    .action(action(async (name: string, _o: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      const r = must(await connect(g).client.removeNode(name));
      if (g.json) printJson(r);
      else process.stdout.write(`node ${name} removed\n`);
    }));
}
