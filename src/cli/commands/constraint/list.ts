// `herd constraint list`: every constraint with a pcs-like description.

import type { Command } from 'commander';
import { action, connect, globalsOf } from '../../command.js';
import { must, printJson, table } from '../../output.js';
import { constraintText } from '../resource/render.js';

export function register(constraint: Command): void {
  constraint
    .command('list')
    .alias('ls')
    .description('List location, colocation and order constraints')
    .action(action(async (_o: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      const r = must(await connect(g).client.constraints());
      if (g.json) return printJson(r);
      if (r.constraints.length === 0) return void process.stdout.write('No constraints\n');
      process.stdout.write(`${table(['ID', 'KIND', 'CONSTRAINT'], r.constraints.map((c) => [c.id, c.kind, constraintText(c)]))}\n`);
    }));
}
