// `herd node maintenance NODE on|off`.

import type { Command } from 'commander';
import { action, connect, globalsOf } from '../../command.js';
import { fail, must, printJson } from '../../output.js';

export function register(node: Command): void {
  node
    .command('maintenance <node> <on|off>')
    .description('Switch maintenance mode: Herd leaves the node\'s work alone until it is off')
    .action(action(async (name: string, mode: string, _o: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      if (mode !== 'on' && mode !== 'off') fail({ code: 'invalid', field: 'mode', message: `maintenance mode must be "on" or "off", not "${mode}"` }, 2);
      const n = must(await connect(g).client.setMaintenance(name, mode === 'on'));
      if (g.json) printJson(n);
      else process.stdout.write(`node ${n.name}: maintenance ${mode}\n`);
    }));
}
