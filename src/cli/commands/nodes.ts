// `herd nodes`: one line per node.

import type { Command } from 'commander';
import { action, connect, globalsOf } from '../command.js';
import { ago, must, printJson, table } from '../output.js';

export function register(program: Command): void {
  program
    .command('nodes')
    .description('List the nodes with role, state and addresses')
    .action(action(async (_o: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      const r = must(await connect(g).client.nodes());
      if (g.json) return printJson(r);
      process.stdout.write(`${table(
        ['NAME', 'ROLE', 'STATE', 'FOR', 'API', 'PEER', 'STANDBY', 'MAINTENANCE'],
        r.nodes.map((n) => [n.name + (n.coordinator ? '*' : ''), n.role, n.state, ago(n.stateSinceMs), n.apiAddress, n.peerAddress, n.standby ? 'yes' : 'no', n.maintenance ? 'yes' : 'no']),
      )}\n`);
    }));
}
