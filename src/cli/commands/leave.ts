// `herd leave`: the node whose API the context names first (or --node's) leaves and stops.

import type { Command } from 'commander';
import { action, connect, globalsOf } from '../command.js';
import { fail, must, printJson } from '../output.js';
import { HerdClient } from '../../api/client.js';

export function register(program: Command): void {
  program
    .command('leave')
    .description('Make a node leave the cluster cleanly: it gives up its membership and its herdd stops')
    .option('--node <name>', 'the node that leaves (default: the node the CLI talks to)')
    .action(action(async (o: { node?: string }, cmd: Command) => {
      const g = globalsOf(cmd);
      const { client, context } = connect(g);
      let target = client;
      if (o.node) {
        const n = must(await client.node(o.node));
        if (n.state === 'offline') fail({ code: 'conflict', field: 'node', message: `node ${o.node} is offline already` });
        target = new HerdClient({ addresses: [n.apiAddress], caPem: context.caPem, token: context.token });
      }
      const r = must(await target.leave());
      if (g.json) printJson(r);
      else process.stdout.write(`node ${r.left} left the cluster\n`);
    }));
}
